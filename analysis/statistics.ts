/**
 * Ensemble statistics of preactivations: moments, connected four-point correlators and excess kurtosis
 * with standard errors, and the one-sample Hotelling T² test.
 *
 * @module
 */
import { checkArrayLike, checkNumber, checkOptions, describe } from "../check/args.ts";

/** Per-neuron moments of an ensemble `samples[e * n + i]` (E members, n neurons). */
export interface EnsembleMoments {
  /** Mean per neuron. */
  mean: Float64Array;
  /** Variance per neuron (1/E normalisation). */
  variance: Float64Array;
  /** Fourth central moment per neuron. */
  fourth: Float64Array;
}

function dims(
  samples: ArrayLike<number>,
  neurons: number,
  context = "compute ensemble statistics",
  name = "neurons",
): number {
  checkArrayLike(context, "samples", samples);
  checkNumber(context, name, neurons, { integer: true, min: 1 });
  const e = samples.length / neurons;
  if (!Number.isInteger(e) || e < 2) {
    throw new RangeError(
      `Cannot ${context}: ${samples.length} values for ${neurons} neurons are not a whole ensemble (need at least 2 members)`,
    );
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new RangeError(`Cannot ${context}: samples[${i}] is ${samples[i]} (need finite values)`);
    }
  }
  return e;
}

/**
 * The first neuron (column) whose values are constant to rounding: standard deviation at most
 * 4·E·eps₆₄·max|z| (the rounding error of its mean), zero included. Its variance carries no information,
 * so a ratio over it would be a plausible-looking number made of rounding.
 */
function constantColumn(samples: ArrayLike<number>, neurons: number, variance: ArrayLike<number>): number {
  const e = samples.length / neurons;
  for (let i = 0; i < neurons; i++) {
    let big = 0;
    for (let m = 0; m < e; m++) big = Math.max(big, Math.abs(samples[m * neurons + i]));
    if (Math.sqrt(variance[i]) <= 4 * e * Number.EPSILON * big) return i;
  }
  return -1;
}

/**
 * Mean, variance and fourth central moment of every neuron over the ensemble.
 *
 * @param samples E x n values, member-major.
 * @param neurons n.
 * @returns Moments per neuron.
 * @throws {RangeError} When the sizes do not fit.
 * @example Two members, two neurons: the second neuron is constant
 * ```ts
 * import assert from "node:assert";
 * import { ensembleMoments } from "./statistics.ts";
 * const { mean, variance, fourth } = ensembleMoments([1, 10, 3, 10], 2);
 * assert.deepEqual([...mean, ...variance, ...fourth], [2, 10, 1, 0, 1, 0]);
 * ```
 */
export function ensembleMoments(samples: ArrayLike<number>, neurons: number): EnsembleMoments {
  const e = dims(samples, neurons);
  const mean = new Float64Array(neurons), variance = new Float64Array(neurons), fourth = new Float64Array(neurons);
  for (let m = 0; m < e; m++) for (let i = 0; i < neurons; i++) mean[i] += samples[m * neurons + i] / e;
  for (let m = 0; m < e; m++) {
    for (let i = 0; i < neurons; i++) {
      const d = samples[m * neurons + i] - mean[i];
      variance[i] += (d * d) / e;
      fourth[i] += (d * d * d * d) / e;
    }
  }
  return { mean, variance, fourth };
}

/** A statistic averaged over neurons with its standard error. */
export interface Estimate {
  /** Mean over neurons. */
  value: number;
  /** Standard error of that mean. */
  stderr: number;
}

function summarize(values: ArrayLike<number>): Estimate {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i] / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - m) ** 2 / Math.max(n - 1, 1);
  return { value: m, stderr: Math.sqrt(v / n) };
}

