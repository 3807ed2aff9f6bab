/**
 * The one-sided Jacobi driver behind svd, svdvals, eigh and lstsq: float32 sweeps on the GPU with V
 * accumulated below the columns, then the float64 polish on the host.
 *
 * @module
 */
import { chooseVariant } from "../kernels/choose_variant.ts";
import { JACOBI_FAMILY } from "../kernels/jacobi_family.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { full } from "../ops/elementwise.ts";
import { mul } from "../ops/arithmetic.ts";
import { concat, transpose } from "../ops/layout.ts";
import { norm, POLISH_MAX_SWEEPS, polishSvd } from "./_polish.ts";
import { inspect } from "./_spectrum.ts";
import type { SvdOptions } from "./_spectrum.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkBoolean } from "../check/args.ts";

/** One matrix's decomposition in float64: singular values descending, with matching columns. */
export interface Decomposed {
  /** Singular values, descending. */
  s: Float64Array;
  /** B = A·V column by column: σ_j u_j for each j (length m each; float64 when polished). */
  scaledU: Float64Array[];
  /** v_j (length n each). */
  v: Float64Array[];
}

/**
 * Relative inner product below which the float64 polish leaves a pair alone. A skipped pair moves σ by at
 * most skip²/2 relatively and mixes v_j with v_k by an angle up to skip·σ_j/σ_k; the Rayleigh–Ritz signs
 * of ± pairs and least squares along a tiny σ_j feel that angle. Measured: with 1e-6 (the earlier values
 * threshold) errors grew with n, to 1.4e-10 relative on a Gaussian 384 x 384 matrix and on ± paired
 * spectra at n = 256; with 1e-11 they stay near 1e-13 at no measurable cost in time.
 */
export const POLISH_SKIP = 1e-11;

/** Smallest relative tolerance the float32 sweeps can reach (float32's unit roundoff, 2⁻²³). */
const FLOAT32_EPSILON = 2 ** -23;
/** Smallest positive normal float32; a largest entry below it cannot be prescaled in float32. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * Checks the Jacobi options before any GPU work.
 *
 * @throws {RangeError} When `tol` is not in [2⁻²³, 1) or `maxSweeps` is not a positive integer.
 */
export function validateSvdOptions(options: SvdOptions, what: string): { tol: number; maxSweeps: number } {
  const tol = options.tol ?? 1e-6, maxSweeps = options.maxSweeps ?? 40;
  checkBoolean(`compute ${what}`, "options.polish", options.polish ?? true);
  if (!(tol >= FLOAT32_EPSILON && tol < 1)) {
    throw new RangeError(
      `Cannot compute ${what}: tol must be in [${
        FLOAT32_EPSILON.toExponential(2)
      }, 1), the range float32 sweeps can reach (got ${tol})`,
    );
  }
  if (!(Number.isInteger(maxSweeps) && maxSweeps >= 1)) {
    throw new RangeError(`Cannot compute ${what}: maxSweeps must be a positive integer (got ${maxSweeps})`);
  }
  return { tol, maxSweeps };
}

/**
 * One-sided Jacobi on every matrix of a [batch, m, n] tensor (m >= n): float32 sweeps on the GPU with V
 * accumulated below the columns, then (optionally) the float64 polish on the host.
 *
 * @param values The tensor's values when the caller has already read them (saves one sync).
 * @throws {RangeError} On bad options, NaN/Inf, or entries too small for float32 prescaling.
 * @throws {Error} When the iteration did not converge within `maxSweeps` (or the polish's sweep cap).
 */
