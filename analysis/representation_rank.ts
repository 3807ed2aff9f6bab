/**
 * Ranks and decay of learned representations from their singular values: RankMe, stable rank and the
 * power-law exponent α of the feature covariance (α-ReQ). Rows are examples, columns features.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { centreColumns, checkMatrixTensor } from "./_matrix_args.ts";
import { checkArrayLike, checkNumber, checkOptions } from "../check/args.ts";
import { svdvals } from "../linalg/svd.ts";
import { withDisplay } from "./_display.ts";

/** Normwise accuracy of the singular values behind these measures: |Δσ_k| ≤ 1e-12·σ_1. */
export const SPECTRUM_ACCURACY = 1e-12;

/** The ε that RankMe adds to each normalised singular value (Garrido et al. 2023). */
export const RANKME_EPSILON = 1e-7;

/** Singular values of a matrix, refusing non-finite entries and the zero matrix (saying `zero`) by name. */
async function spectrumOf(
  context: string,
  name: string,
  a: Tensor,
  zero = `${name} is all zeros (no spectrum to measure)`,
): Promise<Float64Array> {
  let s: Float64Array;
  try {
    // Accurate to 1e-12·σ_1 (what these measures need; the host Householder path certifies it at any
    // conditioning, where relative accuracy of tiny values would send ill-conditioned features to Jacobi).
    s = await svdvals(a, { accuracy: { normwise: SPECTRUM_ACCURACY } });
  } catch (e) {
    // svdvals reads the values once and refuses NaN and ±Infinity: name the argument here.
    if (e instanceof RangeError && /NaN or infinite/.test(e.message)) {
      throw new RangeError(`Cannot ${context}: ${name} holds NaN or ±Infinity (${e.message})`);
    }
    throw e;
  }
  if (!(s[0] > 0)) throw new RangeError(`Cannot ${context}: ${zero}`);
  return s;
}

/** RankMe of a representation. */
export interface RankMeResult {
  /** exp(H) of the ε-smoothed normalised singular values, between 1 and min(n, d) (plus ε terms). */
  value: number;
  /** The singular values, descending. */
  singularValues: Float64Array;
}

/**
 * RankMe (Garrido, Balestriero, Najman & LeCun, ICML 2023): exp(−Σ p_k ln p_k) with
 * p_k = σ_k / ‖σ‖₁ + ε, ε = 1e-7, over the singular values σ of the features.
 *
 * @param z [examples, features] representation.
 * @returns The value and the singular values.
 * @throws {TypeError} When `z` is not a Tensor.
 * @throws {RangeError} When `z` is not 2-D, holds NaN or ±Infinity, or is all zeros.
 * @example k orthogonal directions of equal weight have RankMe k
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, rankMe, Tensor } from "../mod.ts";
 * await initGpu();
 * const { value } = await rankMe(Tensor.fromArray([2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0], [4, 3]));
 * assert.ok(Math.abs(value - 3) < 1e-5);
 * ```
 */
export async function rankMe(z: Tensor): Promise<RankMeResult> {
  checkMatrixTensor("compute RankMe", "z", z);
  const s = await spectrumOf("compute RankMe", "z", z);
  const l1 = s.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const v of s) {
    const p = v / l1 + RANKME_EPSILON;
    h -= p * Math.log(p);
  }
  const value = Math.exp(h);
  return withDisplay({ value, singularValues: s }, "RankMe", [["RankMe", value], ["dimensions", s.length]]);
}

/** Stable rank of a matrix. */
export interface StableRankResult {
  /** ‖A‖²_F / ‖A‖²₂, between 1 and rank(A). */
  value: number;
  /** ‖A‖₂, the largest singular value. */
  spectralNorm: number;
  /** ‖A‖_F. */
  frobeniusNorm: number;
}

/**
 * Stable rank ‖A‖²_F / ‖A‖²₂ = Σ σ_k² / σ_1² (Rudelson & Vershynin 2007), from the singular values.
 *
 * @param a Matrix (e.g. a weight matrix or a batch of features).
 * @returns The value and both norms.
 * @throws {TypeError} When `a` is not a Tensor.
 * @throws {RangeError} When `a` is not 2-D, holds NaN or ±Infinity, or is all zeros.
 * @example A matrix with singular values 2, 1 has stable rank 1.25
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, stableRank, Tensor } from "../mod.ts";
 * await initGpu();
 * const { value } = await stableRank(Tensor.fromArray([2, 0, 0, 1], [2, 2]));
 * assert.ok(Math.abs(value - 1.25) < 1e-6);
 * ```
 */
export async function stableRank(a: Tensor): Promise<StableRankResult> {
  checkMatrixTensor("compute stable rank", "a", a);
  const s = await spectrumOf("compute stable rank", "a", a);
  // Σ (σ_k/σ_1)² cannot overflow whatever the units.
  const ratio = s.reduce((acc, v) => acc + (v / s[0]) ** 2, 0);
  const result = { value: ratio, spectralNorm: s[0], frobeniusNorm: s[0] * Math.sqrt(ratio) };
  return withDisplay(result, "stable rank", [["stable rank", ratio], ["‖A‖₂", s[0]], ["‖A‖_F", result.frobeniusNorm]]);
}

