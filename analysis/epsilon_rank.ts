/**
 * Epsilon-rank of a layer's neuron functions: with D the neuron outputs on a sorted quadrature grid and W
 * the trapezoid weights, M = Dᵀ W D (the Gram matrix of the neurons in L²) and the ε-rank counts its
 * eigenvalues above ε.
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { mul } from "../ops/arithmetic.ts";
import { svdvals } from "../linalg/svd.ts";
import { structureOf } from "../model/layer_signals.ts";
import { withDisplay } from "./_display.ts";
import { checkBoolean, checkNumber, checkOptions, describe } from "../check/args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";
import { checkTensor } from "../ops/_args.ts";

/**
 * Trapezoid-rule weights of a sorted 1-D grid: w_0 = (x_1 − x_0)/2, w_i = (x_{i+1} − x_{i−1})/2, ...
 *
 * @param x Grid, strictly increasing.
 * @returns Weights (Σ w = x_last − x_first).
 * @throws {RangeError} When the grid has fewer than 2 points or is not increasing.
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { trapezoidWeights } from "./epsilon_rank.ts";
 * assert.deepEqual([...trapezoidWeights([0, 1, 3])], [0.5, 1.5, 1]);
 * ```
 */
export function trapezoidWeights(x: ArrayLike<number>): Float64Array {
  if (x.length < 2) throw new RangeError(`Cannot build trapezoid weights from ${x.length} points`);
  const w = new Float64Array(x.length);
  for (let i = 0; i + 1 < x.length; i++) {
    const h = x[i + 1] - x[i];
    if (!(h > 0)) {
      throw new RangeError(`Cannot build trapezoid weights: grid not increasing at ${i} (${x[i]}, ${x[i + 1]})`);
    }
    w[i] += h / 2;
    w[i + 1] += h / 2;
  }
  return w;
}

/**
 * The quadrature weights of the ε-rank study's chapter-2 code: rows are ordered by the mean of a
 * reference representation g over its columns, the spacing is uniform, dx = (ḡ_max − ḡ_min)/(m − 1), and
 * the two end rows of that order get half of it. (M = Dᵀ W D does not depend on the row order, so the
 * order only decides which rows are halved; the scale dx is what moves the ε-rank.)
 *
 * @param g Reference representation [m, width], row-major.
 * @param width Columns of g.
 * @returns Weights per row, in the rows' original order.
 * @throws {RangeError} When g is not m x width with m ≥ 2.
 * @example Row means 3, 1, 2: dx = 1, the rows with the largest and smallest mean get 1/2
 * ```ts
 * import assert from "node:assert";
 * import { meanKeyedWeights } from "./epsilon_rank.ts";
 * const w = meanKeyedWeights([3, 3, 1, 1, 2, 2], 2);
 * assert.deepEqual([...w].map((v) => Number(v.toFixed(6))), [0.5, 0.5, 1]);
 * ```
 */
export function meanKeyedWeights(g: ArrayLike<number>, width: number): Float64Array {
  const m = g.length / width;
  if (!(Number.isInteger(m) && m >= 2 && width >= 1)) {
    throw new RangeError(`Cannot key weights: ${g.length} values are not m x ${width} with m >= 2`);
  }
  const means = Array.from({ length: m }, (_, i) => {
    let s = 0;
    for (let j = 0; j < width; j++) s += g[i * width + j];
    return s / width;
  });
  const order = means.map((_, i) => i).sort((a, b) => means[a] - means[b]);
  const dx = (means[order[m - 1]] - means[order[0]]) / (m - 1 + 1e-8);
  const w = new Float64Array(m).fill(dx);
  w[order[0]] = w[order[m - 1]] = dx / 2;
  return w;
}

/** Options for {@linkcode epsilonRank}. */
export interface EpsilonRankOptions {
  /** Sorted 1-D grid the features were evaluated on (trapezoid weights are derived from it). */
  x?: ArrayLike<number>;
  /** Quadrature weights instead of `x` (e.g. for 2-D grids); finite and >= 0. */
  weights?: ArrayLike<number>;
  /** Threshold ε (default 1e-3), in the units of M (features² × grid measure) unless `relative`. */
  epsilon?: number;
  /**
   * Count eigenvalues above ε·λ_max(M) instead of above ε (default false, the study's absolute ε). A
   * relative ε gives the same rank for features D and cD, for every c ≠ 0 that float32 holds.
   */
  relative?: boolean;
}

