/**
 * Float64 polish of a nearly converged one-sided Jacobi SVD, on the host: B = A·V in float64, then
 * threshold Jacobi rotations on B's columns wherever float64 still sees a relative inner product above
 * `skip` (float32 sweeps leave those on small columns). Skipped pairs change a singular value by at most
 * skip²/2 relatively, so the result is accurate relative to each singular value's own size.
 *
 * @module
 */

/** Most float64 sweeps the polish runs before it reports non-convergence. */
export const POLISH_MAX_SWEEPS = 30;

/** Columns (float64, each length m) and right vectors (each length n) after polishing. */
export interface Polished {
  /** B's columns: σ_j u_j. */
  cols: Float64Array[];
  /** V's columns. */
  v: Float64Array[];
  /** Rotations applied in float64. */
  rotations: number;
  /** Whether a final sweep found every pair orthogonal to `skip` (false: the sweep cap was hit). */
  converged: boolean;
}

/**
 * V from float32 rotations is orthogonal only to ~1e-5 (accumulated rounding), which would perturb every
 * singular value of A·V by as much: one modified Gram–Schmidt pass in float64 restores it to ~1e-15.
 */
function reorthonormalize(v: Float64Array[]): void {
  const n = v.length;
  for (let c = 0; c < n; c++) {
    const vc = v[c];
    for (let d = 0; d < c; d++) {
      const vd = v[d];
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vd[i] * vc[i];
      for (let i = 0; i < n; i++) vc[i] -= dot * vd[i];
    }
    let length = 0;
    for (let i = 0; i < n; i++) length += vc[i] * vc[i];
    length = Math.sqrt(length);
    for (let i = 0; i < n; i++) vc[i] /= length;
  }
}

/**
 * Polishes B = A·V.
 *
 * @param a A, m x n row-major (float32 values, used exactly).
 * @param v V's columns from the float32 sweeps (each length n).
 * @param m Rows of A.
 * @param skip Relative inner products at or below this are left alone (default 1e-6).
 * @returns Polished columns and vectors.
 */
export function polishSvd(a: ArrayLike<number>, v: Float64Array[], m: number, skip = 1e-6): Polished {
  const n = v.length;
  reorthonormalize(v);
  // B = A V, row-major accumulation (i, k, c) for contiguous inner loops, then split into columns.
  const vRows = new Float64Array(n * n);
  for (let c = 0; c < n; c++) for (let k = 0; k < n; k++) vRows[k * n + c] = v[c][k];
  const b = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const bo = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      const vo = k * n;
      for (let c = 0; c < n; c++) b[bo + c] += aik * vRows[vo + c];
    }
  }
  const cols = Array.from({ length: n }, (_, c) => Float64Array.from({ length: m }, (_, i) => b[i * n + c]));
  // Gram of B (upper triangle), kept up to date under rotations.
  const g = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      const x = cols[p], y = cols[q];
      let s = 0;
      for (let i = 0; i < m; i++) s += x[i] * y[i];
      g[p * n + q] = g[q * n + p] = s;
    }
  }
  let rotations = 0, converged = false;
  for (let sweep = 0; sweep < POLISH_MAX_SWEEPS && !converged; sweep++) {
    let rotated = 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const gamma = g[p * n + q], alpha = g[p * n + p], beta = g[q * n + q];
        if (gamma === 0 || !(Math.abs(gamma) > skip * Math.sqrt(alpha * beta))) continue;
        // Exact inner products for the rotation itself (the tracked Gram only decides whether to rotate).
        const x = cols[p], y = cols[q];
        let al = 0, be = 0, ga = 0;
        for (let i = 0; i < m; i++) {
          al += x[i] * x[i];
          be += y[i] * y[i];
          ga += x[i] * y[i];
        }
        if (ga === 0) continue;
        const zeta = (be - al) / (2 * ga);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const xi = x[i], yi = y[i];
          x[i] = c * xi - s * yi;
          y[i] = s * xi + c * yi;
        }
        const vp = v[p], vq = v[q];
        for (let i = 0; i < n; i++) {
          const xi = vp[i], yi = vq[i];
          vp[i] = c * xi - s * yi;
          vq[i] = s * xi + c * yi;
        }
        // Two-sided update of the tracked Gram: G ← Jᵀ G J on rows/columns p, q.
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const gp = g[r * n + p], gq = g[r * n + q];
          g[r * n + p] = g[p * n + r] = c * gp - s * gq;
          g[r * n + q] = g[q * n + r] = s * gp + c * gq;
        }
        g[p * n + p] = al - 2 * s * c * ga + s * s * (be - al);
        g[q * n + q] = be + 2 * s * c * ga - s * s * (be - al);
        g[p * n + q] = g[q * n + p] = 0;
        rotated++;
      }
    }
    rotations += rotated;
    converged = rotated === 0;
  }
  return { cols, v, rotations, converged };
}

export function norm(vec: Float64Array): number {
  let acc = 0;
  for (const x of vec) acc += x * x;
  return Math.sqrt(acc);
}

/** Two Gram–Schmidt passes against earlier columns (float64), then normalise. */
export function reorthogonalize(vec: Float64Array, basis: Float64Array[]): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (const b of basis) {
      let d = 0;
      for (let i = 0; i < vec.length; i++) d += b[i] * vec[i];
      for (let i = 0; i < vec.length; i++) vec[i] -= d * b[i];
    }
  }
  const length = norm(vec);
  return length > 0 ? vec.map((x) => x / length) : vec;
}

/** A unit vector orthogonal to `basis`: the first standard basis vector with a large residual. */
export function completeBasis(m: number, basis: Float64Array[]): Float64Array {
  let best = new Float64Array(m), bestNorm = -1;
  for (let e = 0; e < m && bestNorm < 0.5; e++) {
    const vec = new Float64Array(m);
    vec[e] = 1;
    // Residual length before normalising: sqrt(1 - Σ b_e²) for an orthonormal basis.
    const left = Math.sqrt(Math.max(0, 1 - basis.reduce((acc, b) => acc + b[e] * b[e], 0)));
    if (left > bestNorm) {
      best = reorthogonalize(vec, basis) as Float64Array<ArrayBuffer>;
      bestNorm = left;
    }
  }
  return best;
}
