/**
 * NTK entropy during training.
 *
 * Question: how does the von Neumann entropy of a CNN's empirical neural tangent kernel evolve while it
 * learns MNIST, how does it compare with the infinite-width NTK of the same architecture, and how does it
 * depend on the number of examples the kernel sees and on the size of the training set?
 *
 * Run: `deno run -A experiments/ntk_entropy.ts [--epochs 8] [--subsets 5,10,20,50,100]
 *       [--sizes 10,25,50,100,200,400,800] [--train 1000] [--test 1000] [--seed 0]
 *       [--out out/ntk_entropy] [--quick] [--shard i/n]`, and `deno run -A experiments/ntk_entropy.ts merge
 *       SHARD_DIR... --out OUT` to join shards.
 *
 * Units: the infinite-width kernel, the training run (all epochs; checkpointed after each), then one
 * fresh model per training-set size.
 *
 * Outputs (in --out): results.json (every number, rewritten after each epoch and each unit, so finished
 * work survives a crash), figures.json (the data of every figure), and the SVG figures
 * entropy_vs_epoch.svg, entropy_vs_subset.svg, entropy_vs_accuracy.svg, information_transfer.svg,
 * training_size.svg. Tables go to stdout, progress to stderr.
 *
 * Model: Conv 32 3x3 valid, ReLU, AvgPool 2, Conv 64 3x3, ReLU, AvgPool 2, Flatten, Dense 256, ReLU,
 * Dense 10 (He init), Adam lr 1e-3, softmax cross-entropy, batch 64. The NTK is traced over the 10
 * outputs and evaluated on the first N training images for each subset size N (the subsets' kernels are
 * leading blocks of the largest one). The infinite-width NTK uses the same architecture in the NTK
 * parameterization (σ_w = √2, σ_b = 0); it does not change with training. Entropies: S = −Σ λ̂ ln λ̂ of the
 * kernel's eigenvalues normalised to sum 1 (natural log); S/ln N is reported as "effective".
 */
import {
  Activation,
  Adam,
  AvgPool2d,
  Conv2d,
  Dense,
  deriveSeed,
  empiricalNtk,
  fit,
  Flatten,
  infiniteNtk,
  linePlot,
  loadMnist,
  Sequential,
  softmaxCrossEntropy,
  subplots,
  Tensor,
  tidy,
  vonNeumannEntropy,
} from "../mod.ts";
import { type ImageSet, MNIST_CLASSES, sliceImages } from "../data/mod.ts";
import { table, trapezoidArea } from "./_common.ts";
import { type Experiment, main, type Report, type Unit, type UnitContext } from "./_program.ts";

/** The configuration of a run (flags after --quick). */
export interface NtkEntropyConfig {
  /** Training epochs of study 1. */
  epochs: number;
  /** Probe subset sizes N whose kernel entropy is tracked (leading blocks of the largest). */
  subsets: number[];
  /** Training-set sizes of study 2. */
  sizes: number[];
  /** MNIST training and test images. */
  train: number;
  test: number;
  seed: number;
  batchSize: number;
  lr: number;
  /** Optimizer steps budgeted per training-set size (at least 3 epochs). */
  sizeStepBudget: number;
}

/** One evaluation of study 1 (epoch 0 is the initialisation). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number | null;
  testLoss: number;
  testAccuracy: number;
  /** Empirical NTK entropy per subset size. */
  entropy: number[];
}
/** One fresh model of study 2. */
export interface SizeRecord {
  size: number;
  epochs: number;
  finalTrainLoss: number;
  testAccuracy: number;
  probe: number;
  entropyBefore: number;
  entropyAfter: number;
}
/** The infinite-width kernel's entropies per subset size. */
export interface InfiniteRecord {
  subsets: number[];
  entropy: number[];
  effective: number[];
}
type NtkRecord = InfiniteRecord | { epochs: EpochRecord[] } | SizeRecord;

