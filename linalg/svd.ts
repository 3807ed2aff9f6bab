/**
 * Singular value decomposition by one-sided (Hestenes) Jacobi on the GPU, batched; singular values are
 * column norms of the rotated matrix, which keeps small singular values accurate relative to their own
 * size (unlike sqrt(eig(AᵀA))).
 *
 * @module
 */
import { dispatchJacobiSweep } from "../kernels/jacobi.ts";
import { formatShape, noGrad, Tensor, tidy } from "../ops/tensor.ts";
import { full, mul } from "../ops/elementwise.ts";
import { concat, transpose } from "../ops/layout.ts";
import { completeBasis, norm, polishSvd, reorthogonalize } from "./_polish.ts";
import { householderBidiagonal } from "./householder.ts";
import { bidiagonalSingularValues } from "./bisection.ts";
import { householderFirst, inspect, keepHouseholder, type SpectrumOptions } from "./_spectrum.ts";

export { AUTO_CERTIFIED_ERROR, type SpectrumMethod, type SpectrumOptions } from "./_spectrum.ts";

/** Options for the Jacobi SVD family. */
export interface SvdOptions {
  /** Most sweeps before giving up (default 40). */
  maxSweeps?: number;
  /** Relative off-diagonal tolerance |a_p·a_q| / (‖a_p‖‖a_q‖) of the float32 sweeps (default 1e-6). */
  tol?: number;
  /**
   * Finish with the float64 host polish (default true): singular values then carry relative error
   * ~1e-12 + skip², instead of float32's ~6e-8·κ (κ of the column-scaled matrix).
   */
  polish?: boolean;
}

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

/** One matrix's decomposition in float64: singular values descending, with matching columns. */
export interface Decomposed {
  /** Singular values, descending. */
  s: Float64Array;
  /** B = A·V column by column: σ_j u_j for each j (length m each; float64 when polished). */
  scaledU: Float64Array[];
  /** v_j (length n each). */
  v: Float64Array[];
}

/**
 * Relative inner product below which the float64 polish leaves a pair alone for singular values: a
 * skipped pair moves σ by at most skip²/2 relatively.
 */
const POLISH_SKIP = 1e-6;
/**
 * The same threshold where vectors matter (eigh, lstsq): a skipped pair mixes v_j with v_k by an angle
 * up to skip·σ_j/σ_k, which a least-squares solution along a tiny σ_j feels to first order.
 */
export const POLISH_SKIP_VECTORS = 1e-11;

/** Smallest relative tolerance the float32 sweeps can reach (float32's unit roundoff, 2⁻²³). */
const FLOAT32_EPSILON = 2 ** -23;
/** Smallest positive normal float32; a largest entry below it cannot be prescaled in float32. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * Checks the Jacobi options before any GPU work.
 *
 * @throws {RangeError} When `tol` is not in [2⁻²³, 1) or `maxSweeps` is not a positive integer.
 */
function validateSvdOptions(options: SvdOptions, what: string): { tol: number; maxSweeps: number } {
  const tol = options.tol ?? 1e-6, maxSweeps = options.maxSweeps ?? 40;
  if (!(tol >= FLOAT32_EPSILON && tol < 1)) {
    throw new RangeError(
      `Cannot compute ${what}: tol must be in [${
        FLOAT32_EPSILON.toExponential(2)
      }, 1), the range float32 sweeps can reach (got ${tol})`,
    );
  }
  if (!(Number.isInteger(maxSweeps) && maxSweeps >= 1)) {
    throw new RangeError(`Cannot compute ${what}: maxSweeps must be a positive integer (got ${maxSweeps})`);
  }
  return { tol, maxSweeps };
}

/**
 * One-sided Jacobi on every matrix of a [batch, m, n] tensor (m >= n): float32 sweeps on the GPU with V
 * accumulated below the columns, then (optionally) the float64 polish on the host.
 *
 * @param values The tensor's values when the caller has already read them (saves one sync).
 * @throws {RangeError} On bad options, NaN/Inf, or entries too small for float32 prescaling.
 * @throws {Error} When the iteration did not converge within `maxSweeps` (or the polish's sweep cap).
 */
