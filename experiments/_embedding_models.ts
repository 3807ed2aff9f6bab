/**
 * The embedding-restrictions study's configuration, models, data and evaluation on a grid (see
 * embedding_restrictions.ts).
 *
 * @module
 */
import {
  bceLoss,
  concat,
  concentricCircles,
  Dense,
  inputJacobianSpectra,
  mlp,
  Sequential,
  standardize,
  svdvalsHost,
  Tensor,
  tidy,
  trainTestSplit,
  xorPoints,
} from "../mod.ts";
import { columnMoments } from "../data/mod.ts";

/** The configuration of a run (flags after --quick). */
export interface EmbeddingConfig {
  /** Seeds of the training runs, one run per seed, model and dataset. */
  seeds: number[];
  /** Most training steps per try. */
  maxSteps: number;
  /** Tries per model and seed until one reaches `threshold` test accuracy. */
  tries: number;
  threshold: number;
  /** Points per side of the decision and Jacobian maps. */
  gridSize: number;
  /** Hidden layers of the narrow networks. */
  depth: number;
  /** Datasets and models of the sweep. */
  datasets: DatasetName[];
  models: ModelName[];
  /** Data: points, noise, XOR layout (uniform square or four blobs), standardised with the training statistics or raw. */
  points: number;
  noise: number;
  xor: "uniform" | "blobs";
  standardize: boolean;
  /** Weight init: rankscope's (He for ReLU, Glorot for tanh, zero bias) or PyTorch's default U(±1/√fan_in) for W and b. */
  init: "default" | "torch";
  /** Where the width-1 layer of the bottleneck net sits, and whether the wide net has BatchNorm. */
  bottleneck: "middle" | "second-last";
  wideBatchNorm: boolean;
  /**
   * Training: "chunks" of 10 full-batch steps up to `maxSteps`, stopping when the loss stalls, keeping the final
   * state; or "epochs" of minibatches (`batch`), keeping the state of best test accuracy (the original).
   */
  training: "chunks" | "epochs";
  epochs: number;
  batch: number;
  /** Tries per model where they differ from `tries`. */
  triesPerModel: Partial<Record<ModelName, number>>;
  /** The accuracy that stops the retries and picks the try kept: training (default) or test (the original's). */
  selectOn: "train" | "test";
  /** [low, high] of both axes of the maps. */
  extent: [number, number];
  /** Fresh models trained in stages (each stage `epochs` with its own optimizer), mapped after every stage. */
  staged: { model: ModelName; epochs: number; stages: number }[];
}

/** The five models of the study. */
export type ModelName = "narrow tanh" | "bottleneck tanh" | "narrow relu" | "wide tanh" | "wide relu";
/** The datasets of the study. */
export type DatasetName = "circles" | "xor";
/** Full-batch steps per chunk of the "chunks" training, and chunks without improvement before it stops. */
export const CHUNK = 10, PATIENCE = 5;

/** One of the study's models, seeded (one Philox stream per weight layer, in order). */
export function build(
  name: ModelName,
  seed: number,
  config: Pick<EmbeddingConfig, "depth" | "init" | "bottleneck" | "wideBatchNorm">,
): Sequential {
  const act = name.endsWith("relu") ? "relu" : "tanh", torch = config.init === "torch";
  const narrowAt = config.bottleneck === "middle" ? Math.floor(config.depth / 2) : config.depth - 2;
  const hidden = name.startsWith("wide")
    ? [3, 3]
    : Array.from({ length: config.depth }, (_, l) => name.startsWith("bottleneck") && l === narrowAt ? 1 : 2);
  return mlp([2, ...hidden, 1], {
    activation: act,
    outputActivation: "sigmoid",
    init: torch ? "torch" : act === "relu" ? "he" : "glorot",
    outputInit: torch ? "torch" : "glorot",
    batchNorm: name.startsWith("wide") ? config.wideBatchNorm : true,
    seed,
  });
}

/** The network without its output unit: the last hidden representation. */
export const hidden = (model: Sequential): Sequential => new Sequential(model.layers.slice(0, -2));

/** A standardised 80/20 split of one dataset. */
export interface Dataset {
  name: DatasetName;
  train: { x: Float32Array; y: Float32Array };
  test: { x: Float32Array; y: Float32Array };
}

