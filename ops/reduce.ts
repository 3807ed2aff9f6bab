/**
 * Reductions along one axis or over all elements: sum, mean, max, min (differentiable).
 *
 * @module
 */
import { dispatchReduce, type ReduceOp } from "../kernels/reduce.ts";
import { Tensor } from "./tensor.ts";
import { broadcastTo, mapInternal, mul } from "./elementwise.ts";
import { checkOptions } from "../check/args.ts";
import { checkTensor } from "./_args.ts";

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
 * import { splitAxis } from "./reduce.ts";
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
 */
export function min(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce("min", x, options);
}
