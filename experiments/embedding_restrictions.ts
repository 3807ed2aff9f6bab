/**
 * Embedding restrictions of narrow networks.
 *
 * Question: width-2 feed-forward networks on 2-D input are (for monotone activations) unable to create a
 * critical point of the output, so they cannot separate an inner disc from an outer ring the way |x|²
 * does. How does that show in test accuracy, decision boundaries, weight spectra and the input Jacobian,
 * compared with a wide shallow network and with a width-1 bottleneck (which collapses the Jacobian's rank)?
 *
 * Run: `deno run -A experiments/embedding_restrictions.ts [--seeds 0,1] [--steps 300] [--tries 2]
 *       [--threshold 0.9] [--grid 100] [--out out/embedding_restrictions] [--quick] [--shard i/n]`, and
 *       `deno run -A experiments/embedding_restrictions.ts merge SHARD_DIR... --out OUT` to join shards.
 *
 * Units: one per dataset, model and seed (with its tries).
 *
 * Outputs (in --out): results.json (rewritten after every run), figures.json, and per dataset
 * {circles,xor}_decision.svg, {circles,xor}_loss.svg, {circles,xor}_jacobian.svg, plus
 * weight_spectra.svg and weight_heatmaps.svg (the narrow tanh network on circles, at checkpoints).
 *
 * Models (sigmoid output, binary cross-entropy, Adam lr 0.01, full batch, early stopping when the loss
 * stops improving for 50 steps, retried with a new seed until test accuracy reaches --threshold or
 * --tries runs were made): narrow tanh (15 hidden layers of width 2, each Dense → BatchNorm → tanh),
 * bottleneck tanh (the same with layer 8 of width 1), narrow ReLU, wide shallow tanh and ReLU (2 hidden
 * layers of width 3). Data: concentric circles and XOR, 400 points with noise 0.05, seeded 80/20 split,
 * standardised with the training statistics.
 */
import {
  Activation,
  Adam,
  BatchNorm1d,
  bceLoss,
  concat,
  concentricCircles,
  Dense,
  deriveSeed,
  fit,
  heatmap,
  imageGrid,
  inputJacobianSpectra,
  type Layer,
  linePlot,
  Sequential,
  standardize,
  subplots,
  svdvalsHost,
  Tensor,
  tidy,
  trainTestSplit,
  xorPoints,
} from "../mod.ts";
import { columnMoments } from "../data/mod.ts";
import { PALETTE } from "../plot/mod.ts";
import { table } from "./_common.ts";
import { type Experiment, main, type Report, studyRunner, type Unit, type UnitContext } from "./_program.ts";

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
type DatasetName = "circles" | "xor";
const CHUNK = 10, PATIENCE = 5;

/** One of the study's models, seeded (one Philox stream per weight layer, in order). */
export function build(
  name: ModelName,
  seed: number,
  config: Pick<EmbeddingConfig, "depth" | "init" | "bottleneck" | "wideBatchNorm">,
): Sequential {
  const act = name.endsWith("relu") ? "relu" : "tanh", torch = config.init === "torch";
  const layers: Layer[] = [];
  let inputs = 2, stream = 0;
  const add = (width: number, norm: boolean) => {
    const init = torch ? "torch" : act === "relu" ? "he" : "glorot";
    layers.push(new Dense(inputs, width, { seed, stream: stream++, init }));
    if (norm) layers.push(new BatchNorm1d(width));
    layers.push(new Activation(act));
    inputs = width;
  };
  const narrowAt = config.bottleneck === "middle" ? Math.floor(config.depth / 2) : config.depth - 2;
  if (name.startsWith("wide")) { for (let l = 0; l < 2; l++) add(3, config.wideBatchNorm); }
  else {for (let l = 0; l < config.depth; l++) {
      add(name.startsWith("bottleneck") && l === narrowAt ? 1 : 2, true);
    }}
  layers.push(new Dense(inputs, 1, { seed, stream, init: torch ? "torch" : "glorot" }), new Activation("sigmoid"));
  return new Sequential(layers);
}

/** The network without its output unit: the last hidden representation. */
const hidden = (model: Sequential) => new Sequential(model.layers.slice(0, -2));

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
async function evalLoss(model: Sequential, set: { x: Float32Array; y: Float32Array }): Promise<number> {
  const n = set.y.length;
  const l = tidy(() =>
    bceLoss(model.forward(Tensor.fromArray(set.x, [n, 2]), "eval"), Tensor.fromArray(set.y, [n, 1]))
  );
  const v = await l.item();
  l.dispose();
  return v;
}

