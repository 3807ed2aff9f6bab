/**
 * NTK entropy during training.
 *
 * Question: how does the von Neumann entropy of a CNN's empirical neural tangent kernel evolve while it
 * learns MNIST, how does it compare with the infinite-width NTK of the same architecture, and how does it
 * depend on the number of examples the kernel sees and on the size of the training set?
 *
 * Run: `deno run -A experiments/ntk_entropy.ts [--epochs 8] [--subsets 5,10,20,50,100]
 *       [--sizes 10,25,50,100,200,400,800] [--train 1000] [--test 1000] [--seed 0]
 *       [--out out/ntk_entropy] [--quick]`
 *
 * Outputs (in --out): results.json (every number, rewritten after each epoch and each training-set size,
 * so finished work survives a crash), figures.json (the data of every figure), and the SVG figures
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
  type Figure,
  fit,
  Flatten,
  infiniteNtk,
  initGpu,
  linePlot,
  loadMnist,
  Sequential,
  softmaxCrossEntropy,
  subplots,
  Tensor,
  tidy,
  vonNeumannEntropy,
} from "../mod.ts";
import type { ImageSet } from "../data/mod.ts";
import { ProgressBar } from "../cli/mod.ts";
import {
  experimentFlags,
  resultsWriter,
  stderrWriter,
  table,
  trapezoidArea,
  writeAtomic,
  writeJson,
} from "./_common.ts";

const { flags, quick, out: outDir, config } = experimentFlags("ntk_entropy", {
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
    help: "Training-set sizes of the training-size study",
  },
  train: { default: "1000", kind: "count", min: 1, help: "MNIST training examples of the first study" },
  test: { default: "1000", kind: "count", min: 1, help: "MNIST test examples for the accuracy" },
  seed: { default: "0", kind: "count", help: "Seed of initialisation and shuffling" },
});
const epochs = quick ? 2 : flags.epochs;
const subsets = quick ? [5, 10] : flags.subsets;
const sizes = quick ? [10, 20] : flags.sizes;
const nTrain = quick ? 100 : flags.train;
const nTest = quick ? 200 : flags.test;
const seed = flags.seed;
const probe = Math.max(...subsets);
if (probe > nTrain || Math.max(...sizes) > nTrain) {
  throw new RangeError(`--subsets and --sizes must not exceed --train (${nTrain})`);
}
const batchSize = 64;

const rt = await initGpu();
console.error(`adapter: ${rt.adapterName}`);
const { train, test } = loadMnist({ train: nTrain, test: nTest, seed });

function buildCnn(modelSeed: number): Sequential {
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

/** The first n images of a set as a tensor. */
function firstImages(set: ImageSet, n: number): Tensor {
  return Tensor.fromArray(set.x.subarray(0, n * 784), [n, 28, 28, 1]);
}