/** The data every unit shares: the MNIST split of the seed. */
export interface NtkData {
  train: ImageSet;
  test: ImageSet;
}

// Progress units are about one training step each: an NTK evaluation at the probe size costs ~25 steps,
// the infinite-width kernel ~100 (measured on the software adapter).
const NTK_UNITS = 25, INFINITE_UNITS = 100;

/** The CNN of both studies (He init), seeded. */
export function buildCnn(modelSeed: number): Sequential {
  return new Sequential([
    new Conv2d(1, 32, 3, { seed: modelSeed, stream: 0 }),
    new Activation("relu"),
    new AvgPool2d(2),
    new Conv2d(32, 64, 3, { seed: modelSeed, stream: 1 }),
    new Activation("relu"),
    new AvgPool2d(2),
    new Flatten(),
    new Dense(1600, 256, { seed: modelSeed, stream: 2 }),
    new Activation("relu"),
    new Dense(256, 10, { seed: modelSeed, stream: 3 }),
  ]);
}

const probeSize = (config: NtkEntropyConfig) => Math.max(...config.subsets);
const imagesTensor = (set: ImageSet) => Tensor.fromArray(set.x, set.shape);

/** Test loss (the library's softmax cross-entropy) and accuracy, in chunks of 250 images. */
export async function evaluate(model: Sequential, set: ImageSet): Promise<{ loss: number; accuracy: number }> {
  const n = set.labels.length, chunk = 250;
  let loss = 0, correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const part = sliceImages(set, start, Math.min(chunk, n - start));
    const [logits, mean] = tidy(() => {
      const z = model.forward(imagesTensor(part), "eval");
      return [z, softmaxCrossEntropy(z, part.labels)];
    });
    const z = await logits.toArray();
    loss += (await mean.item()) * part.labels.length;
    logits.dispose();
    mean.dispose();
    for (let i = 0; i < part.labels.length; i++) {
      const row = z.subarray(i * MNIST_CLASSES, (i + 1) * MNIST_CLASSES);
      if (row.indexOf(Math.max(...row)) === part.labels[i]) correct++;
    }
  }
  return { loss: loss / n, accuracy: correct / n };
}

/** Leading n x n block of an N x N kernel, symmetrised (float32 rounding can differ across the diagonal). */
function leadingBlock(k: ArrayLike<number>, size: number, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = 0.5 * (k[i * size + j] + k[j * size + i]);
  }
  return out;
}

/** Von Neumann entropy (nats) of each leading block. */
async function subsetEntropies(k: ArrayLike<number>, size: number, ns: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of ns) out.push((await vonNeumannEntropy(leadingBlock(k, size, n))).entropy);
  return out;
}

/** Traced empirical NTK of the model on the first `n` images of a set, read back. */
async function ntkOf(model: Sequential, set: ImageSet, n: number): Promise<Float32Array> {
  const k = tidy(() => empiricalNtk(model, imagesTensor(sliceImages(set, 0, n))));
  const values = await k.toArray();
  k.dispose();
  return values;
}

/** The infinite-width NTK's entropies on the probe subsets (NTK parameterization; fixed in training). */
export async function infiniteWidthStudy(config: NtkEntropyConfig, data: NtkData): Promise<InfiniteRecord> {
  const probe = probeSize(config), architecture = buildCnn(config.seed);
  const images = sliceImages(data.train, 0, probe);
  const inf = infiniteNtk(architecture, images.x, images.shape);
  architecture.parameters().forEach((p) => p.dispose());
  const entropy = await subsetEntropies(inf.ntk, probe, config.subsets);
  return { subsets: config.subsets, entropy, effective: entropy.map((s, i) => s / Math.log(config.subsets[i])) };
}

