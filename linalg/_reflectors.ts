/**
 * Private helpers of the Householder reductions: argument checks, the reflector construction shared by
 * both reductions, and the tridiagonalisation that also keeps its reflectors (for eigenvectors).
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

export function checkMatrix(a: ArrayLike<number>, m: number, n: number, what: string): void {
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
export function householderVector(x: Float64Array, lead: number, norm2: number): number {
  const s = x[lead] >= 0 ? Math.sqrt(norm2) : -Math.sqrt(norm2);
  x[lead] += s;
  return s;
}

export interface Tridiagonalized extends Bidiagonal {
  w: Float64Array;
  h: Float64Array;
}

export function tridiagonalize(a: ArrayLike<number>, n: number): Tridiagonalized {
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