/**
 * Excess kurtosis ⟨z⁴⟩_c / ⟨z²⟩² = μ₄/σ⁴ − 3 of each neuron, averaged over neurons (0 for a Gaussian).
 * For a zero-mean preactivation this is 3V/(nK²) in Roberts & Yaida's notation.
 *
 * @param samples E x n values.
 * @param neurons n.
 * @param options `groups`: a delete-one-group jackknife over this many disjoint groups of ensemble
 * members gives the standard error (for neurons that share randomness, like those of one network, and
 * for the ratio's bias at small samples); default: the spread across neurons.
 * @returns Per-neuron values and their mean with standard error.
 * @throws {RangeError} When the members do not split into `groups` groups of at least 2, or a neuron is
 *   constant across the ensemble (its standard deviation at most 4·E·eps₆₄·max|z|, zero included).
 * @example A symmetric two-point distribution has excess kurtosis −2
 * ```ts
 * import assert from "node:assert";
 * import { excessKurtosis } from "../mod.ts";
 * const { mean } = excessKurtosis([1, -1, 1, -1], 1);
 * assert.ok(Math.abs(mean.value + 2) < 1e-12);
 * ```
 */
export function excessKurtosis(
  samples: ArrayLike<number>,
  neurons: number,
  options: { groups?: number } = {},
): { perNeuron: Float64Array; mean: Estimate } {
  const context = "compute excess kurtosis";
  checkOptions(context, options, ["groups"]);
  const groups = checkNumber(context, "options.groups", options.groups ?? 0, { integer: true, min: 0 });
  if (groups === 1) throw new RangeError(`Cannot ${context}: options.groups must be 0 (no jackknife) or >= 2 (got 1)`);
  dims(samples, neurons, context);
  const { variance, fourth } = ensembleMoments(samples, neurons);
  const constant = constantColumn(samples, neurons, variance);
  if (constant >= 0) {
    throw new RangeError(
      `Cannot ${context}: neuron ${constant} of the samples is constant across the ensemble (variance ${
        variance[constant].toExponential(2)
      }, zero to rounding), so μ₄/σ⁴ is undefined`,
    );
  }
  const perNeuron = fourth.map((f, i) => f / variance[i] ** 2 - 3);
  if (groups < 2) return { perNeuron, mean: summarize(perNeuron) };
  const e = samples.length / neurons, size = Math.floor(e / groups);
  if (size < 2) throw new RangeError(`Cannot split ${e} ensemble members into ${groups} groups`);
  // Delete-one-group jackknife of the neuron-averaged estimate: se² = (G − 1)/G · Σ (θ₍g₎ − θ̄)².
  const part = new Float64Array((e - size) * neurons);
  const deleted = Array.from({ length: groups }, (_, g) => {
    part.set(Array.prototype.slice.call(samples, 0, g * size * neurons), 0);
    part.set(Array.prototype.slice.call(samples, (g + 1) * size * neurons), g * size * neurons);
    return summarize(excessKurtosis(part, neurons).perNeuron).value;
  });
  const mean = deleted.reduce((a, b) => a + b, 0) / groups;
  const stderr = Math.sqrt(((groups - 1) / groups) * deleted.reduce((a, b) => a + (b - mean) ** 2, 0));
  return { perNeuron, mean: { value: summarize(perNeuron).value, stderr } };
}

/**
 * Connected four-point correlators of zero-mean preactivations over an ensemble: same neuron
 * ⟨z_i⁴⟩ − 3⟨z_i²⟩², averaged over every neuron; and distinct neurons ⟨z_i² z_j²⟩ − ⟨z_i²⟩⟨z_j²⟩, averaged
 * over the disjoint pairs (0, 1), (2, 3), … of the first 64 neurons (up to 32 pairs). Disjoint pairs are
 * independent estimates, so their spread gives the standard error; with fewer than 2 neurons the
 * off-diagonal estimate is NaN.
 *
 * @param samples E x n values.
 * @param neurons n.
 * @returns Both correlators (averaged, with standard errors) and the mean second moment K.
 * @example Independent ±1 neurons: −2 on the diagonal, 0 off it
 * ```ts
 * import assert from "node:assert";
 * import { connectedFourPoint } from "./statistics.ts";
 * const { diagonal, offDiagonal, k } = connectedFourPoint([1, 1, 1, -1, -1, 1, -1, -1], 2);
 * assert.deepEqual([diagonal.value, offDiagonal.value, k], [-2, 0, 1]);
 * ```
 */
