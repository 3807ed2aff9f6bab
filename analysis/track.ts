/**
 * Tracking spectral measures through training: per-layer measures of the features a probe batch gives
 * (one traced forward pass per record, every intermediate activation kept) and model-level NTK measures,
 * recorded from `fit`'s callbacks or a user's own loop, into rows for JSON, CSV and `measuresPlot`.
 *
 * @module
 */
import { noGrad, tidy } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkArrayLike, checkFunction, checkNumber, checkOptions, describe } from "../check/args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";
import { svdvals } from "../linalg/svd.ts";
import { effectiveRank, sRank } from "./entropy.ts";
import { alphaReq, rankMe, SPECTRUM_ACCURACY, stableRank } from "./representation_rank.ts";
import { empiricalNtk } from "./ntk.ts";
import { vonNeumannEntropy } from "./von_neumann.ts";
import { kernelAlignment } from "./cka.ts";
import { inputJacobianSpectra } from "./jacobian_spectra.ts";

/** Built-in measures of one layer's features [n, features]. */
export type FeatureMeasureName = "rankMe" | "stableRank" | "alphaReq" | "effectiveRank" | "sRank";
/**
 * Built-in measures of the whole model on the probe batch: the entropy and target alignment of its traced
 * empirical NTK, and "jacobianNorm", the mean over the probe examples of the spectral norm (largest singular
 * value) of the input–output Jacobian ∂f(x)/∂x (Novak et al., ICLR 2018).
 */
export type ModelMeasureName = "ntkEntropy" | "ntkAlignment" | "jacobianNorm";
/** A measure of your own: a name and the value of one layer's features. */
export interface CustomMeasure {
  /** Column name in the rows. */
  name: string;
  /** The value for one layer's features [n, features] (layer 0 is the input). */
  fn: (features: Tensor, layer: number) => number | Promise<number>;
}

/** Options for {@linkcode track}. */
export interface TrackOptions {
  /** The probe batch [n, …] every record evaluates. */
  inputs: Tensor;
  /** What to record: feature measures (per layer), model measures (layer −1), or your own. */
  measures: readonly (FeatureMeasureName | ModelMeasureName | CustomMeasure)[];
  /** Indices into `model.trace(inputs)` (0 = the input, i = after layer i − 1); default every layer's output. */
  layers?: readonly number[];
  /** Integer labels or an [n, C] one-hot Tensor of the probe batch, for "ntkAlignment". */
  targets?: Tensor | ArrayLike<number>;
}

/** One recorded value. */
export interface TrackRow {
  /** The step or epoch passed to `record`. */
  step: number;
  /** Trace index of the layer, or −1 for a model measure. */
  layer: number;
  /** Measure name. */
  measure: string;
  /** Its value. */
  value: number;
}

const FEATURE: Record<FeatureMeasureName, (z: Tensor) => Promise<number>> = {
  rankMe: async (z) => (await rankMe(z)).value,
  stableRank: async (z) => (await stableRank(z)).value,
  alphaReq: async (z) => (await alphaReq(z)).value,
  effectiveRank: async (z) => effectiveRank(await svdvals(z, { accuracy: { normwise: SPECTRUM_ACCURACY } })),
  sRank: (z) => sRank(z),
};
const MODEL: readonly ModelMeasureName[] = ["ntkEntropy", "ntkAlignment", "jacobianNorm"];

/** Records spectral measures of a model as it trains; see {@linkcode track}. */
export class Tracker {
  /** Every value recorded, in order. */
  readonly rows: TrackRow[] = [];
  readonly #model: TraceableModel;
  readonly #options: TrackOptions;
  readonly #layers: readonly number[];
  /** The per-layer measures, built-in and custom alike, in the order given. */
  readonly #features: readonly CustomMeasure[];
  /** The model measures, in the order given. */
  readonly #modelMeasures: readonly ModelMeasureName[];

