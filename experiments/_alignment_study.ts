/**
 * The alignment experiment's configuration, records and unit (see ./alignment.ts): one training run per
 * seed of the seed CNN, measuring after every epoch the NTK–target alignment of the whole kernel and of
 * each weight layer's share, the NTK entropy, and RankMe and α-ReQ of the penultimate features; after the
 * last epoch, each layer's centred Gram matrix on the CKA probe, for the cross-seed CKA of the report.
 *
 * @module
 */
import {
  Adam,
  alphaReq,
  concat,
  deriveSeed,
  empiricalNtkLayers,
  fit,
  kernelAlignment,
  matmul,
  noGrad,
  rankMe,
  type Sequential,
  softmaxCrossEntropy,
  Tensor,
  tidy,
  vonNeumannEntropy,
} from "../mod.ts";
import { type ImageSet, sliceImages } from "../data/mod.ts";
import type { UnitContext } from "./_program.ts";
import { buildCnn, evaluate, imagesTensor } from "./_ntk_model.ts";

/** The configuration of a run (flags after --quick). */
export interface AlignmentConfig {
  epochs: number;
  /** MNIST training and test images. */
  train: number;
  test: number;
  /** One training run per seed; the CKA heatmap compares every pair. */
  seeds: number[];
  /** The trained network: standard (He init, zero biases) or stax's NTK parameterization (σ_w = 1, no bias). */
  parameterization: "standard" | "ntk";
  batchSize: number;
  dropRemainder: boolean;
  lr: number;
  /** Training images whose empirical NTK is measured (the first ones). */
  ntkProbe: number;
  /** Test images whose features give RankMe, α-ReQ and the layers' Gram matrices (the first ones). */
  featureProbe: number;
}

/** The trace indices (output of layer i − 1) compared by CKA, and their names; Flatten repeats pool 2. */
export const CKA_LAYERS = [1, 2, 3, 4, 5, 6, 8, 9, 10];
/** Names of {@linkcode CKA_LAYERS}. */
export const CKA_NAMES = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "dense1", "relu3", "logits"];
/** The penultimate features (the ReLU after the 256-wide dense layer), whose RankMe and α-ReQ are tracked. */
export const PENULTIMATE = 9;
/** The seed CNN's four weight layers, as the per-layer NTK shares name them. */
export const WEIGHT_NAMES = ["conv1", "conv2", "dense1", "dense2"];

/** One evaluation (epoch 0 is the initialisation). */
export interface AlignmentEpoch {
  epoch: number;
  trainLoss: number | null;
  testLoss: number;
  testAccuracy: number;
  /** Centred NTK–target alignment of the whole traced NTK with the probe's labels. */
  ntkAlignment: number;
  /** The same for each weight layer's share Θ_l of the kernel, in {@linkcode WEIGHT_NAMES} order. */
  layerAlignment: number[];
  /** tr Θ_l / tr Θ: each weight layer's share of the kernel's trace. */
  layerTrace: number[];
  /** Von Neumann entropy (nats) of the cosine-normalised NTK, as the main job reports it. */
  ntkEntropy: number;
  /** RankMe and α-ReQ (with its fit's R²) of the penultimate features on the feature probe. */
  rankMe: number;
  alphaReq: number;
  alphaR2: number;
}

/** One seed's run: its epochs, and after the last one each CKA layer's centred Gram (upper triangle, row by row). */
export interface SeedRecord {
  seed: number;
  epochs: AlignmentEpoch[];
  /** n = the feature probe; gram[q] holds H K H of layer CKA_LAYERS[q], entries (i, j ≥ i), 8 significant digits. */
  grams: number[][] | null;
}

// Progress units are about one training step each; a measurement about 0.3 units per NTK probe image.
/** The progress weight of one evaluation. */
export const measureUnits = (config: AlignmentConfig): number => Math.max(2, Math.round(0.3 * config.ntkProbe));

/** The data every unit shares. */
export interface AlignmentData {
  train: ImageSet;
  test: ImageSet;
}

/** The centred Gram H X Xᵀ H of features [n, d], in float64 from the float32 product, upper triangle. */
export function centredGramUpper(gram: Float32Array, n: number): number[] {
  const row = new Float64Array(n),
    mean = (() => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) row[i] += gram[i * n + j];
        total += row[i];
      }
      return total / (n * n);
    })();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) out.push(Number((gram[i * n + j] - row[i] / n - row[j] / n + mean).toPrecision(8)));
  }
  return out;
}

