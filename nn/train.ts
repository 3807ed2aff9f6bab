/**
 * A training loop: minibatches from host arrays, seeded shuffling, an optimizer, loss read back only
 * every k steps (each read is a GPU sync), callbacks, early stopping and a progress bar.
 *
 * @module
 */
import { checkLayer, type Layer } from "../model/parameterized.ts";
import { type CreateOptions, Tensor } from "../ops/tensor.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { grad } from "../ops/autodiff.ts";
import { hostPermutation } from "../ops/random.ts";
import { ProgressBar } from "../cli/progress.ts";
import type { Optimizer } from "./optimizers.ts";
import { checkNumber, checkOptions, describe } from "../check/args.ts";

/** A dataset held on the host: rows of `x` and `y` (row-major). */
export interface Dataset {
  /** Inputs, `shape[0]` examples. */
  x: Float32Array;
  /** Shape of x, e.g. [n, 28, 28, 1]. */
  xShape: readonly number[];
  /** Targets (values or one-hot rows). */
  y: Float32Array;
  /** Shape of y, e.g. [n, 10]. */
  yShape: readonly number[];
}

/** What callbacks receive. */
export interface StepInfo {
  /** Epoch (0-based). */
  epoch: number;
  /** Global step (1-based). */
  step: number;
  /** The loss of this step, when it was read back (every `lossEvery` steps and at epoch ends). */
  loss?: number;
}

/** Options for {@linkcode fit}. */
export interface FitOptions {
  /** Loss of a prediction batch against a target batch. */
  loss: (pred: Tensor, target: Tensor) => Tensor;
  /** Optimizer updating the model's parameters. */
  optimizer: Optimizer;
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Examples per step (default: all, i.e. full batch). */
  batchSize?: number;
  /** Drop the last batch of an epoch when it is smaller than `batchSize` (default false: keep it). */
  dropRemainder?: boolean;
  /** Seed of the shuffling (default 0); `shuffle: false` keeps the order. */
  seed?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /**
   * The row order of an epoch, a permutation of 0..n−1, in place of `seed` and `shuffle` (e.g. each epoch's
   * permutation from a stream of your own).
   */
  order?: (epoch: number) => Uint32Array;
  /** Read the loss back every k steps (default 10); each read waits for the GPU. */
  lossEvery?: number;
  /**
   * Called every `callbackEvery` steps (with `loss` on steps where it was read); returning `"stop"` ends
   * training after this step (the epoch's loss so far is recorded; `onEpoch` is not called for it).
   */
  onStep?: (info: StepInfo) => void | "stop" | Promise<void | "stop">;
  /** Steps between `onStep` calls (default 1). */
  callbackEvery?: number;
  /** Called at the end of every epoch with the mean of the losses read in it; returning `"stop"` ends training. */
  onEpoch?: (info: { epoch: number; loss: number }) => void | "stop" | Promise<void | "stop">;
  /** Stop when the epoch loss has not improved by `minDelta` for `patience` epochs, or fell below `target`. */
  earlyStopping?: { patience?: number; minDelta?: number; target?: number };
  /** Where to draw a progress bar (e.g. stderr); none by default. */
  progress?: (text: string) => void;
}

/** Loss history of a {@linkcode fit} run. */
export interface FitResult {
  /** Mean read-back loss per epoch (NaN for epochs in which no loss was read; the last epoch always has one). */
  epochLoss: number[];
  /** Every read-back loss with its step. */
  stepLoss: { step: number; loss: number }[];
  /** Steps taken. */
  steps: number;
  /** Why it stopped: all epochs run, early stopping, or a callback returned `"stop"`. */
  stopped: "epochs" | "patience" | "target" | "callback";
}

/**
 * Copies the rows `rows` of a row-major array into a new tensor.
 *
 * @param data Row-major values.
 * @param shape Shape of `data` (rows first).
 * @param rows Row indices.
 * @param options The runtime to create the tensor on (default: the shared one).
 * @returns [rows.length, ...shape.slice(1)].
 */
export function takeRows(
  data: Float32Array,
  shape: readonly number[],
  rows: ArrayLike<number>,
  options: CreateOptions = {},
): Tensor {
  const width = shape.slice(1).reduce((p, d) => p * d, 1);
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return Tensor.fromArray(out, [rows.length, ...shape.slice(1)], options);
}