/** An ε-rank and the spectrum behind it. */
export interface EpsilonRankResult {
  /** Number of eigenvalues of M above ε (above ε·λ_max when relative). */
  rank: number;
  /** Eigenvalues of M, ascending. */
  eigenvalues: Float64Array;
}

/** The quadrature weights epsilonRank uses: `weights`, or the trapezoid weights of `x`, checked. */
function quadratureWeights(options: EpsilonRankOptions, rows: number): ArrayLike<number> {
  const context = "compute ε-rank";
  if (options.weights !== undefined && options.x !== undefined) {
    throw new RangeError(`Cannot ${context}: give options.x or options.weights, not both`);
  }
  const given = options.weights ?? options.x;
  if (given === undefined) throw new RangeError(`Cannot ${context}: need options.x (a grid) or options.weights`);
  if (!Array.isArray(given) && !ArrayBuffer.isView(given)) {
    const name = options.weights !== undefined ? "options.weights" : "options.x";
    throw new TypeError(`Cannot ${context}: ${name} must be an array of numbers (got ${describe(given)})`);
  }
  const name = options.weights !== undefined ? "options.weights" : "options.x";
  if (given.length !== rows) {
    throw new RangeError(
      `Cannot ${context}: ${name} needs ${rows} values, one per row of features (got ${given.length})`,
    );
  }
  if (options.weights === undefined) {
    for (let i = 0; i + 1 < given.length; i++) {
      if (!(given[i + 1] > given[i])) {
        throw new RangeError(
          `Cannot ${context}: options.x must increase (x[${i}] = ${given[i]}, x[${i + 1}] = ${given[i + 1]})`,
        );
      }
    }
    return trapezoidWeights(given);
  }
  for (let i = 0; i < given.length; i++) checkNumber(context, `options.weights[${i}]`, given[i], { min: 0 });
  return given;
}

/**
 * ε-rank of the neuron functions in the columns of `features`: eigenvalues of M = Dᵀ W D greater than ε
 * (computed as the squared singular values of W^{1/2} D). ε is absolute, as in the study (the rank then
 * depends on the features' units), or relative to λ_max(M) with `relative: true`.
 *
 * @param features D, [grid points, neurons].
 * @param options Grid or weights, ε, and whether ε is relative.
 * @returns The rank and eigenvalues.
 * @throws {TypeError} When `features` is not a Tensor, or an option is unknown or of the wrong type.
 * @throws {RangeError} When shapes disagree, neither (or both of) grid and weights are given, a weight is
 *   negative, or ε is not a finite number > 0.
 * @example Two orthogonal sines on [0, 1], in any units with a relative ε
 * ```ts
 * import assert from "node:assert";
 * import { epsilonRank, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Array.from({ length: 101 }, (_, i) => i / 100);
 * const d = x.flatMap((t) => [Math.sin(Math.PI * t), 1e-6 * Math.sin(2 * Math.PI * t)]);
 * const { rank } = await epsilonRank(Tensor.fromArray(d, [101, 2]), { x, epsilon: 1e-3 });
 * assert.equal(rank, 1);
 * // The same functions in other units: an absolute ε sees nothing, a relative one the same rank.
 * const tiny = Tensor.fromArray(d.map((v) => v * 1e-20), [101, 2]);
 * assert.equal((await epsilonRank(tiny, { x, epsilon: 1e-3 })).rank, 0);
 * assert.equal((await epsilonRank(tiny, { x, epsilon: 1e-3, relative: true })).rank, 1);
 * ```
 */
