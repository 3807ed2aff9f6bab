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
import { type Experiment, main, type Report, studyRunner, type Unit, type UnitContext } from "./_program.ts";
import {
  dataset,
  type DatasetName,
  type EmbeddingConfig,
  type EmbeddingRecord,
  type GridMaps,
  type ModelName,
} from "./_embedding_models.ts";
import { modelStudy, stagedStudy, trySteps } from "./_embedding_training.ts";
import { checkpointFigures, mapFigures, stagedFigures, summary } from "./_embedding_figures.ts";

export {
  build,
  type Checkpoint,
  type Dataset,
  dataset,
  type EmbeddingConfig,
  type EmbeddingRecord,
  type GridMaps,
  type ModelName,
  type RunRecord,
  type StagedRecord,
} from "./_embedding_models.ts";
export { modelStudy, stagedStudy } from "./_embedding_training.ts";

const unitId = (d: DatasetName, m: ModelName, seed: number) => `${d} ${m} seed ${seed}`;
function plan(config: EmbeddingConfig): { data: DatasetName; model: ModelName; seed: number }[] {
  return config.datasets.flatMap((data) =>
    config.models.map((model) => config.seeds.map((seed) => ({ data, model, seed }))).flat()
  );
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