/** Test loss and accuracy (forward passes in chunks, one read-back each). */
async function evaluate(model: Sequential, set: ImageSet): Promise<{ loss: number; accuracy: number }> {
  const n = set.labels.length, chunk = 250;
  let loss = 0, correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const logits = tidy(() =>
      model.forward(Tensor.fromArray(set.x.subarray(start * 784, (start + count) * 784), [count, 28, 28, 1]), "eval")
    );
    const z = await logits.toArray();
    logits.dispose();
    for (let i = 0; i < count; i++) {
      const row = z.subarray(i * 10, i * 10 + 10);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      const label = set.labels[start + i];
      loss += lse - row[label];
      if (row.indexOf(m) === label) correct++;
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

/** Traced empirical NTK of the model on the first `n` training images, read back. */
async function ntkOf(model: Sequential, n: number): Promise<Float32Array> {
  const k = tidy(() => empiricalNtk(model, firstImages(train, n)));
  const values = await k.toArray();
  k.dispose();
  return values;
}

interface EpochRecord {
  epoch: number;
  trainLoss: number | null;
  testLoss: number;
  testAccuracy: number;
  /** Empirical NTK entropy per subset size. */
  entropy: number[];
}
interface SizeRecord {
  size: number;
  epochs: number;
  finalTrainLoss: number;
  testAccuracy: number;
  probe: number;
  entropyBefore: number;
  entropyAfter: number;
}
const results: {
  config: Record<string, unknown>;
  infinite: { subsets: number[]; entropy: number[]; effective: number[] } | null;
  epochs: EpochRecord[];
  sizes: SizeRecord[];
  seconds: number;
} = {
  config: { epochs, subsets, sizes, train: nTrain, test: nTest, seed, batchSize, lr: 1e-3, adapter: rt.adapterName },
  infinite: null,
  epochs: [],
  sizes: [],
  seconds: 0,
};
const started = performance.now();
const save = resultsWriter(outDir, config, () => results);

// ---- Study 1: entropy during training -----------------------------------------------------------
const stepsPerEpoch = Math.ceil(nTrain / batchSize);
const sizeSteps = sizes.map((s) => stepsFor(s));
// Progress units are about one training step each: an NTK evaluation at the probe size costs ~25 steps,
// the infinite-width kernel ~100 (measured on the software adapter).
const NTK_UNITS = 25, INFINITE_UNITS = 100;
const sizeNtkUnits = (size: number) => Math.max(2, Math.round((NTK_UNITS * Math.min(size, probe)) / probe));
const bar = new ProgressBar({
  total: INFINITE_UNITS + epochs * stepsPerEpoch + (epochs + 1) * NTK_UNITS +
    sizes.reduce((t, size, k) => t + sizeSteps[k] + 2 * sizeNtkUnits(size), 0),
  label: "ntk_entropy",
  write: stderrWriter,
});
let done = 0;
const tick = (units: number, note: string) => bar.update(done += units, note);

{
  // Infinite-width NTK of the architecture (NTK parameterization), once.
  const architecture = buildCnn(seed);
  const inf = infiniteNtk(architecture, train.x.subarray(0, probe * 784), [probe, 28, 28, 1]);
  architecture.parameters().forEach((p) => p.dispose());
  const entropy = await subsetEntropies(inf.ntk, probe, subsets);
  results.infinite = { subsets, entropy, effective: entropy.map((s, i) => s / Math.log(subsets[i])) };
  tick(INFINITE_UNITS, "infinite-width NTK");
  await save();
}

const model = buildCnn(seed);
const optimizer = new Adam({ lr: 1e-3 });
const data = { x: train.x, xShape: train.shape, y: train.oneHot, yShape: [nTrain, 10] };
for (let epoch = 0; epoch <= epochs; epoch++) {
  let trainLoss: number | null = null;
  if (epoch > 0) {
    const r = await fit(model, data, {
      loss: softmaxCrossEntropy,
      optimizer,
      epochs: 1,
      batchSize,
      seed: deriveSeed(seed, "training", "shuffle", epoch),
      lossEvery: 5,
      onStep: () => tick(1, `epoch ${epoch}/${epochs}`),
    });
    trainLoss = r.epochLoss[0];
  }
  const { loss, accuracy } = await evaluate(model, test);
  const entropy = await subsetEntropies(await ntkOf(model, probe), probe, subsets);
  results.epochs.push({ epoch, trainLoss, testLoss: loss, testAccuracy: accuracy, entropy });
  tick(NTK_UNITS, `epoch ${epoch}: acc ${(100 * accuracy).toFixed(1)}%`);
  await save();
}

// ---- Study 2: training-set size ---------------------------------------------------------------
/** Optimizer steps budgeted for a training-set size: about 120 steps, at least 3 epochs. */
function stepsFor(size: number): number {
  const perEpoch = Math.ceil(size / batchSize);
  return perEpoch * Math.max(3, Math.ceil((quick ? 10 : 120) / perEpoch));
}
for (const [k, size] of sizes.entries()) {
  const fresh = buildCnn(deriveSeed(seed, "training size", "model", size));
  const probeN = Math.min(size, probe);
  const before = (await subsetEntropies(await ntkOf(fresh, probeN), probeN, [probeN]))[0];
  tick(sizeNtkUnits(size), `size ${size}: NTK before`);
  const sub = {
    x: train.x.subarray(0, size * 784),
    xShape: [size, 28, 28, 1],
    y: train.oneHot.subarray(0, size * 10),
    yShape: [size, 10],
  };
  const run = await fit(fresh, sub, {
    loss: softmaxCrossEntropy,
    optimizer: new Adam({ lr: 1e-3 }),
    epochs: sizeSteps[k] / Math.ceil(size / batchSize),
    batchSize,
    seed: deriveSeed(seed, "training size", "shuffle", size),
    lossEvery: 5,
    // "To convergence": stop at a training loss of 1e-3, or after 10 epochs without improvement.
    earlyStopping: { target: 1e-3, patience: 10 },
    onStep: () => tick(1, `size ${size}: training`),
  });
  // Steps skipped by early stopping still count as done.
  tick(sizeSteps[k] - run.steps, `size ${size}: trained`);
  const after = (await subsetEntropies(await ntkOf(fresh, probeN), probeN, [probeN]))[0];
  const { accuracy } = await evaluate(fresh, test);
  fresh.parameters().forEach((p) => p.dispose());
  results.sizes.push({
    size,
    epochs: run.epochLoss.length,
    finalTrainLoss: run.epochLoss.at(-1)!,
    testAccuracy: accuracy,
    probe: probeN,
    entropyBefore: before,
    entropyAfter: after,
  });
  tick(sizeNtkUnits(size), `size ${size}: acc ${(100 * accuracy).toFixed(1)}%`);
  await save();
}
bar.finish(`${((performance.now() - started) / 1000).toFixed(0)} s`);

// ---- Figures and tables ----------------------------------------------------------------------
const ep = results.epochs.map((r) => r.epoch);
const acc = results.epochs.map((r) => r.testAccuracy);
const inf = results.infinite!;
const transfer = subsets.map((_, i) => results.epochs[0].entropy[i] - results.epochs.at(-1)!.entropy[i]);
const area = subsets.map((_, i) => trapezoidArea(ep, results.epochs.map((r) => r.entropy[i])));
const figures: Record<string, { svg: Figure; data: unknown }> = {};

const perSubset = subsets.map((n, i) => ({ x: ep, y: results.epochs.map((r) => r.entropy[i]), label: `N = ${n}` }));
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
  data: { subsets, initial: results.epochs[0].entropy, final: results.epochs.at(-1)!.entropy, infinite: inf.entropy },
  svg: linePlot({
    title: "Entropy vs number of examples",
    series: [
      { x: subsets, y: results.epochs[0].entropy, label: "empirical, init", markers: true },
      { x: subsets, y: results.epochs.at(-1)!.entropy, label: "empirical, trained", markers: true },
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
figures.information_transfer = {
  data: { subsets, transfer, area },
  svg: subplots({
    panels: [
      linePlot({
        series: [{ x: subsets, y: transfer, markers: true, label: "S(start) − S(end)" }],
        xScale: "log",
        xLabel: "examples N",
        yLabel: "nats",
        width: 420,
        height: 320,
      }),
      linePlot({
        series: [{ x: subsets, y: area, markers: true, label: "∫ S dt" }],
        xScale: "log",
        xLabel: "examples N",
        yLabel: "nats × epochs",
        width: 420,
        height: 320,
      }),
    ],
    titles: ["Information transfer", "Area under the entropy curve"],
    title: "Per subset size",
  }),
};
const sz = results.sizes.map((r) => r.size);
figures.training_size = {
  data: results.sizes,
  svg: subplots({
    panels: [
      linePlot({
        series: [
          { x: sz, y: results.sizes.map((r) => r.entropyBefore), label: "before training", markers: true },
          { x: sz, y: results.sizes.map((r) => r.entropyAfter), label: "after training", markers: true },
        ],
        xScale: "log",
        xLabel: "training-set size",
        yLabel: "NTK entropy on the probe set",
        width: 440,
        height: 320,
      }),
      linePlot({
        series: [{ x: sz, y: results.sizes.map((r) => r.testAccuracy), label: "test accuracy", markers: true }],
        xScale: "log",
        xLabel: "training-set size",
        yLabel: "test accuracy",
        width: 440,
        height: 320,
      }),
    ],
    titles: ["Entropy before and after", "Test accuracy"],
    title: "Fresh models trained on growing training sets",
  }),
};
for (const [name, f] of Object.entries(figures)) await writeAtomic(`${outDir}/${name}.svg`, f.svg.toSvg());
await writeJson(`${outDir}/figures.json`, Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.data])));
await save("complete");

console.log(`\nNTK entropy during training (${rt.adapterName}; ${nTrain} training / ${nTest} test digits)\n`);
console.log(table(
  ["epoch", "train loss", "test loss", "test acc", ...subsets.map((n) => `S(N=${n})`)],
  results.epochs.map((r) => [r.epoch, r.trainLoss ?? "-", r.testLoss, r.testAccuracy, ...r.entropy]),
));
console.log("\nPer subset size\n");
console.log(table(
  ["N", "S init", "S final", "S infinite", "S final / ln N", "transfer", "area"],
  subsets.map((
    n,
    i,
  ) => [
    n,
    results.epochs[0].entropy[i],
    results.epochs.at(-1)!.entropy[i],
    inf.entropy[i],
    results.epochs.at(-1)!.entropy[i] / Math.log(n),
    transfer[i],
    area[i],
  ]),
));
console.log("\nFresh models per training-set size\n");
console.log(table(
  ["size", "epochs", "final train loss", "test acc", "probe N", "S before", "S after"],
  results.sizes.map((
    r,
  ) => [r.size, r.epochs, r.finalTrainLoss, r.testAccuracy, r.probe, r.entropyBefore, r.entropyAfter]),
));
console.log(
  `\nwrote ${outDir}/{results,figures}.json and ${Object.keys(figures).length} SVG figures in ${
    results.seconds.toFixed(0)
  } s`,
);
