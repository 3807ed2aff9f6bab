/**
 * Singular value decomposition by one-sided (Hestenes) Jacobi on the GPU, batched; singular values are
 * column norms of the rotated matrix, which keeps small singular values accurate relative to their own
 * size (unlike sqrt(eig(AᵀA))).
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { transpose } from "../ops/layout.ts";
import { completeBasis, reorthogonalize } from "./_polish.ts";
import { assertRank, decompose, validateSvdOptions, withBatchView } from "./_jacobi.ts";
import { bidiagonalizeInPlace, tallScaledCopy } from "./_golub_kahan.ts";
import { bidiagonalSingularValues } from "./bisection.ts";
import {
  assertJacobiCertifies,
  inspect,
  keepHouseholder,
  SPECTRUM_OPTION_KEYS,
  type SpectrumOptions,
  SVD_OPTION_KEYS,
  type SvdOptions,
} from "./_spectrum.ts";
import { chooseSpectrumMethod } from "./_method.ts";
import { checkArrayLike, checkOptions } from "../check/args.ts";

export {
  AUTO_CERTIFIED_ERROR,
  JACOBI_RELATIVE_ERROR,
  type SpectrumAccuracy,
  type SpectrumMethod,
  type SpectrumOptions,
  type SvdOptions,
} from "./_spectrum.ts";
export { type MethodCost, type SpectrumCosts, spectrumCosts } from "./_method.ts";

/** Result of {@linkcode svd}: A = U diag(s) Vᵀ with s descending. */
export interface SvdResult {
  /** Left singular vectors, m x k (k = min(m, n)), orthonormal columns. */
  u: Tensor;
  /** Singular values, descending, length k. */
  s: Float64Array;
  /** Right singular vectors, n x k, orthonormal columns. */
  v: Tensor;
  /** Float32 sweeps the GPU Jacobi iteration took. */
  sweeps: number;
}

/** Singular values of a batch (one array per matrix) and the sweeps taken. */
export interface BatchedSvdResult {
  /** Singular values per matrix, descending. */
  s: Float64Array[];
  /** Sweeps taken (the slowest matrix decides). */
  sweeps: number;
}

/**
 * Singular values of a matrix, descending. By default a float64 Householder bidiagonalisation on the
 * host, kept when its error bound certifies every value to 1e-8 relative, else the GPU Jacobi SVD,
 * which keeps even tiny singular values accurate relative to their own size (see
 * {@linkcode SpectrumMethod}). Never sqrt(eig(AᵀA)).
 *
 * @param a m x n matrix.
 * @param options Method, and the Jacobi sweep cap, tolerance and polish.
 * @returns min(m, n) singular values.
 * @throws {RangeError} When `a` is not 2-D, contains NaN/Inf, or an option is out of range.
 * @throws {Error} When the Jacobi iteration does not converge within `maxSweeps`.
 * @example Singular values of a diagonal matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, svdvals, Tensor } from "../mod.ts";
 * await initGpu();
 * const s = await svdvals(Tensor.fromArray([3, 0, 0, -4], [2, 2]));
 * assert.ok(Math.abs(s[0] - 4) < 1e-6 && Math.abs(s[1] - 3) < 1e-6);
 * ```
 */
export async function svdvals(a: Tensor, options: SpectrumOptions = {}): Promise<Float64Array> {
  checkOptions("compute singular values", options, SPECTRUM_OPTION_KEYS);
  assertRank(a, "svdvals", 2);
  validateSvdOptions(options, "singular values");
  const [m, n] = a.shape;
  const certify = (s: Float64Array) => (assertJacobiCertifies(options, s[0] ?? 0, "singular values", m, n), s);
  if (await chooseSpectrumMethod(options, "svdvals", m, n, a.runtime) === "householder") {
    const values = await a.toArray();
    const s = svdvalsHost(values, m, n); // checks NaN/Inf
    if (keepHouseholder(options, s, m, n)) return s;
    certify(s);
    if (m >= n) {
      return withBatchView(a, async (view) => (await decompose(view, options, "singular values", values)).results[0].s);
    }
  }
  const { maxSweeps, tol, polish } = options;
  const { s } = await withBatchView(a, (view) => svdvalsBatched(view, { maxSweeps, tol, polish }));
  return certify(s[0]);
}

/**
 * Singular values of a matrix held on the host, in float64: Householder bidiagonalisation and bisection
 * (the `"householder"` method of {@linkcode svdvals} without the GPU round trip). Each value's error is
 * about (m + n)·eps₆₄·σ_max, absolute (see {@linkcode certifiedRelativeError}).
 * Any finite scale works (1e-300 as well as 1e300): the matrix is first divided, exactly, by a power of
 * two near its largest entry.
 *
 * @param values m x n matrix, row-major.
 * @param m Rows.
 * @param n Columns.
 * @returns min(m, n) singular values, descending.
 * @throws {RangeError} When `values` does not hold m·n entries or contains NaN/Inf.
 * @example A diagonal matrix
 * ```ts
 * import assert from "node:assert";
 * import { svdvalsHost } from "../mod.ts";
 * const s = svdvalsHost([3, 0, 0, -4], 2, 2);
 * assert.ok(Math.abs(s[0] - 4) < 1e-12 && Math.abs(s[1] - 3) < 1e-12);
 * ```
 */
