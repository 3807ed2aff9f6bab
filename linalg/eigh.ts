/**
 * Symmetric eigendecomposition and least squares. Eigenproblems try the float64 Householder path on the
 * host first and fall back to the Jacobi SVD (which keeps small eigenvalues of PSD matrices accurate
 * relative to their own size) when its error bound cannot certify them; least squares uses the SVD.
 *
 * @module
 */
import type { Runtime } from "../kernels/runtime.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import type { SvdOptions } from "./svd.ts";
import { type Decomposed, decomposeMatrix } from "./_jacobi.ts";
import { householderTridiagonal } from "./householder.ts";
import { tridiagonalEigenvalues } from "./bisection.ts";
import { symmetricEigen } from "./symmetric_eigen.ts";
import {
  assertJacobiCertifies,
  atUnitScale,
  householderFirst,
  inspect,
  keepHouseholder,
  SPECTRUM_OPTION_KEYS,
  type SpectrumOptions,
  SVD_OPTION_KEYS,
} from "./_spectrum.ts";
import { householderCheaper } from "./_cost.ts";
import { transpose } from "../ops/layout.ts";
import { checkArrayLike, checkOptions } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";

/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix. */
export interface EighResult {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** n x n matrix whose column j is the eigenvector of values[j]. */
  vectors: Tensor;
}

/**
 * Reads a symmetric matrix to the host, checking shape, NaN/Inf and symmetry.
 *
 * @throws {RangeError} When `a` is not square, contains NaN/Inf, or is not symmetric.
 */
async function readSymmetric(a: Tensor, what: string): Promise<Float32Array> {
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw new RangeError(`Cannot compute ${what}: expected a square matrix (got ${formatShape(a.shape)})`);
  }
  const n = a.shape[0];
  const values = await a.toArray();
  inspect(values, a.shape, what);
  let scale = 0, asym = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      scale = Math.max(scale, Math.abs(values[i * n + j]));
      asym = Math.max(asym, Math.abs(values[i * n + j] - values[j * n + i]));
    }
  }
  if (asym > 1e-5 * scale) {
    throw new RangeError(
      `Cannot compute ${what}: matrix is not symmetric (max |a_ij - a_ji| = ${asym.toExponential(2)})`,
    );
  }
  return values;
}

/** Rayleigh pairs whose residual ‖Av − ρv‖ exceeds this fraction of σ are re-solved in their cluster. */
const MIXED_RESIDUAL = 1e-7;
/** Singular values within this relative distance of a mixed one form its Rayleigh–Ritz cluster. */
const CLUSTER_GAP = 1e-2;

/**
 * Eigenpairs of a symmetric matrix from its one-sided Jacobi decomposition A·V = B (float64).
 *
 * Each v_j is an eigenvector of A² = AᵀA, so λ_j = sign(v_j·Av_j)·σ_j wherever the Rayleigh quotient
 * ρ_j = v_j·b_j certifies that v_j is an eigenvector of A itself (‖Av − ρv‖² = σ² − ρ² small): the
 * magnitude keeps σ_j's relative accuracy. Where A² is (nearly) degenerate but A is not (a ± pair),
 * v_j may mix eigenvectors of opposite sign; those are recognised by their residual and replaced by a
 * Rayleigh–Ritz solve on their cluster of close σ (the k x k matrix Vᵀ A V = Vᵀ B). U is never used:
 * its columns for tiny σ are arbitrary completions.
 */
