/**
 * `track`: per-layer and model measures recorded through `fit` and a user's own loop, equal to the
 * measures computed directly; its rows' CSV and JSON; and its refusals.
 *
 * @module
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { seededValues } from "./_helpers.ts";

/** Deterministic pseudo-random values in (−1, 1). */
const values = (count: number, seed: number) => Array.from(seededValues(count, seed));
const model = () =>
  new r.Sequential([
    new r.Dense(3, 8, { seed: 1 }),
    new r.Activation("tanh"),
    new r.Dense(8, 6, { seed: 2 }),
    new r.Activation("tanh"),
    new r.Dense(6, 2, { seed: 3 }),
  ]);

Deno.test("track records through fit what the measures give directly, per layer and for the model", async () => {
  await r.initGpu();
  const net = model();
  const n = 12;
  const inputs = r.Tensor.fromArray(values(n * 3, 1), [n, 3]);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const seen: number[] = [];
  const tracker = r.track(net, {
    inputs,
    measures: [
      "rankMe",
      "stableRank",
      { name: "width", fn: (z, layer) => (seen.push(layer), z.shape[1]) },
      "ntkEntropy",
      "ntkAlignment",
    ],
    layers: [2, 4],
    targets: labels,
  });
  await tracker.record(0);
  const data = {
    x: Float32Array.from(values(n * 3, 1)),
    xShape: [n, 3],
    y: Float32Array.from(labels.flatMap((c) => (c ? [0, 1] : [1, 0]))),
    yShape: [n, 2],
  };
  await r.fit(net, data, {
    loss: r.mseLoss,
    optimizer: new r.Sgd({ lr: 0.5 }),
    epochs: 2,
    batchSize: 4,
    onEpoch: tracker.onEpoch,
  });
  // 3 records × (3 feature measures × 2 layers + 2 model measures).
  assert.equal(tracker.rows.length, 3 * (3 * 2 + 2));
  assert.deepEqual([...new Set(tracker.rows.map((row) => row.step))], [0, 1, 2]);
  assert.deepEqual(seen, [2, 4, 2, 4, 2, 4]);
  // The last record equals the measures of the trained network now.
  const trace = r.noGrad(() => net.trace(inputs, "eval"));
  const last = (measure: string, layer: number) =>
    tracker.rows.find((row) => row.step === 2 && row.measure === measure && row.layer === layer)!.value;
  for (const layer of [2, 4]) {
    assert.ok(Math.abs(last("rankMe", layer) - (await r.rankMe(trace[layer])).value) < 1e-9);
    assert.ok(Math.abs(last("stableRank", layer) - (await r.stableRank(trace[layer])).value) < 1e-9);
    assert.equal(last("width", layer), trace[layer].shape[1]);
  }
  const ntk = r.empiricalNtk(net, inputs);
  assert.ok(Math.abs(last("ntkEntropy", -1) - (await r.vonNeumannEntropy(ntk)).entropy) < 1e-9);
  assert.ok(Math.abs(last("ntkAlignment", -1) - (await r.kernelAlignment(ntk, labels)).value) < 1e-9);
  assert.ok(
    tracker.rows.some((row) => row.step === 2 && row.value !== tracker.rows[0].value),
    "training moved something",
  );
  // CSV and JSON.
  const csv = tracker.toCsv().trim().split("\n");
  assert.equal(csv.length, 1 + tracker.rows.length);
  assert.equal(csv[1], `0,2,rankMe,${tracker.rows[0].value}`);
  const json = JSON.parse(JSON.stringify(tracker));
  assert.deepEqual(json.layers, [2, 4]);
  assert.deepEqual(json.measures, ["rankMe", "stableRank", "width", "ntkEntropy", "ntkAlignment"]);
  assert.ok(r.measuresPlot(tracker.rows, { xLabel: "epoch" }).toSvg().includes("ntkAlignment"));
});

Deno.test("track refuses unknown measures, layers outside the trace and alignment without targets", () => {
  const inputs = r.full([4, 3], 1);
  assert.throws(() => r.track(model(), { inputs, measures: ["rankme" as never] }), /unknown measure "rankme"/);
  assert.throws(() => r.track(model(), { inputs, measures: ["rankMe"], layers: [6] }), /options.layers\[0\]/);
  assert.throws(() => r.track(model(), { inputs, measures: ["ntkAlignment"] }), /needs options.targets/);
  assert.throws(() => r.track(model(), { inputs, measures: [] }), /empty/);
  assert.throws(() => r.track(new r.Dense(2, 2) as never, { inputs, measures: ["rankMe"] }), TypeError);
  assert.throws(() => r.measuresPlot([]), RangeError);
});

Deno.test("track's jacobianNorm is σ_max of a linear model's weights, and the mean over points of the Jacobian norms", async () => {
  await r.initGpu();
  const dense = new r.Dense(3, 2, { bias: false, seed: 0 });
  const w = new Float32Array([3, 0, 0, 2, 1, 1]); // [in 3, out 2]
  dense.loadState({ weights: w });
  const linear = new r.Sequential([dense]);
  const inputs = r.randomNormal([5, 3], { seed: 4 });
  const tracker = r.track(linear, { inputs, measures: ["jacobianNorm"] });
  await tracker.record(0);
  const [sigmaMax] = r.svdvalsHost(w, 3, 2);
  assert.deepEqual(tracker.rows.map((row) => [row.step, row.layer, row.measure]), [[0, -1, "jacobianNorm"]]);
  assert.ok(Math.abs(tracker.rows[0].value - sigmaMax) < 1e-5 * sigmaMax, `${tracker.rows[0].value} vs ${sigmaMax}`);
  // A nonlinear model on images: the mean over the probe of the largest singular value, inputs flattened.
  const cnn = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 1 }),
    new r.Activation("tanh"),
    new r.Flatten(),
    new r.Dense(32, 3, { seed: 2 }),
  ]);
  const images = r.randomNormal([4, 6, 6, 1], { seed: 5 });
  const t2 = r.track(cnn, { inputs: images, measures: ["jacobianNorm"] });
  await t2.record(1);
  const { max } = await r.inputJacobianSpectra(
    (z) => cnn.forward(z.reshape([z.shape[0], 6, 6, 1]), "eval"),
    images.reshape([4, 36]),
  );
  const mean = max.reduce((a, b) => a + b, 0) / 4;
  assert.ok(Math.abs(t2.rows[0].value - mean) < 1e-9 * mean);
});
