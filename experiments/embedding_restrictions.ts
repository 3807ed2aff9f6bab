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
import { table } from "./_common.ts";
import { type Experiment, main, type Report, type Unit, type UnitContext } from "./_program.ts";

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
}

/** The five models of the study. */
export type ModelName = "narrow tanh" | "bottleneck tanh" | "narrow relu" | "wide tanh" | "wide relu";
const MODELS: ModelName[] = ["narrow tanh", "bottleneck tanh", "narrow relu", "wide tanh", "wide relu"];
type DatasetName = "circles" | "xor";
const DATASETS: DatasetName[] = ["circles", "xor"];
const CHUNK = 10, PATIENCE = 5, EXTENT: [number, number] = [-2.2, 2.2];

/** One of the study's models, seeded (one Philox stream per weight layer, in order). */
export function build(name: ModelName, seed: number, depth: number): Sequential {
  const act = name.endsWith("relu") ? "relu" : "tanh";
  const layers: Layer[] = [];
  let inputs = 2, stream = 0;
  const add = (width: number, norm: boolean) => {
    layers.push(new Dense(inputs, width, { seed, stream: stream++, init: act === "relu" ? "he" : "glorot" }));
    if (norm) layers.push(new BatchNorm1d(width));
    layers.push(new Activation(act));
    inputs = width;
  };
  if (name.startsWith("wide")) { for (let l = 0; l < 2; l++) add(3, false); }
  else {for (let l = 0; l < depth; l++) {
      add(name.startsWith("bottleneck") && l === Math.floor(depth / 2) ? 1 : 2, true);
    }}
  layers.push(new Dense(inputs, 1, { seed, stream, init: "glorot" }), new Activation("sigmoid"));
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

/** The dataset (400 points, noise 0.05, fixed seeds), split and standardised with the training statistics. */
export function dataset(name: DatasetName): Dataset {
  const raw = name === "circles"
    ? concentricCircles({ n: 400, noise: 0.05, seed: 11 })
    : xorPoints({ n: 400, noise: 0.05, seed: 12 });
  const { train, test } = trainTestSplit(raw.x, raw.y, { width: 2, seed: 13 });
  const moments = columnMoments(train.x, 2);
  return {
    name,
    train: { x: standardize(train.x, moments), y: train.y },
    test: { x: standardize(test.x, moments), y: test.y },
  };
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

/** One model's best try on one dataset and seed. */
export interface RunRecord {
  dataset: string;
  model: ModelName;
  seed: number;
  tries: number;
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
}
/** A unit's record: the run, plus the maps for the first seed and the checkpoints of the tracked run. */
export interface EmbeddingRecord {
  run: RunRecord;
  maps?: GridMaps;
  checkpoints?: Checkpoint[];
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
    const value = r.epochLoss.at(-1)!;
    loss.push({ step, loss: value });
    await onChunk(step, value);
    if (value < best - 1e-3) [best, stale] = [value, 0];
    else if (++stale >= PATIENCE) break;
  }
  return { loss, steps: step };
}

/** Output probability and the input-Jacobian singular values of the last hidden layer on a grid. */
async function gridMaps(model: Sequential, n: number): Promise<GridMaps> {
  const [lo, hi] = EXTENT;
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
  grid.dispose();
  return { probability, jacobianMin: Array.from(spectra.min), jacobianMax: Array.from(spectra.max) };
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
  const { maxSteps, tries } = config;
  let record: RunRecord | null = null, model: Sequential | null = null;
  const checkpoints: Checkpoint[] = [];
  for (let attempt = 0; attempt < tries; attempt++) {
    const runSeed = deriveSeed(seed, "try", attempt);
    const candidate = build(name, runSeed, config.depth);
    const track = data.name === "circles" && name === "narrow tanh" && seed === config.seeds[0] && attempt === 0;
    if (track) checkpoints.push(await weightSnapshot(candidate, 0));
    const marks = new Set([Math.round(maxSteps / 6 / CHUNK) * CHUNK, Math.round(maxSteps / 2 / CHUNK) * CHUNK]);
    const result = await train(config, candidate, data, runSeed, async (step, loss) => {
      context?.tick(CHUNK, `try ${attempt + 1}: loss ${loss.toPrecision(3)}`);
      if (track && marks.has(step)) checkpoints.push(await weightSnapshot(candidate, step));
    });
    if (track) checkpoints.push(await weightSnapshot(candidate, result.steps));
    context?.tick(maxSteps - result.steps, "stopped early");
    const testAccuracy = await accuracy(candidate, data.test);
    const current: RunRecord = {
      dataset: data.name,
      model: name,
      seed,
      tries: attempt + 1,
      trainAccuracy: await accuracy(candidate, data.train),
      testAccuracy,
      steps: result.steps,
      loss: result.loss,
    };
    if (!record || testAccuracy > record.testAccuracy) {
      model?.parameters().forEach((p) => p.dispose());
      [record, model] = [current, candidate];
    } else candidate.parameters().forEach((p) => p.dispose());
    record.tries = attempt + 1;
    if (testAccuracy >= config.threshold) break;
  }
  const maps = seed === config.seeds[0] ? await gridMaps(model!, config.gridSize) : undefined;
  model!.parameters().forEach((p) => p.dispose());
  return { run: record!, ...(maps ? { maps } : {}), ...(checkpoints.length ? { checkpoints } : {}) };
}

const unitId = (d: DatasetName, m: ModelName, seed: number) => `${d} ${m} seed ${seed}`;
function plan(config: EmbeddingConfig): { data: DatasetName; model: ModelName; seed: number }[] {
  return DATASETS.flatMap((data) => MODELS.flatMap((model) => config.seeds.map((seed) => ({ data, model, seed }))));
}

const CHECKPOINT_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f"];

function mapFigures(config: EmbeddingConfig, data: Dataset, runs: RunRecord[], m: Record<string, GridMaps>) {
  const { gridSize, seeds } = config;
  const first = runs.filter((r) => r.dataset === data.name && r.seed === seeds[0]);
  const figures: Report["figures"] = {};
  figures[`${data.name}_decision`] = {
    data: { grid: gridSize, extent: EXTENT, models: Object.fromEntries(MODELS.map((k) => [k, m[k].probability])) },
    svg: subplots({
      panels: MODELS.map((k) =>
        heatmap({
          values: m[k].probability,
          nx: gridSize,
          ny: gridSize,
          xDomain: EXTENT,
          yDomain: EXTENT,
          colorDomain: [0, 1],
          boundary: 0.5,
          colorLabel: "p(class 1)",
          points: {
            x: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i]),
            y: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i + 1]),
            classes: Array.from(data.test.y),
          },
          width: 420,
          height: 360,
        })
      ),
      columns: 3,
      titles: MODELS.map((k) => `${k}: test ${(100 * first.find((r) => r.model === k)!.testAccuracy).toFixed(0)}%`),
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
  // Floor for log colour: exact zeros (rank collapse) would otherwise have no colour.
  const floor = (v: number[]) => v.map((s) => Math.max(s, 1e-7));
  figures[`${data.name}_jacobian`] = {
    data: Object.fromEntries(MODELS.map((k) => [k, { min: m[k].jacobianMin, max: m[k].jacobianMax }])),
    svg: subplots({
      panels: MODELS.flatMap((k) =>
        (["jacobianMin", "jacobianMax"] as const).map((which) =>
          heatmap({
            values: floor(m[k][which]),
            nx: gridSize,
            ny: gridSize,
            xDomain: EXTENT,
            yDomain: EXTENT,
            logColor: true,
            colorLabel: which === "jacobianMin" ? "σ_min" : "σ_max",
            width: 380,
            height: 320,
          })
        )
      ),
      columns: 2,
      titles: MODELS.flatMap((k) => [`${k}: min singular value`, `${k}: max singular value`]),
      title: `Input-Jacobian singular values of the last hidden layer on ${data.name} (log colour, floor 1e-7)`,
    }),
  };
  return figures;
}

