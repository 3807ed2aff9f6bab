/**
 * Singular values of input Jacobians over a set of points (batched on the GPU); the weight layers'
 * spectra are in ./weight_spectra.ts.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { inputJacobian } from "../ops/jacobian.ts";
import { type SvdOptions, svdvalsBatched } from "../linalg/svd.ts";
import { checkFunction, checkOptions } from "../check/args.ts";
import { SVD_OPTION_KEYS } from "../linalg/_spectrum.ts";
import { checkTensor } from "../ops/_args.ts";

/** Per-point singular values of the input Jacobian. */
export interface JacobianSpectra {
  /** Singular values per point, descending. */
  values: Float64Array[];
  /** Largest singular value per point. */
  max: Float64Array;
  /** Smallest singular value per point (min(k, d)-th). */
  min: Float64Array;
}

/**
 * Singular values of ∂f/∂x at every row of `points` (e.g. a 100x100 grid of 2-D inputs): one backward
 * pass per output builds the [N, k, d] Jacobians, then one batched Jacobi SVD.
 *
 * @param f Row-wise function [N, d] → [N, k].
 * @param points [N, d] inputs.
 * @param options SVD options.
 * @returns Spectra per point.
 * @example The Jacobian of x ↦ 2x has singular values 2, 2
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, inputJacobianSpectra, mul, Tensor } from "../mod.ts";
 * await initGpu();
 * const { min, max } = await inputJacobianSpectra((x) => mul(x, 2), Tensor.fromArray([1, 2, 3, 4], [2, 2]));
 * assert.ok(Math.abs(max[0] - 2) < 1e-6 && Math.abs(min[1] - 2) < 1e-6);
 * ```
 */
export async function inputJacobianSpectra(
  f: (x: Tensor) => Tensor,
  points: Tensor,
  options: SvdOptions = {},
): Promise<JacobianSpectra> {
  checkFunction("compute Jacobian spectra", "f", f);
  checkTensor("compute Jacobian spectra", "points", points);
  checkOptions("compute Jacobian spectra", options, SVD_OPTION_KEYS);
  const jac = inputJacobian(f, points);
  const { s } = await svdvalsBatched(jac, options);
  jac.dispose();
  return {
    values: s,
    max: Float64Array.from(s, (v) => v[0]),
    min: Float64Array.from(s, (v) => v[v.length - 1]),
  };
}
