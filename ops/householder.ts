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

/** Diagonal and off-diagonal of an upper bidiagonal or symmetric tridiagonal matrix. */
export interface Bidiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Superdiagonal (bidiagonal) or off-diagonal (tridiagonal), length max(n - 1, 0). */
  e: Float64Array;
}

function checkMatrix(a: ArrayLike<number>, m: number, n: number, what: string): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`Cannot ${what}: dimensions must be positive integers (got ${m}x${n})`);
  }
  if (a.length !== m * n) {
    throw new RangeError(`Cannot ${what}: expected ${m}x${n} = ${m * n} values (got ${a.length})`);
  }
}

/**
 * Turns x (entries from `lead` on, with ‖x‖² = norm2 > 0) into the Householder vector v in place, so that
 * I − v vᵀ / h with h = s·v[lead] maps x to −s·e₁. The sign of s follows x[lead], so the addition never
 * cancels.
 *
 * @returns s = ±‖x‖.
 */
function householderVector(x: Float64Array, lead: number, norm2: number): number {
  const s = x[lead] >= 0 ? Math.sqrt(norm2) : -Math.sqrt(norm2);
  x[lead] += s;
  return s;
}

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
  const w = Float64Array.from(a);
  const d = new Float64Array(n), e = new Float64Array(Math.max(n - 1, 0));
  const v = new Float64Array(m), acc = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Left reflection: zero column k below the diagonal.
    let norm2 = 0;
    for (let i = k; i < m; i++) {
      const x = w[i * n + k];
      v[i] = x;
      norm2 += x * x;
    }
    if (norm2 === 0) d[k] = 0;
    else {
      const s = householderVector(v, k, norm2);
      const h = s * v[k]; // = ‖v‖² / 2
      d[k] = -s;
      acc.fill(0, k + 1);
      for (let i = k; i < m; i++) {
        const vi = v[i], row = i * n;
        if (vi !== 0) { for (let j = k + 1; j < n; j++) acc[j] += vi * w[row + j]; }
      }
      for (let j = k + 1; j < n; j++) acc[j] /= h;
      for (let i = k; i < m; i++) {
        const vi = v[i], row = i * n;
        if (vi !== 0) { for (let j = k + 1; j < n; j++) w[row + j] -= vi * acc[j]; }
      }
    }
    if (k >= n - 1) break;
    // Right reflection: zero row k right of the superdiagonal.
    const rowK = k * n;
    norm2 = 0;
    for (let j = k + 1; j < n; j++) norm2 += w[rowK + j] * w[rowK + j];
    if (norm2 === 0 || k === n - 2) {
      e[k] = w[rowK + k + 1];
      continue;
    }
    const s = householderVector(w, rowK + k + 1, norm2);
    const h = s * w[rowK + k + 1];
    e[k] = -s;
    for (let i = k + 1; i < m; i++) {
      const row = i * n;
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += w[row + j] * w[rowK + j];
      const f = dot / h;
      if (f !== 0) { for (let j = k + 1; j < n; j++) w[row + j] -= f * w[rowK + j]; }
    }
  }
  return { d, e };
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
interface Tridiagonalized extends Bidiagonal {
  w: Float64Array;
  h: Float64Array;
}

function tridiagonalize(a: ArrayLike<number>, n: number): Tridiagonalized {
  checkMatrix(a, n, n, "tridiagonalise");
  // Lower triangle, row-major, kept up to date by the symmetric rank-2 updates.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) w[i * n + j] = a[i * n + j];
  const d = new Float64Array(n), e = new Float64Array(Math.max(n - 1, 0)), hs = new Float64Array(n);
  const v = new Float64Array(n), p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    d[k] = w[k * n + k];
    // Reflect x = A[k+1:, k] (column k of the lower triangle) onto a multiple of e₁.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) {
      const x = w[i * n + k];
      v[i] = x;
      norm2 += x * x;
    }
    if (norm2 === 0) {
      e[k] = 0;
      continue;
    }
    const s = householderVector(v, k + 1, norm2);
    const h = s * v[k + 1];
    e[k] = -s;
    hs[k] = h;
    for (let i = k + 1; i < n; i++) w[i * n + k] = v[i]; // column k is finished: keep the reflector there
    // p = A₂₂ v / h from the lower triangle: row i contributes to p_i (row) and to p_j (column).
    p.fill(0, k + 1);
    for (let i = k + 1; i < n; i++) {
      const row = i * n, vi = v[i];
      let dot = 0;
      for (let j = k + 1; j < i; j++) {
        const x = w[row + j];
        dot += x * v[j];
        p[j] += x * vi;
      }
      p[i] += dot + w[row + i] * vi;
    }
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      p[i] /= h;
      pv += p[i] * v[i];
    }
    // q = p − (pᵀv / 2h) v, then A₂₂ ← A₂₂ − v qᵀ − q vᵀ (lower triangle).
    const c = pv / (2 * h);
    for (let i = k + 1; i < n; i++) p[i] -= c * v[i];
    for (let i = k + 1; i < n; i++) {
      const row = i * n, vi = v[i], qi = p[i];
      for (let j = k + 1; j <= i; j++) w[row + j] -= vi * p[j] + qi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = w[(n - 2) * n + n - 2];
    e[n - 2] = w[(n - 1) * n + n - 2];
  }
  d[n - 1] = w[(n - 1) * n + n - 1];
  return { d, e, w, h: hs };
}

/** |a| hypot without overflow for the large ratios of the QL shifts. */
function hypot(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a < b) [a, b] = [b, a];
  if (a === 0) return 0;
  const r = b / a;
  return a * Math.sqrt(1 + r * r);
}