/** The dataset (fixed seeds), split 80/20 and standardised with the training statistics where configured. */
export function dataset(
  name: DatasetName,
  config: Pick<EmbeddingConfig, "points" | "noise" | "xor" | "standardize">,
): Dataset {
  const { points: n, noise } = config;
  const raw = name === "circles"
    ? concentricCircles({ n, noise, seed: 11 })
    : xorPoints({ n, noise, seed: 12, layout: config.xor });
  const { train, test } = trainTestSplit(raw.x, raw.y, { width: 2, seed: 13 });
  if (!config.standardize) return { name, train, test };
  const moments = columnMoments(train.x, 2);
  return {
    name,
    train: { x: standardize(train.x, moments), y: train.y },
    test: { x: standardize(test.x, moments), y: test.y },
  };
}

/** BCE of the model in eval mode on a set (one read-back). */
export async function evalLoss(model: Sequential, set: { x: Float32Array; y: Float32Array }): Promise<number> {
  const n = set.y.length;
  const l = tidy(() =>
    bceLoss(model.forward(Tensor.fromArray(set.x, [n, 2]), "eval"), Tensor.fromArray(set.y, [n, 1]))
  );
  const v = await l.item();
  l.dispose();
  return v;
}

/** A set in fit's form ({ x, xShape, y, yShape }). */
export function asDataset(set: { x: Float32Array; y: Float32Array }): {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
} {
  const n = set.y.length;
  return { x: set.x, xShape: [n, 2], y: set.y, yShape: [n, 1] };
}

/** Weights of every Dense layer at one step, with their float64 singular values. */
export interface Checkpoint {
  step: number;
  shapes: number[][];
  weights: number[][];
  singular: number[][];
}

/** Every weight matrix of the model, read back in one transfer, with float64 singular values. */
export async function weightSnapshot(model: Sequential, step: number): Promise<Checkpoint> {
  const mats = model.layers.filter((l) => l instanceof Dense).map((l) => (l as Dense).weights);
  const flat = tidy(() => concat(mats.map((w) => w.reshape([w.size])), 0));
  const all = await flat.toArray();
  flat.dispose();
  let offset = 0;
  const shapes: number[][] = [], weights: number[][] = [], singular: number[][] = [];
  for (const w of mats) {
    const [m, n] = w.shape;
    const values = all.subarray(offset, offset + w.size);
    offset += w.size;
    shapes.push([m, n]);
    weights.push(Array.from(values));
    singular.push(Array.from(svdvalsHost(values, m, n)));
  }
  return { step, shapes, weights, singular };
}

/** One model's kept try on one dataset and seed, and a summary of every try. */
export interface RunRecord {
  dataset: string;
  model: ModelName;
  seed: number;
  tries: number;
  /** Every try: its training and test accuracy and steps (the kept one is `kept`). */
  allTries: { trainAccuracy: number; testAccuracy: number; steps: number }[];
  kept: number;
  trainAccuracy: number;
  testAccuracy: number;
  steps: number;
  loss: { step: number; loss: number }[];
}
/** Output probability and input-Jacobian extreme singular values on the grid. */
export interface GridMaps {
  probability: number[];
  jacobianMin: number[];
  jacobianMax: number[];
  /** |∇ₓ p|: the single singular value of the output's 1 x 2 Jacobian (the original's maps). */
  outputGradient: number[];
}
/** A model trained in stages: after each, its test accuracy, output map and weight singular values. */
export interface StagedRecord {
  model: ModelName;
  stages: { epoch: number; testAccuracy: number; probability: number[]; singular: number[][] }[];
}
/** A unit's record: the run, plus the maps for the first seed and the checkpoints of the tracked run. */
export interface EmbeddingRecord {
  run?: RunRecord;
  maps?: GridMaps;
  checkpoints?: Checkpoint[];
  staged?: StagedRecord;
}

/** Output probability and the input-Jacobian singular values of the last hidden layer on a grid. */
export async function gridMaps(model: Sequential, n: number, extent: [number, number]): Promise<GridMaps> {
  const [lo, hi] = extent;
  const points = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      points[2 * (j * n + i)] = lo + ((hi - lo) * i) / (n - 1);
      points[2 * (j * n + i) + 1] = lo + ((hi - lo) * j) / (n - 1);
    }
  }
  const grid = Tensor.fromArray(points, [n * n, 2]);
  const p = tidy(() => model.forward(grid, "eval"));
  const probability = Array.from(await p.toArray());
  p.dispose();
  const rep = hidden(model);
  const spectra = await inputJacobianSpectra((x) => rep.forward(x, "eval"), grid);
  const gradient = await inputJacobianSpectra((x) => model.forward(x, "eval"), grid);
  grid.dispose();
  return {
    probability,
    jacobianMin: Array.from(spectra.min),
    jacobianMax: Array.from(spectra.max),
    outputGradient: Array.from(gradient.max),
  };
}
