/**
 * Two-dimensional classification sets (concentric circles, XOR) with noise and a seeded train/test
 * split, and column standardisation.
 *
 * @module
 */
import { normals, shuffled, uniforms } from "./_random.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";

/** Points with binary labels. */
export interface PointSet {
  /** Coordinates `[n, 2]` row-major. */
  x: Float32Array;
  /** Labels 0/1 as floats (for BCE targets), length n. */
  y: Float32Array;
}

/** Options of the toy generators. */
export interface ToyOptions {
  /** Number of points (default 400). */
  n?: number;
  /** Standard deviation of Gaussian noise added to each coordinate (default 0.05). */
  noise?: number;
  /** Seed (default 0). */
  seed?: number;
}

/** Checks the shared toy options: n a whole number of points (at least `least`), noise >= 0, a seed. */
function checkToyOptions(context: string, options: ToyOptions, least: number): { n: number; seed: number } {
  checkNumber(context, "options.noise", options.noise ?? 0, { min: 0 });
  return {
    n: checkNumber(context, "options.n", options.n ?? 400, { integer: true, min: least }),
    seed: checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 }),
  };
}

/**
 * Inner disc (label 0, radius ≤ `factor`) against an outer ring (label 1, radius 1), half each, like
 * scikit-learn's `make_circles`.
 *
 * @param options Size, noise, seed and the inner radius `factor` (default 0.5).
 * @returns Points and labels.
 * @throws {RangeError} When factor is not in (0, 1), n is not an integer >= 2, or noise is negative.
 * @example Without noise the outer ring has radius 1
 * ```ts
 * import assert from "node:assert";
 * import { concentricCircles } from "./toy.ts";
 * const { x, y } = concentricCircles({ n: 4, noise: 0 });
 * assert.deepEqual([...y], [0, 0, 1, 1]);
 * assert.ok(Math.abs(Math.hypot(x[6], x[7]) - 1) < 1e-6);
 * ```
 */
export function concentricCircles(options: ToyOptions & { factor?: number } = {}): PointSet {
  const context = "make circles";
  checkOptions(context, options, ["n", "noise", "seed", "factor"]);
  const { n, seed } = checkToyOptions(context, options, 2);
  const factor = checkNumber(context, "options.factor", options.factor ?? 0.5, { above: 0, below: 1 });
  const angle = uniforms(n, seed, 1), noise = normals(2 * n, seed, 2);
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const outer = i >= Math.floor(n / 2);
    const r = outer ? 1 : factor, t = 2 * Math.PI * angle[i];
    x[2 * i] = r * Math.cos(t) + (options.noise ?? 0.05) * noise[2 * i];
    x[2 * i + 1] = r * Math.sin(t) + (options.noise ?? 0.05) * noise[2 * i + 1];
    y[i] = outer ? 1 : 0;
  }
  return { x, y };
}

/**
 * XOR: points uniform in [−1, 1]², label 1 when the coordinates have opposite signs. With
 * `layout: "blobs"` it is the embedding study's set instead: a corner c ∈ {0, 1}² drawn uniformly, label
 * c₀ XOR c₁ (from the corner, before the noise), and the point c − 0.5 + noise·N(0, I): four Gaussian
 * blobs at (±0.5, ±0.5).
 *
 * @param options Size, noise (added after labelling), seed, layout (default "uniform").
 * @returns Points and labels.
 * @example Blobs keep their corner's label
 * ```ts
 * import assert from "node:assert";
 * import { xorPoints } from "./toy.ts";
 * const { x, y } = xorPoints({ n: 100, noise: 0.01, layout: "blobs" });
 * for (let i = 0; i < 100; i++) assert.equal(y[i], x[2 * i] * x[2 * i + 1] < 0 ? 1 : 0);
 * ```
 */
export function xorPoints(options: ToyOptions & { layout?: "uniform" | "blobs" } = {}): PointSet {
  const context = "make XOR points";
  checkOptions(context, options, ["n", "noise", "seed", "layout"]);
  const { n, seed } = checkToyOptions(context, options, 1);
  const blobs = checkChoice(context, "options.layout", options.layout ?? "uniform", ["uniform", "blobs"]) === "blobs";
  const u = uniforms(2 * n, seed, 3), noise = normals(2 * n, seed, 4);
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = blobs ? (u[2 * i] < 0.5 ? -0.5 : 0.5) : 2 * u[2 * i] - 1;
    const b = blobs ? (u[2 * i + 1] < 0.5 ? -0.5 : 0.5) : 2 * u[2 * i + 1] - 1;
    y[i] = a * b < 0 ? 1 : 0;
    x[2 * i] = a + (options.noise ?? 0.05) * noise[2 * i];
    x[2 * i + 1] = b + (options.noise ?? 0.05) * noise[2 * i + 1];
  }
  return { x, y };
}