/** Study 1: train the CNN for `epochs`, evaluating accuracy and the NTK entropies after each epoch. */
export async function trainingStudy(
  config: NtkEntropyConfig,
  data: NtkData,
  context?: Pick<UnitContext<{ epochs: EpochRecord[] }>, "tick" | "checkpoint">,
): Promise<{ epochs: EpochRecord[] }> {
  const { seed, batchSize, epochs } = config, probe = probeSize(config);
  const model = buildCnn(seed);
  const optimizer = new Adam({ lr: config.lr });
  const set = sliceImages(data.train, 0, config.train);
  const record: { epochs: EpochRecord[] } = { epochs: [] };
  for (let epoch = 0; epoch <= epochs; epoch++) {
    let trainLoss: number | null = null;
    if (epoch > 0) {
      const r = await fit(model, { x: set.x, xShape: set.shape, y: set.oneHot, yShape: [config.train, 10] }, {
        loss: softmaxCrossEntropy,
        optimizer,
        epochs: 1,
        batchSize,
        seed: deriveSeed(seed, "training", "shuffle", epoch),
        lossEvery: 5,
        onStep: () => context?.tick(1, `epoch ${epoch}/${epochs}`),
      });
      trainLoss = r.epochLoss[0];
    }
    const { loss, accuracy } = await evaluate(model, data.test);
    const entropy = await subsetEntropies(await ntkOf(model, data.train, probe), probe, config.subsets);
    record.epochs.push({ epoch, trainLoss, testLoss: loss, testAccuracy: accuracy, entropy });
    context?.tick(NTK_UNITS, `epoch ${epoch}: acc ${(100 * accuracy).toFixed(1)}%`);
    await context?.checkpoint(record);
  }
  model.parameters().forEach((p) => p.dispose());
  return record;
}

/** Optimizer steps budgeted for a training-set size: about `sizeStepBudget` steps, at least 3 epochs. */
function stepsFor(config: NtkEntropyConfig, size: number): number {
  const perEpoch = Math.ceil(size / config.batchSize);
  return perEpoch * Math.max(3, Math.ceil(config.sizeStepBudget / perEpoch));
}
const sizeNtkUnits = (config: NtkEntropyConfig, size: number) =>
  Math.max(2, Math.round((NTK_UNITS * Math.min(size, probeSize(config))) / probeSize(config)));

/** Study 2: a fresh model trained on the first `size` images; NTK entropy on the probe before and after. */
export async function trainingSizeStudy(
  config: NtkEntropyConfig,
  data: NtkData,
  size: number,
  context?: Pick<UnitContext<SizeRecord>, "tick">,
): Promise<SizeRecord> {
  const { seed, batchSize } = config;
  const fresh = buildCnn(deriveSeed(seed, "training size", "model", size));
  const probeN = Math.min(size, probeSize(config));
  const before = (await subsetEntropies(await ntkOf(fresh, data.train, probeN), probeN, [probeN]))[0];
  context?.tick(sizeNtkUnits(config, size), "NTK before");
  const sub = sliceImages(data.train, 0, size);
  const run = await fit(fresh, { x: sub.x, xShape: sub.shape, y: sub.oneHot, yShape: [size, 10] }, {
    loss: softmaxCrossEntropy,
    optimizer: new Adam({ lr: config.lr }),
    epochs: stepsFor(config, size) / Math.ceil(size / batchSize),
    batchSize,
    seed: deriveSeed(seed, "training size", "shuffle", size),
    lossEvery: 5,
    // "To convergence": stop at a training loss of 1e-3, or after 10 epochs without improvement.
    earlyStopping: { target: 1e-3, patience: 10 },
    onStep: () => context?.tick(1, "training"),
  });
  const after = (await subsetEntropies(await ntkOf(fresh, data.train, probeN), probeN, [probeN]))[0];
  const { accuracy } = await evaluate(fresh, data.test);
  fresh.parameters().forEach((p) => p.dispose());
  return {
    size,
    epochs: run.epochLoss.length,
    finalTrainLoss: run.epochLoss.at(-1)!,
    testAccuracy: accuracy,
    probe: probeN,
    entropyBefore: before,
    entropyAfter: after,
  };
}

