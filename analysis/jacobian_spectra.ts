/**
 * Singular values of input Jacobians over a set of points (batched on the GPU) and of every weight
 * layer of a model.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { inputJacobian } from "../ops/jacobian.ts";
import { type SpectrumOptions, type SvdOptions, svdvals, svdvalsBatched } from "../linalg/svd.ts";
import { structureOf } from "../model/layer_signals.ts";
import { checkFunction, checkOptions } from "../check/args.ts";
import { SPECTRUM_OPTION_KEYS, SVD_OPTION_KEYS } from "../linalg/_spectrum.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";

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

/**
 * Singular values of every weight layer: dense weights as [in, out], convolution filters as
 * [kh·kw·in, out].
 *
 * @param model Traceable model.
 * @param options Spectrum method and SVD options.
 * @returns One entry per weight layer with its index and name.
 * @example Weights diag(3, 2) have singular values 3, 2
 * ```ts
 * import assert from "node:assert";
 * import { Activation, Dense, initGpu, Sequential, Tensor, weightSpectra } from "../mod.ts";
 * await initGpu();
 * const dense = new Dense(2, 2, { bias: false, seed: 0 });
 * dense.weights = Tensor.fromArray([3, 0, 0, 2], [2, 2]);
 * const [{ layer, values }] = await weightSpectra(new Sequential([dense, new Activation("relu")]));
 * assert.ok(layer === 0 && Math.abs(values[0] - 3) < 1e-6 && Math.abs(values[1] - 2) < 1e-6);
 * ```
 */
export async function weightSpectra(
  model: TraceableModel,
  options: SpectrumOptions = {},
): Promise<{ layer: number; name: string; values: Float64Array }[]> {
  checkOptions("compute weight spectra", options, SPECTRUM_OPTION_KEYS);
  checkLayer("compute weight spectra", "model", model, true);
  const out: { layer: number; name: string; values: Float64Array }[] = [];
  for (let i = 0; i < model.layers.length; i++) {
    const s = structureOf(model.layers[i]);
    if (s.kind !== "dense" && s.kind !== "conv") continue;
    const w = s.kind === "dense"
      ? s.weights
      : s.filters.reshape([s.filters.size / s.filters.shape[3], s.filters.shape[3]]);
    out.push({ layer: i, name: model.layers[i].name, values: await svdvals(w, options) });
    if (s.kind === "conv") w.dispose(); // the reshaped view; dense weights are the layer's own
  }
  return out;
}