async function accuracy(model: Sequential, set: { x: Float32Array; y: Float32Array }): Promise<number> {
  const p = tidy(() => model.forward(Tensor.fromArray(set.x, [set.y.length, 2]), "eval"));
  const v = await p.toArray();
  p.dispose();
  return v.reduce((s, pi, i) => s + ((pi > 0.5 ? 1 : 0) === set.y[i] ? 1 : 0), 0) / v.length;
}

/** Weights of every Dense layer at one step, with their float64 singular values. */
export interface Checkpoint {
  step: number;
  shapes: number[][];
  weights: number[][];
  singular: number[][];
}

/** Every weight matrix of the model, read back in one transfer, with float64 singular values. */
async function weightSnapshot(model: Sequential, step: number): Promise<Checkpoint> {
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

/** The tensors that make up a model's state: weights, biases, BatchNorm's γ, β and running statistics. */
function stateSlots(model: Sequential): { layer: Record<string, unknown>; key: string }[] {
  return model.layers.flatMap((l) => {
    const keys = l instanceof Dense
      ? ["weights", "bias"]
      : l instanceof BatchNorm1d
      ? ["gamma", "beta", "runningMean", "runningVar"]
      : [];
    return keys.map((key) => ({ layer: l as unknown as Record<string, unknown>, key }))
      .filter((s) => s.layer[s.key] instanceof Tensor);
  });
}

/** A copy of the model's state on the host (one read-back). */
async function saveState(model: Sequential): Promise<Float32Array[]> {
  const tensors = stateSlots(model).map((s) => s.layer[s.key] as Tensor);
  const flat = tidy(() => concat(tensors.map((t) => t.reshape([t.size])), 0));
  const all = await flat.toArray();
  flat.dispose();
  let offset = 0;
  return tensors.map((t) => all.slice(offset, offset += t.size));
}

/** Puts a saved state back (like PyTorch's load_state_dict). */
function loadState(model: Sequential, saved: Float32Array[]): void {
  stateSlots(model).forEach((s, i) => {
    const old = s.layer[s.key] as Tensor;
    const t = Tensor.fromArray(saved[i], old.shape);
    t.requiresGrad = old.requiresGrad;
    old.dispose();
    s.layer[s.key] = t;
  });
}

/**
 * The original's train_model: `epochs` epochs of shuffled minibatches (Adam 0.01, BCE), the test accuracy
 * after each, and at the end the state of the best test accuracy (when the last epoch was not the best).
 * The epoch loss is the last minibatch's (one read-back per epoch).
 */
async function trainEpochs(
  config: EmbeddingConfig,
  model: Sequential,
  data: Dataset,
  seed: number,
  epochs: number,
  onEpoch?: (epoch: number, loss: number) => void,
): Promise<{ loss: { step: number; loss: number }[]; steps: number; bestAccuracy: number }> {
  const n = data.train.y.length, perEpoch = Math.ceil(n / config.batch);
  const set = { x: data.train.x, xShape: [n, 2], y: data.train.y, yShape: [n, 1] };
  let best = -1, since = 0, saved: Float32Array[] | null = null;
  const loss: { step: number; loss: number }[] = [];
  const run = await fit(model, set, {
    loss: bceLoss,
    optimizer: new Adam({ lr: 0.01 }),
    epochs,
    batchSize: config.batch,
    seed: deriveSeed(seed, "shuffle"),
    lossEvery: perEpoch,
    onEpoch: async ({ epoch, loss: value }) => {
      loss.push({ step: (epoch + 1) * perEpoch, loss: value });
      const acc = await accuracy(model, data.test);
      if (acc > best) [best, since, saved] = [acc, 0, await saveState(model)];
      else since++;
      onEpoch?.(epoch, value);
    },
  });
  if (since > 0 && saved) loadState(model, saved);
  return { loss, steps: run.steps, bestAccuracy: best };
}

/** Trains in chunks of 10 steps until the loss stops improving for 50 steps or the budget is spent. */
async function train(
  config: EmbeddingConfig,
  model: Sequential,
  data: Dataset,
  seed: number,
  onChunk: (step: number, loss: number) => Promise<void>,
) {
  const n = data.train.y.length;
  const set = { x: data.train.x, xShape: [n, 2], y: data.train.y, yShape: [n, 1] };
  const optimizer = new Adam({ lr: 0.01 });
  const loss: { step: number; loss: number }[] = [];
  let best = Infinity, stale = 0, step = 0;
  while (step < config.maxSteps) {
    const r = await fit(model, set, {
      loss: bceLoss,
      optimizer,
      epochs: CHUNK,
      lossEvery: CHUNK,
      seed: deriveSeed(seed, "shuffle", step),
    });
    step += CHUNK;
    // Recorded: the loss as accuracy sees it, BatchNorm in eval mode. Early stopping follows the training
    // loss (batch statistics), whose running averages do not lag behind the weights.
    const value = r.epochLoss.at(-1)!, recorded = await evalLoss(model, data.train);
    loss.push({ step, loss: recorded });
    await onChunk(step, recorded);
    if (value < best - 1e-3) [best, stale] = [value, 0];
    else if (++stale >= PATIENCE) break;
  }
  return { loss, steps: step };
}

/** One try of a model: the configured training, reporting progress in steps. */
function trainTry(
  config: EmbeddingConfig,
  model: Sequential,
  data: Dataset,
  seed: number,
  onSteps: (steps: number, loss: number) => Promise<void>,
): Promise<{ loss: { step: number; loss: number }[]; steps: number }> {
  if (config.training === "chunks") return train(config, model, data, seed, (_, loss) => onSteps(CHUNK, loss));
  const perEpoch = Math.ceil(data.train.y.length / config.batch);
  return trainEpochs(config, model, data, seed, config.epochs, (_, loss) => void onSteps(perEpoch, loss));
}

/** Steps a try may take. */
const trySteps = (config: EmbeddingConfig, n: number) =>
  config.training === "chunks" ? config.maxSteps : config.epochs * Math.ceil(n / config.batch);

/** Output probability and the input-Jacobian singular values of the last hidden layer on a grid. */
async function gridMaps(model: Sequential, n: number, extent: [number, number]): Promise<GridMaps> {
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

/**
 * One model on one dataset and seed: up to `tries` tries (each with a derived seed) until one reaches
 * the threshold; keeps the best try. The first seed also maps the best model on the grid; narrow tanh
 * on circles with the first seed records its weights at checkpoints.
 */
export async function modelStudy(
  config: EmbeddingConfig,
  data: Dataset,
  name: ModelName,
  seed: number,
  context?: Pick<UnitContext<EmbeddingRecord>, "tick">,
): Promise<EmbeddingRecord> {
  const { maxSteps } = config, tries = config.triesPerModel[name] ?? config.tries;
  const budget = trySteps(config, data.train.y.length);
  let record: RunRecord | null = null, model: Sequential | null = null, checkpoints: Checkpoint[] = [];
  const allTries: RunRecord["allTries"] = [];
  const score = (r: { trainAccuracy: number; testAccuracy: number }) =>
    config.selectOn === "train" ? r.trainAccuracy : r.testAccuracy;
  for (let attempt = 0; attempt < tries; attempt++) {
    const runSeed = deriveSeed(seed, "try", attempt);
    const candidate = build(name, runSeed, config);
    // The tracked model's weights are recorded for every try; the kept try's are reported.
    const track = data.name === "circles" && name === "narrow tanh" && seed === config.seeds[0];
    const marks = new Set([Math.round(maxSteps / 6 / CHUNK) * CHUNK, Math.round(maxSteps / 2 / CHUNK) * CHUNK]);
    const snapshots: Checkpoint[] = track ? [await weightSnapshot(candidate, 0)] : [];
    let step = 0;
    const result = await trainTry(config, candidate, data, runSeed, async (steps, loss) => {
      context?.tick(steps, `try ${attempt + 1}: loss ${loss.toPrecision(3)}`);
      step += steps;
      if (track && marks.has(step)) snapshots.push(await weightSnapshot(candidate, step));
    });
    if (track) snapshots.push(await weightSnapshot(candidate, result.steps));
    context?.tick(budget - result.steps, "stopped early");
    const summary = {
      trainAccuracy: await accuracy(candidate, data.train),
      testAccuracy: await accuracy(candidate, data.test),
      steps: result.steps,
    };
    allTries.push(summary);
    if (!record || score(summary) > score(record)) {
      model?.parameters().forEach((p) => p.dispose());
      record = {
        dataset: data.name,
        model: name,
        seed,
        tries: 0,
        allTries,
        kept: attempt,
        ...summary,
        loss: result.loss,
      };
      [model, checkpoints] = [candidate, snapshots];
    } else candidate.parameters().forEach((p) => p.dispose());
    record.tries = attempt + 1;
    if (score(summary) >= config.threshold) break;
  }
  const maps = seed === config.seeds[0] ? await gridMaps(model!, config.gridSize, config.extent) : undefined;
  model!.parameters().forEach((p) => p.dispose());
  return { run: record!, ...(maps ? { maps } : {}), ...(checkpoints.length ? { checkpoints } : {}) };
}

/**
 * A fresh model trained in `stages` stages of `epochs` epochs on the last dataset (each stage with a new
 * optimizer and best-state restore, as the original's staged cells), mapped after every stage.
 */
export async function stagedStudy(
  config: EmbeddingConfig,
  data: Dataset,
  name: ModelName,
  epochs: number,
  stages: number,
  context?: Pick<UnitContext<EmbeddingRecord>, "tick">,
): Promise<EmbeddingRecord> {
  const model = build(name, deriveSeed(config.seeds[0], "staged", name), config);
  const out: StagedRecord = { model: name, stages: [] };
  const perEpoch = Math.ceil(data.train.y.length / config.batch);
  for (let k = 1; k <= stages; k++) {
    await trainEpochs(
      config,
      model,
      data,
      deriveSeed(config.seeds[0], "staged", name, k),
      epochs,
      (_, loss) => context?.tick(perEpoch, `stage ${k}: loss ${loss.toPrecision(3)}`),
    );
    const maps = await gridMaps(model, config.gridSize, config.extent);
    const { singular } = await weightSnapshot(model, k * epochs);
    out.stages.push({
      epoch: k * epochs,
      testAccuracy: await accuracy(model, data.test),
      probability: maps.probability,
      singular,
    });
  }
  model.parameters().forEach((p) => p.dispose());
  return { staged: out };
}

const unitId = (d: DatasetName, m: ModelName, seed: number) => `${d} ${m} seed ${seed}`;
function plan(config: EmbeddingConfig): { data: DatasetName; model: ModelName; seed: number }[] {
  return config.datasets.flatMap((data) =>
    config.models.map((model) => config.seeds.map((seed) => ({ data, model, seed }))).flat()
  );
}

const CHECKPOINT_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f"];

/** float32's machine epsilon: a singular value ratio below it is rank deficiency at float32 resolution. */
const FLOAT32_EPSILON = 2 ** -23;
/** Colour floor of σ_min/σ_max maps (a computed ratio of exactly zero gets this colour). */
const RATIO_FLOOR = 1e-10;

/** σ_min/σ_max of the hidden Jacobian at each grid point (0 where σ_max is 0). */
function conditionRatio(m: GridMaps): number[] {
  return m.jacobianMin.map((s, i) => (m.jacobianMax[i] > 0 ? s / m.jacobianMax[i] : 0));
}

/** Share of grid points whose σ_min/σ_max is below float32 resolution (numerically rank one). */
function belowResolution(ratios: number[]): number {
  return ratios.filter((r) => r < FLOAT32_EPSILON).length / ratios.length;
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b), h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

function mapFigures(config: EmbeddingConfig, data: Dataset, runs: RunRecord[], m: Record<string, GridMaps>) {
  const { gridSize, seeds, models, extent } = config;
  const first = runs.filter((r) => r.dataset === data.name && r.seed === seeds[0]);
  const figures: Report["figures"] = {};
  figures[`${data.name}_decision`] = {
    data: { grid: gridSize, extent: extent, models: Object.fromEntries(models.map((k) => [k, m[k].probability])) },
    svg: subplots({
      panels: models.map((k) =>
        heatmap({
          values: m[k].probability,
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          colorDomain: [0, 1],
          boundary: 0.5,
          colorLabel: "p(class 1)",
          xLabel: "x₁",
          yLabel: "x₂",
          points: {
            x: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i]),
            y: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i + 1]),
            classes: Array.from(data.test.y),
            labels: ["class 0 (test)", "class 1 (test)"],
          },
          width: 420,
          height: 360,
        })
      ),
      columns: 3,
      titles: models.map((k) => `${k}: test ${(100 * first.find((r) => r.model === k)!.testAccuracy).toFixed(0)}%`),
      title: `Decision boundaries on ${data.name} (test points; seed ${seeds[0]})`,
    }),
  };
  figures[`${data.name}_loss`] = {
    data: Object.fromEntries(first.map((r) => [r.model, r.loss])),
    svg: linePlot({
      title: `Training loss on ${data.name}`,
      series: first.map((r) => ({ x: r.loss.map((p) => p.step), y: r.loss.map((p) => p.loss), label: r.model })),
      xLabel: "step",
      yLabel: "binary cross-entropy",
      yScale: "log",
    }),
  };
  // Floor for log colour: exact zeros would otherwise have no colour. Panels that are compared share
  // one colour scale (the range over all of them).
  const floor = (v: number[], at = 1e-7) => v.map((s) => Math.max(s, at));
  const shared = (arrays: number[][], at = 1e-7): [number, number] => {
    const all = arrays.flatMap((a) => floor(a, at));
    return [all.reduce((a, b) => Math.min(a, b)), all.reduce((a, b) => Math.max(a, b))];
  };
  const ratio = (k: string) => conditionRatio(m[k]);
  const maxDomain = shared(models.map((k) => m[k].jacobianMax));
  const ratioDomain = shared(models.map(ratio), RATIO_FLOOR);
  const gradientDomain = shared(models.map((k) => m[k].outputGradient));
  figures[`${data.name}_jacobian`] = {
    data: Object.fromEntries(models.map((k) => [k, { min: m[k].jacobianMin, max: m[k].jacobianMax }])),
    svg: subplots({
      panels: models.flatMap((k) => [
        heatmap({
          values: floor(m[k].jacobianMax),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: maxDomain,
          colorLabel: "σₘₐₓ",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        }),
        heatmap({
          values: floor(ratio(k), RATIO_FLOOR),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: ratioDomain,
          colorLabel: "σₘᵢₙ / σₘₐₓ",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        }),
      ]),
      columns: 2,
      titles: models.flatMap((k) => [
        `${k}: largest singular value`,
        `${k}: σₘᵢₙ/σₘₐₓ (${(100 * belowResolution(ratio(k))).toFixed(0)}% below float32 ε)`,
      ]),
      title:
        `Input Jacobian of the last hidden layer on ${data.name}: scale and rank (each column one log colour scale)`,
    }),
  };
  figures[`${data.name}_gradient`] = {
    data: { grid: gridSize, extent, models: Object.fromEntries(models.map((k) => [k, m[k].outputGradient])) },
    svg: subplots({
      panels: models.map((k) =>
        heatmap({
          values: floor(m[k].outputGradient),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: gradientDomain,
          colorLabel: "|∇p|",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        })
      ),
      columns: 3,
      titles: models.map((k) => k),
      title: `Gradient norm of the output probability on ${data.name} (the original's maps; one log colour scale)`,
    }),
  };
  return figures;
}

