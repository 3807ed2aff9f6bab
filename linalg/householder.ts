/**
 * Float64 dense linear algebra on the host: Householder reduction of one matrix to bidiagonal or
 * tridiagonal form, and bisection for the singular values / eigenvalues of the reduced form.
 *
 * These are the fast path of {@linkcode svdvals} and {@linkcode eigvalsh} for a single well-conditioned
 * matrix. The reductions take (8/3)n³ and (4/3)n³ flops, several times fewer than the sweeps of a
 * Jacobi method, and on a software (CPU) WebGPU adapter a host loop in float64 beats the same flops
 * emulated through WGSL. Their error is absolute, about (m + n)·eps₆₄·‖A‖₂ per value; callers that need
 * small values accurate relative to their own size fall back to the Jacobi SVD (see
 * {@linkcode certifiedRelativeError}).
 *
 * @module
 */
import { type Bidiagonal, checkMatrix, tridiagonalize } from "./_reflectors.ts";
import { bidiagonalizeInPlace } from "./_golub_kahan.ts";

export type { Bidiagonal } from "./_reflectors.ts";

/**
 * Golub–Kahan bidiagonalisation by Householder reflections from both sides: A = Q B Pᵀ with B upper
 * bidiagonal, so B has A's singular values. Q and P are not formed.
 *
 * @param a m x n row-major values (not modified).
 * @param m Rows, m >= n (pass Aᵀ for a wide matrix: it has the same singular values).
 * @param n Columns.
 * @returns B's diagonal (n) and superdiagonal (n - 1).
 * @throws {RangeError} When m < n or the sizes do not match.
 * @example A diagonal matrix is already bidiagonal
 * ```ts
 * import assert from "node:assert";
 * import { householderBidiagonal } from "./householder.ts";
 * const { d, e } = householderBidiagonal([3, 0, 0, 4], 2, 2);
 * assert.deepEqual([...d].map(Math.abs), [3, 4]);
 * assert.equal(e[0], 0);
 * ```
 */
export function householderBidiagonal(a: ArrayLike<number>, m: number, n: number): Bidiagonal {
  checkMatrix(a, m, n, "bidiagonalise");
  if (m < n) throw new RangeError(`Cannot bidiagonalise: expected m >= n (got ${m}x${n}); pass the transpose`);
  return bidiagonalizeInPlace(Float64Array.from(a), m, n);
}

/**
 * Householder tridiagonalisation of a symmetric matrix: A = Q T Qᵀ with T symmetric tridiagonal, so T
 * has A's eigenvalues. Only the lower triangle of `a` is read.
 *
 * @param a n x n row-major symmetric values (not modified).
 * @param n Order.
 * @returns T's diagonal (n) and off-diagonal (n - 1).
 * @throws {RangeError} When the size does not match.
 * @example A 2x2 matrix is already tridiagonal
 * ```ts
 * import assert from "node:assert";
 * import { householderTridiagonal } from "./householder.ts";
 * const { d, e } = householderTridiagonal([2, 1, 1, 3], 2);
 * assert.deepEqual([...d, ...e], [2, 3, 1]);
 * ```
 */
export function householderTridiagonal(a: ArrayLike<number>, n: number): Bidiagonal {
  const { d, e } = tridiagonalize(a, n);
  return { d, e };
}

/** Tridiagonal form plus the reflectors: H_k = I − v vᵀ / h[k], v in column k of `w` below the diagonal. */
/**
 * Bound on the relative error of every value from a Householder reduction of an m x n matrix
 * (backward error ~ (m + n)·eps₆₄·‖A‖₂, so the smallest |value| fares worst).
 *
 * @param values Computed singular values or eigenvalues.
 * @param m Rows.
 * @param n Columns.
 * @returns (m + n)·eps₆₄·max|v| / min|v| (Infinity when a value is zero and the matrix is not).
 * @example A well-conditioned spectrum is certified far below 1e-8
 * ```ts
 * import assert from "node:assert";
 * import { certifiedRelativeError } from "./householder.ts";
 * assert.ok(certifiedRelativeError([4, 2, 1], 3, 3) < 1e-14);
 * assert.equal(certifiedRelativeError([1, 0], 2, 2), Infinity);
 * ```
 */
export function certifiedRelativeError(values: ArrayLike<number>, m: number, n: number): number {
  let big = 0, small = Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = Math.abs(values[i]);
    big = Math.max(big, x);
    small = Math.min(small, x);
  }
  if (big === 0) return 0;
  return small === 0 ? Infinity : ((m + n) * Number.EPSILON * big) / small;
}