function symmetricFromJacobi(d: Decomposed): { values: Float64Array; vectors: Float64Array[] } {
  const n = d.s.length;
  const values = new Float64Array(n);
  const vectors = d.v.map((v) => Float64Array.from(v));
  const rho = d.v.map((v, j) => dot(v, d.scaledU[j]));
  const mixed = (j: number) => d.s[j] ** 2 - rho[j] ** 2 > (MIXED_RESIDUAL * d.s[j]) ** 2;
  // Windows of close σ around every mixed pair, merged where they overlap (σ is descending).
  const inCluster = new Int32Array(n).fill(-1);
  const clusters: number[][] = [];
  for (let j = 0; j < n; j++) {
    if (!mixed(j)) continue;
    let lo = j, hi = j;
    while (lo > 0 && d.s[lo - 1] - d.s[j] <= CLUSTER_GAP * d.s[j]) lo--;
    while (hi < n - 1 && d.s[j] - d.s[hi + 1] <= CLUSTER_GAP * d.s[j]) hi++;
    const members = [];
    for (let i = lo; i <= hi; i++) members.push(i);
    const joined = members.map((i) => inCluster[i]).find((c) => c >= 0);
    const target = joined ?? clusters.push([]) - 1;
    for (const i of members) {
      if (inCluster[i] < 0) clusters[target].push(i), inCluster[i] = target;
    }
  }
  for (let j = 0; j < n; j++) if (inCluster[j] < 0) values[j] = rho[j] < 0 ? -d.s[j] : d.s[j];
  for (const members of clusters) {
    const k = members.length;
    const m = new Float64Array(k * k);
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) {
        m[p * k + q] = 0.5 *
          (dot(d.v[members[p]], d.scaledU[members[q]]) + dot(d.v[members[q]], d.scaledU[members[p]]));
      }
    }
    const ritz = symmetricEigen(m, k);
    members.forEach((j, i) => {
      values[j] = ritz.values[i];
      const vec = new Float64Array(n);
      members.forEach((p, r) => {
        const w = ritz.vectors[i][r], vp = d.v[p];
        for (let t = 0; t < n; t++) vec[t] += w * vp[t];
      });
      vectors[j] = vec;
    });
  }
  const order = [...values.keys()].sort((x, y) => values[x] - values[y]);
  return { values: Float64Array.from(order, (j) => values[j]), vectors: order.map((j) => vectors[j]) };
}

/** max |λ| of eigenvalues sorted ascending: ‖A‖₂. */
function largestMagnitude(ascending: ArrayLike<number>): number {
  return ascending.length ? Math.max(Math.abs(ascending[0]), Math.abs(ascending[ascending.length - 1])) : 0;
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += x[i] * y[i];
  return acc;
}

/** Eigenpairs by the Jacobi path: the decomposition, then {@linkcode symmetricFromJacobi}. */
async function jacobiEigen(a: Tensor, what: string, options: SvdOptions, values?: Float32Array) {
  values ??= await readSymmetric(a, what);
  return symmetricFromJacobi(await decomposeMatrix(a, options, what, values));
}

/** Column-major vectors (one array per column) as an n x n tensor. */
function columnsToTensor(columns: Float64Array[], n: number, runtime: Runtime): Tensor {
  const out = new Float32Array(n * n);
  columns.forEach((col, c) => col.forEach((x, i) => (out[i * n + c] = x)));
  return Tensor.fromArray(out, [n, n], { runtime });
}

/**
 * Eigenvalues of a symmetric matrix, ascending. By default a float64 Householder tridiagonalisation and
 * bisection on the host, kept when its error bound certifies every eigenvalue to 1e-8 relative; else
 * λ_j = sign(v_j·Av_j)·σ_j from the GPU Jacobi SVD (a Rayleigh–Ritz solve where ± pairs mix), which
 * keeps the small eigenvalues of a PSD matrix (Gram, NTK) accurate relative to their own size and
 * positive (see {@linkcode SpectrumMethod}).
 *
 * @param a n x n symmetric matrix.
 * @param options Method, and the Jacobi SVD options.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When `a` is not square, not symmetric, or contains NaN/Inf, or an option is out of range.
 * @throws {Error} When the Jacobi fallback does not converge within `maxSweeps`.
 * @example Eigenvalues of a 2x2 matrix
 * ```ts
 * import assert from "node:assert";
 * import { eigvalsh, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const [lo, hi] = await eigvalsh(Tensor.fromArray([2, 1, 1, 2], [2, 2]));
 * assert.ok(Math.abs(lo - 1) < 1e-6 && Math.abs(hi - 3) < 1e-6);
 * ```
 */