export async function decompose(
  a: Tensor,
  options: SvdOptions,
  what: string,
  values?: Float32Array,
): Promise<{ results: Decomposed[]; sweeps: number }> {
  const { tol, maxSweeps } = validateSvdOptions(options, what);
  const [batch, m, n] = a.shape;
  values ??= await a.toArray(); // one read: validation, scaling and the float64 polish
  const largest = inspect(values, a.shape, what);
  if (largest > 0 && largest < FLOAT32_MIN_NORMAL) {
    throw new RangeError(
      `Cannot compute ${what}: largest |entry| ${largest.toExponential(2)} is below float32's normal range (${
        FLOAT32_MIN_NORMAL.toExponential(2)
      }); rescale the input`,
    );
  }
  // Power-of-two prescaling (exact) so squares neither overflow nor underflow in float32.
  const scale = largest > 0 ? 2 ** Math.ceil(Math.log2(largest)) : 1;
  // Columns are stored padded to vec4: [m rows, zero-padded | V's n rows, zero-padded].
  const rows = Math.ceil(m / 4) * 4;
  const vRows = Math.ceil(n / 4) * 4;
  const length = rows + vRows;
  const rt = a.runtime;
  const w = noGrad(() =>
    tidy(() => {
      const parts = [transpose(mul(a, 1 / scale), [0, 2, 1])]; // batch x n x m
      if (rows > m) parts.push(full([batch, n, rows - m], 0, { runtime: rt }));
      const eye = new Float32Array(batch * n * vRows);
      for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) eye[(b * n + i) * vRows + i] = 1;
      parts.push(Tensor.fromArray(eye, [batch, n, vRows], { runtime: rt }));
      return concat(parts, 2);
    })
  );
  const { sweeps, worst, cols } = await sweepUntil(w, { batch, n, m: rows, length, tol }, maxSweeps);
  const polish = options.polish ?? true;
  // Without the polish the float32 sweeps are the answer, so they must have met tol.
  if (!polish && worst > tol) throw notConverged(what, maxSweeps, worst, tol);
  const results: Decomposed[] = [];
  for (let b = 0; b < batch; b++) {
    const column = (j: number) => cols.subarray((b * n + j) * length, (b * n + j + 1) * length);
    let scaledU: Float64Array[] = [], v: Float64Array[] = [];
    for (let j = 0; j < n; j++) {
      v.push(Float64Array.from(column(j).subarray(rows, rows + n)));
      scaledU.push(Float64Array.from(column(j).subarray(0, m), (x) => x * scale));
    }
    if (polish) {
      const polished = polishSvd(values.subarray(b * m * n, (b + 1) * m * n), v, m, POLISH_SKIP);
      if (!polished.converged) throw notConverged(`${what} (float64 polish)`, POLISH_MAX_SWEEPS, NaN, POLISH_SKIP);
      ({ cols: scaledU, v } = polished);
    }
    const norms = scaledU.map(norm);
    const order = [...norms.keys()].sort((x, y) => norms[y] - norms[x]);
    results.push({
      s: Float64Array.from(order, (j) => norms[j]),
      scaledU: order.map((j) => scaledU[j]),
      v: order.map((j) => v[j]),
    });
  }
  return { results, sweeps };
}

/**
 * Float32 sweeps on the columns `w` (disposed) until every matrix's largest relative off-diagonal is
 * at most tol, or `maxSweeps`; returns the sweeps taken, that largest value and the columns read back.
 */
async function sweepUntil(
  w: Tensor,
  geometry: { batch: number; n: number; m: number; length: number; tol: number },
  maxSweeps: number,
): Promise<{ sweeps: number; worst: number; cols: Float32Array }> {
  const rt = w.runtime, { batch, n, tol } = geometry;
  const status = rt.pool.acquire(batch * 4);
  // Where the tuner chose the block variant (and from two blocks of columns on), a sweep is block
  // rotations: three dispatches per round of block pairs, the rotations inside each pair's 16 x 16 Gram
  // matrix. Otherwise (the default) one dispatch per round of column pairs.
  const variant = JACOBI_FAMILY.variants[chooseVariant(rt, JACOBI_FAMILY, { n })];
  const scratchBytes = variant.scratchBytes(geometry);
  const scratch = scratchBytes > 0 ? rt.pool.acquire(scratchBytes) : undefined;
  let sweeps = 0, worst = Infinity;
  try {
    while (sweeps < maxSweeps) {
      rt.write(status, new Uint32Array(batch));
      variant.sweep(rt, { ...geometry, w: w.buffer, status, scratch });
      sweeps++;
      const off = new Float32Array((await rt.read(status, batch)).buffer);
      worst = off.reduce((acc, v) => (v > acc || Number.isNaN(v) ? v : acc), 0);
      if (!(worst > tol)) break;
    }
    return { sweeps, worst, cols: await w.toArray() };
  } finally {
    rt.pool.release(status);
    if (scratch) rt.pool.release(scratch);
    w.dispose();
  }
}

function notConverged(what: string, sweeps: number, off: number, tol: number): Error {
  const detail = Number.isNaN(off) ? "" : ` (largest relative off-diagonal ${off.toExponential(2)} > tol ${tol})`;
  return new Error(
    `Cannot compute ${what}: Jacobi did not converge within ${sweeps} sweeps${detail}; raise maxSweeps or tol`,
  );
}

/**
 * Float64 one-sided Jacobi decomposition of one m x n matrix with m >= n, for the drivers in this
 * folder that need V and B = A·V without forming U (eigh's signs, lstsq).
 *
 * @param a m x n matrix, m >= n.
 * @param options Jacobi options.
 * @param what Noun for error messages.
 * @param values `a`'s values when already read.
 * @returns The decomposition.
 * @throws {RangeError} As {@linkcode svd}.
 */
export async function decomposeMatrix(
  a: Tensor,
  options: SvdOptions,
  what: string,
  values?: Float32Array,
): Promise<Decomposed> {
  const { results: [r] } = await withBatchView(a, (view) => decompose(view, options, what, values));
  return r;
}

export function assertRank(a: Tensor, what: string, rank: 2 | 3): void {
  checkTensor(`compute ${what}`, "a", a);
  if (a.rank !== rank) {
    throw new RangeError(`Cannot compute ${what}: expected a ${rank}-D tensor (got ${formatShape(a.shape)})`);
  }
}

/** Runs `fn` on a [1, m, n] view of a matrix and disposes the view (which would otherwise pin the buffer). */
export async function withBatchView<T>(a: Tensor, fn: (view: Tensor) => Promise<T>): Promise<T> {
  const view = a.reshape([1, ...a.shape]);
  try {
    return await fn(view);
  } finally {
    view.dispose();
  }
}
