/**
 * Symmetric eigendecomposition with eigenvectors on the host, in float64 (EISPACK's tql2 after the
 * Householder tridiagonalisation).
 *
 * @module
 */
import { tridiagonalize } from "./_reflectors.ts";

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
 * import { symmetricEigen } from "./symmetric_eigen.ts";
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
  applyReflectors(z, w, h, n);
  const order = [...d.keys()].sort((x, y) => d[x] - d[y]);
  return { values: Float64Array.from(order, (j) => d[j]), vectors: order.map((j) => z[j]) };
}

/** Back to A's basis: x = H_0 H_1 ⋯ H_{n−3} z for every column, innermost reflector first. */
function applyReflectors(z: Float64Array[], w: Float64Array, h: Float64Array, n: number): void {
  // Reflectors copied contiguous.
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
}
