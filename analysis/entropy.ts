/**
 * Entropies and ranks of spectra. Conventions: natural logarithm; 0·ln 0 = 0; a spectrum is normalised
 * by its sum (p_i = v_i / Σ v).
 *
 * @module
 */
import { formatShape, type Tensor } from "../ops/tensor.ts";
import { svdvals } from "../linalg/svd.ts";
import { ENTROPY_ACCURACY } from "./von_neumann.ts";

function checkSpectrum(values: ArrayLike<number>, what: string): void {
  if (values.length === 0) throw new RangeError(`Cannot compute ${what}: empty spectrum`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]) || values[i] < 0) {
      throw new RangeError(`Cannot compute ${what}: value ${i} is ${values[i]} (need finite and >= 0)`);
    }
  }
}

/**
 * Shannon entropy H = −Σ p_i ln p_i of a non-negative spectrum normalised to p_i = v_i / Σ v.
 *
 * @param values Non-negative values (e.g. singular values or eigenvalues).
 * @returns H in nats; 0 for an all-zero spectrum.
 * @throws {RangeError} When a value is negative or not finite, or the list is empty.
 * @example A uniform spectrum of N values has entropy ln N
 * ```ts
 * import assert from "node:assert";
 * import { spectralEntropy } from "../mod.ts";
 * assert.ok(Math.abs(spectralEntropy([2, 2, 2, 2]) - Math.log(4)) < 1e-12);
 * ```
 */
export function spectralEntropy(values: ArrayLike<number>): number {
  checkSpectrum(values, "spectral entropy");
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < values.length; i++) {
    const p = values[i] / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * Effective rank (Roy & Vetterli 2007): exp(H) with H the entropy of σ_i / Σ σ.
 *
 * @param singularValues Singular values.
 * @returns A number between 1 and the count of non-zero values.
 * @throws {RangeError} For invalid values.
 * @example A rank-k projector has effective rank k
 * ```ts
 * import assert from "node:assert";
 * import { effectiveRank } from "../mod.ts";
 * assert.ok(Math.abs(effectiveRank([1, 1, 1, 0, 0]) - 3) < 1e-12);
 * ```
 */
export function effectiveRank(singularValues: ArrayLike<number>): number {
  return Math.exp(spectralEntropy(singularValues));
}

/**
 * srank_δ (Kumar et al. 2021): the smallest k with Σ_{i≤k} σ_i ≥ (1 − δ) Σ σ, σ sorted descending.
 *
 * @param singularValues Singular values (any order).
 * @param delta Tolerance δ in [0, 1) (default 0.01).
 * @returns The rank (0 for an all-zero spectrum).
 * @throws {RangeError} For invalid values or δ.
 */
export function srank(singularValues: ArrayLike<number>, delta = 0.01): number {
  checkSpectrum(singularValues, "srank");
  if (!(delta >= 0 && delta < 1)) throw new RangeError(`Invalid srank tolerance δ = ${delta}: need 0 <= δ < 1`);
  const s = Array.from(singularValues).sort((a, b) => b - a);
  const total = s.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let acc = 0;
  for (let k = 0; k < s.length; k++) {
    acc += s[k];
    if (acc >= (1 - delta) * total * (1 - 1e-12)) return k + 1;
  }
  return s.length;
}

/**
 * The s-rank of features Z (rows = samples): the entropy H of the normalised singular values of the
 * feature Gram matrix Z Zᵀ, i.e. of σ_i(Z)² / Σ σ(Z)² (computed from Z's SVD, not by forming Z Zᵀ).
 *
 * @param features [samples, features] matrix.
 * @returns H in nats (exp(H) is the matching effective rank).
 * @throws {RangeError} When `features` is not 2-D.
 */
export async function sRank(features: Tensor): Promise<number> {
  if (features.rank !== 2) {
    throw new RangeError(`Cannot compute s-rank: features must be 2-D (got ${formatShape(features.shape)})`);
  }
  // σ_i within r·‖Z‖_F moves σ_i²/‖Z‖_F² by at most 2r + r²: r = η/2 gives the entropies' η (see
  // ENTROPY_ACCURACY).
  const s = await svdvals(features, { accuracy: { normwise: ENTROPY_ACCURACY / 2 } });
  return spectralEntropy(s.map((v) => v * v));
}
