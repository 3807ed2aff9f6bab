/**
 * The NTK-entropy experiment's units (see ./ntk_entropy.ts): the infinite-width kernel, the training run
 * (study 1) and one fresh model per training-set size (study 2), with each unit's share of the progress bar.
 *
 * @module
 */
import { Adam, deriveSeed, fit, infiniteNtkGpu, softmaxCrossEntropy } from "../mod.ts";
import { sliceImages } from "../data/mod.ts";
import type { Unit, UnitContext } from "./_program.ts";
import { buildCnn, evaluate, ntkOf, subsetEntropies } from "./_ntk_model.ts";
import type { EpochRecord, InfiniteRecord, NtkData, NtkEntropyConfig, NtkRecord, SizeRecord } from "./_ntk_types.ts";

// Progress units are about one training step each (~0.1 s on the software adapter). An NTK evaluation
// takes about 0.025 s per example (differentiating it) plus 1.5e-5 s per pair (the block products):
// 25 units at N = 100, 400 at N = 1000; the infinite-width kernel ~100 (measured there).
const INFINITE_UNITS = 100;
const ntkUnits = (n: number) => Math.max(2, Math.round(0.25 * n + 1.5e-4 * n * n));

const probeSize = (config: NtkEntropyConfig) => Math.max(...config.subsets);

/** The infinite-width NTK's entropies on the probe subsets (of the trained architecture; fixed in training). */
export async function infiniteWidthStudy(
  config: NtkEntropyConfig,
  data: NtkData,
  context?: Pick<UnitContext<NtkRecord>, "tick">,
): Promise<InfiniteRecord> {
  const probe = probeSize(config), architecture = buildCnn(config.seed, config.parameterization);
  const images = sliceImages(data.train, 0, probe);
  // The kernel takes most of the unit: its pairs move the bar (the entropies, the last 1%, tick at the end).
  let reported = 0;
  const inf = await infiniteNtkGpu(architecture, images.x, images.shape, {
    onProgress: (done, total) => {
      const units = Math.floor((0.99 * INFINITE_UNITS * done) / total);
      if (units > reported) context?.tick(units - reported, `infinite-width kernel: ${done}/${total} pairs`);
      reported = Math.max(reported, units);
    },
  });
  architecture.parameters().forEach((p) => p.dispose());
  const entropies = await subsetEntropies(inf.ntk, probe, config.subsets);
  const entropy = entropies[config.normalization];
  context?.tick(INFINITE_UNITS - reported, "entropies");
  return {
    subsets: config.subsets,
    entropy,
    effective: entropy.map((s, i) => s / Math.log(config.subsets[i])),
    entropies,
  };
}

/** Study 1: train the CNN for `epochs`, evaluating accuracy and the NTK entropies after each epoch. */
export async function trainingStudy(
  config: NtkEntropyConfig,
  data: NtkData,
  context?: Pick<UnitContext<{ epochs: EpochRecord[] }>, "tick" | "checkpoint">,
): Promise<{ epochs: EpochRecord[] }> {
  const { seed, batchSize, epochs } = config, probe = probeSize(config);
  const model = buildCnn(seed, config.parameterization);
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
        dropRemainder: config.dropRemainder,
        seed: deriveSeed(seed, "training", "shuffle", epoch),
        lossEvery: 5,
        onStep: () => context?.tick(1, `epoch ${epoch}/${epochs}`),
      });
      trainLoss = r.epochLoss[0];
    }
    const { loss, accuracy } = await evaluate(model, data.test);
    const entropies = await subsetEntropies(await ntkOf(model, data.train, probe), probe, config.subsets);
    const entropy = entropies[config.normalization];
    record.epochs.push({ epoch, trainLoss, testLoss: loss, testAccuracy: accuracy, entropy, entropies });
    context?.tick(ntkUnits(probe), `epoch ${epoch}: acc ${(100 * accuracy).toFixed(1)}%`);
    await context?.checkpoint(record);
  }
  model.parameters().forEach((p) => p.dispose());
  return record;
}

/** Study 2's schedule for a training-set size: steps per epoch, epochs, and the kernel's image count. */
function sizePlan(config: NtkEntropyConfig, size: number): { perEpoch: number; epochs: number; probe: number } {
  const perEpoch = Math.ceil(size / config.sizeBatch);
  const epochs = config.sizeStepBudget === null
    ? config.sizeEpochs
    : Math.min(config.sizeEpochs, Math.max(3, Math.ceil(config.sizeStepBudget / perEpoch)));
  return { perEpoch, epochs, probe: Math.min(size, config.sizeProbeCap ?? size) };
}

/** Study 2: a fresh model trained on the first `size` images; NTK entropy on the probe before and after. */
export async function trainingSizeStudy(
  config: NtkEntropyConfig,
  data: NtkData,
  size: number,
  context?: Pick<UnitContext<SizeRecord>, "tick">,
): Promise<SizeRecord> {
  const { seed } = config, plan = sizePlan(config, size), probeN = plan.probe;
  const fresh = buildCnn(deriveSeed(seed, "training size", "model", size), config.parameterization);
  const entropyOf = async () => {
    const e = await subsetEntropies(await ntkOf(fresh, data.train, probeN), probeN, [probeN]);
    return { raw: e.raw[0], cosine: e.cosine[0] };
  };
  const before = await entropyOf();
  context?.tick(ntkUnits(probeN), "NTK before");
  const sub = sliceImages(data.train, 0, size);
  const run = await fit(fresh, { x: sub.x, xShape: sub.shape, y: sub.oneHot, yShape: [size, 10] }, {
    loss: softmaxCrossEntropy,
    optimizer: new Adam({ lr: config.lr }),
    epochs: plan.epochs,
    batchSize: config.sizeBatch,
    seed: deriveSeed(seed, "training size", "shuffle", size),
    lossEvery: 5,
    // Stop at a training loss of 1e-3 (the original's training_threshold), or when it stops improving.
    earlyStopping: { target: 1e-3, patience: config.sizePatience ?? Number.MAX_SAFE_INTEGER },
    onStep: () => context?.tick(1, "training"),
  });
  const after = await entropyOf();
  const { accuracy } = await evaluate(fresh, data.test);
  fresh.parameters().forEach((p) => p.dispose());
  return {
    size,
    epochs: run.epochLoss.length,
    steps: run.steps,
    finalTrainLoss: run.epochLoss.at(-1)!,
    testAccuracy: accuracy,
    probe: probeN,
    entropyBefore: before[config.sizeBefore],
    entropyAfter: after[config.normalization],
    before,
    after,
  };
}

/** Every unit of the sweep, in report order, each weighted in about one training step. */
export function units(config: NtkEntropyConfig): Unit[] {
  const perEpoch = config.dropRemainder
    ? Math.floor(config.train / config.batchSize)
    : Math.ceil(config.train / config.batchSize);
  return [
    { id: "infinite", weight: INFINITE_UNITS },
    { id: "training", weight: config.epochs * perEpoch + (config.epochs + 1) * ntkUnits(probeSize(config)) },
    ...config.sizes.map((size) => {
      const plan = sizePlan(config, size);
      return { id: `size ${size}`, weight: plan.perEpoch * plan.epochs + 2 * ntkUnits(plan.probe) };
    }),
  ];
}
