/**
 * The embedding-restrictions study's training (full-batch chunks or the original's epochs with best-state
 * restore), its tries and its staged runs (see embedding_restrictions.ts).
 *
 * @module
 */
import { accuracy, Adam, bceLoss, deriveSeed, fit, type LayerState, saveState, type Sequential } from "../mod.ts";
import { hostPermutation } from "../kernels/mod.ts";
import type { UnitContext } from "./_program.ts";
import {
  asDataset,
  build,
  type Checkpoint,
  CHUNK,
  type Dataset,
  type EmbeddingConfig,
  type EmbeddingRecord,
  evalLoss,
  gridMaps,
  type ModelName,
  PATIENCE,
  type RunRecord,
  type StagedRecord,
  weightSnapshot,
} from "./_embedding_models.ts";

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
  const perEpoch = Math.ceil(data.train.y.length / config.batch), test = asDataset(data.test);
  let best = -1, since = 0, saved: LayerState | null = null;
  const loss: { step: number; loss: number }[] = [];
  const run = await fit(model, asDataset(data.train), {
    loss: bceLoss,
    optimizer: new Adam({ lr: 0.01 }),
    epochs,
    batchSize: config.batch,
    seed: deriveSeed(seed, "shuffle"),
    lossEvery: perEpoch,
    onEpoch: async ({ epoch, loss: value }) => {
      loss.push({ step: (epoch + 1) * perEpoch, loss: value });
      const acc = await accuracy(model, test);
      if (acc > best) [best, since, saved] = [acc, 0, await saveState(model)];
      else since++;
      onEpoch?.(epoch, value);
    },
  });
  if (since > 0 && saved) model.loadState(saved);
  return { loss, steps: run.steps, bestAccuracy: best };
}

/**
 * Trains in chunks of 10 full-batch steps until the training loss stops improving for 50 steps or the
 * budget is spent (whole chunks: up to `maxSteps` rounded up to a chunk). One `fit` run: each chunk's
 * epochs shuffle with the chunk's own seed, and the loss is read and the progress reported once a chunk.
 */
async function train(
  config: EmbeddingConfig,
  model: Sequential,
  data: Dataset,
  seed: number,
  onChunk: (step: number, loss: number) => Promise<void>,
): Promise<{ loss: { step: number; loss: number }[]; steps: number }> {
  const n = data.train.y.length;
  const loss: { step: number; loss: number }[] = [];
  let best = Infinity, stale = 0;
  const run = await fit(model, asDataset(data.train), {
    loss: bceLoss,
    optimizer: new Adam({ lr: 0.01 }),
    epochs: Math.ceil(config.maxSteps / CHUNK) * CHUNK,
    lossEvery: CHUNK,
    callbackEvery: CHUNK,
    order: (epoch) => hostPermutation(n, deriveSeed(seed, "shuffle", epoch - (epoch % CHUNK)), epoch % CHUNK),
    onStep: async ({ step, loss: value }) => {
      // Recorded: the loss as accuracy sees it, BatchNorm in eval mode. Early stopping follows the training
      // loss (batch statistics), whose running averages do not lag behind the weights.
      const recorded = await evalLoss(model, data.train);
      loss.push({ step, loss: recorded });
      await onChunk(step, recorded);
      if (value! < best - 1e-3) [best, stale] = [value!, 0];
      else if (++stale >= PATIENCE) return "stop";
    },
  });
  return { loss, steps: run.steps };
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
export const trySteps = (config: EmbeddingConfig, n: number) =>
  config.training === "chunks" ? config.maxSteps : config.epochs * Math.ceil(n / config.batch);

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
      trainAccuracy: await accuracy(candidate, asDataset(data.train)),
      testAccuracy: await accuracy(candidate, asDataset(data.test)),
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
      testAccuracy: await accuracy(model, asDataset(data.test)),
      probability: maps.probability,
      singular,
    });
  }
  model.parameters().forEach((p) => p.dispose());
  return { staged: out };
}
