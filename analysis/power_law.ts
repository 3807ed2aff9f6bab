/**
 * Maximum-likelihood fit of a continuous power law to the tail of a sample, with x_min chosen by the
 * Kolmogorov–Smirnov distance (Clauset, Shalizi & Newman, "Power-law distributions in empirical data",
 * SIAM Review 51, 2009): the fit WeightWatcher (Martin & Mahoney) runs on the spectra of weight matrices,
 * through the `powerlaw` package (Alstott, Bullmore & Plenz 2014) or its own `WWFit`.
 *
 * @module
 */
import { checkArrayLike, checkNumber, checkOptions, describe } from "../check/args.ts";

/** The default least number of values in the tail (see {@linkcode FitPowerLawOptions.minTail}). */
export const DEFAULT_MIN_TAIL = 10;

/** Options for {@linkcode fitPowerLaw}. */
export interface FitPowerLawOptions {
  /** A fixed x_min (> 0): fit only the tail x ≥ xmin, with no search. */
  xmin?: number;
  /** The candidate x_min values to search (each > 0), instead of every distinct positive value. */
  xmins?: ArrayLike<number>;
  /** Least number of values in a tail (an integer ≥ 2; default {@linkcode DEFAULT_MIN_TAIL}). */
  minTail?: number;
}

/** The keys of {@linkcode FitPowerLawOptions}, for the unknown-option check. */
const FIT_POWER_LAW_OPTION_KEYS: readonly string[] = ["xmin", "xmins", "minTail"];

/** A power law p(x) = ((α − 1)/x_min)·(x/x_min)^(−α), x ≥ x_min, fitted to the tail of a sample. */
export interface PowerLawFit {
  /** The exponent α̂ = 1 + n / Σ ln(x_i / x_min) over the n tail values (the MLE, Clauset et al. eq. 3.1). */
  alpha: number;
  /** Its standard error (α̂ − 1)/√n (Clauset et al. eq. 3.2). */
  sigma: number;
  /** The lower bound of the tail. */
  xmin: number;
  /** The largest value. */
  xmax: number;
  /**
   * Kolmogorov–Smirnov distance D = sup_x |S(x) − P(x)| between the tail's empirical CDF S and the fitted
   * CDF P(x) = 1 − (x/x_min)^(1−α): at least 1/n. (powerlaw and WeightWatcher evaluate S only just below
   * each value, which can read up to 1/n lower.)
   */
  ks: number;
  /** Number of values in the tail (x ≥ x_min). */
  tail: number;
  /** Number of values given (the tail is this fraction `tail / count` of them). */
  count: number;
  /** Log-likelihood of the tail under the fit, n·ln((α − 1)/x_min) − α·Σ ln(x_i / x_min). */
  logLikelihood: number;
  /** Every candidate tried, in ascending x_min, with its α and D (e.g. to plot α and D against x_min). */
  scan: { xmin: Float64Array; alpha: Float64Array; ks: Float64Array };
}

const CONTEXT = "fit power law";

/** The values as sorted float64, refusing what is not a finite number, naming its index. */
function sortedValues(values: unknown): Float64Array {
  const given = checkArrayLike(CONTEXT, "values", values);
  const out = new Float64Array(given.length);
  for (let i = 0; i < given.length; i++) {
    const v = given[i];
    if (typeof v !== "number") {
      throw new TypeError(`Cannot ${CONTEXT}: values[${i}] must be a number (got ${describe(v)})`);
    }
    if (!Number.isFinite(v)) throw new RangeError(`Cannot ${CONTEXT}: values[${i}] is ${v} (must be finite)`);
    out[i] = v;
  }
  return out.sort();
}

/** The candidate x_min values (ascending, distinct), checked or taken from the positive data. */
function candidatesOf(x: Float64Array, options: FitPowerLawOptions): Float64Array {
  if (options.xmin !== undefined && options.xmins !== undefined) {
    throw new TypeError(`Cannot ${CONTEXT}: give options.xmin or options.xmins, not both`);
  }
  if (options.xmin !== undefined) {
    return Float64Array.of(checkNumber(CONTEXT, "options.xmin", options.xmin, { above: 0 }));
  }
  if (options.xmins !== undefined) {
    const given = checkArrayLike(CONTEXT, "options.xmins", options.xmins);
    if (given.length === 0) throw new RangeError(`Cannot ${CONTEXT}: options.xmins is empty`);
    const c = Float64Array.from(given, (v, i) => checkNumber(CONTEXT, `options.xmins[${i}]`, v, { above: 0 }));
    return c.sort().filter((v, i, a) => i === 0 || v !== a[i - 1]);
  }
  return x.filter((v, i) => v > 0 && (i === 0 || v !== x[i - 1]));
}

