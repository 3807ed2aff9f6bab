/**
 * Shared plumbing of the spectrum functions: the method choice between the host Householder path and
 * the GPU Jacobi SVD, and the host-side NaN check.
 *
 * @module
 */
import { formatShape } from "../ops/tensor.ts";
import { certifiedRelativeError } from "./householder.ts";

/**
 * How `svdvals`, `eigvalsh` and `eigh` compute a single matrix's spectrum:
 * - `"householder"`: Householder reduction to bidiagonal / tridiagonal form and bisection (implicit QL
 *   for `eigh`'s vectors), in float64 on the host: (8/3)n³, (4/3)n³ or ~9n³ flops, error about
 *   (m + n)·eps₆₄·‖A‖₂ per value.
 * - `"jacobi"`: the GPU one-sided Jacobi SVD with the float64 polish: several times the flops, but every
 *   value accurate relative to its own size, graded matrices included.
 * - `"auto"` (default): Householder first, kept when its error bound certifies every value to a relative
 *   error of {@linkcode AUTO_CERTIFIED_ERROR}; otherwise (κ beyond ~1e7/(m + n)) the Jacobi SVD.
 */
export type SpectrumMethod = "auto" | "householder" | "jacobi";

/** Relative error bound below which `method: "auto"` keeps the Householder result. */
export const AUTO_CERTIFIED_ERROR = 1e-8;

/**
 * The relative error per value that the Jacobi path (float32 sweeps, then the float64 polish) promises,
 * and so the tightest request `"auto"` certifies by it. The error is about eps₆₄·κ(B)/30, κ(B) the
 * condition number of A with unit columns. Measured against float64 references: about 1e-13 and at most
 * 1e-12 up to n = 512 on graded (κ(A) to 1e12), ± paired, repeated and Gaussian spectra, 7.7e-12 for an
 * unstructured κ = 1e6; the tests hold it to 1e-11. Beyond κ(B) ≈ 1e6 (unstructured, ill-conditioned
 * matrices) the smallest values are less accurate (2.7e-7 at κ(B) = 3e10), as with any float64 method;
 * that is not yet detected.
 */
export const JACOBI_RELATIVE_ERROR = 1e-11;

/**
 * How accurate every computed value must be:
 * - `{ relative: r }`: within r of its own size, tiny values included (the default, r =
 *   {@linkcode AUTO_CERTIFIED_ERROR}, for `svdvals`, `eigvalsh` and `eigh` called directly);
 * - `{ normwise: r }`: within r·‖A‖_F. For a PSD kernel ‖K‖_F ≤ tr K, so this bounds the error of the
 *   normalised spectrum λ/tr K by r: what entropies and effective ranks need;
 * - `{ absolute: a }`: within a, in the matrix's own units (e.g. eigenvalues near a threshold ε).
 *
 * The Householder path's error is about (m + n)·eps₆₄·‖A‖₂ per value, so it certifies normwise requests
 * with r ≥ (m + n)·eps₆₄ before it runs, absolute ones once ‖A‖₂ is known, and relative ones only for
 * well-conditioned spectra. The Jacobi path (with the float64 polish) promises every value to
 * {@linkcode JACOBI_RELATIVE_ERROR} of its own size (measured: about 1e-13, at most 1e-12, up to n = 512;
 * see there for the matrices it assumes).
 * A request that neither can certify is refused with a RangeError rather than answered short of it: before
 * any work when a relative or normwise tolerance lies below both 1e-11 and (m + n)·eps₆₄, otherwise as soon
 * as the Householder bound (or, for absolute requests, the size of the values) shows it.
 */
export type SpectrumAccuracy = { relative: number } | { normwise: number } | { absolute: number };

