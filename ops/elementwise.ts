/**
 * Elementwise ops with NumPy broadcasting, each with its derivative rule beside it. Scalars given as
 * numbers travel to the shader as data (a uniform), so ±Infinity, NaN and division by zero behave as
 * with tensors.
 *
 * @module
 */
import { broadcastShapes, broadcastStrides, dispatchElementwise, elementwiseConstant } from "../kernels/elementwise.ts";
import { type BackwardRule, type CreateOptions, runtimeOf, Tensor } from "./tensor.ts";
import { sum } from "./reduce.ts";
import { checkFloat32, checkOptions, describe, FLOAT32_MAX } from "../check/args.ts";
import { checkTensor } from "./_args.ts";
import { shapeSize } from "./shape.ts";

/** A tensor or a number used as a constant. */
export type TensorLike = Tensor | number;

/**
 * Checks a number used as a constant operand: any number float32 holds, ±Infinity and NaN included (they
 * keep their IEEE meaning: constants travel as data, not as WGSL literals).
 */
function checkConstant(context: string, name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${context}: ${name} must be a Tensor or a number (got ${describe(value)})`);
  }
  return checkFloat32(context, name, value);
}

/**
 * Applies a WGSL expression elementwise over broadcast inputs (not differentiable; ops build on it).
 *
 * @param inputs Tensors (named `x0`, `x1`, ... in the expression) or numbers (constants, read as `xi`
 *   too; any value float32 holds, ±Infinity and NaN included).
 * @param expr WGSL f32 expression. Its numeric literals are read as constants (data, not WGSL literals),
 *   so `x0 / 0.0` gives ±Infinity or NaN; write integer-typed literals with a suffix (`3u`, `3i`).
 * @returns The result, with the broadcast shape of the tensor inputs.
 * @throws {RangeError} When the shapes do not broadcast, or a constant overflows float32.
 * @throws {TypeError} When an input is neither a Tensor nor a number.
 * @example A fused multiply-add
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, map, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3]);
 * const y = map([x, 2], "x0 * x1 + 1.0");
 * assert.deepEqual([...await y.toArray()], [3, 5, 7]);
 * ```
 */
export function map(inputs: readonly TensorLike[], expr: string): Tensor {
  if (!Array.isArray(inputs as unknown)) {
    throw new TypeError(`Cannot map: inputs must be an array of Tensors and numbers (got ${describe(inputs)})`);
  }
  if (typeof expr !== "string") {
    throw new TypeError(`Cannot map: expr must be a WGSL expression (got ${describe(expr)})`);
  }
  for (const [name, d] of expr.matchAll(/\bx(\d+)\b/g)) {
    if (Number(d) >= inputs.length) {
      throw new RangeError(`Cannot map: expression uses ${name} but only ${inputs.length} inputs were given`);
    }
  }
  // Numeric literals travel as constants too, so `x0 / 0.0` is IEEE (±Infinity, NaN) like a tensor divisor.
  const literals: number[] = [];
  const hoisted = expr.replace(/(?<![\w.])(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.])/g, (text) => {
    const v = Number(text);
    if (Math.abs(v) > FLOAT32_MAX) throw new RangeError(`Cannot map: the literal ${text} is beyond float32's range`);
    return `x${inputs.length + literals.push(v) - 1}`;
  });
  return mapInternal("map", [...inputs, ...literals], hoisted);
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

/**
 * Sums a gradient over the dimensions along which `shape` was broadcast, so it matches `shape`.
 *
 * @param grad Gradient with the broadcast shape.
 * @param shape Shape of the operand.
 * @returns Gradient with `shape`.
 */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (grad.shape.join() === shape.join()) return grad;
  let g = grad;
  const lead = g.rank - shape.length;
  for (let d = 0; d < g.rank; d++) {
    const target = d < lead ? 1 : shape[d - lead];
    if (target === 1 && g.shape[d] !== 1) g = sum(g, { axis: d, keepDims: true });
  }
  return g.reshape(shape);
}

