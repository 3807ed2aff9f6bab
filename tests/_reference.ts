/**
 * Plain-TypeScript float64 reference implementations: the test oracle for every kernel. Matrices are
 * row-major `Float64Array`s (any `ArrayLike<number>` input).
 *
 * @module
 */
import type { ReduceOp } from "../kernels/reduce.ts";

/** Options for {@linkcode referenceMatmul}. */
export interface ReferenceMatmulOptions {
  /** A is stored k x m. */
  transposeA?: boolean;
  /** B is stored n x k. */
  transposeB?: boolean;
}

/**
 * C = op(A)·op(B) in float64.
 *
 * @param a Stored A (m x k, or k x m when transposed).
 * @param b Stored B (k x n, or n x k when transposed).
 * @param shape `[m, n, k]` plus transpose flags.
 * @returns C, m x n.
 * @example 2x2 product
 * ```ts
 * import assert from "node:assert";
 * import { referenceMatmul } from "./_reference.ts";
 * assert.deepEqual([...referenceMatmul([1, 2, 3, 4], [1, 0, 0, 1], { m: 2, n: 2, k: 2 })], [1, 2, 3, 4]);
 * ```
 */
export function referenceMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: { m: number; n: number; k: number } & ReferenceMatmulOptions,
): Float64Array {
  const { m, n, k } = shape;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = shape.transposeA ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) {
        c[i * n + j] += aip * (shape.transposeB ? b[j * k + p] : b[p * n + j]);
      }
    }
  }
  return c;
}

/**
 * Gram matrix G = A·Aᵀ in float64.
 *
 * @param a A, m x k row-major.
 * @param m Rows of A.
 * @returns G, m x m.
 * @example Gram of a 2x1 matrix
 * ```ts
 * import assert from "node:assert";
 * import { referenceGram } from "./_reference.ts";
 * assert.deepEqual([...referenceGram([1, 2], 2)], [1, 2, 2, 4]);
 * ```
 */
export function referenceGram(a: ArrayLike<number>, m: number): Float64Array {
  const k = a.length / m;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * a[j * k + p];
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return g;
}

/**
 * Reduces a tensor viewed as [outer, axis, inner] along its middle dimension, in float64.
 *
 * @param x Values, row-major.
 * @param dims `[outer, axis, inner]`.
 * @param op Reduction.
 * @returns outer x inner values.
 * @example Row sums
 * ```ts
 * import assert from "node:assert";
 * import { referenceReduce } from "./_reference.ts";
 * assert.deepEqual([...referenceReduce([1, 2, 3, 4], [2, 2, 1], "sum")], [3, 7]);
 * ```
 */
export function referenceReduce(
  x: ArrayLike<number>,
  dims: readonly [number, number, number],
  op: ReduceOp,
): Float64Array {
  const [outer, axis, inner] = dims;
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === "max" ? -Infinity : op === "min" ? Infinity : 0;
      for (let a = 0; a < axis; a++) {
        const v = x[(o * axis + a) * inner + i];
        acc = op === "max" ? Math.max(acc, v) : op === "min" ? Math.min(acc, v) : acc + v;
      }
      out[o * inner + i] = op === "mean" ? acc / axis : acc;
    }
  }
  return out;
}

/**
 * Softmax (or log-softmax) along the middle dimension of [outer, axis, inner], in float64.
 *
 * @param x Values, row-major.
 * @param dims `[outer, axis, inner]`.
 * @param log Return log-softmax instead.
 * @returns Same size as `x`.
 * @example Softmax of equal logits
 * ```ts
 * import assert from "node:assert";
 * import { referenceSoftmax } from "./_reference.ts";
 * assert.deepEqual([...referenceSoftmax([0, 0], [1, 2, 1])], [0.5, 0.5]);
 * ```
 */
export function referenceSoftmax(
  x: ArrayLike<number>,
  dims: readonly [number, number, number],
  log = false,
): Float64Array {
  const [outer, axis, inner] = dims;
  const out = new Float64Array(outer * axis * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (a: number) => (o * axis + a) * inner + i;
      let max = -Infinity;
      for (let a = 0; a < axis; a++) max = Math.max(max, x[at(a)]);
      let sum = 0;
      for (let a = 0; a < axis; a++) sum += Math.exp(x[at(a)] - max);
      for (let a = 0; a < axis; a++) {
        out[at(a)] = log ? x[at(a)] - max - Math.log(sum) : Math.exp(x[at(a)] - max) / sum;
      }
    }
  }
  return out;
}

/**
 * Singular values in float64 by cyclic one-sided Jacobi (converged to 1e-15), descending: the oracle for
 * the GPU SVD.
 *
 * @param a m x n row-major matrix.
 * @param m Rows.
 * @param n Columns.
 * @returns min(m, n) singular values, descending.
 * @example A diagonal matrix
 * ```ts
 * import assert from "node:assert";
 * import { referenceSvdvals } from "./_reference.ts";
 * assert.deepEqual([...referenceSvdvals([0, 2, 3, 0], 2, 2)], [3, 2]);
 * ```
 */
export function referenceSvdvals(a: ArrayLike<number>, m: number, n: number): Float64Array {
  // Work on the orientation with fewer columns (Aᵀ has the same singular values).
  const tall = m >= n;
  const rows = tall ? m : n, cols = tall ? n : m;
  const c = Array.from(
    { length: cols },
    (_, j) => Float64Array.from({ length: rows }, (_, i) => (tall ? a[i * n + j] : a[j * n + i])),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols; p++) {
      for (let q = p + 1; q < cols; q++) {
        const x = c[p], y = c[q];
        let al = 0, be = 0, ga = 0;
        for (let i = 0; i < rows; i++) {
          al += x[i] * x[i];
          be += y[i] * y[i];
          ga += x[i] * y[i];
        }
        if (ga === 0 || Math.abs(ga) <= 1e-15 * Math.sqrt(al * be)) continue;
        rotated = true;
        const z = (be - al) / (2 * ga);
        const t = (z >= 0 ? 1 : -1) / (Math.abs(z) + Math.sqrt(1 + z * z));
        const cs = 1 / Math.sqrt(1 + t * t), sn = cs * t;
        for (let i = 0; i < rows; i++) {
          const xi = x[i], yi = y[i];
          x[i] = cs * xi - sn * yi;
          y[i] = sn * xi + cs * yi;
        }
      }
    }
    if (!rotated) break;
  }
  return Float64Array.from(c, (col) => Math.sqrt(col.reduce((s, v) => s + v * v, 0))).sort((x, y) => y - x);
}