export function svdvalsHost(values: ArrayLike<number>, m: number, n: number): Float64Array {
  checkArrayLike("compute singular values", "values", values);
  if (!(Number.isInteger(m) && Number.isInteger(n) && m >= 1 && n >= 1) || values.length !== m * n) {
    throw new RangeError(`Cannot compute singular values: ${values.length} values are not a ${m}x${n} matrix`);
  }
  const largest = inspect(values, [m, n], "singular values");
  // One float64 copy, at unit scale as atUnitScale makes it, with rows >= columns (Aᵀ has A's values).
  const scale = largest === 0 ? 1 : 2 ** Math.floor(Math.log2(largest));
  const w = tallScaledCopy(values, m, n, scale);
  const s = bidiagonalSingularValues(bidiagonalizeInPlace(w, Math.max(m, n), Math.min(m, n)));
  return scale === 1 ? s : s.map((v) => v * scale);
}

/**
 * Singular values of every matrix in a batch, all matrices rotated in the same dispatches (e.g. 10,000
 * 2x2 input Jacobians, or the equally sized weight matrices of a deep narrow network).
 *
 * @param a batch x m x n tensor.
 * @param options Sweep cap, tolerance, polish.
 * @returns Per-matrix singular values (descending) and the number of float32 sweeps.
 * @throws {RangeError} When `a` is not 3-D, contains NaN/Inf, or an option is out of range.
 * @throws {Error} When the Jacobi iteration does not converge within `maxSweeps`.
 * @example Two diagonal 2x2 matrices in one batch
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, svdvalsBatched, Tensor } from "../mod.ts";
 * await initGpu();
 * const { s } = await svdvalsBatched(Tensor.fromArray([3, 0, 0, 1, 0, 2, 5, 0], [2, 2, 2]));
 * assert.ok(Math.abs(s[0][0] - 3) < 1e-6 && Math.abs(s[0][1] - 1) < 1e-6);
 * assert.ok(Math.abs(s[1][0] - 5) < 1e-6 && Math.abs(s[1][1] - 2) < 1e-6);
 * ```
 */
export async function svdvalsBatched(a: Tensor, options: SvdOptions = {}): Promise<BatchedSvdResult> {
  checkOptions("compute batched singular values", options, SVD_OPTION_KEYS);
  assertRank(a, "batched singular values", 3);
  // Singular values of Aᵀ are those of A, and tall matrices are cheaper.
  const wide = a.shape[1] < a.shape[2];
  const tall = wide ? transpose(a, [0, 2, 1]) : a;
  try {
    const { results, sweeps } = await decompose(tall, options, "singular values");
    return { s: results.map((r) => r.s), sweeps };
  } finally {
    if (wide) tall.dispose();
  }
}

/** Columns with σ at or below this fraction of σ_max carry no trustworthy direction of U. */
const NEGLIGIBLE_SINGULAR_VALUE = 1e-13;

/**
 * Thin singular value decomposition A = U diag(s) Vᵀ. U's columns are (A v_j)/σ_j from the float64
 * polish; where σ_j is zero or below 1e-13·σ_max (1e-6 without the polish) U is completed to an
 * orthonormal basis instead, so those columns are arbitrary directions (do not read eigenvector signs
 * from them: use {@linkcode eigh}).
 *
 * @param a m x n matrix.
 * @param options Sweep cap, tolerance, polish.
 * @returns U (m x k), s (k, descending), V (n x k) with k = min(m, n), and the sweeps taken.
 * @throws {RangeError} When `a` is not 2-D, contains NaN/Inf, or an option is out of range.
 * @throws {Error} When the Jacobi iteration does not converge within `maxSweeps`.
 * @example A rank-one matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, svd, Tensor } from "../mod.ts";
 * await initGpu();
 * const { s } = await svd(Tensor.fromArray([1, 2, 2, 4], [2, 2]));
 * assert.ok(Math.abs(s[0] - 5) < 1e-5 && s[1] < 1e-5);
 * ```
 */
export async function svd(a: Tensor, options: SvdOptions = {}): Promise<SvdResult> {
  checkOptions("compute the SVD", options, SVD_OPTION_KEYS);
  assertRank(a, "svd", 2);
  const [m, n] = a.shape;
  if (m < n) {
    // A = U S Vᵀ  <=>  Aᵀ = V S Uᵀ.
    const at = transpose(a);
    try {
      const r = await svd(at, options);
      return { u: r.v, s: r.s, v: r.u, sweeps: r.sweeps };
    } finally {
      at.dispose();
    }
  }
  const { results: [r], sweeps } = await withBatchView(a, (view) => decompose(view, options, "svd"));
  const k = n;
  const smax = r.s[0] ?? 0;
  const negligible = (options.polish ?? true) ? NEGLIGIBLE_SINGULAR_VALUE : 1e-6;
  const basis: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const usable = r.s[c] > smax * negligible && r.s[c] > 0;
    basis.push(usable ? reorthogonalize(r.scaledU[c].map((x) => x / r.s[c]), basis) : completeBasis(m, basis));
  }
  const u = new Float32Array(m * k), v = new Float32Array(n * k);
  basis.forEach((col, c) => col.forEach((x, i) => (u[i * k + c] = x)));
  r.v.forEach((col, c) => col.forEach((x, i) => (v[i * k + c] = x)));
  const runtime = a.runtime;
  return { u: Tensor.fromArray(u, [m, k], { runtime }), s: r.s, v: Tensor.fromArray(v, [n, k], { runtime }), sweeps };
}