/** Options for {@linkcode alphaReq}. */
export interface AlphaReqOptions {
  /**
   * 1-based indices [first, last] of the eigenvalues the line is fitted on (inclusive). Default: from 1 to
   * the last eigenvalue above 1e-10·λ_1 (below that, float32 rounding of the features dominates).
   */
  range?: readonly [number, number];
}

/** The power-law fit of a covariance spectrum. */
export interface AlphaReqResult {
  /** α in λ_k ∝ k^−α (the negated least-squares slope of ln λ_k on ln k). */
  value: number;
  /** The fitted ln λ_1 (the line's intercept at k = 1). */
  intercept: number;
  /** Coefficient of determination of the fit (1 for an exact power law). */
  r2: number;
  /** The 1-based index range fitted on. */
  range: [number, number];
  /** Eigenvalues of the feature covariance Z_cᵀZ_c / n, descending. */
  eigenvalues: Float64Array;
}

/**
 * α-ReQ (Agrawal et al., NeurIPS 2022): the decay exponent α of the eigenspectrum of the feature
 * covariance, λ_k ∝ k^−α, fitted by least squares on log–log axes over a stated index range, with R².
 * Features are centred over the examples; the eigenvalues are σ_k(Z_c)² / n (never eig(ZᵀZ)).
 *
 * @param z [examples, features] representation.
 * @param options The index range.
 * @returns α, the intercept, R², the range used and the eigenvalues.
 * @throws {TypeError} When `z` is not a Tensor or an option has the wrong type.
 * @throws {RangeError} When `z` is not 2-D, is constant over the examples or holds NaN/±Infinity, or the
 *   range is not 1 ≤ first < last ≤ min(n, d) with at least three positive eigenvalues in it.
 * @example A spectrum λ_k = k^−2 gives α = 2
 * ```ts
 * import assert from "node:assert";
 * import { alphaReq, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * // Rows ±e_k·k^−1 (k = 1…4): centred, with covariance eigenvalues ∝ k^−2.
 * const rows = [1, 2, 3, 4].flatMap((k) => [1, -1].map((sign) => [0, 1, 2, 3].map((j) => j === k - 1 ? sign / k : 0)));
 * const { value, r2 } = await alphaReq(Tensor.fromArray(rows.flat(), [8, 4]));
 * assert.ok(Math.abs(value - 2) < 1e-5 && r2 > 0.999999);
 * ```
 */
export async function alphaReq(z: Tensor, options: AlphaReqOptions = {}): Promise<AlphaReqResult> {
  const context = "fit α-ReQ";
  const [n, d] = checkMatrixTensor(context, "z", z);
  checkOptions(context, options, ["range"]);
  const centred = centreColumns(z);
  let s: Float64Array;
  try {
    s = await spectrumOf(context, "z", centred, `z is constant over its ${n} examples (the covariance is zero)`);
  } finally {
    centred.dispose();
  }
  // Float32 features stay below 3.4e38, so their squares are finite in float64.
  const eigenvalues = s.map((v) => v * v / n);
  const range = fitRange(context, options.range, eigenvalues, Math.min(n, d));
  const { slope, intercept, r2 } = logLogFit(eigenvalues, range);
  const result = { value: -slope, intercept, r2, range, eigenvalues };
  return withDisplay(result, "α-ReQ", [["α", -slope], ["R²", r2], ["range", `${range[0]}–${range[1]}`]]);
}

function fitRange(
  context: string,
  given: readonly [number, number] | undefined,
  eigenvalues: Float64Array,
  count: number,
): [number, number] {
  if (given === undefined) {
    let last = 0;
    while (last < eigenvalues.length && eigenvalues[last] > 1e-10 * eigenvalues[0]) last++;
    if (last < 3) {
      throw new RangeError(`Cannot ${context}: only ${last} eigenvalue(s) above 1e-10·λ_1 (a fit needs 3)`);
    }
    return [1, last];
  }
  checkArrayLike(context, "options.range", given);
  if (given.length !== 2) {
    throw new RangeError(`Cannot ${context}: options.range must be [first, last] (got ${given.length} values)`);
  }
  const first = checkNumber(context, "options.range[0]", given[0], { integer: true, min: 1 });
  const last = checkNumber(context, "options.range[1]", given[1], { integer: true, min: first + 2, max: count });
  for (let k = first; k <= last; k++) {
    if (!(eigenvalues[k - 1] > 0)) {
      throw new RangeError(`Cannot ${context}: eigenvalue ${k} is 0 (options.range must hold positive ones only)`);
    }
  }
  return [first, last];
}

/** Least-squares line through (ln k, ln λ_k) for k in the 1-based range, in float64. */
function logLogFit(eigenvalues: Float64Array, [first, last]: [number, number]) {
  const xs: number[] = [], ys: number[] = [];
  for (let k = first; k <= last; k++) {
    xs.push(Math.log(k));
    ys.push(Math.log(eigenvalues[k - 1]));
  }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  // A flat spectrum (syy = 0) is fitted exactly by slope 0.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}