/**
 * Checks fit's data against its shapes and the schedule options, before any work.
 *
 * @throws {RangeError} Naming the field that is wrong.
 */
/** Checks the optimizer, loss, callbacks and early-stopping rule of {@linkcode fit}. */
function checkFitCallbacks(options: FitOptions): void {
  if (typeof options.optimizer?.step !== "function") {
    throw new TypeError(
      `Cannot fit: options.optimizer must be an optimizer such as new Adam({ lr: 1e-3 }) (got ${
        describe(options.optimizer)
      })`,
    );
  }
  if (typeof options.loss !== "function") {
    throw new TypeError(
      `Cannot fit: options.loss must be a loss function such as mseLoss (got ${describe(options.loss)})`,
    );
  }
  for (const name of ["onStep", "onEpoch", "progress", "order"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`Cannot fit: options.${name} must be a function (got ${describe(options[name])})`);
    }
  }
  const stop = options.earlyStopping;
  if (stop !== undefined) {
    checkOptions("fit", stop, ["patience", "minDelta", "target"], "options.earlyStopping");
    checkNumber("fit", "options.earlyStopping.patience", stop.patience ?? 5, { integer: true, min: 1 });
    checkNumber("fit", "options.earlyStopping.minDelta", stop.minDelta ?? 0, { min: 0 });
    checkNumber("fit", "options.earlyStopping.target", stop.target ?? 0, { infinite: true });
  }
  checkNumber("fit", "options.seed", options.seed ?? 0, { integer: true, min: 0 });
}

function checkFitInputs(data: Dataset, options: FitOptions): { epochs: number; batchSize: number; lossEvery: number } {
  if (options === undefined) throw new TypeError("Cannot fit: options (loss, optimizer, epochs, …) are required");
  const fields = ["x", "y", "xShape", "yShape"] as const;
  if (typeof data !== "object" || data === null || !fields.every((f) => typeof data[f]?.length === "number")) {
    throw new TypeError(`Cannot fit: data must be { x, y, xShape, yShape } (got ${describe(data)})`);
  }
  const n = data.xShape[0];
  for (const [field, values, shape] of [["x", data.x, data.xShape], ["y", data.y, data.yShape]] as const) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 1) || values.length !== size) {
      throw new RangeError(
        `Cannot fit: data.${field} has ${values.length} values but data.${field}Shape [${
          shape.join(", ")
        }] needs ${size}`,
      );
    }
  }
  if (data.yShape[0] !== n) {
    throw new RangeError(`Cannot fit: x has ${n} examples but y has ${data.yShape[0]}`);
  }
  const count = (field: string, value: number | undefined, fallback: number, min: number): number => {
    const v = value ?? fallback;
    if (!(Number.isSafeInteger(v) && v >= min)) {
      throw new RangeError(`Cannot fit: ${field} must be an integer >= ${min} (got ${value})`);
    }
    return v;
  };
  checkFitCallbacks(options);
  const epochs = count("epochs", options.epochs, 1, 0);
  const batchSize = Math.min(count("batchSize", options.batchSize, n, 1), n);
  const lossEvery = count("lossEvery", options.lossEvery, 10, 1);
  count("callbackEvery", options.callbackEvery, 1, 1);
  return { epochs, batchSize, lossEvery };
}

/** The keys of {@linkcode FitOptions}, for the unknown-option check. */
const FIT_OPTION_KEYS: readonly string[] = [
  "epochs",
  "batchSize",
  "optimizer",
  "loss",
  "seed",
  "shuffle",
  "order",
  "dropRemainder",
  "lossEvery",
  "callbackEvery",
  "onStep",
  "onEpoch",
  "earlyStopping",
  "progress",
];

/** The row order of an epoch: the caller's, the seeded shuffle (one stream of the seed per epoch), or 0..n−1. */
function epochOrder(options: FitOptions, n: number, epoch: number): Uint32Array {
  if (options.order) {
    const order = options.order(epoch);
    if (!(order instanceof Uint32Array) || order.length !== n) {
      throw new RangeError(
        `Cannot fit: options.order(${epoch}) must return a Uint32Array of the ${n} row indices (got ${describe(order)}${
          order instanceof Uint32Array ? ` of length ${order.length}` : ""
        })`,
      );
    }
    return order;
  }
  return options.shuffle === false
    ? Uint32Array.from({ length: n }, (_, i) => i)
    : hostPermutation(n, options.seed ?? 0, epoch);
}

