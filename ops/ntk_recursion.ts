/**
 * One step of the infinite-width kernel recursion on the device, for a batch of example pairs (see
 * kernels/ntk_recursion.ts): writes its output stage, and an activation's diagonal, in place. Not
 * recorded for autodiff.
 *
 * @module
 */
import {
  dispatchNtkRecursion,
  type RecursionCall,
  type RecursionStep,
  recursionStepFits,
  type Stage,
  stageEntries,
} from "../kernels/ntk_recursion.ts";
import { runtimeOf, type Tensor } from "./tensor.ts";

export type { RecursionCall, RecursionStep, Stage };
export { recursionStepFits, stageEntries };

/**
 * Records one recursion step for the first `count` pairs of the batch.
 *
 * @param call The step and the batch size B the stage tensors are laid out for.
 * @param tensors `pairs` (2B values: i, j per pair), `src` (images or the previous stage, [2, B, E]),
 *   `dst` (the next stage; for the readout the N x N K matrix), `diag` (an activation's per-example
 *   diagonal; for the readout the N x N Θ matrix; otherwise any tensor distinct from the others).
 * @param count Pairs of the batch in use (<= B).
 * @throws {RangeError} When `count` is outside 1..B.
 */
export function ntkRecursionStep(
  call: RecursionCall,
  tensors: { pairs: Tensor; src: Tensor; dst: Tensor; diag: Tensor },
  count: number,
): void {
  if (!(Number.isInteger(count) && count >= 1 && count <= call.batch)) {
    throw new RangeError(`Cannot run a recursion step on ${count} pairs of a batch of ${call.batch}`);
  }
  const { pairs, src, dst, diag } = tensors;
  dispatchNtkRecursion(runtimeOf([pairs, src, dst, diag], "run a kernel recursion step"), {
    ...call,
    count,
    pairs: pairs.buffer,
    src: src.buffer,
    dst: dst.buffer,
    diag: diag.buffer,
  });
}