export function connectedFourPoint(
  samples: ArrayLike<number>,
  neurons: number,
): { diagonal: Estimate; offDiagonal: Estimate; k: number } {
  const e = dims(samples, neurons);
  const second = new Float64Array(neurons), fourth = new Float64Array(neurons);
  for (let m = 0; m < e; m++) {
    for (let i = 0; i < neurons; i++) {
      const z2 = samples[m * neurons + i] ** 2;
      second[i] += z2 / e;
      fourth[i] += (z2 * z2) / e;
    }
  }
  const diagonal = summarize(fourth.map((f, i) => f - 3 * second[i] ** 2));
  // Off-diagonal: average over pairs via sums, ⟨z_i² z_j²⟩ summed over i ≠ j = ⟨(Σ z²)² − Σ z⁴⟩.
  const pairs: number[] = [];
  const blocks = Math.min(neurons, 64);
  for (let b = 0; b + 1 < blocks; b += 2) {
    // Disjoint neuron pairs (b, b+1) give independent estimates for the standard error.
    let cross = 0;
    for (let m = 0; m < e; m++) cross += (samples[m * neurons + b] ** 2 * samples[m * neurons + b + 1] ** 2) / e;
    pairs.push(cross - second[b] * second[b + 1]);
  }
  const offDiagonal = pairs.length ? summarize(pairs) : { value: NaN, stderr: NaN };
  return { diagonal, offDiagonal, k: summarize(second).value };
}

/** ln Γ(x) by the Lanczos approximation (x > 0). */
function logGamma(x: number): number {
  const g = [
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = 0.99999999999980993;
  const t = x + 7.5;
  for (let i = 0; i < 8; i++) a += g[i] / (x + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes §6.4).
 *
 * @param x In [0, 1].
 * @param a > 0.
 * @param b > 0.
 * @returns I_x(a, b).
 * @example I_x(1, 1) = x
 * ```ts
 * import assert from "node:assert";
 * import { incompleteBeta } from "./statistics.ts";
 * assert.ok(Math.abs(incompleteBeta(0.3, 1, 1) - 0.3) < 1e-12);
 * ```
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) {
    throw new RangeError(
      `Cannot compute the incomplete beta function: x=${x} a=${a} b=${b} (need 0 <= x <= 1, a > 0 and b > 0)`,
    );
  }
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  // Lentz's method.
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < 1e-300) d = 1e-300;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d);
    c = Math.abs(c) < 1e-300 ? 1e-300 : c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d);
    c = Math.abs(c) < 1e-300 ? 1e-300 : c;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (front * h) / a;
}

/** Result of {@linkcode hotellingT2}. */
export interface HotellingResult {
  /** T² = E (x̄ − μ₀)ᵀ S⁻¹ (x̄ − μ₀). */
  t2: number;
  /** F = (E − p) / (p (E − 1)) · T², F(p, E − p)-distributed under H₀. */
  f: number;
  /** Degrees of freedom (p, E − p). */
  df: [number, number];
  /** P(F' >= f) under H₀. */
  pValue: number;
}

/**
 * Cholesky factor L of the sample covariance S = L Lᵀ (float64), refusing an S that is singular to
 * rounding: a column constant to rounding, or a pivot of the correlation matrix D^{-1/2} S D^{-1/2} below
 * 64·p·eps₆₄ (its condition number is then about 1e13 or more, where T² is made of rounding).
 */