/**
 * Trains a model with minibatch gradient steps.
 *
 * @param model Model to train (its parameters are updated in place).
 * @param data Training data on the host.
 * @param options Loss, optimizer, schedule, callbacks.
 * @returns Loss history and why training stopped.
 * @throws {RangeError} When x or y does not fill its shape, x and y disagree on the number of examples, or
 *   epochs, batchSize, lossEvery or callbackEvery is not an integer in range (before any work).
 * @example Fit y = 2x by full-batch gradient descent, stopping from a callback once the loss is small
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "../mod.ts";
 * import { Dense, fit, mseLoss, Sgd } from "./mod.ts";
 * await initGpu();
 * const model = new Dense(1, 1, { seed: 0 });
 * const data = { x: new Float32Array([-1, 0, 1, 2]), xShape: [4, 1], y: new Float32Array([-2, 0, 2, 4]), yShape: [4, 1] };
 * const result = await fit(model, data, {
 *   loss: mseLoss,
 *   optimizer: new Sgd({ lr: 0.1 }),
 *   epochs: 500,
 *   lossEvery: 1,
 *   onEpoch: ({ loss }) => loss < 1e-4 ? "stop" : undefined,
 * });
 * assert.equal(result.stopped, "callback");
 * assert.ok(result.epochLoss.at(-1)! < 1e-4 && result.steps < 500);
 * ```
 */
export async function fit(model: Layer, data: Dataset, options: FitOptions): Promise<FitResult> {
  checkLayer("fit", "model", model);
  checkOptions("fit", options, FIT_OPTION_KEYS);
  const { epochs, batchSize, lossEvery } = checkFitInputs(data, options);
  const n = data.xShape[0];
  const stepsPerEpoch = options.dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const bar = options.progress
    ? new ProgressBar({ total: epochs * stepsPerEpoch, label: "train", write: options.progress })
    : null;
  const params = model.parameters();
  const result: FitResult = { epochLoss: [], stepLoss: [], steps: 0, stopped: "epochs" };
  let best = Infinity, since = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = epochOrder(options, n, epoch);
    const read: number[] = [];
    let stopNow = false;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const rows = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
      // Each read is a GPU sync: read every `lossEvery` steps, and at an epoch's end only when something
      // needs the epoch loss (early stopping, onEpoch, or the final epoch).
      const epochEnd = b === stepsPerEpoch - 1 &&
        (!!options.earlyStopping || !!options.onEpoch || epoch === epochs - 1);
      const readNow = (result.steps + 1) % lossEvery === 0 || epochEnd;
      const loss = tidy(() => {
        // Batches go to the model's runtime.
        const on = { runtime: params[0]?.runtime };
        const x = takeRows(data.x, data.xShape, rows, on), y = takeRows(data.y, data.yShape, rows, on);
        const value = options.loss(model.forward(x, "train"), y);
        const grads = grad(value, params);
        noGrad(() => options.optimizer.step(params, grads));
        return readNow ? value : undefined;
      });
      result.steps++;
      let lossValue: number | undefined;
      if (loss) {
        lossValue = await loss.item();
        loss.dispose();
        read.push(lossValue);
        result.stepLoss.push({ step: result.steps, loss: lossValue });
      }
      bar?.update(result.steps, lossValue !== undefined ? `loss ${lossValue.toPrecision(4)}` : "");
      if (result.steps % Math.max(1, options.callbackEvery ?? 1) === 0) {
        stopNow = await options.onStep?.({ epoch, step: result.steps, loss: lossValue }) === "stop";
        if (stopNow) break;
      }
    }
    // Mean of the losses read during the epoch (NaN when none was read).
    const epochLoss = read.length ? read.reduce((s, v) => s + v, 0) / read.length : NaN;
    result.epochLoss.push(epochLoss);
    if (stopNow || await options.onEpoch?.({ epoch, loss: epochLoss }) === "stop") {
      result.stopped = "callback";
      break;
    }
    const stop = options.earlyStopping;
    if (stop) {
      if (stop.target !== undefined && epochLoss <= stop.target) {
        result.stopped = "target";
        break;
      }
      if (epochLoss < best - (stop.minDelta ?? 0)) [best, since] = [epochLoss, 0];
      else if (++since >= (stop.patience ?? 5)) {
        result.stopped = "patience";
        break;
      }
    }
  }
  bar?.finish();
  return result;
}