/** Per staged model: the decision map and the weight singular values after every stage. */
function stagedFigures(config: EmbeddingConfig, data: Dataset, staged: StagedRecord): Report["figures"] {
  const key = staged.model.replaceAll(" ", "_"), extent = config.extent, n = config.gridSize;
  const points = {
    x: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i]),
    y: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i + 1]),
    classes: Array.from(data.test.y),
    labels: ["class 0 (test)", "class 1 (test)"],
  };
  const layers = staged.stages[0].singular.map((_, l) => l + 1);
  return {
    [`staged_${key}_decision`]: {
      data: staged.stages.map((s) => ({ epoch: s.epoch, testAccuracy: s.testAccuracy, probability: s.probability })),
      svg: subplots({
        panels: staged.stages.map((s) =>
          heatmap({
            values: s.probability,
            nx: n,
            ny: n,
            xDomain: extent,
            yDomain: extent,
            colorDomain: [0, 1],
            boundary: 0.5,
            colorLabel: "p(class 1)",
            points,
            width: 380,
            height: 320,
          })
        ),
        columns: 3,
        titles: staged.stages.map((s) => `epoch ${s.epoch}: test ${(100 * s.testAccuracy).toFixed(0)}%`),
        title: `${staged.model} on ${data.name}, trained in stages`,
      }),
    },
    [`staged_${key}_spectra`]: {
      data: staged.stages.map((s) => ({ epoch: s.epoch, singular: s.singular })),
      svg: linePlot({
        title: `${staged.model}: weight singular values per layer after each stage (solid σ₁, dashed σₘᵢₙ)`,
        series: staged.stages.flatMap((s, i) => [
          {
            x: layers,
            y: s.singular.map((v) => v[0]),
            label: `epoch ${s.epoch}`,
            markers: true,
            color: PALETTE[i % PALETTE.length],
          },
          {
            x: layers,
            y: s.singular.map((v) => Math.max(v[v.length - 1], 1e-7)),
            dashed: true,
            color: PALETTE[i % PALETTE.length],
          },
        ]),
        xLabel: "layer",
        yLabel: "singular value",
        yScale: "log",
        width: 760,
      }),
    },
  };
}