/** Eigenvalues (ascending) and eigenvectors of a symmetric matrix, in float64. */
export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors: vectors[j] belongs to values[j], unit length, mutually orthogonal. */
  vectors: Float64Array[];
}

/**
 * Symmetric eigendecomposition on the host in float64: Householder tridiagonalisation, implicit QL
 * with Wilkinson-type shifts accumulating the rotations (EISPACK's tql2), and the reflectors applied
 * back. About 9n³ flops; absolute error ~n·eps₆₄·‖A‖ per eigenvalue, and each eigenvector accurate to
 * that over its gap. Only the lower triangle of `a` is read.
 *
 * @param a n x n row-major symmetric values.
 * @param n Order.
 * @returns Eigenvalues ascending and their eigenvectors.
 * @throws {RangeError} When the size does not match or QL does not converge (NaN input).
 * @example Eigenvectors of [[2, 1], [1, 2]]
 * ```ts
 * import assert from "node:assert";
 * import { symmetricEigen } from "./householder.ts";
 * const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
 * assert.ok(Math.abs(values[0] - 1) < 1e-15 && Math.abs(values[1] - 3) < 1e-15);
 * assert.ok(Math.abs(Math.abs(vectors[1][0]) - Math.SQRT1_2) < 1e-15);
 * ```
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  const { d, e: off, w, h } = tridiagonalize(a, n);
  // z[i] is column i of the rotation product, contiguous so the rotations stream through memory.
  const z = Array.from({ length: n }, (_, i) => {
    const col = new Float64Array(n);
    col[i] = 1;
    return col;
  });
  const e = new Float64Array(n);
  e.set(off);
  let f = 0, tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > Number.EPSILON * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) {
          throw new RangeError(`Cannot compute eigenvectors: QL did not converge for eigenvalue ${l} (NaN input?)`);
        }
        // Shift from the leading 2x2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let shift = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= shift;
        f += shift;
        // Implicit QL sweep from m up to l.
        p = d[m];
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          shift = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = shift + s * (c * g + s * d[i]);
          const zi = z[i], zi1 = z[i + 1];
          for (let k = 0; k < n; k++) {
            const t = zi1[k];
            zi1[k] = s * zi[k] + c * t;
            zi[k] = c * zi[k] - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > Number.EPSILON * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // Back to A's basis: x = H_0 H_1 ⋯ H_{n−3} z, innermost reflector first (reflectors copied contiguous).
  const reflectors = Array.from({ length: Math.max(n - 2, 0) }, (_, k) => {
    const v = new Float64Array(n);
    for (let i = k + 1; i < n; i++) v[i] = w[i * n + k];
    return v;
  });
  for (const col of z) {
    for (let k = n - 3; k >= 0; k--) {
      if (h[k] === 0) continue;
      const v = reflectors[k];
      let dot = 0;
      for (let i = k + 1; i < n; i++) dot += v[i] * col[i];
      const scale = dot / h[k];
      for (let i = k + 1; i < n; i++) col[i] -= scale * v[i];
    }
  }
  const order = [...d.keys()].sort((x, y) => d[x] - d[y]);
  return { values: Float64Array.from(order, (j) => d[j]), vectors: order.map((j) => z[j]) };
}

/**
 * Bisection driver: fills `out` (ascending) with the `count` values in [lo, hi), where count(x) is the
 * number of values below x. Intervals split recursively, so values share the early halvings; an
 * interval is final once narrower than `tol` or 4·eps₆₄ of its endpoints.
 */
function bisect(count: (x: number) => number, lo: number, hi: number, total: number, tol: number, out: Float64Array) {
  const stack: number[] = [lo, hi, 0, total];
  while (stack.length > 0) {
    const cHi = stack.pop()!, cLo = stack.pop()!, b = stack.pop()!, a = stack.pop()!;
    const width = b - a;
    if (width <= tol || width <= 4 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b))) {
      out.fill((a + b) / 2, cLo, cHi);
      continue;
    }
    const mid = a + width / 2;
    // Rounding can make counts non-monotone by a value or so: keep them inside the interval's range.
    const cMid = Math.min(Math.max(count(mid), cLo), cHi);
    if (cMid > cLo) stack.push(a, mid, cLo, cMid);
    if (cHi > cMid) stack.push(mid, b, cMid, cHi);
  }
}

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
 * import { tridiagonalEigenvalues } from "./householder.ts";
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
  /** Number of eigenvalues below x. */
  const count = (x: number): number => {
    let q = d[0] - x, c = 0;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) c++;
    for (let i = 1; i < n; i++) {
      q = d[i] - x - e2[i - 1] / q;
      if (Math.abs(q) < pivmin) q = -pivmin;
      if (q < 0) c++;
    }
    return c;
  };
  const spread = 2 * tol + 2 * Number.EPSILON * norm;
  bisect(count, lo - spread, hi + spread, n, tol, out);
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
 * import { bidiagonalSingularValues } from "./householder.ts";
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
  const count = (x: number): number => {
    const tau = x * x;
    let s = -tau, c = 0;
    for (let i = 0; i < n - 1; i++) {
      let dp = q[i] + s;
      if (Math.abs(dp) < pivmin) dp = -pivmin;
      if (dp < 0) c++;
      s = (ee[i] * s) / dp - tau;
    }
    if (q[n - 1] + s < 0) c++;
    return c;
  };
  // Relative accuracy down to 1e-300·‖B‖ (Demmel and Kahan, 1990).
  bisect(count, 0, norm * (1 + 4 * Number.EPSILON), n, norm * 1e-300, out);
  return out.reverse();
}

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