  /**
   * A tracker (the same as {@linkcode track}).
   *
   * @param model A traceable model.
   * @param options The probe batch, the measures, the layers, and the targets for NTK alignment.
   */
  constructor(model: TraceableModel, options: TrackOptions) {
    [this.#layers, this.#features, this.#modelMeasures] = checkTrack(model, options);
    this.#model = model;
    this.#options = options;
  }

  /**
   * Records every measure now: one traced forward pass of the probe batch (and one NTK for model measures).
   *
   * @param step The step or epoch to file the values under.
   * @throws {RangeError} When `step` is not a finite number.
   */
  async record(step: number): Promise<void> {
    checkNumber("record measures", "step", step);
    const { inputs } = this.#options;
    const n = inputs.shape[0];
    const features = noGrad(() =>
      tidy(() => {
        const trace = this.#model.trace(inputs, "eval");
        return this.#layers.map((i) => trace[i].reshape([n, trace[i].size / n]));
      })
    );
    try {
      for (const m of this.#features) {
        for (const [k, layer] of this.#layers.entries()) {
          this.rows.push({ step, layer, measure: m.name, value: await m.fn(features[k], layer) });
        }
      }
    } finally {
      features.forEach((f) => f.dispose());
    }
    if (this.#modelMeasures.length === 0) return;
    const ntk = this.#modelMeasures.some((m) => m !== "jacobianNorm") ? empiricalNtk(this.#model, inputs) : null;
    try {
      for (const m of this.#modelMeasures) {
        const value = m === "jacobianNorm"
          ? await this.#jacobianNorm()
          : m === "ntkEntropy"
          ? (await vonNeumannEntropy(ntk!)).entropy
          : (await kernelAlignment(ntk!, this.#options.targets!)).value;
        this.rows.push({ step, layer: -1, measure: m, value });
      }
    } finally {
      ntk?.dispose();
    }
  }

  /** Mean over the probe examples of σ_max(∂f(x)/∂x), the input flattened (eval mode). */
  async #jacobianNorm(): Promise<number> {
    const { inputs } = this.#options;
    const n = inputs.shape[0], rest = inputs.shape.slice(1);
    const points = inputs.reshape([n, inputs.size / n]);
    try {
      const { max } = await inputJacobianSpectra(
        (z) => this.#model.forward(z.reshape([z.shape[0], ...rest]), "eval"),
        points,
      );
      return max.reduce((a, b) => a + b, 0) / n;
    } finally {
      points.dispose();
    }
  }

  /** A `fit` `onEpoch` callback recording after each epoch (filed under epoch + 1; record(0) first for the start). */
  get onEpoch(): (info: { epoch: number }) => Promise<void> {
    return (info) => this.record(info.epoch + 1);
  }

  /** A `fit` `onStep` callback recording at each call (set `callbackEvery` for every k steps). */
  get onStep(): (info: { step: number }) => Promise<void> {
    return (info) => this.record(info.step);
  }

  /** The rows as CSV: `step,layer,measure,value`. */
  toCsv(): string {
    return ["step,layer,measure,value", ...this.rows.map((r) => `${r.step},${r.layer},${r.measure},${r.value}`)]
      .join("\n") + "\n";
  }

  /** A results.json-style object: the layers, measures and rows. */
  toJSON(): { layers: number[]; measures: string[]; rows: TrackRow[] } {
    return { layers: [...this.#layers], measures: [...new Set(this.rows.map((r) => r.measure))], rows: this.rows };
  }
}

/**
 * Tracks spectral measures of a model through training: per-layer measures of the probe batch's features
 * (RankMe, stable rank, α-ReQ, effective rank, s-rank, or your own) from one traced forward pass, and the
 * NTK entropy, NTK–target alignment and input–output Jacobian norm of the model. Pass `tracker.onEpoch` or `tracker.onStep` to
 * `fit`, or call `await tracker.record(step)` in your own loop; read `rows`, `toCsv()` or `toJSON()`, and
 * draw the rows with `measuresPlot`.
 *
 * @param model A traceable model (e.g. a Sequential).
 * @param options The probe batch, the measures, the layers, and the targets for NTK alignment.
 * @returns The tracker (nothing is recorded until the first call).
 * @throws {TypeError} When the model is not traceable, `inputs` is not a Tensor, a measure is unknown, or
 *   an option is unknown.
 * @throws {RangeError} When a layer index is outside the trace, or "ntkAlignment" has no targets.
 * @example RankMe of each hidden layer before and after an epoch
 * ```ts
 * import assert from "node:assert";
 * import { Activation, Dense, initGpu, randomNormal, Sequential, track } from "../mod.ts";
 * await initGpu();
 * const model = new Sequential([new Dense(4, 8, { seed: 1 }), new Activation("tanh"), new Dense(8, 2, { seed: 2 })]);
 * const tracker = track(model, { inputs: randomNormal([16, 4], { seed: 3 }), measures: ["rankMe"], layers: [1, 2] });
 * await tracker.record(0);
 * assert.deepEqual(tracker.rows.map((r) => [r.step, r.layer, r.measure]), [[0, 1, "rankMe"], [0, 2, "rankMe"]]);
 * assert.ok(tracker.toCsv().startsWith("step,layer,measure,value\n0,1,rankMe,"));
 * ```
 */
export function track(model: TraceableModel, options: TrackOptions): Tracker {
  return new Tracker(model, options);
}

/** Checks the model and options of a tracker; returns its layers, per-layer measures and model measures. */
function checkTrack(
  model: TraceableModel,
  options: TrackOptions,
): [number[], CustomMeasure[], ModelMeasureName[]] {
  const what = "track measures";
  checkLayer(what, "model", model, true);
  if (options === undefined) throw new TypeError(`Cannot ${what}: options (inputs, measures) are required`);
  checkOptions(what, options, ["inputs", "measures", "layers", "targets"]);
  checkTensor(what, "options.inputs", options.inputs);
  const measures = checkArrayLike(what, "options.measures", options.measures) as readonly unknown[];
  if (measures.length === 0) throw new RangeError(`Cannot ${what}: options.measures is empty`);
  const features: CustomMeasure[] = [], modelMeasures: ModelMeasureName[] = [];
  for (const m of measures) {
    if (typeof m === "object" && m !== null) {
      const custom = m as CustomMeasure;
      if (typeof custom.name !== "string") {
        throw new TypeError(`Cannot ${what}: a custom measure in options.measures needs a string name`);
      }
      checkFunction(what, `options.measures "${custom.name}".fn`, custom.fn);
      features.push(custom);
    } else if (typeof m === "string" && Object.hasOwn(FEATURE, m)) {
      features.push({ name: m, fn: FEATURE[m as FeatureMeasureName] });
    } else if (MODEL.includes(m as ModelMeasureName)) {
      modelMeasures.push(m as ModelMeasureName);
    } else {
      const known = [...Object.keys(FEATURE), ...MODEL].join(", ");
      throw new TypeError(`Cannot ${what}: unknown measure ${describe(m)} in options.measures (known: ${known})`);
    }
  }
  if (measures.includes("ntkAlignment") && options.targets === undefined) {
    throw new RangeError(`Cannot ${what}: "ntkAlignment" needs options.targets (labels of the probe batch)`);
  }
  const depth = model.layers.length;
  const layers = options.layers ?? Array.from({ length: depth }, (_, i) => i + 1);
  checkArrayLike(what, "options.layers", layers);
  for (const [i, layer] of layers.entries()) {
    checkNumber(what, `options.layers[${i}]`, layer, { integer: true, min: 0, max: depth });
  }
  return [[...layers], features, modelMeasures];
}
