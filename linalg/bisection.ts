/**
 * Bisection on Sturm counts for the eigenvalues of a symmetric tridiagonal matrix and the singular
 * values of a bidiagonal one (the second half of the Householder path), in float64. Four shifts are
 * counted per pass (see `_bisect.ts`), with the same results as one shift at a time.
 *
 * @module
 */
import type { Bidiagonal } from "./_reflectors.ts";
import { bidiagonalCounts, bisect, tridiagonalCounts } from "./_bisect.ts";

/**
 * Eigenvalues of a symmetric tridiagonal matrix by bisection on Sturm counts, ascending. Intervals are
 * split recursively, so eigenvalues share the early halvings; each ends within 4·eps₆₄ of its own size
 * or within `absTol`.
 *
 * @param t Diagonal and off-diagonal.
 * @param absTol Absolute width at which an interval is final (default eps₆₄·‖T‖).
 * @returns Eigenvalues, ascending.
 * @throws {RangeError} When the off-diagonal is not one shorter than the diagonal or a value is not finite.
 * @example The 1-D Laplacian tridiag(−1, 2, −1) has eigenvalues 2 − 2cos(kπ/(n+1))
 * ```ts
 * import assert from "node:assert";
 * import { tridiagonalEigenvalues } from "./bisection.ts";
 * const n = 5;
 * const got = tridiagonalEigenvalues({ d: new Float64Array(n).fill(2), e: new Float64Array(n - 1).fill(-1) });
 * got.forEach((x, k) => assert.ok(Math.abs(x - (2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)))) < 1e-14));
 * ```
 */
export function tridiagonalEigenvalues(t: Bidiagonal, absTol?: number): Float64Array {
  const { d, e } = t;
  const n = d.length;
  if (e.length !== Math.max(n - 1, 0)) {
    throw new RangeError(`Cannot bisect: off-diagonal has ${e.length} values for a diagonal of ${n}`);
  }
  const out = new Float64Array(n);
  if (n === 0) return out;
  const e2 = Float64Array.from(e, (x) => x * x);
  // Gershgorin bounds.
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new RangeError("Cannot bisect: the tridiagonal matrix has NaN or infinite entries");
  }
  const norm = Math.max(Math.abs(lo), Math.abs(hi));
  if (norm === 0) return out;
  const tol = absTol ?? norm * Number.EPSILON;
  let maxE2 = 0;
  for (const x of e2) maxE2 = Math.max(maxE2, x);
  // Smallest pivot allowed in the LDLᵀ recurrence (LAPACK's pivmin).
  const pivmin = 2.3e-308 * Math.max(1, maxE2);
  const spread = 2 * tol + 2 * Number.EPSILON * norm;
  bisect(tridiagonalCounts(d, e2, pivmin), lo - spread, hi + spread, n, tol, out);
  return out;
}

/**
 * Singular values of an upper bidiagonal matrix B, descending: bisection on Sturm counts of BᵀB − x²I
 * taken from B's entries by the differential qd transform, which keeps every singular value accurate
 * relative to its own size (Demmel and Kahan, 1990; Fernando, 1998).
 *
 * @param b Diagonal and superdiagonal.
 * @returns Singular values, descending.
 * @throws {RangeError} When the superdiagonal is not one shorter than the diagonal.
 * @example The all-ones n x n bidiagonal has σ_k = 2cos(kπ/(2n+1))
 * ```ts
 * import assert from "node:assert";
 * import { bidiagonalSingularValues } from "./bisection.ts";
 * const n = 4;
 * const s = bidiagonalSingularValues({ d: new Float64Array(n).fill(1), e: new Float64Array(n - 1).fill(1) });
 * s.forEach((x, k) => assert.ok(Math.abs(x - 2 * Math.cos(((k + 1) * Math.PI) / (2 * n + 1))) < 1e-14));
 * ```
 */
export function bidiagonalSingularValues(b: Bidiagonal): Float64Array {
  const n = b.d.length;
  if (b.e.length !== Math.max(n - 1, 0)) {
    throw new RangeError(`Cannot compute bidiagonal singular values: ${b.e.length} superdiagonal values for n = ${n}`);
  }
  const out = new Float64Array(n);
  if (n === 0) return out;
  // BᵀB = L D Lᵀ with D = d², (L² D) = e²: counts of σ < x by the differential stationary qd transform
  // of L D Lᵀ − x² I (one division per step, relatively accurate).
  const q = Float64Array.from(b.d, (x) => x * x), ee = Float64Array.from(b.e, (x) => x * x);
  let norm = 0, maxQ = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(q[i]) || (i < n - 1 && !Number.isFinite(ee[i]))) {
      throw new RangeError("Cannot compute bidiagonal singular values: NaN or infinite entries");
    }
    norm = Math.max(norm, Math.abs(b.d[i]) + (i > 0 ? Math.abs(b.e[i - 1]) : 0) + (i < n - 1 ? Math.abs(b.e[i]) : 0));
    maxQ = Math.max(maxQ, q[i], i < n - 1 ? ee[i] : 0);
  }
  if (norm === 0) return out;
  const pivmin = 2.3e-308 * Math.max(1, maxQ);
  // Relative accuracy down to 1e-300·‖B‖ (Demmel and Kahan, 1990).
  bisect(bidiagonalCounts(q, ee, pivmin), 0, norm * (1 + 4 * Number.EPSILON), n, norm * 1e-300, out);
  return out.reverse();
}
