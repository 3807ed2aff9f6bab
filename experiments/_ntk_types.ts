/**
 * The configuration and the records of the NTK-entropy experiment (see ./ntk_entropy.ts).
 *
 * @module
 */
import type { ImageSet } from "../data/mod.ts";

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
  /** The trained network: standard parameterization with He init and zero biases, or stax's NTK one (σ_w = 1, no bias). */
  parameterization: "standard" | "ntk";
  /** Study 1's batch, and whether an epoch drops its short last batch. */
  batchSize: number;
  dropRemainder: boolean;
  lr: number;
  /** Kernel normalisation of the reported entropies (both are always recorded). */
  normalization: "cosine" | "raw";
  /** Study 2: batch size, most epochs, optional step budget per size (at least 3 epochs), early-stopping patience. */
  sizeBatch: number;
  sizeEpochs: number;
  sizeStepBudget: number | null;
  sizePatience: number | null;
  /** Study 2's kernel: on the whole training subset, or on at most this many of its images. */
  sizeProbeCap: number | null;
  /** Normalisation of study 2's kernel before training (the original mixes raw before with cosine after). */
  sizeBefore: "cosine" | "raw";
}

/** Entropies (nats) of one kernel's leading blocks, under both normalisations. */
export interface Entropies {
  raw: number[];
  cosine: number[];
}
/** One evaluation of study 1 (epoch 0 is the initialisation). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number | null;
  testLoss: number;
  testAccuracy: number;
  /** Empirical NTK entropy per subset size, under the run's normalisation. */
  entropy: number[];
  /** ... and under both. */
  entropies: Entropies;
}
/** One fresh model of study 2. */
export interface SizeRecord {
  size: number;
  epochs: number;
  steps: number;
  finalTrainLoss: number;
  testAccuracy: number;
  probe: number;
  /** Entropies under the run's normalisations (config.sizeBefore, config.normalization). */
  entropyBefore: number;
  entropyAfter: number;
  before: { raw: number; cosine: number };
  after: { raw: number; cosine: number };
}
/** The infinite-width kernel's entropies per subset size. */
export interface InfiniteRecord {
  subsets: number[];
  entropy: number[];
  effective: number[];
  entropies: Entropies;
}
/** The record of one unit: the infinite-width kernel, the training run, or one training-set size. */
export type NtkRecord = InfiniteRecord | { epochs: EpochRecord[] } | SizeRecord;

/** The data every unit shares: the MNIST split of the seed. */
export interface NtkData {
  train: ImageSet;
  test: ImageSet;
}

/** How the report and the protocol name each kernel normalisation. */
export const NORMALIZATION = { cosine: "cosine-normalised", raw: "raw" } as const;
