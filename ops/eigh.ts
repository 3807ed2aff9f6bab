/**
 * Symmetric eigendecomposition and least squares. Eigenproblems try the float64 Householder path on the
 * host first and fall back to the Jacobi SVD (which keeps small eigenvalues of PSD matrices accurate
 * relative to their own size) when its error bound cannot certify them; least squares uses the SVD.
 *
 * @module
 */
import { formatShape, Tensor, tidy } from "./tensor.ts";
import { svd, type SvdOptions } from "./svd.ts";
import { householderTridiagonal, symmetricEigen, tridiagonalEigenvalues } from "./householder.ts";
import { householderFirst, inspect, keepHouseholder, type SpectrumOptions } from "./_spectrum.ts";
import { matmul } from "./matmul.ts";
import { mul } from "./elementwise.ts";

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

async function symmetricSvd(a: Tensor, what: string, options: SvdOptions, validated = false) {
  if (!validated) await readSymmetric(a, what);
  const n = a.shape[0];
  const r = await svd(a, options);
  const [u, v] = await Promise.all([r.u.toArray(), r.v.toArray()]);
  // For symmetric A = U S Vᵀ, each λ_j = ±σ_j with the sign of u_j·v_j.
  const lambda = Float64Array.from(r.s, (s, j) => {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += u[i * n + j] * v[i * n + j];
    return dot < 0 ? -s : s;
  });
  const order = [...lambda.keys()].sort((x, y) => lambda[x] - lambda[y]);
  r.u.dispose();
  return { lambda, order, v, vTensor: r.v, n };
}

/**
 * Eigenvalues of a symmetric matrix, ascending. By default a float64 Householder tridiagonalisation and
 * bisection on the host, kept when its error bound certifies every eigenvalue to 1e-8 relative; else
 * λ_j = ±σ_j from the GPU Jacobi SVD, which keeps the small eigenvalues of a PSD matrix (Gram, NTK)
 * accurate relative to their own size (see {@linkcode SpectrumMethod}).
 *
 * @param a n x n symmetric matrix.
 * @param options Method, and the Jacobi SVD options.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When `a` is not square, not symmetric, or contains NaN/Inf.
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
  const hostFirst = householderFirst(options, "eigenvalues");
  if (hostFirst) {
    const values = await readSymmetric(a, "eigenvalues");
    const n = a.shape[0];
    const lambda = tridiagonalEigenvalues(householderTridiagonal(values, n));
    if (keepHouseholder(options, lambda, n, n)) return lambda;
  }
  const { lambda, order, vTensor } = await symmetricSvd(a, "eigenvalues", options, hostFirst);
  vTensor.dispose();
  return Float64Array.from(order, (j) => lambda[j]);
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
  const hostFirst = householderFirst(options, "eigenvectors");
  if (hostFirst) {
    const values = await readSymmetric(a, "eigenvectors");
    const n = a.shape[0];
    const host = symmetricEigen(values, n);
    if (keepHouseholder(options, host.values, n, n)) {
      const vectors = new Float32Array(n * n);
      host.vectors.forEach((col, c) => col.forEach((x, i) => (vectors[i * n + c] = x)));
      return { values: host.values, vectors: Tensor.fromArray(vectors, [n, n]) };
    }
  }
  const { lambda, order, v, vTensor, n } = await symmetricSvd(a, "eigenvectors", options, hostFirst);
  vTensor.dispose();
  const vectors = new Float32Array(n * n);
  order.forEach((j, c) => {
    for (let i = 0; i < n; i++) vectors[i * n + c] = v[i * n + j];
  });
  return { values: Float64Array.from(order, (j) => lambda[j]), vectors: Tensor.fromArray(vectors, [n, n]) };
}

/** Options for {@linkcode lstsq}. */
export interface LstsqOptions extends SvdOptions {
  /** Ridge penalty λ >= 0: minimises ‖Ax − b‖² + λ‖x‖² (default 0). */
  ridge?: number;
  /** Without ridge, singular values below rcond·σ_max are treated as zero (default 1e-6). */
  rcond?: number;
}

/**
 * Least-squares solution x = argmin ‖Ax − b‖² + λ‖x‖² through the SVD: x = V diag(σ/(σ²+λ)) Uᵀ b
 * (minimum-norm for rank-deficient A when λ = 0).
 *
 * @param a m x n matrix.
 * @param b m-vector or m x k matrix of right-hand sides.
 * @param options Ridge penalty, cutoff and SVD options.
 * @returns x, n or n x k.
 * @throws {RangeError} When shapes disagree or ridge is negative.
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
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0)) throw new RangeError(`Cannot solve least squares: ridge must be >= 0 (got ${ridge})`);
  if (a.rank !== 2 || (b.rank !== 1 && b.rank !== 2) || b.shape[0] !== a.shape[0]) {
    throw new RangeError(
      `Cannot solve least squares: a must be m x n and b m or m x k (a is ${formatShape(a.shape)}, b is ${
        formatShape(b.shape)
      })`,
    );
  }
  const r = await svd(a, options);
  const cutoff = ridge > 0 ? 0 : (options.rcond ?? 1e-6) * (r.s[0] ?? 0);
  const gain = Float32Array.from(r.s, (s) => (s > cutoff && s > 0 ? s / (s * s + ridge) : 0));
  const rhs = b.rank === 1 ? b.reshape([b.shape[0], 1]) : b;
  const x = tidy(() => {
    const utb = matmul(r.u, rhs, { transposeA: true }); // k x rhs
    return matmul(r.v, mul(utb, Tensor.fromArray(gain, [gain.length, 1])));
  });
  r.u.dispose();
  r.v.dispose();
  return b.rank === 1 ? x.reshape([a.shape[1]]) : x;
}