function unaryOp(name: string, x: Tensor, expr: string, grad: (g: Tensor, y: Tensor) => Tensor): Tensor {
  checkTensor(`take ${name}`, "x", x);
  const y = mapInternal(`take ${name}`, [x], expr);
  return Tensor.record(y, name, [x], (g) => [grad(g, y)]);
}

function binaryOp(name: string, a: TensorLike, b: TensorLike, expr: string, rule: BackwardRule): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new TypeError(`Cannot ${name}: at least one operand must be a Tensor`);
  }
  const out = mapInternal(name, [a, b], expr);
  return Tensor.record(out, name, [a, b].filter((t) => t instanceof Tensor), rule);
}

/** Gradients for tensor operands only, in order, computed only where the operand needs one. */
function forTensors(a: TensorLike, b: TensorLike, ga: () => Tensor, gb: () => Tensor): (Tensor | null)[] {
  const out: (Tensor | null)[] = [];
  if (a instanceof Tensor) out.push(a.requiresGrad ? unbroadcast(ga(), a.shape) : null);
  if (b instanceof Tensor) out.push(b.requiresGrad ? unbroadcast(gb(), b.shape) : null);
  return out;
}

/**
 * a + b (broadcasting).
 *
 * @param a Left operand.
 * @param b Right operand.
 * @returns The sum.
 * @throws {RangeError} When shapes do not broadcast.
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("add", a, b, "x0 + x1", (g) => forTensors(a, b, () => g, () => g));
}

/**
 * a − b (broadcasting).
 *
 * @param a Left operand.
 * @param b Right operand.
 * @returns The difference.
 * @throws {RangeError} When shapes do not broadcast.
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("sub", a, b, "x0 - x1", (g) => forTensors(a, b, () => g, () => neg(g)));
}

/**
 * a · b elementwise (broadcasting).
 *
 * @param a Left operand.
 * @param b Right operand.
 * @returns The product.
 * @throws {RangeError} When shapes do not broadcast.
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("mul", a, b, "x0 * x1", (g) => forTensors(a, b, () => mul(g, b), () => mul(g, a)));
}

/**
 * a / b elementwise (broadcasting).
 *
 * @param a Numerator.
 * @param b Denominator.
 * @returns The quotient.
 * @throws {RangeError} When shapes do not broadcast.
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp(
    "div",
    a,
    b,
    "x0 / x1",
    (g) => forTensors(a, b, () => div(g, b), () => neg(div(mul(g, a), mul(b, b)))),
  );
}

/**
 * Elementwise maximum (the gradient goes to `a` where a >= b).
 *
 * @param a Left operand.
 * @param b Right operand.
 * @returns max(a, b).
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("maximum", a, b, "max(x0, x1)", (g) => {
    const pick = mapInternal("maximum", [a, b], "select(0.0, 1.0, x0 >= x1)");
    return forTensors(a, b, () => mul(g, pick), () => mul(g, sub(1, pick)));
  });
}

/** −x. @param x Input. @returns The negation. */
export function neg(x: Tensor): Tensor {
  return unaryOp("neg", x, "-x0", (g) => neg(g));
}

/** eˣ. @param x Input. @returns exp(x). */
export function exp(x: Tensor): Tensor {
  return unaryOp("exp", x, "exp(x0)", (g, y) => mul(g, y));
}

/** Natural logarithm. @param x Input (> 0). @returns ln(x). */
export function log(x: Tensor): Tensor {
  return unaryOp("log", x, "log(x0)", (g) => div(g, x));
}

/** max(x, 0). @param x Input. @returns relu(x). */
export function relu(x: Tensor): Tensor {
  return unaryOp("relu", x, "max(x0, 0.0)", (g) => maskPositive(g, x));
}

/** g where x > 0, else 0, in one kernel; linear in g (the step has zero derivative almost everywhere). */
function maskPositive(g: Tensor, x: Tensor): Tensor {
  const out = mapInternal("relu", [g, x], "select(0.0, x0, x1 > 0.0)");
  return Tensor.record(out, "maskPositive", [g], (h) => [maskPositive(h, x)]);
}

/** Hyperbolic tangent. @param x Input. @returns tanh(x). */
export function tanh(x: Tensor): Tensor {
  return unaryOp("tanh", x, "tanh(x0)", (g, y) => mul(g, sub(1, mul(y, y))));
}

