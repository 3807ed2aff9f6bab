/**
 * Least squares, ridge included, from the float64 one-sided Jacobi decomposition (U is never formed, so
 * tiny singular values keep their own directions).
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { type Decomposed, decomposeMatrix } from "./_jacobi.ts";
import { inspect, SVD_OPTION_KEYS, type SvdOptions } from "./_spectrum.ts";
import { transpose } from "../ops/layout.ts";
import { checkOptions } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";

/** Options for {@linkcode lstsq}. */
export interface LstsqOptions extends SvdOptions {
  /** Ridge penalty λ >= 0: minimises ‖Ax − b‖² + λ‖x‖² (default 0). */
  ridge?: number;
  /**
   * Singular values at or below rcond·σ_max are treated as zero (default 1e-6 without a ridge, 0 with
   * one: the ridge already damps them).
   */
  rcond?: number;
}

/**
 * Least-squares solution x = argmin ‖Ax − b‖² + λ‖x‖², from the float64 one-sided Jacobi decomposition
 * A·V = B (columns b_j = σ_j u_j): x = Σ_j v_j (b_j·b) / (σ_j² + λ) over the kept σ_j (minimum-norm for
 * rank-deficient A when λ = 0). U is never formed, so tiny singular values keep their own directions.
 *
 * @param a m x n matrix.
 * @param b m-vector or m x k matrix of right-hand sides.
 * @param options Ridge penalty, cutoff and SVD options.
 * @returns x, n or n x k.
 * @throws {RangeError} When shapes disagree, ridge or rcond is out of range, or a or b contains NaN/Inf.
 * @throws {Error} When the Jacobi iteration does not converge within `maxSweeps`.
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
  checkOptions("solve least squares", options, ["ridge", "rcond", ...SVD_OPTION_KEYS]);
  checkTensor("solve least squares", "a", a);
  checkTensor("solve least squares", "b", b);
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0 && Number.isFinite(ridge))) {
    throw new RangeError(`Cannot solve least squares: ridge must be a finite number >= 0 (got ${ridge})`);
  }
  const rcond = options.rcond ?? (ridge > 0 ? 0 : 1e-6);
  if (!(rcond >= 0 && rcond < 1)) {
    throw new RangeError(`Cannot solve least squares: rcond must be in [0, 1) (got ${rcond})`);
  }
  if (a.rank !== 2 || (b.rank !== 1 && b.rank !== 2) || b.shape[0] !== a.shape[0]) {
    throw new RangeError(
      `Cannot solve least squares: a must be m x n and b m or m x k (a is ${formatShape(a.shape)}, b is ${
        formatShape(b.shape)
      })`,
    );
  }
  const [m, n] = a.shape;
  const k = b.rank === 1 ? 1 : b.shape[1];
  const rhs = await b.toArray();
  inspect(rhs, b.shape, "least squares (right-hand side b)");
  // Wide A: decompose Aᵀ (tall), whose V holds A's left vectors and whose B holds σ_j times A's right ones.
  const wide = m < n;
  const tall = wide ? transpose(a) : a;
  let d: Decomposed;
  try {
    d = await decomposeMatrix(tall, options, "least squares");
  } finally {
    if (wide) tall.dispose();
  }
  const left = wide ? d.v : d.scaledU, right = wide ? d.scaledU : d.v; // σ_j u_j (or u_j) and v_j (or σ_j v_j)
  const cutoff = rcond * (d.s[0] ?? 0);
  const x = new Float64Array(n * k);
  d.s.forEach((s, j) => {
    if (!(s > cutoff && s > 0)) return;
    // wide: (u_j·b) σ_j v_j / (σ² + λ); tall: (σ_j u_j·b) v_j / (σ² + λ).
    for (let c = 0; c < k; c++) {
      let proj = 0;
      for (let i = 0; i < m; i++) proj += left[j][i] * rhs[i * k + c];
      const coef = proj / (s * s + ridge);
      for (let i = 0; i < n; i++) x[i * k + c] += coef * right[j][i];
    }
  });
  return Tensor.fromArray(Float32Array.from(x), b.rank === 1 ? [n] : [n, k], { runtime: a.runtime });
}