function checkpointFigures(checkpoints: Checkpoint[]): Report["figures"] {
  const layers = checkpoints[0].singular.map((_, l) => l + 1);
  return {
    weight_spectra: {
      data: checkpoints.map((c) => ({ step: c.step, singular: c.singular })),
      svg: linePlot({
        title: "Per-layer weight singular values, narrow tanh on circles (solid σ₁, dashed σₘᵢₙ)",
        series: checkpoints.flatMap((c, i) => [
          {
            x: layers,
            y: c.singular.map((s) => s[0]),
            label: `step ${c.step}`,
            markers: true,
            color: CHECKPOINT_COLORS[i % 4],
          },
          { x: layers, y: c.singular.map((s) => s[s.length - 1]), dashed: true, color: CHECKPOINT_COLORS[i % 4] },
        ]),
        xLabel: "layer",
        yLabel: "singular value",
        yScale: "log",
        width: 760,
      }),
    },
    weight_heatmaps: {
      data: checkpoints.map((c) => ({ step: c.step, shapes: c.shapes, weights: c.weights })),
      svg: subplots({
        panels: checkpoints.map((c) =>
          imageGrid({
            images: c.weights,
            imageWidth: 2,
            imageHeight: 2,
            sizes: c.shapes.map(([rows, cols]) => [cols, rows] as [number, number]),
            columns: 8,
            colormap: "diverging",
            scale: 14,
            captions: c.weights.map((_, l) => `L${l + 1}`),
          })
        ),
        columns: 1,
        titles: checkpoints.map((c) => `step ${c.step}`),
        title: "Weights of the narrow tanh network (fan-in rows x fan-out columns; red > 0 > blue)",
      }),
    },
  };
}