async function decompose(
  a: Tensor,
  options: SvdOptions,
  what: string,
  values?: Float32Array,
  skip = POLISH_SKIP,
): Promise<{ results: Decomposed[]; sweeps: number }> {
  const { tol, maxSweeps } = validateSvdOptions(options, what);
  const [batch, m, n] = a.shape;
  values ??= await a.toArray(); // one read: validation, scaling and the float64 polish
  const largest = inspect(values, a.shape, what);
  if (largest > 0 && largest < FLOAT32_MIN_NORMAL) {
    throw new RangeError(
      `Cannot compute ${what}: largest |entry| ${largest.toExponential(2)} is below float32's normal range (${
        FLOAT32_MIN_NORMAL.toExponential(2)
      }); rescale the input`,
    );
  }
  // Power-of-two prescaling (exact) so squares neither overflow nor underflow in float32.
  const scale = largest > 0 ? 2 ** Math.ceil(Math.log2(largest)) : 1;
  // Columns are stored padded to vec4: [m rows, zero-padded | V's n rows, zero-padded].
  const rows = Math.ceil(m / 4) * 4;
  const vRows = Math.ceil(n / 4) * 4;
  const length = rows + vRows;
  const rt = Tensor.runtime;
  const w = noGrad(() =>
    tidy(() => {
      const parts = [transpose(mul(a, 1 / scale), [0, 2, 1])]; // batch x n x m
      if (rows > m) parts.push(full([batch, n, rows - m], 0));
      const eye = new Float32Array(batch * n * vRows);
      for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) eye[(b * n + i) * vRows + i] = 1;
      parts.push(Tensor.fromArray(eye, [batch, n, vRows]));
      return concat(parts, 2);
    })
  );
  const status = rt.pool.acquire(batch * 4);
  let sweeps = 0, worst = Infinity;
  let cols: Float32Array;
  try {
    while (sweeps < maxSweeps) {
      rt.write(status, new Uint32Array(batch));
      dispatchJacobiSweep(rt, { w: w.buffer, status, batch, n, m: rows, length, tol });
      sweeps++;
      const off = new Float32Array((await rt.read(status, batch)).buffer);
      worst = off.reduce((acc, v) => (v > acc || Number.isNaN(v) ? v : acc), 0);
      if (!(worst > tol)) break;
    }
    cols = await w.toArray();
  } finally {
    rt.pool.release(status);
    w.dispose();
  }
  const polish = options.polish ?? true;
  // Without the polish the float32 sweeps are the answer, so they must have met tol.
  if (!polish && worst > tol) throw notConverged(what, maxSweeps, worst, tol);
  const results: Decomposed[] = [];
  for (let b = 0; b < batch; b++) {
    const column = (j: number) => cols.subarray((b * n + j) * length, (b * n + j + 1) * length);
    let scaledU: Float64Array[] = [], v: Float64Array[] = [];
    for (let j = 0; j < n; j++) {
      v.push(Float64Array.from(column(j).subarray(rows, rows + n)));
      scaledU.push(Float64Array.from(column(j).subarray(0, m), (x) => x * scale));
    }
    if (polish) {
      const polished = polishSvd(values.subarray(b * m * n, (b + 1) * m * n), v, m, skip);
      if (!polished.converged) throw notConverged(`${what} (float64 polish)`, 30, NaN, skip);
      ({ cols: scaledU, v } = polished);
    }
    const norms = scaledU.map(norm);
    const order = [...norms.keys()].sort((x, y) => norms[y] - norms[x]);
    results.push({
      s: Float64Array.from(order, (j) => norms[j]),
      scaledU: order.map((j) => scaledU[j]),
      v: order.map((j) => v[j]),
    });
  }
  return { results, sweeps };
}