/** Logistic sigmoid 1/(1+e⁻ˣ). @param x Input. @returns σ(x). */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp("sigmoid", x, "1.0 / (1.0 + exp(-x0))", (g, y) => mul(g, mul(y, sub(1, y))));
}

/** ELU with α = 1: x for x > 0, eˣ − 1 otherwise. @param x Input. @returns elu(x). */
export function elu(x: Tensor): Tensor {
  // elu'(x) = exp(min(x, 0)) = exp(-relu(-x)), composed of differentiable ops for higher derivatives.
  return unaryOp("elu", x, "select(exp(x0) - 1.0, x0, x0 > 0.0)", (g) => mul(g, exp(neg(relu(neg(x))))));
}

/** Sine. @param x Input. @returns sin(x). */
export function sin(x: Tensor): Tensor {
  return unaryOp("sin", x, "sin(x0)", (g) => mul(g, cos(x)));
}

/** Cosine. @param x Input. @returns cos(x). */
export function cos(x: Tensor): Tensor {
  return unaryOp("cos", x, "cos(x0)", (g) => neg(mul(g, sin(x))));
}

/** x². @param x Input. @returns x². */
export function square(x: Tensor): Tensor {
  return unaryOp("square", x, "x0 * x0", (g) => mul(g, mul(x, 2)));
}

/** √x. @param x Input (>= 0). @returns √x. */
export function sqrt(x: Tensor): Tensor {
  return unaryOp("sqrt", x, "sqrt(x0)", (g, y) => div(g, mul(y, 2)));
}

/** |x| (derivative sign(x)). @param x Input. @returns |x|. */
export function abs(x: Tensor): Tensor {
  return unaryOp("abs", x, "abs(x0)", (g) => mul(g, mapInternal("abs", [x], "sign(x0)")));
}

/** WGSL erf: Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7, below f32 resolution near 1). */
export const ERF_WGSL: string =
  "sign(x0) * (1.0 - (((((1.061405429 * (1.0 / (1.0 + 0.3275911 * abs(x0))) - 1.453152027) * " +
  "(1.0 / (1.0 + 0.3275911 * abs(x0))) + 1.421413741) * (1.0 / (1.0 + 0.3275911 * abs(x0))) - 0.284496736) * " +
  "(1.0 / (1.0 + 0.3275911 * abs(x0))) + 0.254829592) * (1.0 / (1.0 + 0.3275911 * abs(x0)))) * exp(-x0 * x0))";

/** Gauss error function. @param x Input. @returns erf(x). */
export function erf(x: Tensor): Tensor {
  return unaryOp("erf", x, ERF_WGSL, (g) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
}

/**
 * Repeats a tensor along broadcast dimensions (differentiable).
 *
 * @param x Input.
 * @param shape Target shape `x` broadcasts to.
 * @returns The broadcast copy.
 * @throws {RangeError} When `x` does not broadcast to `shape`.
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor("broadcast", "x", x);
  shapeSize(shape);
  if (x.shape.join() === shape.join()) return x;
  const out = Tensor.empty(shape, "broadcastTo", x.runtime);
  dispatchElementwise(x.runtime, {
    expr: "x0",
    shape,
    inputs: [{ strides: broadcastStrides(x.shape, shape) }],
    buffers: [x.buffer],
    out: out.buffer,
  });
  return Tensor.record(out, "broadcastTo", [x], (g) => [unbroadcast(g, x.shape)]);
}

/**
 * A tensor filled with one value.
 *
 * @param shape Dimensions.
 * @param value Fill value (default 0).
 * @returns The tensor.
 */
export function full(shape: readonly number[], value = 0, options: CreateOptions = {}): Tensor {
  checkOptions("create tensor", options, ["runtime"]);
  checkConstant("create tensor", "value", value);
  const out = Tensor.empty(shape, "full", options.runtime);
  dispatchElementwise(out.runtime, {
    expr: elementwiseConstant(0),
    shape,
    inputs: [],
    buffers: [],
    out: out.buffer,
    values: [value],
  });
  return out;
}