function choleskyOfCovariance(samples: ArrayLike<number>, p: number, cov: Float64Array, context: string): Float64Array {
  const variance = Float64Array.from({ length: p }, (_, i) => cov[i * p + i]);
  const constant = constantColumn(samples, p, variance);
  if (constant >= 0) {
    throw new RangeError(
      `Cannot ${context}: column ${constant} is constant (variance ${
        variance[constant].toExponential(2)
      }, zero to rounding), so the sample covariance is singular`,
    );
  }
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = cov[i * p + j];
      for (let k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      if (i !== j) {
        l[i * p + j] = s / l[j * p + j];
        continue;
      }
      // s / S_ii is the pivot of the correlation matrix: the part of column i no earlier column explains.
      if (!(s > 64 * p * Number.EPSILON * variance[i])) {
        throw new RangeError(
          `Cannot ${context}: the sample covariance is numerically singular: column ${i} is a linear ` +
            `combination of columns 0..${i - 1} up to a relative residual variance of ${
              (Math.max(s, 0) / variance[i]).toExponential(1)
            } (condition number about 1e13 or more)`,
        );
      }
      l[i * p + i] = Math.sqrt(s);
    }
  }
  return l;
}

/**
 * One-sample Hotelling T² test of H₀: the mean of p-dimensional samples equals μ₀ (default 0).
 *
 * @param samples E x p values, member-major (E > p).
 * @param dimension p.
 * @param mu0 Hypothesised mean (default zeros).
 * @returns T², F, degrees of freedom and p-value.
 * @throws {RangeError} When E <= p, `mu0` does not hold p values, or the sample covariance is singular to
 *   rounding (a constant column, or a correlation pivot below 64·p·eps₆₄).
 * @example In one dimension T² is Student's t²: samples 1, 2, 3 have t = 2 / (1/√3)
 * ```ts
 * import assert from "node:assert";
 * import { hotellingT2 } from "./statistics.ts";
 * const { t2, df } = hotellingT2([1, 2, 3], 1);
 * assert.ok(Math.abs(t2 - 12) < 1e-12);
 * assert.deepEqual(df, [1, 2]);
 * ```
 */
export function hotellingT2(samples: ArrayLike<number>, dimension: number, mu0?: ArrayLike<number>): HotellingResult {
  const context = "run Hotelling's T²";
  const e = dims(samples, dimension, context, "dimension"), p = dimension;
  if (mu0 !== undefined && (typeof mu0 !== "object" || mu0 === null || mu0.length !== p)) {
    throw new RangeError(`Cannot ${context}: mu0 must hold ${p} values, one per dimension (got ${describe(mu0)})`);
  }
  if (e <= p) throw new RangeError(`Cannot run Hotelling's T²: need more samples (${e}) than dimensions (${p})`);
  const mean = new Float64Array(p);
  for (let m = 0; m < e; m++) for (let i = 0; i < p; i++) mean[i] += samples[m * p + i] / e;
  const cov = new Float64Array(p * p);
  for (let m = 0; m < e; m++) {
    for (let i = 0; i < p; i++) {
      const di = samples[m * p + i] - mean[i];
      for (let j = 0; j <= i; j++) cov[i * p + j] += (di * (samples[m * p + j] - mean[j])) / (e - 1);
    }
  }
  const l = choleskyOfCovariance(samples, p, cov, context);
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = mean[i] - (mu0?.[i] ?? 0);
    for (let k = 0; k < i; k++) s -= l[i * p + k] * y[k];
    y[i] = s / l[i * p + i];
  }
  const t2 = e * y.reduce((s, v) => s + v * v, 0);
  const d1 = p, d2 = e - p;
  const f = ((e - p) / (p * (e - 1))) * t2;
  // P(F >= f) = I_{d2/(d2 + d1 f)}(d2/2, d1/2).
  const pValue = incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
  return { t2, f, df: [d1, d2], pValue };
}