export async function eigvalsh(a: Tensor, options: SpectrumOptions = {}): Promise<Float64Array> {
  checkOptions("compute eigenvalues", options, SPECTRUM_OPTION_KEYS);
  checkTensor("compute eigenvalues", "a", a);
  let values: Float32Array | undefined;
  const n = a.shape[0];
  if (householderFirst(options, "eigenvalues", n, n) && await householderCheaper(options, n, n, a.runtime)) {
    values = await readSymmetric(a, "eigenvalues");
    const lambda = tridiagonalEigenvalues(householderTridiagonal(values, n));
    if (keepHouseholder(options, lambda, n, n)) return lambda;
    assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
  }
  const lambda = (await jacobiEigen(a, "eigenvalues", options, values)).values;
  assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
  return lambda;
}

/**
 * Eigenvalues of a symmetric matrix held on the host, ascending, in float64: Householder
 * tridiagonalisation and bisection (the `"householder"` method of {@linkcode eigvalsh} without the GPU,
 * for matrices of any size). Each value's error is about 2n·eps₆₄·‖A‖₂, absolute.
 *
 * Any finite scale works (1e-300 as well as 1e300): the matrix is first divided, exactly, by a power of
 * two near its largest entry.
 *
 * @param values n x n symmetric matrix, row-major (only the lower triangle is read).
 * @param n Size.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When `values` does not hold n² entries or contains NaN/Inf.
 * @example A 2x2 matrix
 * ```ts
 * import assert from "node:assert";
 * import { eigvalshHost } from "../mod.ts";
 * const [lo, hi] = eigvalshHost([2, 1, 1, 2], 2);
 * assert.ok(Math.abs(lo - 1) < 1e-12 && Math.abs(hi - 3) < 1e-12);
 * ```
 */
export function eigvalshHost(values: ArrayLike<number>, n: number): Float64Array {
  checkArrayLike("compute eigenvalues", "values", values);
  if (!(Number.isInteger(n) && n >= 1) || values.length !== n * n) {
    throw new RangeError(`Cannot compute eigenvalues: ${values.length} values are not a ${n}x${n} matrix`);
  }
  const largest = inspect(values, [n, n], "eigenvalues");
  return atUnitScale(values, largest, (scaled) => tridiagonalEigenvalues(householderTridiagonal(scaled, n)));
}

/**
 * Eigenvalues (ascending) and eigenvectors of a symmetric matrix. By default a float64 Householder
 * tridiagonalisation and implicit QL on the host ({@linkcode symmetricEigen}), kept when its error bound
 * certifies every eigenvalue to 1e-8 relative; else the GPU Jacobi SVD (see {@linkcode SpectrumMethod}).
 *
 * @param a n x n symmetric matrix.
 * @param options Method, and the Jacobi SVD options.
 * @returns Values and vectors (columns).
 * @throws {RangeError} When `a` is not square, not symmetric, or contains NaN/Inf.
 */
export async function eigh(a: Tensor, options: SpectrumOptions = {}): Promise<EighResult> {
  checkOptions("compute eigenvalues", options, SPECTRUM_OPTION_KEYS);
  checkTensor("compute eigenvectors", "a", a);
  const n = a.shape[0];
  let values: Float32Array | undefined;
  if (householderFirst(options, "eigenvectors", n, n) && await householderCheaper(options, n, n, a.runtime)) {
    values = await readSymmetric(a, "eigenvectors");
    const host = symmetricEigen(values, n);
    if (keepHouseholder(options, host.values, n, n)) {
      return { values: host.values, vectors: columnsToTensor(host.vectors, n, a.runtime) };
    }
    assertJacobiCertifies(options, largestMagnitude(host.values), "eigenvectors", n, n);
  }
  const pairs = await jacobiEigen(a, "eigenvectors", options, values);
  assertJacobiCertifies(options, largestMagnitude(pairs.values), "eigenvectors", n, n);
  return { values: pairs.values, vectors: columnsToTensor(pairs.vectors, n, a.runtime) };
}