/** Each CKA layer's centred Gram on the feature probe: one traced pass, one read-back. */
async function layerGrams(model: Sequential, x: Tensor): Promise<number[][]> {
  const n = x.shape[0];
  const grams = noGrad(() =>
    tidy(() => {
      const trace = model.trace(x, "eval");
      return CKA_LAYERS.map((i) => {
        const f = trace[i].reshape([n, trace[i].size / n]);
        return matmul(f, f, { transposeB: true }).reshape([n * n]);
      });
    })
  );
  const all = tidy(() => concat(grams, 0));
  grams.forEach((g) => g.dispose());
  const values = await all.toArray();
  all.dispose();
  return CKA_LAYERS.map((_, q) => centredGramUpper(values.subarray(q * n * n, (q + 1) * n * n), n));
}

/** The NTK measures of one evaluation: alignments, trace shares and the entropy, from one pass over the probe. */
async function ntkMeasures(model: Sequential, x: Tensor, labels: Uint8Array | number[]) {
  const { kernels, size } = await empiricalNtkLayers(model, x);
  const total = new Float32Array(size * size);
  for (const k of kernels) k.forEach((v, i) => (total[i] += v));
  const align = async (k: Float32Array) => {
    const t = Tensor.fromArray(k, [size, size]);
    try {
      return (await kernelAlignment(t, Array.from(labels))).value;
    } finally {
      t.dispose();
    }
  };
  const trace = (k: Float32Array) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += k[i * size + i];
    return s;
  };
  const layerAlignment: number[] = [];
  for (const k of kernels) layerAlignment.push(await align(k));
  return {
    ntkAlignment: await align(total),
    layerAlignment,
    layerTrace: kernels.map((k) => trace(k) / trace(total)),
    ntkEntropy: (await vonNeumannEntropy(total, { cosine: true })).entropy,
  };
}

/** RankMe and α-ReQ of the penultimate features on the feature probe. */
async function featureMeasures(model: Sequential, x: Tensor) {
  const n = x.shape[0];
  const z = noGrad(() =>
    tidy(() => {
      const trace = model.trace(x, "eval");
      return trace[PENULTIMATE].reshape([n, trace[PENULTIMATE].size / n]);
    })
  );
  try {
    const a = await alphaReq(z);
    return { rankMe: (await rankMe(z)).value, alphaReq: a.value, alphaR2: a.r2 };
  } finally {
    z.dispose();
  }
}

/** One seed's training run, measured after every epoch and checkpointed. */
export async function seedStudy(
  config: AlignmentConfig,
  data: AlignmentData,
  seed: number,
  context?: Pick<UnitContext<SeedRecord>, "tick" | "checkpoint">,
): Promise<SeedRecord> {
  const model = buildCnn(seed, config.parameterization);
  const optimizer = new Adam({ lr: config.lr });
  const set = sliceImages(data.train, 0, config.train);
  const ntkSet = sliceImages(data.train, 0, config.ntkProbe);
  const ntkX = imagesTensor(ntkSet), featureX = imagesTensor(sliceImages(data.test, 0, config.featureProbe));
  const record: SeedRecord = { seed, epochs: [], grams: null };
  try {
    for (let epoch = 0; epoch <= config.epochs; epoch++) {
      let trainLoss: number | null = null;
      if (epoch > 0) {
        const r = await fit(model, { x: set.x, xShape: set.shape, y: set.oneHot, yShape: [config.train, 10] }, {
          loss: softmaxCrossEntropy,
          optimizer,
          epochs: 1,
          batchSize: config.batchSize,
          dropRemainder: config.dropRemainder,
          seed: deriveSeed(seed, "alignment", "shuffle", epoch),
          lossEvery: 5,
          onStep: () => context?.tick(1, `epoch ${epoch}/${config.epochs}`),
        });
        trainLoss = r.epochLoss[0];
      }
      const { loss, accuracy } = await evaluate(model, data.test);
      const ntk = await ntkMeasures(model, ntkX, ntkSet.labels);
      const features = await featureMeasures(model, featureX);
      record.epochs.push({ epoch, trainLoss, testLoss: loss, testAccuracy: accuracy, ...ntk, ...features });
      context?.tick(measureUnits(config), `epoch ${epoch}: acc ${(100 * accuracy).toFixed(1)}%`);
      await context?.checkpoint(record);
    }
    record.grams = await layerGrams(model, featureX);
    return record;
  } finally {
    [ntkX, featureX, ...model.parameters()].forEach((t) => t.dispose());
  }
}
