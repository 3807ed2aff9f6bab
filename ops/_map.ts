/**
 * The elementwise kernel launch every differentiable op builds on: broadcast shapes, constants as data,
 * and the recording of a one-input op with its derivative rule.
 *
 * @module
 */
import { broadcastShapes, broadcastStrides, dispatchElementwise, elementwiseConstant } from "../kernels/elementwise.ts";
import { runtimeOf, Tensor } from "./tensor.ts";
import { checkFloat32, describe } from "../check/args.ts";
import { checkTensor } from "./_args.ts";

/** A tensor or a number used as a constant. */
export type TensorLike = Tensor | number;

/**
 * Checks a number used as a constant operand: any number float32 holds, ±Infinity and NaN included (they
 * keep their IEEE meaning: constants travel as data, not as WGSL literals).
 */
export function checkConstant(context: string, name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${context}: ${name} must be a Tensor or a number (got ${describe(value)})`);
  }
  return checkFloat32(context, name, value);
}

/**
 * {@linkcode map} for the library's own expressions, with the caller's name in its errors. Numbers in
 * `inputs` travel as constants; literals in `expr` stay WGSL literals (these expressions hold only finite
 * literals that nothing divides by, so no uniform buffer is written for them on hot paths).
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param inputs Tensors and numbers, as for {@linkcode map}.
 * @param expr WGSL f32 expression.
 * @returns The result.
 */
export function mapInternal(context: string, inputs: readonly TensorLike[], expr: string): Tensor {
  let shape: number[] = [];
  inputs.forEach((x, i) => {
    if (x instanceof Tensor) shape = broadcastShapes(shape, x.shape);
    else checkConstant(context, inputs.length === 2 && context !== "map" ? ["a", "b"][i] : `input ${i}`, x);
  });
  // One pass: tensor inputs and constants each renumbered densely (x1 never clobbers x10).
  const tensors: Tensor[] = [], values: number[] = [];
  const slot = inputs.map((x) => (x instanceof Tensor ? tensors.push(x) : values.push(x)) - 1);
  const body = expr.replace(/\bx(\d+)\b/g, (name, d) => {
    const i = Number(d);
    if (i >= inputs.length) {
      throw new RangeError(`Cannot map: expression uses ${name} but only ${inputs.length} inputs were given`);
    }
    const x = inputs[i];
    return x instanceof Tensor ? `x${slot[i]}` : elementwiseConstant(slot[i]);
  });
  const rt = runtimeOf(inputs, "map");
  const out = Tensor.empty(shape, "elementwise op", rt);
  dispatchElementwise(rt, {
    expr: body,
    shape,
    inputs: tensors.map((t) => ({ strides: broadcastStrides(t.shape, shape) })),
    buffers: tensors.map((t) => t.buffer),
    out: out.buffer,
    values,
  });
  return out;
}

/** Applies a one-input expression and records its derivative rule (`grad(g, y)`, y the output). */
export function unaryOp(name: string, x: Tensor, expr: string, grad: (g: Tensor, y: Tensor) => Tensor): Tensor {
  checkTensor(`take ${name}`, "x", x);
  const y = mapInternal(`take ${name}`, [x], expr);
  return Tensor.record(y, name, [x], (g) => [grad(g, y)]);
}