function summary(
  config: EmbeddingConfig,
  runs: RunRecord[],
  maps: Record<string, Record<string, GridMaps>>,
): string {
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return [mean, Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(v.length - 1, 1))];
  };
  return [
    `\nEmbedding restrictions (seeds ${config.seeds.join(", ")}, up to ${config.tries} tries per seed)\n`,
    table(
      ["dataset", "model", "test acc (mean)", "± std", "train acc", "tries (total)", "steps (mean)"],
      config.datasets.flatMap((d) =>
        config.models.map((k) => {
          const rs = runs.filter((r) => r.dataset === d && r.model === k);
          const [mean, std] = stats(rs.map((r) => r.testAccuracy));
          return [
            d,
            k,
            mean,
            std,
            stats(rs.map((r) => r.trainAccuracy))[0],
            rs.reduce((s, r) => s + r.tries, 0),
            stats(rs.map((r) => r.steps))[0],
          ];
        })
      ),
    ),
    `\nRank of the last hidden layer's input Jacobian over the ${config.gridSize}² grid (seed ${
      config.seeds[0]
    }): σ_min/σ_max, and the share of points where it is below float32 resolution (ε = 1.2e-7; numerically rank one)\n`,
    table(
      ["dataset", "model", "median σmin/σmax", "max σmin/σmax", "below ε"],
      Object.entries(maps).flatMap(([d, byModel]) =>
        Object.entries(byModel).map(([k, m]) => {
          const r = conditionRatio(m);
          const e = (v: number) => v.toExponential(1);
          return [d, k, e(median(r)), e(Math.max(...r)), `${(100 * belowResolution(r)).toFixed(0)}%`];
        })
      ),
    ),
  ].join("\n");
}