/**
 * Seeded train/test split of rows.
 *
 * @param x Row-major values with `width` columns.
 * @param y One target row per example (`y.length / rows` values each).
 * @param options Column count of x, test fraction (default 0.2), seed.
 * @returns Disjoint train and test parts.
 * @throws {RangeError} When sizes disagree, the fraction is not in (0, 1), or either part would be empty.
 * @example One row in five is held out, and rows keep their targets
 * ```ts
 * import assert from "node:assert";
 * import { trainTestSplit } from "./toy.ts";
 * const x = Float32Array.from([0, 1, 2, 3, 4]);
 * const { train, test } = trainTestSplit(x, x.map((v) => 10 * v), { width: 1 });
 * assert.deepEqual([train.x.length, test.x.length, test.y[0]], [4, 1, 10 * test.x[0]]);
 * ```
 */
export function trainTestSplit(
  x: Float32Array,
  y: Float32Array,
  options: { width: number; testFraction?: number; seed?: number },
): { train: { x: Float32Array; y: Float32Array }; test: { x: Float32Array; y: Float32Array } } {
  const context = "split";
  checkOptions(context, options, ["testFraction", "seed", "width"]);
  checkNumber(context, "options.width", options?.width, { integer: true, min: 1 });
  const rows = x.length / options.width;
  const fraction = checkNumber(context, "options.testFraction", options.testFraction ?? 0.2, { above: 0, below: 1 });
  const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
  if (!Number.isInteger(rows) || rows === 0 || y.length % rows !== 0) {
    throw new RangeError(`Cannot split: x has ${x.length} values (width ${options.width}) and y ${y.length}`);
  }
  const yw = y.length / rows, order = shuffled(rows, seed, 5);
  const nTest = Math.round(rows * fraction);
  if (nTest === 0 || nTest === rows) {
    throw new RangeError(
      `Cannot split: ${rows} rows at options.testFraction ${fraction} leave ${
        nTest === 0 ? "the test" : "the train"
      } set empty`,
    );
  }
  const take = (idx: number[]) => {
    const xs = new Float32Array(idx.length * options.width), ys = new Float32Array(idx.length * yw);
    idx.forEach((r, k) => {
      xs.set(x.subarray(r * options.width, (r + 1) * options.width), k * options.width);
      ys.set(y.subarray(r * yw, (r + 1) * yw), k * yw);
    });
    return { x: xs, y: ys };
  };
  return { train: take(order.slice(nTest)), test: take(order.slice(0, nTest)) };
}

/**
 * Column means and standard deviations of row-major data.
 *
 * @param x Values with `width` columns.
 * @param width Columns.
 * @throws {RangeError} When width is not a positive integer or x is not whole rows of it.
 * @returns Per-column mean and std (std 1 where a column is constant).
 * @example A constant column gets std 1
 * ```ts
 * import assert from "node:assert";
 * import { columnMoments } from "./toy.ts";
 * const { mean, std } = columnMoments(Float32Array.from([1, 10, 3, 10]), 2);
 * assert.deepEqual([...mean, ...std], [2, 10, 1, 1]);
 * ```
 */
export function columnMoments(x: Float32Array, width: number): { mean: Float64Array; std: Float64Array } {
  if (!(x instanceof Float32Array || Array.isArray(x))) {
    throw new TypeError(`Cannot compute column moments: x must be a Float32Array (got ${describe(x)})`);
  }
  checkNumber("compute column moments", "width", width, { integer: true, min: 1 });
  if (x.length === 0 || x.length % width !== 0) {
    throw new RangeError(`Cannot compute column moments: x has ${x.length} values, not whole rows of width ${width}`);
  }
  const rows = x.length / width, mean = new Float64Array(width), std = new Float64Array(width);
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) mean[c] += x[r * width + c] / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) std[c] += (x[r * width + c] - mean[c]) ** 2 / rows;
  return { mean, std: std.map((v) => Math.sqrt(v) || 1) };
}

/**
 * Standardises columns with given (e.g. training-set) moments: (x − mean) / std.
 *
 * @param x Values with `moments.mean.length` columns.
 * @param moments Mean and std per column.
 * @returns A new standardised array.
 * @example Mean 2 and std 1 map 1 and 3 to −1 and 1
 * ```ts
 * import assert from "node:assert";
 * import { standardize } from "./toy.ts";
 * assert.deepEqual([...standardize(Float32Array.from([1, 3]), { mean: [2], std: [1] })], [-1, 1]);
 * ```
 */
export function standardize(
  x: Float32Array,
  moments: { mean: ArrayLike<number>; std: ArrayLike<number> },
): Float32Array {
  const width = moments?.mean?.length;
  if (!(width >= 1) || moments.std?.length !== width || x.length % width !== 0) {
    throw new RangeError(
      `Cannot standardize: need one mean and one std per column, and whole rows (got ${moments?.mean?.length} means, ${moments?.std?.length} stds, ${x.length} values)`,
    );
  }
  for (let c = 0; c < width; c++) {
    if (!(moments.std[c] > 0 && Number.isFinite(moments.std[c])) || !Number.isFinite(moments.mean[c])) {
      throw new RangeError(
        `Cannot standardize: column ${c} has mean ${moments.mean[c]} and std ${moments.std[c]} (need finite, std > 0)`,
      );
    }
  }
  return x.map((v, i) => (v - moments.mean[i % width]) / moments.std[i % width]);
}