function units(config: NtkEntropyConfig): Unit[] {
  const stepsPerEpoch = Math.ceil(config.train / config.batchSize);
  return [
    { id: "infinite", weight: INFINITE_UNITS },
    { id: "training", weight: config.epochs * stepsPerEpoch + (config.epochs + 1) * NTK_UNITS },
    ...config.sizes.map((size) => ({
      id: `size ${size}`,
      weight: stepsFor(config, size) + 2 * sizeNtkUnits(config, size),
    })),
  ];
}

function report(config: NtkEntropyConfig, records: Record<string, NtkRecord>): Report {
  const { subsets } = config;
  const inf = records.infinite as InfiniteRecord;
  const epochs = (records.training as { epochs: EpochRecord[] }).epochs;
  const sizes = config.sizes.map((size) => records[`size ${size}`] as SizeRecord);
  const first = epochs[0], last = epochs.at(-1)!;
  const ep = epochs.map((r) => r.epoch);
  const acc = epochs.map((r) => r.testAccuracy);
  const transfer = subsets.map((_, i) => first.entropy[i] - last.entropy[i]);
  const area = subsets.map((_, i) => trapezoidArea(ep, epochs.map((r) => r.entropy[i])));
  const figures: Report["figures"] = {};
  const perSubset = subsets.map((n, i) => ({ x: ep, y: epochs.map((r) => r.entropy[i]), label: `N = ${n}` }));
  figures.entropy_vs_epoch = {
    data: { epoch: ep, subsets, entropy: perSubset.map((s) => s.y), testAccuracy: acc },
    svg: linePlot({
      title: "Empirical NTK entropy during training",
      series: [...perSubset.map((s) => ({ ...s, markers: true })), {
        x: ep,
        y: acc,
        label: "test accuracy",
        axis: "right",
        dashed: true,
      }],
      xLabel: "epoch",
      yLabel: "von Neumann entropy S (nats)",
      y2Label: "test accuracy",
    }),
  };
  figures.entropy_vs_subset = {
    data: { subsets, initial: first.entropy, final: last.entropy, infinite: inf.entropy },
    svg: linePlot({
      title: "Entropy vs number of examples",
      series: [
        { x: subsets, y: first.entropy, label: "empirical, init", markers: true },
        { x: subsets, y: last.entropy, label: "empirical, trained", markers: true },
        { x: subsets, y: inf.entropy, label: "infinite width", markers: true, dashed: true },
        { x: subsets, y: subsets.map(Math.log), label: "ln N (maximum)", dashed: true },
      ],
      xLabel: "examples N",
      xScale: "log",
      yLabel: "entropy S (nats)",
    }),
  };
  figures.entropy_vs_accuracy = {
    data: { accuracy: acc, entropy: perSubset.map((s) => s.y), subsets },
    svg: linePlot({
      title: "Entropy vs test accuracy (one point per epoch)",
      series: perSubset.map((s) => ({ x: acc, y: s.y, label: s.label, markers: true })),
      xLabel: "test accuracy",
      yLabel: "entropy S (nats)",
    }),
  };
  const panel = { xScale: "log" as const, width: 420, height: 320 };
  figures.information_transfer = {
    data: { subsets, transfer, area },
    svg: subplots({
      panels: [
        linePlot({
          ...panel,
          series: [{ x: subsets, y: transfer, markers: true, label: "S(start) − S(end)" }],
          xLabel: "examples N",
          yLabel: "nats",
        }),
        linePlot({
          ...panel,
          series: [{ x: subsets, y: area, markers: true, label: "∫ S dt" }],
          xLabel: "examples N",
          yLabel: "nats × epochs",
        }),
      ],
      titles: ["Information transfer", "Area under the entropy curve"],
      title: "Per subset size",
    }),
  };
  const sz = sizes.map((r) => r.size);
  figures.training_size = {
    data: sizes,
    svg: subplots({
      panels: [
        linePlot({
          ...panel,
          width: 440,
          series: [
            { x: sz, y: sizes.map((r) => r.entropyBefore), label: "before training", markers: true },
            { x: sz, y: sizes.map((r) => r.entropyAfter), label: "after training", markers: true },
          ],
          xLabel: "training-set size",
          yLabel: "NTK entropy on the probe set",
        }),
        linePlot({
          ...panel,
          width: 440,
          series: [{ x: sz, y: sizes.map((r) => r.testAccuracy), label: "test accuracy", markers: true }],
          xLabel: "training-set size",
          yLabel: "test accuracy",
        }),
      ],
      titles: ["Entropy before and after", "Test accuracy"],
      title: "Fresh models trained on growing training sets",
    }),
  };
  const text = [
    `\nNTK entropy during training (${config.train} training / ${config.test} test digits)\n`,
    table(
      ["epoch", "train loss", "test loss", "test acc", ...subsets.map((n) => `S(N=${n})`)],
      epochs.map((r) => [r.epoch, r.trainLoss ?? "-", r.testLoss, r.testAccuracy, ...r.entropy]),
    ),
    "\nPer subset size\n",
    table(
      ["N", "S init", "S final", "S infinite", "S final / ln N", "transfer", "area"],
      subsets.map((n, i) => [
        n,
        first.entropy[i],
        last.entropy[i],
        inf.entropy[i],
        last.entropy[i] / Math.log(n),
        transfer[i],
        area[i],
      ]),
    ),
    "\nFresh models per training-set size\n",
    table(
      ["size", "epochs", "final train loss", "test acc", "probe N", "S before", "S after"],
      sizes.map((r) => [r.size, r.epochs, r.finalTrainLoss, r.testAccuracy, r.probe, r.entropyBefore, r.entropyAfter]),
    ),
  ].join("\n");
  return { results: { infinite: inf, epochs, sizes }, figures, text };
}