function report(config: EmbeddingConfig, records: Record<string, EmbeddingRecord>): Report {
  const ordered = plan(config).map((p) => records[unitId(p.data, p.model, p.seed)]);
  const runs = ordered.map((r) => r.run!);
  const checkpoints = ordered.flatMap((r) => r.checkpoints ?? []);
  let figures: Report["figures"] = {};
  const maps: Record<string, Record<string, GridMaps>> = {};
  for (const name of config.datasets) {
    maps[name] = Object.fromEntries(config.models.map((k) => [k, records[unitId(name, k, config.seeds[0])].maps!]));
    figures = { ...figures, ...mapFigures(config, dataset(name, config), runs, maps[name]) };
  }
  if (checkpoints.length > 0) figures = { ...figures, ...checkpointFigures(checkpoints) };
  const staged = config.staged.map((s) => records[`staged ${s.model}`].staged!);
  const stagedData = dataset(config.datasets.at(-1)!, config);
  for (const s of staged) figures = { ...figures, ...stagedFigures(config, stagedData, s) };
  return {
    results: { runs, checkpoints, staged },
    figures,
    text: summary(config, runs, maps),
  };
}

const FLAGS = {
  seeds: { default: "0,1", kind: "counts", help: "Seeds of the training runs, one run per seed and model" },
  steps: { default: "300", kind: "count", min: 1, help: "Most training steps per try" },
  tries: { default: "2", kind: "count", min: 1, help: "Tries per model and seed until it reaches --threshold" },
  threshold: { default: "0.9", kind: "number", min: 0, max: 1, help: "Accuracy a try must reach to stop retrying" },
  grid: { default: "100", kind: "count", min: 2, help: "Points per side of the decision and Jacobian maps" },
} as const;