export async function epsilonRank(features: Tensor, options: EpsilonRankOptions): Promise<EpsilonRankResult> {
  const context = "compute ε-rank";
  if (!(features instanceof Tensor)) {
    throw new TypeError(`Cannot ${context}: features must be a 2-D Tensor (got ${describe(features)})`);
  }
  if (features.rank !== 2) {
    throw new RangeError(`Cannot ${context}: features must be 2-D (got ${formatShape(features.shape)})`);
  }
  const opts = checkOptions(context, options, ["x", "weights", "epsilon", "relative"]);
  const epsilon = checkNumber(context, "options.epsilon", opts.epsilon ?? 1e-3, { above: 0 });
  const relative = checkBoolean(context, "options.relative", opts.relative ?? false);
  const weights = quadratureWeights(opts, features.shape[0]);
  // The eigenvalues of M = Dᵀ W D are the squared singular values of W^{1/2} D: computing those is
  // cheaper than an eigensolve of M and keeps small eigenvalues accurate (no squaring of κ).
  const scaled = tidy(() =>
    mul(features, Tensor.fromArray(Float32Array.from(weights, Math.sqrt), [weights.length, 1]))
  );
  // Eigenvalues near ε must be resolved: σ within 5e-4·√ε puts λ = σ² within 1e-3·ε of itself there
  // (relative: within 5e-4·√ε·σ_max, a normwise request).
  const accuracy = relative ? { normwise: 5e-4 * Math.sqrt(epsilon) } : { absolute: 5e-4 * Math.sqrt(epsilon) };
  const s = await svdvals(scaled, { accuracy });
  scaled.dispose();
  const m = features.shape[1];
  const eigenvalues = new Float64Array(m);
  s.forEach((v, i) => (eigenvalues[m - 1 - i] = v * v)); // ascending; missing values (rows < columns) are 0
  const threshold = relative ? epsilon * eigenvalues[m - 1] : epsilon;
  const rank = eigenvalues.filter((v) => v > threshold).length;
  return withDisplay({ rank, eigenvalues }, "ε-rank", [
    ["rank", rank],
    [relative ? "ε (relative to λ_max)" : "ε", epsilon],
    ["neurons", eigenvalues.length],
    ["largest eigenvalue of M", eigenvalues[eigenvalues.length - 1]],
  ]);
}

/**
 * ε-ranks of every hidden layer (each activation layer's output except the last layer) of a model
 * evaluated on a grid.
 *
 * @param model Traceable model.
 * @param x Grid inputs [points, d].
 * @param options Grid (for 1-D inputs) or weights, and ε.
 * @returns One result per hidden activation, with the layer index.
 * @example Neurons relu(x), relu(2x), relu(3x) on [0, 1] span one function
 * ```ts
 * import assert from "node:assert";
 * import { Activation, Dense, hiddenEpsilonRanks, initGpu, Sequential, Tensor } from "../mod.ts";
 * await initGpu();
 * const dense = new Dense(1, 3, { bias: false, seed: 0 });
 * dense.weights = Tensor.fromArray([1, 2, 3], [1, 3]);
 * const model = new Sequential([dense, new Activation("relu"), new Dense(3, 1, { seed: 1 })]);
 * const x = Array.from({ length: 11 }, (_, i) => i / 10);
 * const ranks = await hiddenEpsilonRanks(model, Tensor.fromArray(x, [11, 1]), { x, relative: true });
 * assert.deepEqual(ranks.map((r) => [r.layer, r.rank]), [[1, 1]]);
 * ```
 */
export async function hiddenEpsilonRanks(
  model: TraceableModel,
  x: Tensor,
  options: EpsilonRankOptions,
): Promise<(EpsilonRankResult & { layer: number })[]> {
  checkOptions("compute hidden ε-ranks", options, ["x", "weights", "epsilon", "relative"]);
  checkLayer("compute hidden ε-ranks", "model", model, true);
  checkTensor("compute hidden ε-ranks", "x", x);
  const acts = model.trace(x, "eval");
  const out: (EpsilonRankResult & { layer: number })[] = [];
  for (let i = 0; i < model.layers.length - 1; i++) {
    if (structureOf(model.layers[i]).kind !== "activation") continue;
    out.push({ layer: i, ...(await epsilonRank(acts[i + 1], options)) });
  }
  acts.slice(1).filter((a) => a !== x).forEach((a) => a.dispose());
  return out;
}