/** Index of the first value ≥ t in ascending x. */
function lowerBound(x: Float64Array, t: number): number {
  let lo = 0, hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** MLE exponent, Σ ln(x_i/x_min) and KS distance of the tail x[i..] above x_min, all in float64. */
function fitTail(
  x: Float64Array,
  logs: Float64Array,
  i: number,
  xmin: number,
): { alpha: number; s: number; ks: number } {
  const m = x.length - i, lm = Math.log(xmin);
  let s = 0;
  for (let j = i; j < x.length; j++) s += logs[j] - lm;
  if (!(s > 0)) return { alpha: Infinity, s, ks: Infinity };
  const alpha = 1 + m / s;
  let ks = 0;
  for (let k = 0; k < m; k++) {
    // P(x) = 1 − (x/x_min)^(1−α), by expm1 so that values near x_min keep their digits.
    const p = -Math.expm1((1 - alpha) * (logs[i + k] - lm));
    // The empirical CDF steps from k/m to (k + 1)/m at the k-th tail value: the sup is at one side.
    ks = Math.max(ks, p - k / m, (k + 1) / m - p);
  }
  return { alpha, s, ks };
}

/**
 * Fits a power law to the tail of a sample by maximum likelihood, choosing x_min by the smallest
 * Kolmogorov–Smirnov distance (Clauset, Shalizi & Newman 2009, section 3.3). For each candidate x_min
 * (every distinct positive value by default), the n values x ≥ x_min give α̂ = 1 + n / Σ ln(x_i / x_min)
 * and D = sup |S − P|; the candidate with the smallest D wins. Values below x_min (zero and negative
 * ones included) are not part of the fit. Everything is float64 on the host; the search costs about
 * count × tail operations (WeightWatcher's `WWFit` does the same scan).
 *
 * A small D does not prove a power law: Clauset et al. test the fit against bootstrap samples, and
 * WeightWatcher reads α outside [2, 6] as a warning (α < 2: over-trained, α > 6: under-trained).
 *
 * @param values The sample, e.g. the eigenvalues of a weight matrix's WᵀW/N.
 * @param options A fixed x_min or candidates, and the least tail size.
 * @returns α, its standard error, x_min, D, the tail size and the whole scan.
 * @throws {TypeError} When `values` is not an array of numbers, or both `xmin` and `xmins` are given.
 * @throws {RangeError} For NaN or ±Infinity in `values`, an x_min candidate that is not positive and
 *   finite, `minTail` not an integer ≥ 2, fewer than `minTail` positive values (or values ≥ a fixed
 *   x_min), or when every candidate tail holds a single repeated value.
 * @example Samples of a Pareto law with α = 3 (x_min = 1) give back α within a few standard errors
 * ```ts
 * import assert from "node:assert";
 * import { fitPowerLaw } from "./power_law.ts";
 * // Inverse CDF of evenly spread quantiles: x = (1 − u)^(−1/(α − 1)).
 * const x = Array.from({ length: 1000 }, (_, i) => (1 - (i + 0.5) / 1000) ** (-1 / 2));
 * const fit = fitPowerLaw(x, { xmin: 1 });
 * assert.ok(Math.abs(fit.alpha - 3) < 3 * fit.sigma && fit.tail === 1000);
 * ```
 */
export function fitPowerLaw(values: ArrayLike<number>, options: FitPowerLawOptions = {}): PowerLawFit {
  checkOptions(CONTEXT, options, FIT_POWER_LAW_OPTION_KEYS);
  // null is refused, not read as "not given".
  const minTail = checkNumber(
    CONTEXT,
    "options.minTail",
    options.minTail === undefined ? DEFAULT_MIN_TAIL : options.minTail,
    {
      integer: true,
      min: 2,
    },
  );
  const x = sortedValues(values);
  const candidates = candidatesOf(x, options);
  const where = options.xmin !== undefined ? `at or above options.xmin = ${options.xmin}` : "positive";
  const largestTail = x.length - lowerBound(x, candidates[0]);
  if (largestTail < minTail) {
    throw new RangeError(
      `Cannot ${CONTEXT}: ${largestTail} of the ${x.length} values are ${where} (need at least minTail = ${minTail})`,
    );
  }
  const logs = x.map((v) => (v > 0 ? Math.log(v) : -Infinity));
  const scan = { xmin: [] as number[], alpha: [] as number[], ks: [] as number[] };
  let best = -1, bestS = 0;
  for (const xmin of candidates) {
    const i = lowerBound(x, xmin);
    if (x.length - i < minTail) break;
    const { alpha, s, ks } = fitTail(x, logs, i, xmin);
    if (!Number.isFinite(alpha)) continue;
    scan.xmin.push(xmin), scan.alpha.push(alpha), scan.ks.push(ks);
    if (best < 0 || ks < scan.ks[best]) best = scan.ks.length - 1, bestS = s;
  }
  if (best < 0) {
    throw new RangeError(`Cannot ${CONTEXT}: every candidate tail holds a single repeated value (no exponent)`);
  }
  const alpha = scan.alpha[best], xmin = scan.xmin[best], tail = x.length - lowerBound(x, xmin);
  return {
    alpha,
    sigma: (alpha - 1) / Math.sqrt(tail),
    xmin,
    xmax: x[x.length - 1],
    ks: scan.ks[best],
    tail,
    count: x.length,
    logLikelihood: tail * Math.log((alpha - 1) / xmin) - alpha * bestS,
    scan: { xmin: Float64Array.from(scan.xmin), alpha: Float64Array.from(scan.alpha), ks: Float64Array.from(scan.ks) },
  };
}