const ALL_MODELS: ModelName[] = ["narrow tanh", "bottleneck tanh", "narrow relu", "wide tanh", "wide relu"];

/** Steps of one training of a unit's model (a try, or all stages). */
function unitWeight(config: EmbeddingConfig, id: string): number {
  const train = Math.round(0.8 * config.points), perEpoch = Math.ceil(train / config.batch);
  const stage = config.staged.find((s) => id === `staged ${s.model}`);
  if (stage) return stage.epochs * stage.stages * perEpoch;
  const model = ALL_MODELS.find((m) => id.includes(` ${m} `))!;
  return (config.triesPerModel[model] ?? config.tries) * trySteps(config, train);
}

/** The embedding-restrictions experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, EmbeddingConfig, EmbeddingRecord> = {
  name: "embedding_restrictions",
  flags: FLAGS,
  configure: (flags, quick) => ({
    seeds: quick ? [0] : flags.seeds,
    maxSteps: quick ? 30 : flags.steps,
    tries: quick ? 1 : flags.tries,
    threshold: flags.threshold,
    gridSize: quick ? 20 : flags.grid,
    depth: quick ? 4 : 15,
    datasets: ["circles", "xor"],
    models: ALL_MODELS,
    points: 400,
    noise: 0.05,
    xor: "uniform",
    standardize: true,
    init: "default",
    bottleneck: "middle",
    wideBatchNorm: false,
    training: "chunks",
    epochs: 300,
    batch: 128,
    triesPerModel: {},
    selectOn: "train",
    extent: [-2.2, 2.2],
    staged: [],
  }),
  original: (flags) => ({
    seeds: [flags.seeds[0]],
    maxSteps: 300,
    tries: 20,
    threshold: 0.95,
    gridSize: 100,
    depth: 15,
    datasets: ["xor"],
    models: ["narrow tanh", "bottleneck tanh", "wide tanh"],
    points: 2000,
    noise: 0.2,
    xor: "blobs",
    standardize: false,
    init: "torch",
    bottleneck: "second-last",
    wideBatchNorm: true,
    training: "epochs",
    epochs: 300,
    batch: 128,
    triesPerModel: { "bottleneck tanh": 10 },
    selectOn: "test",
    extent: [-1, 1],
    staged: [
      { model: "bottleneck tanh", epochs: 10, stages: 9 },
      { model: "narrow tanh", epochs: 10, stages: 9 },
      { model: "narrow relu", epochs: 50, stages: 9 },
    ],
  }),
  aspects: [
    { aspect: "datasets", show: (c) => c.datasets.join(", ") },
    {
      aspect: "data",
      show: (c) =>
        `${c.points} points, noise σ ${c.noise}${
          c.datasets.includes("xor")
            ? c.xor === "blobs" ? ", XOR as four blobs at (±0.5, ±0.5)" : ", XOR uniform on [−1, 1]²"
            : ""
        }, 80/20 split, ${c.standardize ? "standardised" : "raw coordinates"}`,
    },
    { aspect: "models", show: (c) => c.models.join(", ") },
    {
      aspect: "init",
      show: (c) =>
        c.init === "torch" ? "PyTorch default: W, b ~ U(±1/√fan_in)" : "He (ReLU) or Glorot (tanh) normal, zero bias",
    },
    {
      aspect: "bottleneck (width-1 layer)",
      show: (c) => c.bottleneck === "middle" ? "middle layer (8 of 15)" : "layer depth − 1 (14 of 15)",
    },
    { aspect: "wide net (2 × 3)", show: (c) => c.wideBatchNorm ? "with BatchNorm" : "without BatchNorm" },
    {
      aspect: "training",
      show: (c) =>
        c.training === "epochs"
          ? `${c.epochs} epochs of minibatches of ${c.batch}, Adam 0.01, BCE; keeps the state of best test accuracy`
          : `full batch, Adam 0.01, BCE, up to ${c.maxSteps} steps, stopping when the loss stalls for 50; keeps the final state`,
    },
    {
      aspect: "tries until the threshold",
      show: (c) =>
        `${c.threshold}; ${c.tries} tries${
          Object.entries(c.triesPerModel).map(([m, t]) => ` (${m}: ${t})`).join("")
        } per model and seed (${c.seeds.length} seed${c.seeds.length > 1 ? "s" : ""})`,
    },
    {
      aspect: "retries stop at and keep the best",
      show: (c) => c.selectOn === "test" ? "test accuracy (selects on the test set)" : "training accuracy",
    },
    { aspect: "maps", show: (c) => `${c.gridSize}² grid on [${c.extent.join(", ")}]²` },
    {
      aspect: "staged training figures",
      show: (c) =>
        c.staged.length ? c.staged.map((s) => `${s.model} ${s.stages} × ${s.epochs} epochs`).join("; ") : "none",
    },
  ],
  notes: [
    "The original picks its seed at random (np.random.randint(1000)) and reseeds inside make_xor; --reproduce uses " +
    "--seed N (default 0) through rankscope's seeded streams.",
    "The original's retry loop stops at 95% test accuracy, restores the epoch of best test accuracy and returns " +
    "the last try when none reaches the threshold: it selects on the test set, so its accuracy is optimistic. " +
    "--reproduce keeps that (keeping the best try rather than the last); the default run stops at and keeps the " +
    "best training accuracy, reports the final state, and records every try.",
    "The original describes circles (its helper: a uniform disc r ≤ 0.3 against an annulus 0.5–1) but trains on XOR " +
    "only; the default run adds circles (scikit-learn's make_circles geometry) as an extra study.",
    "rankscope's hidden-layer Jacobian maps (σ_min and σ_max of the last hidden layer) are its own question; the " +
    "original's maps are of the output's gradient, |∇p|, which both modes also draw.",
    "The epoch loss of the epochs mode is the last minibatch's loss (one read-back per epoch), not the mean over the " +
    "epoch's minibatches.",
  ],
  units: (config): Unit[] =>
    [
      ...plan(config).map((p) => unitId(p.data, p.model, p.seed)),
      ...config.staged.map((s) => `staged ${s.model}`),
    ].map((id) => ({ id, weight: unitWeight(config, id) })),
  start(config) {
    const data = Object.fromEntries(config.datasets.map((name) => [name, dataset(name, config)]));
    const byId = new Map(plan(config).map((p) => [unitId(p.data, p.model, p.seed), p]));
    return Promise.resolve((unit: Unit, context: UnitContext<EmbeddingRecord>) => {
      const stage = config.staged.find((s) => unit.id === `staged ${s.model}`);
      if (stage) {
        return stagedStudy(config, data[config.datasets.at(-1)!], stage.model, stage.epochs, stage.stages, context);
      }
      const p = byId.get(unit.id)!;
      return modelStudy(config, data[p.data], p.model, p.seed, context);
    });
  },
  report,
};

/**
 * Runs the embedding restrictions in memory (for a notebook): the default configuration, or the quick or original one,
 * with `overrides`; returns the results, the figures and the tables. See {@linkcode runStudy}.
 */
export const embeddingRestrictions = studyRunner(experiment);

if (import.meta.main) await main(experiment);
