/**
 * Embedding restrictions of narrow networks.
 *
 * Question: width-2 feed-forward networks on 2-D input are (for monotone activations) unable to create a
 * critical point of the output, so they cannot separate an inner disc from an outer ring the way |x|²
 * does. How does that show in test accuracy, decision boundaries, weight spectra and the input Jacobian,
 * compared with a wide shallow network and with a width-1 bottleneck (which collapses the Jacobian's rank)?
 *
 * Run: `deno run -A experiments/embedding_restrictions.ts [--seeds 0,1] [--steps 300] [--tries 2]
 *       [--threshold 0.9] [--grid 100] [--out out/embedding_restrictions] [--quick]`
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
  type Figure,
  fit,
  heatmap,
  imageGrid,
  initGpu,
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
import { ProgressBar } from "../cli/mod.ts";
import { experimentFlags, resultsWriter, stderrWriter, table, writeAtomic, writeJson } from "./_common.ts";

const { flags, quick, out: outDir, config } = experimentFlags("embedding_restrictions", {
  seeds: { default: "0,1", kind: "counts", help: "Seeds of the training runs, one run per seed and model" },
  steps: { default: "300", kind: "count", min: 1, help: "Most training steps per try" },
  tries: { default: "2", kind: "count", min: 1, help: "Tries per model and seed until it reaches --threshold" },
  threshold: { default: "0.9", kind: "number", min: 0, max: 1, help: "Accuracy a try must reach to stop retrying" },
  grid: { default: "100", kind: "count", min: 2, help: "Points per side of the decision and Jacobian maps" },
});
const seeds = quick ? [0] : flags.seeds;
const maxSteps = quick ? 30 : flags.steps;
const tries = quick ? 1 : flags.tries;
const threshold = flags.threshold;
const gridSize = quick ? 20 : flags.grid;
const depth = quick ? 4 : 15;
const CHUNK = 10, PATIENCE = 5;

const rt = await initGpu();
console.error(`adapter: ${rt.adapterName}`);

type ModelName = "narrow tanh" | "bottleneck tanh" | "narrow relu" | "wide tanh" | "wide relu";
const MODELS: ModelName[] = ["narrow tanh", "bottleneck tanh", "narrow relu", "wide tanh", "wide relu"];

function build(name: ModelName, seed: number): Sequential {
  const act = name.endsWith("relu") ? "relu" : "tanh";
  const layers: Layer[] = [];
  let inputs = 2, stream = 0; // one stream per weight layer, in order
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

interface Dataset {
  name: "circles" | "xor";
  train: { x: Float32Array; y: Float32Array };
  test: { x: Float32Array; y: Float32Array };
}
const datasets: Dataset[] = (["circles", "xor"] as const).map((name) => {
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
});

async function accuracy(model: Sequential, set: { x: Float32Array; y: Float32Array }): Promise<number> {
  const p = tidy(() => model.forward(Tensor.fromArray(set.x, [set.y.length, 2]), "eval"));
  const v = await p.toArray();
  p.dispose();
  return v.reduce((s, pi, i) => s + ((pi > 0.5 ? 1 : 0) === set.y[i] ? 1 : 0), 0) / v.length;
}

/** Every weight matrix of the model, read back in one transfer, with float64 singular values. */
async function weightSnapshot(
  model: Sequential,
): Promise<{ shapes: number[][]; weights: number[][]; singular: number[][] }> {
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
  return { shapes, weights, singular };
}

interface RunRecord {
  dataset: string;
  model: ModelName;
  seed: number;
  tries: number;
  trainAccuracy: number;
  testAccuracy: number;
  steps: number;
  loss: { step: number; loss: number }[];
}
const runs: RunRecord[] = [];
const maps: Record<string, Record<string, { probability: number[]; jacobianMin: number[]; jacobianMax: number[] }>> =
  {};
const checkpoints: { step: number; shapes: number[][]; weights: number[][]; singular: number[][] }[] = [];
const started = performance.now();
const save = resultsWriter(outDir, config, () => ({
  config: { seeds, maxSteps, tries, threshold, gridSize, depth, adapter: rt.adapterName },
  runs,
  checkpoints,
}));

const totalUnits = datasets.length * MODELS.length * seeds.length * tries * maxSteps;
const bar = new ProgressBar({ total: totalUnits, label: "embedding", write: stderrWriter });
let units = 0;

/** Trains in chunks of 10 steps until the loss stops improving for 50 steps or the budget is spent. */
async function train(model: Sequential, data: Dataset, seed: number, onChunk: (step: number) => Promise<void>) {
  const n = data.train.y.length;
  const set = { x: data.train.x, xShape: [n, 2], y: data.train.y, yShape: [n, 1] };
  const optimizer = new Adam({ lr: 0.01 });
  const loss: { step: number; loss: number }[] = [];
  let best = Infinity, stale = 0, step = 0;
  while (step < maxSteps) {
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
    bar.update(units += CHUNK, `${data.name}: loss ${value.toPrecision(3)}`);
    await onChunk(step);
    if (value < best - 1e-3) [best, stale] = [value, 0];
    else if (++stale >= PATIENCE) break;
  }
  return { loss, steps: step };
}

