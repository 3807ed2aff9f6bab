/**
 * Broadcasting arithmetic (add, sub, mul, div, maximum, neg), the broadcast itself, and the reductions
 * along one axis or over all elements (sum, mean, max, min), all differentiable. They share a module
 * because their derivatives call each other: a broadcast's gradient is a sum, a sum's gradient is a
 * broadcast, and a mean's or product's gradient is a product. Scalars given as numbers travel to the
 * shader as data (a uniform), so ±Infinity, NaN and division by zero behave as with tensors.
 *
 * @module
 */
import { broadcastStrides, dispatchElementwise } from "../kernels/elementwise.ts";
import { dispatchReduce, type ReduceOp } from "../kernels/reduce.ts";
import { type BackwardRule, Tensor } from "./tensor.ts";
import { mapInternal, type TensorLike, unaryOp } from "./_map.ts";
import { checkOptions } from "../check/args.ts";
import { checkTensor } from "./_args.ts";
import { shapeSize } from "./shape.ts";

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
 * @example A number broadcasts like a tensor
 * ```ts
 * import assert from "node:assert";
 * import { add, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await add(Tensor.fromArray([1, 2]), 10).toArray()], [11, 12]);
 * ```
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
 * @example The number may be the left operand
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sub, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await sub(10, Tensor.fromArray([1, 2])).toArray()], [9, 8]);
 * ```
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
 * @example Elementwise, not a matrix product
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await mul(Tensor.fromArray([1, 2, 3]), Tensor.fromArray([4, 5, 6])).toArray()], [4, 10, 18]);
 * ```
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
 * @example Halving
 * ```ts
 * import assert from "node:assert";
 * import { div, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await div(Tensor.fromArray([1, 3]), 2).toArray()], [0.5, 1.5]);
 * ```
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
 * @example Clamping at zero
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, maximum, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await maximum(Tensor.fromArray([-1, 2]), 0).toArray()], [0, 2]);
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("maximum", a, b, "max(x0, x1)", (g) => {
    const pick = mapInternal("maximum", [a, b], "select(0.0, 1.0, x0 >= x1)");
    return forTensors(a, b, () => mul(g, pick), () => mul(g, sub(1, pick)));
  });
}

/**
 * −x.
 *
 * @param x Input.
 * @returns The negation.
 * @example Negation
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, neg, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await neg(Tensor.fromArray([1, -2, 0.5])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [-1, 2, -0.5][i]) < 1e-6, `${v}`));
 * ```
 */
export function neg(x: Tensor): Tensor {
  return unaryOp("neg", x, "-x0", (g) => neg(g));
}

/**
 * Repeats a tensor along broadcast dimensions (differentiable).
 *
 * @param x Input.
 * @param shape Target shape `x` broadcasts to.
 * @returns The broadcast copy.
 * @throws {RangeError} When `x` does not broadcast to `shape`.
 * @example A row repeated down two rows
 * ```ts
 * import assert from "node:assert";
 * import { broadcastTo, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await broadcastTo(Tensor.fromArray([1, 2]), [2, 2]).toArray()], [1, 2, 1, 2]);
 * ```
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

/** Options for reductions. */
export interface ReduceOptions {
  /** Axis to reduce (negative counts from the end); omit to reduce every element. */
  axis?: number;
  /** Keep the reduced axis with length 1. */
  keepDims?: boolean;
}

/**
 * Resolves a possibly negative axis.
 *
 * @param axis Axis, negative counting from the end.
 * @param rank Rank of the tensor.
 * @returns The axis in 0..rank-1.
 * @throws {RangeError} When out of range.
 */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`Cannot resolve axis ${axis}: out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/**
 * Views a shape as [outer, axis, inner] around one axis: the layout every axis kernel works on.
 *
 * @param shape Dimensions.
 * @param axis Axis in 0..rank-1.
 * @returns Product of the dimensions before the axis, the axis length, product of those after it.
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { splitAxis } from "./arithmetic.ts";
 * assert.deepEqual(splitAxis([2, 3, 4, 5], 2), [6, 4, 5]);
 * ```
 */
export function splitAxis(shape: readonly number[], axis: number): [number, number, number] {
  const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
  return [product(shape.slice(0, axis)), shape[axis], product(shape.slice(axis + 1))];
}

function reduce(op: ReduceOp, x: Tensor, options: ReduceOptions): Tensor {
  checkOptions(`reduce (${op})`, options, ["axis", "keepDims"]);
  checkTensor(`reduce (${op})`, "x", x);
  const all = options.axis === undefined;
  const axis = all ? 0 : normalizeAxis(options.axis!, x.rank);
  const dims = all ? [1, x.size, 1] : splitAxis(x.shape, axis);
  const kept = all ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === axis ? 1 : d));
  const shape = options.keepDims ? kept : all ? [] : x.shape.filter((_, i) => i !== axis);
  const out = Tensor.empty(shape, `reduction (${op})`, x.runtime);
  dispatchReduce(x.runtime, { x: x.buffer, y: out.buffer, outer: dims[0], axis: dims[1], inner: dims[2], op });
  return Tensor.record(out, op, [x], (g) => {
    const gk = g.reshape(kept);
    if (op === "sum") return [broadcastTo(gk, x.shape)];
    if (op === "mean") return [broadcastTo(mul(gk, 1 / dims[1]), x.shape)];
    // max/min: the gradient flows to every position attaining the extreme (a piecewise-constant mask).
    return [mul(gk, mapInternal(op, [x, out.reshape(kept)], "select(0.0, 1.0, x0 == x1)"))];
  });
}

/**
 * Sum along an axis, or of all elements (compensated, in chunks, for long axes).
 *
 * @param x Input.
 * @param options Axis and keepDims.
 * @returns The sums.
 * @throws {RangeError} When the axis is out of range.
 * @example Row sums
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sum, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
 * assert.deepEqual([...await sum(x, { axis: 1 }).toArray()], [6, 15]);
 * ```
 */
export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce("sum", x, options);
}

/**
 * Mean along an axis, or of all elements.
 *
 * @param x Input.
 * @param options Axis and keepDims.
 * @returns The means.
 * @throws {RangeError} When the axis is out of range.
 * @example Column means
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mean, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3, 5], [2, 2]);
 * assert.deepEqual([...await mean(x, { axis: 0 }).toArray()], [2, 3.5]);
 * ```
 */
export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce("mean", x, options);
}

/**
 * Maximum along an axis, or of all elements (gradient to every position attaining it).
 *
 * @param x Input.
 * @param options Axis and keepDims.
 * @returns The maxima.
 * @throws {RangeError} When the axis is out of range.
 * @example Largest of all elements
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, max, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await max(Tensor.fromArray([3, -1, 7, 2])).toArray()], [7]);
 * ```
 */
export function max(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce("max", x, options);
}

/**
 * Minimum along an axis, or of all elements.
 *
 * @param x Input.
 * @param options Axis and keepDims.
 * @returns The minima.
 * @throws {RangeError} When the axis is out of range.
 * @example Row minima, kept as a column
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, min, Tensor } from "../mod.ts";
 * await initGpu();
 * const m = min(Tensor.fromArray([3, -1, 7, 2], [2, 2]), { axis: 1, keepDims: true });
 * assert.deepEqual(m.shape, [2, 1]);
 * assert.deepEqual([...await m.toArray()], [-1, 2]);
 * ```
 */
export function min(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce("min", x, options);
}
