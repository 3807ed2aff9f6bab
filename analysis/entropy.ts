/**
 * Entropies and ranks of spectra. Conventions: natural logarithm; 0·ln 0 = 0; a spectrum is normalised
 * by its sum (p_i = v_i / Σ v).
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { checkNumber, describe } from "../check/args.ts";
import { svdvals } from "../linalg/svd.ts";
import { ENTROPY_ACCURACY } from "./von_neumann.ts";

/** Refuses what is not a non-empty array of finite non-negative numbers; returns its largest value. */
function checkSpectrum(values: ArrayLike<number>, what: string): number {
  if (!Array.isArray(values) && !(ArrayBuffer.isView(values) && !(values instanceof DataView))) {
    const hint = values instanceof Tensor ? " (a Tensor: read its values with `await t.toArray()` first)" : "";
    throw new TypeError(`Cannot compute ${what}: expected an array of numbers (got ${describe(values)}${hint})`);
  }
  if (values.length === 0) throw new RangeError(`Cannot compute ${what}: empty spectrum`);
  let big = 0;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "number") {
      throw new TypeError(`Cannot compute ${what}: value ${i} is ${describe(values[i])} (need numbers)`);
    }
    if (!Number.isFinite(values[i]) || values[i] < 0) {
      throw new RangeError(`Cannot compute ${what}: value ${i} is ${values[i]} (need finite and >= 0)`);
    }
    big = Math.max(big, values[i]);
  }
  return big;
}

/**
 * Shannon entropy H = −Σ p_i ln p_i of a non-negative spectrum normalised to p_i = v_i / Σ v.
 *
 * @param values Non-negative values (e.g. singular values or eigenvalues).
 * Values are divided by the largest before summing, so any finite float64 spectrum works (no overflow of
 * the sum) and H is the same in any units.
 *
 * @returns H in nats; 0 for an all-zero spectrum.
 * @throws {TypeError} When `values` is not an array of numbers (e.g. a Tensor).
 * @throws {RangeError} When a value is negative or not finite, or the list is empty.
 * @example A uniform spectrum of N values has entropy ln N
 * ```ts
 * import assert from "node:assert";
 * import { spectralEntropy } from "../mod.ts";
 * assert.ok(Math.abs(spectralEntropy([2, 2, 2, 2]) - Math.log(4)) < 1e-12);
 * ```
 */
export function spectralEntropy(values: ArrayLike<number>): number {
  const big = checkSpectrum(values, "spectral entropy");
  if (big === 0) return 0;
  // Values are divided by the largest first, so the sum cannot overflow (1e308 + 1e308) and the result
  // is the same in any units.
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] / big;
  let h = 0;
  for (let i = 0; i < values.length; i++) {
    const p = values[i] / big / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * Effective rank (Roy & Vetterli 2007): exp(H) with H the entropy of σ_i / Σ σ.
 *
 * @param singularValues Singular values.
 * @returns A number between 1 and the count of non-zero values (the same in any units).
 * @throws {TypeError} When `singularValues` is not an array of numbers (e.g. a Tensor).
 * @throws {RangeError} For negative or non-finite values, or an empty list.
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
 * The δ-rank, srank_δ in Kumar et al. (2021): the smallest k with Σ_{i≤k} σ_i ≥ (1 − δ) Σ σ, σ sorted
 * descending. The sums are of σ / σ_max (the same in any units), and the comparison allows for their rounding only:
 * a relative slack of 2n·eps₆₄, so a tail below about 4e-16·n of the sum counts as not there.
 *
 * @param singularValues Singular values (any order).
 * @param delta Tolerance δ in [0, 1) (default 0.01).
 * @returns The rank (0 for an all-zero spectrum).
 * @throws {TypeError} When `singularValues` is not an array of numbers.
 * @throws {RangeError} For negative or non-finite values, an empty spectrum, or δ outside [0, 1).
 * @example 99% of the mass in the first two values
 * ```ts
 * import assert from "node:assert";
 * import { deltaRank } from "../mod.ts";
 * assert.equal(deltaRank([10, 9, 0.1, 0.05]), 2);
 * assert.equal(deltaRank([1, 1e-13], 0), 2);
 * ```
 */
export function deltaRank(singularValues: ArrayLike<number>, delta = 0.01): number {
  const big = checkSpectrum(singularValues, "delta-rank");
  checkNumber("compute delta-rank", "delta", delta, { min: 0, below: 1 });
  if (big === 0) return 0;
  const s = Array.from(singularValues, (v) => v / big).sort((a, b) => b - a);
  const total = s.reduce((a, b) => a + b, 0);
  const target = (1 - delta) * total * (1 - 2 * s.length * Number.EPSILON);
  let acc = 0;
  for (let k = 0; k < s.length; k++) {
    acc += s[k];
    if (acc >= target) return k + 1;
  }
  return s.length;
}

/**
 * The s-rank of features Z (rows = samples): the entropy H of the normalised singular values of the
 * feature Gram matrix Z Zᵀ, i.e. of σ_i(Z)² / Σ σ(Z)² (computed from Z's SVD, not by forming Z Zᵀ).
 * (Not {@link deltaRank}, which counts singular values.)
 *
 * H is the same for Z and cZ wherever cZ is float32 (the SVD works in any units): bit for bit when c is
 * a power of two, else within the float32 rounding of cZ's entries (measured: ~4e-9 relative).
 *
 * @param features [samples, features] matrix.
 * @returns H in nats (exp(H) is the matching effective rank).
 * @throws {TypeError} When `features` is not a Tensor.
 * @throws {RangeError} When `features` is not 2-D.
 * @example Two orthogonal directions of equal weight have s-rank ln 2
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sRank, Tensor } from "../mod.ts";
 * await initGpu();
 * const h = await sRank(Tensor.fromArray([3, 0, 0, 3, 0, 0], [3, 2]));
 * assert.ok(Math.abs(h - Math.log(2)) < 1e-6);
 * ```
 */
export async function sRank(features: Tensor): Promise<number> {
  if (!(features instanceof Tensor)) {
    throw new TypeError(`Cannot compute s-rank: features must be a 2-D Tensor (got ${describe(features)})`);
  }
  if (features.rank !== 2) {
    throw new RangeError(`Cannot compute s-rank: features must be 2-D (got ${formatShape(features.shape)})`);
  }
  // σ_i within r·‖Z‖_F moves σ_i²/‖Z‖_F² by at most 2r + r²: r = η/2 gives the entropies' η (see
  // ENTROPY_ACCURACY).
  const s = await svdvals(features, { accuracy: { normwise: ENTROPY_ACCURACY / 2 } });
  return spectralEntropy(s.map((v) => v * v));
}