/** Options for the Jacobi SVD family. */
export interface SvdOptions {
  /** Most sweeps before giving up (default 40). */
  maxSweeps?: number;
  /** Relative off-diagonal tolerance |a_p·a_q| / (‖a_p‖‖a_q‖) of the float32 sweeps (default 1e-6). */
  tol?: number;
  /**
   * Finish with the float64 host polish (default true): singular values then carry relative error
   * about 1e-13 (measured up to n = 512; the promise is {@linkcode JACOBI_RELATIVE_ERROR}), instead of
   * float32's ~6e-8·κ (κ of the column-scaled matrix).
   */
  polish?: boolean;
}

/** Options for `svdvals`, `eigvalsh` and `eigh`: the Jacobi options plus the choice of method. */
export interface SpectrumOptions extends SvdOptions {
  /** Algorithm (default `"auto"`); the Jacobi options apply only when the Jacobi SVD runs. */
  method?: SpectrumMethod;
  /** The accuracy `"auto"` must certify (default `{ relative: 1e-8 }`). */
  accuracy?: SpectrumAccuracy;
}

/** The keys of {@linkcode SvdOptions}, for the unknown-option check. */
export const SVD_OPTION_KEYS: readonly string[] = ["maxSweeps", "tol", "polish"];

/** The keys of {@linkcode SpectrumOptions}, for the unknown-option check. */
export const SPECTRUM_OPTION_KEYS: readonly string[] = ["method", "accuracy", ...SVD_OPTION_KEYS];

/**
 * Validates `method` and `accuracy` and tells whether the host Householder path may run first (any
 * method but `"jacobi"`). Under `"auto"`, refuses before any work a relative or normwise request that
 * neither method can certify for an m x n matrix.
 *
 * @throws {RangeError} When `method` is not one of the known names, `accuracy` is not a positive
 * tolerance, or no method can certify it.
 */
export function householderFirst(options: SpectrumOptions, what: string, m: number, n: number): boolean {
  const method = options.method ?? "auto";
  if (method !== "auto" && method !== "householder" && method !== "jacobi") {
    throw new RangeError(`Cannot compute ${what}: method must be "auto", "householder" or "jacobi" (got ${method})`);
  }
  const a = accuracyOf(options, what);
  const r = "relative" in a ? a.relative : "normwise" in a ? a.normwise : Infinity;
  if (method === "auto" && r < JACOBI_RELATIVE_ERROR && r < (m + n) * Number.EPSILON) {
    throw uncertifiable(what, a, m, n);
  }
  return method !== "jacobi";
}

function uncertifiable(what: string, a: SpectrumAccuracy, m: number, n: number, detail = ""): RangeError {
  return new RangeError(
    `Cannot compute ${what}: no method certifies accuracy ${JSON.stringify(a)} for a ${m}x${n} matrix ` +
      `(Householder: (m + n)·eps₆₄·‖A‖₂ = ${((m + n) * Number.EPSILON).toExponential(1)}·‖A‖₂ per value${detail}; ` +
      `Jacobi: ${JACOBI_RELATIVE_ERROR} of each value); ask for a looser accuracy`,
  );
}

/**
 * Whether `"auto"` must try Householder whatever it costs: the request is relative or normwise and
 * tighter than the Jacobi path's promise, so only Householder's bound could certify it.
 */
export function onlyHouseholderCertifies(options: SpectrumOptions): boolean {
  const a = accuracyOf(options, "the spectrum");
  return !("absolute" in a) && ("relative" in a ? a.relative : a.normwise) < JACOBI_RELATIVE_ERROR;
}

/**
 * Under `"auto"`, throws unless the Jacobi path's promise meets the request, given the largest value
 * magnitude (from the Householder attempt or the Jacobi result; ‖A‖₂ for symmetric and SVD spectra).
 *
 * @throws {RangeError} When the Jacobi path cannot certify the request.
 */