for (const data of datasets) {
  maps[data.name] = {};
  for (const name of MODELS) {
    for (const seed of seeds) {
      let record: RunRecord | null = null, model: Sequential | null = null;
      for (let attempt = 0; attempt < tries; attempt++) {
        const runSeed = deriveSeed(seed, "try", attempt);
        const candidate = build(name, runSeed);
        const track = data.name === "circles" && name === "narrow tanh" && seed === seeds[0] && attempt === 0;
        if (track) checkpoints.push({ step: 0, ...(await weightSnapshot(candidate)) });
        const marks = new Set([Math.round(maxSteps / 6 / CHUNK) * CHUNK, Math.round(maxSteps / 2 / CHUNK) * CHUNK]);
        const result = await train(candidate, data, runSeed, async (step) => {
          if (track && marks.has(step)) checkpoints.push({ step, ...(await weightSnapshot(candidate)) });
        });
        if (track) checkpoints.push({ step: result.steps, ...(await weightSnapshot(candidate)) });
        units += maxSteps - result.steps;
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
        if (testAccuracy >= threshold) {
          units += (tries - attempt - 1) * maxSteps;
          break;
        }
      }
      runs.push(record!);
      if (seed === seeds[0]) maps[data.name][name] = await gridMaps(model!);
      model!.parameters().forEach((p) => p.dispose());
      bar.update(units, `${data.name} ${name} seed ${seed}: test ${(100 * record!.testAccuracy).toFixed(0)}%`);
      await save();
    }
  }
}
bar.finish(`${((performance.now() - started) / 1000).toFixed(0)} s`);

/** Output probability and the input-Jacobian singular values of the last hidden layer on a grid. */
async function gridMaps(model: Sequential) {
  const lo = -2.2, hi = 2.2, n = gridSize;
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

// ---- Figures and tables ----------------------------------------------------------------------
const figures: Record<string, { svg: Figure; data: unknown }> = {};
const extent: [number, number] = [-2.2, 2.2];
for (const data of datasets) {
  const m = maps[data.name];
  const first = runs.filter((r) => r.dataset === data.name && r.seed === seeds[0]);
  figures[`${data.name}_decision`] = {
    data: { grid: gridSize, extent, models: Object.fromEntries(MODELS.map((k) => [k, m[k].probability])) },
    svg: subplots({
      panels: MODELS.map((k) =>
        heatmap({
          values: m[k].probability,
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
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
            xDomain: extent,
            yDomain: extent,
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
}
if (checkpoints.length > 0) {
  const layers = checkpoints[0].singular.map((_, l) => l + 1);
  figures.weight_spectra = {
    data: checkpoints.map((c) => ({ step: c.step, singular: c.singular })),
    svg: linePlot({
      title: "Per-layer weight singular values, narrow tanh on circles (solid σ₁, dashed σ_min)",
      series: checkpoints.flatMap((c, i) => [
        {
          x: layers,
          y: c.singular.map((s) => s[0]),
          label: `step ${c.step}`,
          markers: true,
          color: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f"][i % 4],
        },
        {
          x: layers,
          y: c.singular.map((s) => s[s.length - 1]),
          dashed: true,
          color: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f"][i % 4],
        },
      ]),
      xLabel: "layer",
      yLabel: "singular value",
      yScale: "log",
      width: 760,
    }),
  };
  figures.weight_heatmaps = {
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
  };
}
for (const [name, f] of Object.entries(figures)) await writeAtomic(`${outDir}/${name}.svg`, f.svg.toSvg());
await writeJson(`${outDir}/figures.json`, Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.data])));
await save("complete");

console.log(`\nEmbedding restrictions (${rt.adapterName}; seeds ${seeds.join(", ")}, up to ${tries} tries per seed)\n`);
const stats = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return [mean, Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(v.length - 1, 1))];
};
console.log(table(
  ["dataset", "model", "test acc (mean)", "± std", "train acc", "tries (total)", "steps (mean)"],
  datasets.flatMap((d) =>
    MODELS.map((k) => {
      const rs = runs.filter((r) => r.dataset === d.name && r.model === k);
      const [mean, std] = stats(rs.map((r) => r.testAccuracy));
      return [
        d.name,
        k,
        mean,
        std,
        stats(rs.map((r) => r.trainAccuracy))[0],
        rs.reduce((s, r) => s + r.tries, 0),
        stats(rs.map((r) => r.steps))[0],
      ];
    })
  ),
));
const bottleneckMin = maps.circles["bottleneck tanh"].jacobianMin;
console.log(
  `\nbottleneck: max over the grid of the smallest Jacobian singular value = ${
    Math.max(...bottleneckMin).toExponential(2)
  } (rank collapse)`,
);
console.log(`wrote ${outDir}/{results,figures}.json and ${Object.keys(figures).length} SVG figures`);
