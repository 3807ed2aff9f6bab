/**
 * Golub–Kahan bidiagonalisation in place, in two passes over the trailing block per step.
 *
 * The textbook loop makes four passes over the trailing block at step k: the products vᵀW of the left
 * reflector, the rank-one left update, the products W u of the right reflector and the rank-one right
 * update. Here a row gets its left update and its product with u in one pass and its right update in a
 * second, which also accumulates xᵀW for the next column x (the next left reflector is x + s·e₁, so its
 * products are xᵀW + s·(row k + 1), known once ‖x‖ is). Row-major rows are walked contiguously
 * throughout; only the products vᵀW are summed in a different order than the textbook loop's.
 *
 * @module
 */
import type { Bidiagonal } from "./_reflectors.ts";

/**
 * Reduces an m x n row-major matrix (m ≥ n, not checked) to upper bidiagonal form A = Q B Pᵀ by
 * Householder reflections from both sides, overwriting `w`; Q and P are not formed.
 *
 * @param w m·n row-major values, overwritten.
 * @param m Rows, m ≥ n.
 * @param n Columns.
 * @returns B's diagonal (n) and superdiagonal (n − 1).
 */
export function bidiagonalizeInPlace(w: Float64Array, m: number, n: number): Bidiagonal {
  const d = new Float64Array(n), e = new Float64Array(Math.max(n - 1, 0));
  // xᵀW for the column x about to be reflected (entry k: ‖x‖²), and the same for the next column.
  let z = new Float64Array(n), next = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const row = i * n, x = w[row];
    if (x !== 0) { for (let j = 0; j < n; j++) z[j] += x * w[row + j]; }
  }
  for (let k = 0; k < n; k++) {
    const left = leftReflector(w, m, n, k, z, d);
    if (k >= n - 1) break;
    // Right reflection: zero row k right of the superdiagonal; its vector u overwrites that row.
    const rowK = k * n;
    let norm2 = 0;
    for (let j = k + 1; j < n; j++) norm2 += w[rowK + j] * w[rowK + j];
    let h = 0;
    if (norm2 === 0 || k === n - 2) e[k] = w[rowK + k + 1];
    else {
      const s = w[rowK + k + 1] >= 0 ? Math.sqrt(norm2) : -Math.sqrt(norm2);
      w[rowK + k + 1] += s;
      h = s * w[rowK + k + 1];
      e[k] = -s;
    }
    next.fill(0, k + 1);
    let i = k + 1;
    // Two rows at a time (each row's sums in the same order as alone): twice the independent work per load.
    for (; i + 1 < m; i += 2) {
      updateRowPair(w, n, k, i * n, left ? w[i * n + k] : 0, left ? w[i * n + n + k] : 0, z, h, next);
    }
    if (i < m) updateRow(w, n, k, i * n, left ? w[i * n + k] : 0, z, h, next);
    [z, next] = [next, z];
  }
  return { d, e };
}

/**
 * The left reflection of step k: zeroes column k below the diagonal. Sets d[k], turns `z` from xᵀW into
 * vᵀW / h (v = x + s·e₁) and applies the update to row k.
 *
 * @returns Whether a reflection is to be applied to the rows below (false when the column is zero).
 */
function leftReflector(w: Float64Array, m: number, n: number, k: number, z: Float64Array, d: Float64Array): boolean {
  const norm2 = z[k], rowK = k * n;
  if (norm2 === 0) {
    d[k] = 0;
    return false;
  }
  const x = w[rowK + k];
  const s = x >= 0 ? Math.sqrt(norm2) : -Math.sqrt(norm2);
  const vk = x + s, h = s * vk; // h = ‖v‖² / 2
  d[k] = -s;
  for (let j = k + 1; j < n; j++) {
    const zj = (z[j] + s * w[rowK + j]) / h;
    z[j] = zj;
    w[rowK + j] -= vk * zj;
  }
  return m > k + 1;
}

/**
 * Row i (offset `row`) at step k: w ← w − v_i·z (left update, skipped when v_i = 0), then, when h ≠ 0,
 * w ← w − (w·u / h)·u with u the right reflector in row k; adds w[i][k+1]·w[i][j] to next[j] (j > k).
 */
function updateRow(
  w: Float64Array,
  n: number,
  k: number,
  row: number,
  vi: number,
  z: Float64Array,
  h: number,
  next: Float64Array,
): void {
  const rowK = k * n, from = k + 1;
  let dot = 0;
  if (vi !== 0) {
    for (let j = from; j < n; j++) {
      const x = w[row + j] - vi * z[j];
      w[row + j] = x;
      dot += x * w[rowK + j];
    }
  } else if (h !== 0) {
    for (let j = from; j < n; j++) dot += w[row + j] * w[rowK + j];
  }
  const f = h !== 0 ? dot / h : 0;
  if (f !== 0) {
    const x = (w[row + from] -= f * w[rowK + from]);
    if (x === 0) { for (let j = from + 1; j < n; j++) w[row + j] -= f * w[rowK + j]; }
    else {
      next[from] += x * x;
      for (let j = from + 1; j < n; j++) {
        const y = w[row + j] - f * w[rowK + j];
        w[row + j] = y;
        next[j] += x * y;
      }
    }
  } else {
    const x = w[row + from];
    if (x !== 0) { for (let j = from; j < n; j++) next[j] += x * w[row + j]; }
  }
}

/**
 * {@linkcode updateRow} for rows `r1` and `r1 + n` together, with the same values (a zero v_i or factor
 * only skips no-op work there; here it is applied).
 */
function updateRowPair(
  w: Float64Array,
  n: number,
  k: number,
  r1: number,
  v1: number,
  v2: number,
  z: Float64Array,
  h: number,
  next: Float64Array,
): void {
  const rowK = k * n, from = k + 1, r2 = r1 + n;
  let dot1 = 0, dot2 = 0;
  for (let j = from; j < n; j++) {
    const u = w[rowK + j], zj = z[j];
    const x1 = w[r1 + j] - v1 * zj, x2 = w[r2 + j] - v2 * zj;
    w[r1 + j] = x1;
    w[r2 + j] = x2;
    dot1 += x1 * u;
    dot2 += x2 * u;
  }
  const f1 = h !== 0 ? dot1 / h : 0, f2 = h !== 0 ? dot2 / h : 0;
  const a1 = (w[r1 + from] -= f1 * w[rowK + from]), a2 = (w[r2 + from] -= f2 * w[rowK + from]);
  next[from] = next[from] + a1 * a1 + a2 * a2;
  for (let j = from + 1; j < n; j++) {
    const u = w[rowK + j];
    const y1 = w[r1 + j] - f1 * u, y2 = w[r2 + j] - f2 * u;
    w[r1 + j] = y1;
    w[r2 + j] = y2;
    next[j] = next[j] + a1 * y1 + a2 * y2;
  }
}

/**
 * A float64 copy of an m x n row-major matrix with rows ≥ columns (Aᵀ when m < n: same singular values),
 * every entry divided by `scale` (a power of two, so exactly), for {@linkcode bidiagonalizeInPlace}.
 *
 * @param values m·n row-major values.
 * @param m Rows.
 * @param n Columns.
 * @param scale Power of two to divide by.
 * @returns max(m, n) x min(m, n) row-major values.
 */
export function tallScaledCopy(values: ArrayLike<number>, m: number, n: number, scale: number): Float64Array {
  const w = new Float64Array(m * n);
  if (m >= n) {
    for (let k = 0; k < m * n; k++) w[k] = values[k] / scale;
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) w[j * m + i] = values[i * n + j] / scale;
    }
  }
  return w;
}
