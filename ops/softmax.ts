/**
 * Softmax and log-softmax along an axis (differentiable).
 *
 * @module
 */
import { dispatchSoftmax } from "../kernels/softmax.ts";
import { Tensor } from "./tensor.ts";
import { normalizeAxis, splitAxis, sum } from "./arithmetic.ts";
import { mul, sub } from "./arithmetic.ts";
import { checkTensor } from "./_args.ts";

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  checkTensor(log ? "take log-softmax" : "take softmax", "x", x);
  const a = normalizeAxis(axis, x.rank);
  const out = Tensor.empty(x.shape, log ? "logSoftmax" : "softmax", x.runtime);
  const [outer, axisLength, inner] = splitAxis(x.shape, a);
  dispatchSoftmax(x.runtime, {
    x: x.buffer,
    y: out.buffer,
    outer,
    axis: axisLength,
    inner,
    log,
  });
  return Tensor.record(out, log ? "logSoftmax" : "softmax", [x], (g) => {
    if (log) return [sub(g, mul(softmax(x, a), sum(g, { axis: a, keepDims: true })))];
    return [mul(out, sub(g, sum(mul(g, out), { axis: a, keepDims: true })))];
  });
}

/**
 * Softmax along an axis: y_i = exp(x_i − max x) / Σ_j exp(x_j − max x).
 *
 * @param x Input.
 * @param axis Axis to normalise (default −1).
 * @returns Probabilities summing to 1 along `axis`.
 * @throws {RangeError} When the axis is out of range.
 * @example Equal logits give equal probabilities
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, softmax, Tensor } from "../mod.ts";
 * await initGpu();
 * const p = await softmax(Tensor.fromArray([3, 3], [1, 2])).toArray();
 * assert.deepEqual([...p], [0.5, 0.5]);
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp(x, axis, false);
}

/**
 * Log-softmax along an axis: x_i − max x − log Σ_j exp(x_j − max x).
 *
 * @param x Input.
 * @param axis Axis to normalise (default −1).
 * @returns Log-probabilities.
 * @throws {RangeError} When the axis is out of range.
 * @example Equal logits give log(1/2)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, logSoftmax, Tensor } from "../mod.ts";
 * await initGpu();
 * const [a, b] = await logSoftmax(Tensor.fromArray([3, 3])).toArray();
 * assert.ok(Math.abs(a - Math.log(0.5)) < 1e-6 && a === b);
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp(x, axis, true);
}