function checkpointFigures(checkpoints: Checkpoint[]): Report["figures"] {
  const layers = checkpoints[0].singular.map((_, l) => l + 1);
  return {
    weight_spectra: {
      data: checkpoints.map((c) => ({ step: c.step, singular: c.singular })),
      svg: linePlot({
        title: "Per-layer weight singular values, narrow tanh on circles (solid σ₁, dashed σ_min)",
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

function summary(config: EmbeddingConfig, runs: RunRecord[], bottleneckMin: number[]): string {
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return [mean, Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(v.length - 1, 1))];
  };
  return [
    `\nEmbedding restrictions (seeds ${config.seeds.join(", ")}, up to ${config.tries} tries per seed)\n`,
    table(
      ["dataset", "model", "test acc (mean)", "± std", "train acc", "tries (total)", "steps (mean)"],
      DATASETS.flatMap((d) =>
        MODELS.map((k) => {
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
    `\nbottleneck: max over the grid of the smallest Jacobian singular value = ${
      Math.max(...bottleneckMin).toExponential(2)
    } (rank collapse)`,
  ].join("\n");
}

function report(config: EmbeddingConfig, records: Record<string, EmbeddingRecord>): Report {
  const ordered = plan(config).map((p) => records[unitId(p.data, p.model, p.seed)]);
  const runs = ordered.map((r) => r.run);
  const checkpoints = ordered.flatMap((r) => r.checkpoints ?? []);
  let figures: Report["figures"] = {};
  const maps: Record<string, Record<string, GridMaps>> = {};
  for (const name of DATASETS) {
    maps[name] = Object.fromEntries(MODELS.map((k) => [k, records[unitId(name, k, config.seeds[0])].maps!]));
    figures = { ...figures, ...mapFigures(config, dataset(name), runs, maps[name]) };
  }
  if (checkpoints.length > 0) figures = { ...figures, ...checkpointFigures(checkpoints) };
  return {
    results: { runs, checkpoints },
    figures,
    text: summary(config, runs, maps.circles["bottleneck tanh"].jacobianMin),
  };
}

const FLAGS = {
  seeds: { default: "0,1", kind: "counts", help: "Seeds of the training runs, one run per seed and model" },
  steps: { default: "300", kind: "count", min: 1, help: "Most training steps per try" },
  tries: { default: "2", kind: "count", min: 1, help: "Tries per model and seed until it reaches --threshold" },
  threshold: { default: "0.9", kind: "number", min: 0, max: 1, help: "Accuracy a try must reach to stop retrying" },
  grid: { default: "100", kind: "count", min: 2, help: "Points per side of the decision and Jacobian maps" },
} as const;

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
  }),
  units: (config): Unit[] =>
    plan(config).map((p) => ({ id: unitId(p.data, p.model, p.seed), weight: config.tries * config.maxSteps })),
  start(config) {
    const data = Object.fromEntries(DATASETS.map((name) => [name, dataset(name)]));
    const byId = new Map(plan(config).map((p) => [unitId(p.data, p.model, p.seed), p]));
    return Promise.resolve((unit: Unit, context: UnitContext<EmbeddingRecord>) => {
      const p = byId.get(unit.id)!;
      return modelStudy(config, data[p.data], p.model, p.seed, context);
    });
  },
  report,
};

if (import.meta.main) await main(experiment);