function notConverged(what: string, sweeps: number, off: number, tol: number): Error {
  const detail = Number.isNaN(off) ? "" : ` (largest relative off-diagonal ${off.toExponential(2)} > tol ${tol})`;
  return new Error(
    `Cannot compute ${what}: Jacobi did not converge within ${sweeps} sweeps${detail}; raise maxSweeps or tol`,
  );
}

/**
 * Float64 one-sided Jacobi decomposition of one m x n matrix with m >= n, for the drivers in this
 * folder that need V and B = A·V without forming U (eigh's signs, lstsq); polished to
 * {@linkcode POLISH_SKIP_VECTORS} so the vectors, not only the values, are accurate.
 *
 * @param a m x n matrix, m >= n.
 * @param options Jacobi options.
 * @param what Noun for error messages.
 * @param values `a`'s values when already read.
 * @param vectors Polish to {@linkcode POLISH_SKIP_VECTORS} (default) because V and B are used, not only σ;
 *   false keeps the cheaper singular-value threshold.
 * @returns The decomposition and `a`'s values.
 * @throws {RangeError} As {@linkcode svd}.
 */
export async function decomposeMatrix(
  a: Tensor,
  options: SvdOptions,
  what: string,
  values?: Float32Array,
  vectors = true,
): Promise<Decomposed & { values: Float32Array }> {
  values ??= await a.toArray();
  const known = values;
  const skip = vectors ? POLISH_SKIP_VECTORS : POLISH_SKIP;
  const { results: [r] } = await withBatchView(a, (view) => decompose(view, options, what, known, skip));
  return { ...r, values };
}

function assertRank(a: Tensor, what: string, rank: 2 | 3): void {
  if (a.rank !== rank) {
    throw new RangeError(`Cannot compute ${what}: expected a ${rank}-D tensor (got ${formatShape(a.shape)})`);
  }
}

/** Runs `fn` on a [1, m, n] view of a matrix and disposes the view (which would otherwise pin the buffer). */
async function withBatchView<T>(a: Tensor, fn: (view: Tensor) => Promise<T>): Promise<T> {
  const view = a.reshape([1, ...a.shape]);
  try {
    return await fn(view);
  } finally {
    view.dispose();
  }
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
  assertRank(a, "svdvals", 2);
  validateSvdOptions(options, "singular values");
  if (householderFirst(options, "svdvals")) {
    const [m, n] = a.shape;
    const values = await a.toArray();
    inspect(values, a.shape, "singular values");
    const s = svdvalsHost(values, m, n);
    if (keepHouseholder(options, s, m, n)) return s;
    if (m >= n) {
      return withBatchView(a, async (view) => (await decompose(view, options, "singular values", values)).results[0].s);
    }
  }
  const { s } = await withBatchView(a, (view) => svdvalsBatched(view, options));
  return s[0];
}

/**
 * Singular values of a matrix held on the host, in float64: Householder bidiagonalisation and bisection
 * (the `"householder"` method of {@linkcode svdvals} without the GPU round trip). Each value's error is
 * about (m + n)·eps₆₄·σ_max, absolute (see {@linkcode certifiedRelativeError}).
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
  if (!(Number.isInteger(m) && Number.isInteger(n) && m >= 1 && n >= 1) || values.length !== m * n) {
    throw new RangeError(`Cannot compute singular values: ${values.length} values are not a ${m}x${n} matrix`);
  }
  inspect(values, [m, n], "singular values");
  // Singular values of Aᵀ are those of A; the reduction wants rows >= columns.
  const tall = m >= n
    ? values
    : Float64Array.from({ length: m * n }, (_, k) => values[(k % m) * n + Math.floor(k / m)]);
  return bidiagonalSingularValues(householderBidiagonal(tall, Math.max(m, n), Math.min(m, n)));
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
 */
export async function svdvalsBatched(a: Tensor, options: SvdOptions = {}): Promise<BatchedSvdResult> {
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
  return { u: Tensor.fromArray(u, [m, k]), s: r.s, v: Tensor.fromArray(v, [n, k]), sweeps };
}