export function assertJacobiCertifies(
  options: SpectrumOptions,
  largest: number,
  what: string,
  m: number,
  n: number,
): void {
  if ((options.method ?? "auto") !== "auto") return;
  const a = accuracyOf(options, what);
  const meets = "absolute" in a
    ? JACOBI_RELATIVE_ERROR * largest <= a.absolute
    : JACOBI_RELATIVE_ERROR <= ("relative" in a ? a.relative : a.normwise);
  if (!meets) throw uncertifiable(what, a, m, n, `, ‖A‖₂ ≈ ${largest.toExponential(3)}`);
}

/**
 * The requested accuracy (default `{ relative: 1e-8 }`).
 *
 * @throws {RangeError} When it is not exactly one of relative, normwise or absolute with a finite tolerance > 0.
 */
export function accuracyOf(options: SpectrumOptions, what: string): SpectrumAccuracy {
  const a = options.accuracy ?? { relative: AUTO_CERTIFIED_ERROR };
  const keys = Object.keys(a);
  const value = (a as Record<string, number>)[keys[0]];
  if (
    typeof a !== "object" || a === null || keys.length !== 1 ||
    !["relative", "normwise", "absolute"].includes(keys[0]) ||
    typeof value !== "number" || !(value > 0 && value < (keys[0] === "absolute" ? Infinity : 1))
  ) {
    throw new RangeError(
      `Cannot compute ${what}: accuracy must be { relative } or { normwise } with a tolerance in (0, 1), or { absolute } with a finite tolerance > 0 (got ${
        JSON.stringify(a)
      })`,
    );
  }
  return a;
}

/** The Householder error bound per value, (m + n)·eps₆₄·max|v|, absolute. */
function householderBound(values: ArrayLike<number>, m: number, n: number): number {
  let big = 0;
  for (let i = 0; i < values.length; i++) big = Math.max(big, Math.abs(values[i]));
  return (m + n) * Number.EPSILON * big;
}

/**
 * Whether a Householder result is final: always for `"householder"`; for `"auto"` when its error bound
 * certifies the requested accuracy.
 */
export function keepHouseholder(options: SpectrumOptions, values: ArrayLike<number>, m: number, n: number): boolean {
  if (options.method === "householder") return true;
  const a = accuracyOf(options, "the spectrum");
  if ("relative" in a) return certifiedRelativeError(values, m, n) <= a.relative;
  if ("normwise" in a) return (m + n) * Number.EPSILON <= a.normwise; // max|v| ≤ ‖A‖₂ ≤ ‖A‖_F
  return householderBound(values, m, n) <= a.absolute;
}

/**
 * Checks values for NaN/Inf on the host (WGSL may assume NaN never occurs, so a shader cannot test for
 * it reliably) and returns the largest magnitude.
 *
 * @throws {RangeError} When any entry is NaN or infinite.
 */
export function inspect(values: ArrayLike<number>, shape: readonly number[], what: string): number {
  let bad = 0, largest = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") {
      throw new TypeError(`Cannot compute ${what}: value ${i} is ${typeof v}, not a number`);
    }
    if (!Number.isFinite(v)) bad++;
    else if (Math.abs(v) > largest) largest = Math.abs(v);
  }
  if (bad > 0) {
    throw new RangeError(`Cannot compute ${what}: input ${formatShape(shape)} contains ${bad} NaN or infinite values`);
  }
  return largest;
}

/**
 * Runs a float64 host routine on `values` divided by the power of two at or below their largest
 * magnitude (an exact division) and multiplies its results back, so squares and norms neither overflow
 * nor underflow for any finite input (1e-300 as well as 1e300), and A and 2^k·A give results that differ
 * by exactly 2^k.
 */
export function atUnitScale(
  values: ArrayLike<number>,
  largest: number,
  run: (scaled: ArrayLike<number>) => Float64Array,
): Float64Array {
  if (largest === 0) return run(values);
  const scale = 2 ** Math.floor(Math.log2(largest));
  if (scale === 1) return run(values);
  return run(Float64Array.from(values, (v) => v / scale)).map((v) => v * scale);
}