const FLAGS = {
  epochs: { default: "8", kind: "count", min: 1, help: "Training epochs of the entropy-during-training study" },
  subsets: {
    default: "5,10,20,50,100",
    kind: "counts",
    min: 1,
    help: "Probe subset sizes whose NTK entropy is tracked",
  },
  sizes: {
    default: "10,25,50,100,200,400,800",
    kind: "counts",
    min: 1,
    help: "Training-set sizes of the second study",
  },
  train: { default: "1000", kind: "count", min: 1, help: "MNIST training examples of the first study" },
  test: { default: "1000", kind: "count", min: 1, help: "MNIST test examples for the accuracy" },
  seed: { default: "0", kind: "count", help: "Seed of initialisation and shuffling" },
} as const;

/** The NTK-entropy experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, NtkEntropyConfig, NtkRecord> = {
  name: "ntk_entropy",
  flags: FLAGS,
  configure(flags, quick) {
    const config: NtkEntropyConfig = {
      epochs: quick ? 2 : flags.epochs,
      subsets: quick ? [5, 10] : flags.subsets,
      sizes: quick ? [10, 20] : flags.sizes,
      train: quick ? 100 : flags.train,
      test: quick ? 200 : flags.test,
      seed: flags.seed,
      batchSize: 64,
      lr: 1e-3,
      sizeStepBudget: quick ? 10 : 120,
    };
    if (Math.max(...config.subsets, ...config.sizes) > config.train) {
      throw new RangeError(`--subsets and --sizes must not exceed --train (${config.train})`);
    }
    return config;
  },
  units,
  start(config) {
    const data = loadMnist({ train: config.train, test: config.test, seed: config.seed });
    return Promise.resolve((unit: Unit, context: UnitContext<NtkRecord>) => {
      if (unit.id === "infinite") return infiniteWidthStudy(config, data);
      if (unit.id === "training") return trainingStudy(config, data, context);
      return trainingSizeStudy(config, data, Number(unit.id.slice("size ".length)), context);
    });
  },
  report,
};

if (import.meta.main) await main(experiment);
