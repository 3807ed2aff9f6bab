/**
 * Independent float64 oracles for the linear-algebra tests, written separately from the library's own
 * solvers: two-sided cyclic Jacobi for the symmetric eigenproblem (not Householder/QL, not one-sided
 * Jacobi) and Cholesky for least squares. Plus builders of adversarial test matrices.
 *
 * @module
 */
import { seededValues } from "./_helpers.ts";

/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, in float64. */
export interface OracleEigen {
  values: Float64Array;
  /** vectors[j] is the unit eigenvector of values[j]. */
  vectors: Float64Array[];
}

/**
 * Two-sided cyclic Jacobi on a symmetric n x n matrix (row-major), in float64, rotating until every
 * off-diagonal entry is negligible next to its diagonal pair (relative criterion, so graded positive
 * definite matrices keep relative accuracy, after Demmel and Veselić).
 */
export function oracleEigh(a: ArrayLike<number>, n: number): OracleEigen {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q], app = m[p * n + p], aqq = m[q * n + q];
        if (apq === 0 || Math.abs(apq) <= 1e-15 * Math.sqrt(Math.abs(app * aqq))) continue;
        rotated = true;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p], mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k], mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
    if (!rotated) break;
  }
  const order = [...Array(n).keys()].sort((x, y) => m[x * n + x] - m[y * n + y]);
  return {
    values: Float64Array.from(order, (j) => m[j * n + j]),
    vectors: order.map((j) => Float64Array.from({ length: n }, (_, i) => v[i * n + j])),
  };
}

/** Solves the symmetric positive definite system S x = r (n x n, float64) by Cholesky. */
export function choleskySolve(s: ArrayLike<number>, r: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = s[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0)) throw new Error(`oracle: matrix is not positive definite at column ${j}`);
    l[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let x = s[i * n + j];
      for (let k = 0; k < j; k++) x -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = x / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = r[i];
    for (let k = 0; k < i; k++) x -= l[i * n + k] * y[k];
    y[i] = x / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let t = y[i];
    for (let k = i + 1; k < n; k++) t -= l[k * n + i] * x[k];
    x[i] = t / l[i * n + i];
  }
  return x;
}

/** Random orthogonal n x n matrix (float64, row-major) from Gram–Schmidt on seeded values. */
export function orthogonal(n: number, seed: number): Float64Array {
  const raw = seededValues(n * n, seed);
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, (_, i) => raw[i * n + j]);
    for (let pass = 0; pass < 2; pass++) {
      for (const c of cols) {
        const d = c.reduce((s, x, i) => s + x * v[i], 0);
        v.forEach((_, i) => (v[i] -= d * c[i]));
      }
    }
    const len = Math.hypot(...v);
    cols.push(v.map((x) => x / len));
  }
  return Float64Array.from({ length: n * n }, (_, k) => cols[k % n][Math.floor(k / n)]);
}

/** Q diag(λ) Qᵀ for a random orthogonal Q, rounded to float32 and symmetrised exactly. */
export function withSpectrum(lambda: readonly number[], seed: number): Float32Array {
  return Float32Array.from(withSpectrum64(lambda, seed));
}

/** Q diag(λ) Qᵀ for a random orthogonal Q, in float64, symmetrised exactly. */
export function withSpectrum64(lambda: ArrayLike<number>, seed: number): Float64Array {
  const n = lambda.length, q = orthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let acc = 0;
      for (let c = 0; c < n; c++) acc += q[i * n + c] * lambda[c] * q[j * n + c];
      a[i * n + j] = a[j * n + i] = acc;
    }
  }
  return a;
}

/**
 * D H D with H = I + a small random symmetric part (well conditioned, positive definite) and D graded
 * over `decades / 2` decades, rounded to float32: κ(A) ≈ 10^decades, yet entrywise rounding perturbs each
 * eigenvalue only relatively, so the float32 matrix is still positive definite.
 */
export function gradedPositiveDefinite(n: number, decades: number, seed: number): Float32Array {
  const noise = seededValues(n * n, seed);
  const d = Array.from({ length: n }, (_, i) => 10 ** (-(decades / 2) * i / Math.max(1, n - 1)));
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const h = i === j ? 1 : 0.3 * (noise[i * n + j] + noise[j * n + i]) / n;
      a[i * n + j] = a[j * n + i] = d[i] * h * d[j];
    }
  }
  return a;
}

/** Largest |entry|: the scale the absolute error bounds refer to. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
