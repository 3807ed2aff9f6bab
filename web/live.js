/**
 * The page's computation, shared with Deno (the browser check runs it in both and compares): train a
 * small MLP on the shipped digits and, before training and after every epoch, compute the empirical NTK
 * of the first training digits and the von Neumann entropy of each leading subset.
 *
 * It imports the browser bundle (`deno task build:web` writes ./rankscope.js).
 *
 * @module
 */
import {
  Activation,
  Adam,
  Dense,
  empiricalNtkHost,
  fit,
  linePlot,
  Sequential,
  softmaxCrossEntropy,
  Tensor,
  tidy,
  vonNeumannEntropy,
} from "./rankscope.js";

/**
 * Parses digits.bin (see make_digits.ts): "RSD1", the training and test counts, pixels, labels.
 *
 * @param {ArrayBuffer} buffer The file's bytes.
 * @returns {{ train: DigitSet, test: DigitSet }} Pixels in [0, 1] and one-hot labels.
 */
export function parseDigits(buffer) {
  const bytes = new Uint8Array(buffer);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "RSD1") {
    throw new RangeError("digits.bin: not a rankscope digits file (missing the RSD1 header)");
  }
  const view = new DataView(buffer);
  const nTrain = view.getUint32(4, true), nTest = view.getUint32(8, true), n = nTrain + nTest;
  if (bytes.length !== 12 + n * 785) {
    throw new RangeError(`digits.bin: ${bytes.length} bytes, expected ${12 + n * 785} for ${n} digits`);
  }
  const set = (from, count) => {
    const x = new Float32Array(count * 784), labels = new Uint8Array(count), oneHot = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < 784; p++) x[i * 784 + p] = bytes[12 + (from + i) * 784 + p] / 255;
      labels[i] = bytes[12 + n * 784 + from + i];
      oneHot[i * 10 + labels[i]] = 1;
    }
    return { x, labels, oneHot, count };
  };
  return { train: set(0, nTrain), test: set(nTrain, nTest) };
}

/**
 * @typedef {{ x: Float32Array, labels: Uint8Array, oneHot: Float32Array, count: number }} DigitSet
 * @typedef {{ subsets: number[], epochs: number, lr: number, seed: number, batch: number }} LiveOptions
 * @typedef {{ epoch: number, accuracy: number, entropies: number[] }} LiveRow
 */

/** The page's model: 784 → 64 → ReLU → 10, He init, seeded. */
export function buildModel(seed) {
  return new Sequential([
    new Dense(784, 64, { seed, stream: 0 }),
    new Activation("relu"),
    new Dense(64, 10, { seed, stream: 1 }),
  ]);
}

/** Test accuracy of the model on a digit set (one read-back). */
async function accuracy(model, set) {
  const logits = tidy(() => model.forward(Tensor.fromArray(set.x, [set.count, 784]), "eval"));
  const values = await logits.toArray();
  logits.dispose();
  let right = 0;
  for (let i = 0; i < set.count; i++) {
    const row = values.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === set.labels[i]) right++;
  }
  return right / set.count;
}

/** The leading n x n block of a size x size kernel. */
function leading(kernel, size, n) {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out.set(kernel.subarray(i * size, i * size + n), i * n);
  return out;
}

/**
 * Checks the options before any work.
 *
 * @param {LiveOptions} o Options.
 * @param {DigitSet} train Training digits.
 * @throws {RangeError} Naming the option and its limit.
 */
export function checkOptions(o, train) {
  const integer = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!Array.isArray(o.subsets) || o.subsets.length === 0 || !o.subsets.every((n) => integer(n, 2, train.count))) {
    throw new RangeError(`subset sizes must be integers from 2 to ${train.count} (got ${o.subsets})`);
  }
  if (!integer(o.epochs, 1, 50)) throw new RangeError(`epochs must be an integer from 1 to 50 (got ${o.epochs})`);
  if (!(o.lr > 0 && o.lr <= 1)) throw new RangeError(`learning rate must be in (0, 1] (got ${o.lr})`);
  if (!integer(o.seed, 0, 2 ** 31)) throw new RangeError(`seed must be an integer >= 0 (got ${o.seed})`);
  if (!integer(o.batch, 1, train.count)) {
    throw new RangeError(`batch must be an integer from 1 to ${train.count} (got ${o.batch})`);
  }
}

/**
 * Trains the model for `epochs` and measures the NTK entropies before training and after every epoch.
 *
 * @param {{ train: DigitSet, test: DigitSet }} digits The digits.
 * @param {LiveOptions} options Subset sizes, epochs, learning rate, seed, batch size.
 * @param {{ onEpoch?: (row: LiveRow, rows: LiveRow[]) => void | Promise<void>, shouldStop?: () => boolean }} [callbacks]
 * @returns {Promise<LiveRow[]>} One row per evaluation (epoch 0 is the initialisation).
 */
export async function runLive(digits, options, callbacks = {}) {
  checkOptions(options, digits.train);
  const { subsets, epochs, lr, seed, batch } = options;
  const model = buildModel(seed);
  const optimizer = new Adam({ lr });
  const probe = Math.max(...subsets);
  const train = digits.train;
  const rows = [];
  try {
    for (let epoch = 0; epoch <= epochs; epoch++) {
      if (callbacks.shouldStop?.()) break;
      if (epoch > 0) {
        await fit(model, { x: train.x, xShape: [train.count, 784], y: train.oneHot, yShape: [train.count, 10] }, {
          loss: softmaxCrossEntropy,
          optimizer,
          epochs: 1,
          batchSize: batch,
          seed: seed * 1000 + epoch,
          lossEvery: 1000,
        });
      }
      const x = Tensor.fromArray(train.x.subarray(0, probe * 784), [probe, 784]);
      const { kernel } = await empiricalNtkHost(model, x);
      x.dispose();
      const entropies = [];
      for (const n of subsets) entropies.push((await vonNeumannEntropy(leading(kernel, probe, n))).entropy);
      const row = { epoch, accuracy: await accuracy(model, digits.test), entropies };
      rows.push(row);
      await callbacks.onEpoch?.(row, rows);
    }
  } finally {
    model.parameters().forEach((p) => p.dispose());
  }
  return rows;
}

/**
 * The live figure: the entropy of each subset per epoch (left axis) and the test accuracy (right axis).
 *
 * @param {LiveRow[]} rows Evaluations so far.
 * @param {number[]} subsets Subset sizes.
 * @returns {string} SVG markup.
 */
export function liveFigure(rows, subsets) {
  const epochs = rows.map((r) => r.epoch);
  return linePlot({
    title: "Empirical NTK entropy during training",
    series: [
      ...subsets.map((n, k) => ({ x: epochs, y: rows.map((r) => r.entropies[k]), label: `N = ${n}`, markers: true })),
      { x: epochs, y: rows.map((r) => r.accuracy), label: "test accuracy", axis: "right", dashed: true, color: "#333" },
    ],
    xLabel: "epoch",
    yLabel: "von Neumann entropy S (nats)",
    y2Label: "test accuracy",
    width: 720,
    height: 420,
  }).toSvg();
}
