/**
 * The Jacobi path of the symmetric eigenproblems: the shape, NaN and symmetry check of a matrix read to
 * the host, and eigenpairs from the one-sided Jacobi decomposition A·V = B.
 *
 * @module
 */
import { formatShape, type Tensor } from "../ops/tensor.ts";
import { type Decomposed, decomposeMatrix } from "./_jacobi.ts";
import { symmetricEigen } from "./symmetric_eigen.ts";
import { atUnitScale, inspect, type SvdOptions } from "./_spectrum.ts";
import { householderTridiagonal } from "./householder.ts";
import { tridiagonalEigenvalues } from "./bisection.ts";

/**
 * Reads a symmetric matrix to the host, checking shape, NaN/Inf and symmetry.
 *
 * @throws {RangeError} When `a` is not square, contains NaN/Inf, or is not symmetric.
 */
export async function readSymmetric(a: Tensor, what: string): Promise<Float32Array> {
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
export function symmetricFromJacobi(d: Decomposed): { values: Float64Array; vectors: Float64Array[] } {
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
export function largestMagnitude(ascending: ArrayLike<number>): number {
  return ascending.length ? Math.max(Math.abs(ascending[0]), Math.abs(ascending[ascending.length - 1])) : 0;
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += x[i] * y[i];
  return acc;
}

/** Eigenpairs by the Jacobi path: the decomposition, then {@linkcode symmetricFromJacobi}. */
export async function jacobiEigen(a: Tensor, what: string, options: SvdOptions, values?: Float32Array) {
  values ??= await readSymmetric(a, what);
  return symmetricFromJacobi(await decomposeMatrix(a, options, what, values));
}

/**
 * Eigenvalues of a symmetric matrix on the host by float64 Householder tridiagonalisation and bisection,
 * at unit scale (the matrix divided, exactly, by a power of two near its largest entry).
 *
 * @throws {RangeError} When an entry is NaN or infinite.
 */
export function hostEigenvalues(values: ArrayLike<number>, n: number): Float64Array {
  const largest = inspect(values, [n, n], "eigenvalues");
  return atUnitScale(values, largest, (scaled) => tridiagonalEigenvalues(householderTridiagonal(scaled, n)));
}