/** Options for {@linkcode lstsq}. */
export interface LstsqOptions extends SvdOptions {
  /** Ridge penalty λ >= 0: minimises ‖Ax − b‖² + λ‖x‖² (default 0). */
  ridge?: number;
  /**
   * Singular values at or below rcond·σ_max are treated as zero (default 1e-6 without a ridge, 0 with
   * one: the ridge already damps them).
   */
  rcond?: number;
}

/**
 * Least-squares solution x = argmin ‖Ax − b‖² + λ‖x‖², from the float64 one-sided Jacobi decomposition
 * A·V = B (columns b_j = σ_j u_j): x = Σ_j v_j (b_j·b) / (σ_j² + λ) over the kept σ_j (minimum-norm for
 * rank-deficient A when λ = 0). U is never formed, so tiny singular values keep their own directions.
 *
 * @param a m x n matrix.
 * @param b m-vector or m x k matrix of right-hand sides.
 * @param options Ridge penalty, cutoff and SVD options.
 * @returns x, n or n x k.
 * @throws {RangeError} When shapes disagree, ridge or rcond is out of range, or a or b contains NaN/Inf.
 * @throws {Error} When the Jacobi iteration does not converge within `maxSweeps`.
 * @example An exactly solvable system
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, lstsq, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = await lstsq(Tensor.fromArray([2, 0, 0, 4], [2, 2]), Tensor.fromArray([2, 8]));
 * const [x0, x1] = await x.toArray();
 * assert.ok(Math.abs(x0 - 1) < 1e-5 && Math.abs(x1 - 2) < 1e-5);
 * ```
 */
export async function lstsq(a: Tensor, b: Tensor, options: LstsqOptions = {}): Promise<Tensor> {
  checkOptions("solve least squares", options, ["ridge", "rcond", ...SVD_OPTION_KEYS]);
  checkTensor("solve least squares", "a", a);
  checkTensor("solve least squares", "b", b);
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0 && Number.isFinite(ridge))) {
    throw new RangeError(`Cannot solve least squares: ridge must be a finite number >= 0 (got ${ridge})`);
  }
  const rcond = options.rcond ?? (ridge > 0 ? 0 : 1e-6);
  if (!(rcond >= 0 && rcond < 1)) {
    throw new RangeError(`Cannot solve least squares: rcond must be in [0, 1) (got ${rcond})`);
  }
  if (a.rank !== 2 || (b.rank !== 1 && b.rank !== 2) || b.shape[0] !== a.shape[0]) {
    throw new RangeError(
      `Cannot solve least squares: a must be m x n and b m or m x k (a is ${formatShape(a.shape)}, b is ${
        formatShape(b.shape)
      })`,
    );
  }
  const [m, n] = a.shape;
  const k = b.rank === 1 ? 1 : b.shape[1];
  const rhs = await b.toArray();
  inspect(rhs, b.shape, "least squares (right-hand side b)");
  // Wide A: decompose Aᵀ (tall), whose V holds A's left vectors and whose B holds σ_j times A's right ones.
  const wide = m < n;
  const tall = wide ? transpose(a) : a;
  let d: Decomposed;
  try {
    d = await decomposeMatrix(tall, options, "least squares");
  } finally {
    if (wide) tall.dispose();
  }
  const left = wide ? d.v : d.scaledU, right = wide ? d.scaledU : d.v; // σ_j u_j (or u_j) and v_j (or σ_j v_j)
  const cutoff = rcond * (d.s[0] ?? 0);
  const x = new Float64Array(n * k);
  d.s.forEach((s, j) => {
    if (!(s > cutoff && s > 0)) return;
    // wide: (u_j·b) σ_j v_j / (σ² + λ); tall: (σ_j u_j·b) v_j / (σ² + λ).
    for (let c = 0; c < k; c++) {
      let proj = 0;
      for (let i = 0; i < m; i++) proj += left[j][i] * rhs[i * k + c];
      const coef = proj / (s * s + ridge);
      for (let i = 0; i < n; i++) x[i * k + c] += coef * right[j][i];
    }
  });
  return Tensor.fromArray(Float32Array.from(x), b.rank === 1 ? [n] : [n, k], { runtime: a.runtime });
}
