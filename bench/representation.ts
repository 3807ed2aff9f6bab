/**
 * Representation measures at scale: linear CKA of two 10,000 × 512 feature matrices (three 512 × 512
 * Grams of centred features: about 15.7 GFLOP as 2nd² per Gram, computed as one symmetric 1024 × 1024
 * Gram of 10.5 GFLOP), with a 1024³ matmul timed beside it for its GFLOP/s, and minibatch CKA streamed over every
 * MNIST digit the bundled package holds (10,000) and over 60,000 synthetic rows, with the process RSS
 * before and after to show that memory stays bounded by one batch; and what `track` adds to a `fit` run
 * recording one measure (the penultimate layer's RankMe) once per epoch.
 *
 * Run: `deno run -A bench/representation.ts [--n 10000] [--d 512] [--batch 1000]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  Activation,
  Adam,
  cka,
  Dense,
  fit,
  loadMnist,
  matmul,
  MinibatchCka,
  noGrad,
  randomNormal,
  Sequential,
  softmaxCrossEntropy,
  svdvalsHost,
  tanh,
  Tensor,
  tidy,
  track,
} from "../mod.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    d: { type: "string", default: "512" },
    batch: { type: "string", default: "1000" },
  },
});
const [n, d, batch] = [values.n, values.d, values.batch].map(Number);
if (![n, d, batch].every((v) => Number.isInteger(v) && v > 0) || batch < 4) {
  console.error("usage: deno run -A bench/representation.ts [--n 10000] [--d 512] [--batch 1000] (batch >= 4)");
  Deno.exit(2);
}
const rt = await denoGpu();
const rss = () => (Deno.memoryUsage().rss / 2 ** 30).toFixed(2);
console.log(`representation measures on ${rt.adapterName}`);

// Linear CKA of two n × d representations (y a nonlinear function of x plus noise).
const x = randomNormal([n, d], { seed: 1 });
const y = tidy(() => tanh(matmul(x, randomNormal([d, d], { seed: 2, std: 1 / Math.sqrt(d) }))));
await cka(x, y); // compiles the pipelines
const times: number[] = [];
let value = 0;
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  value = (await cka(x, y)).value;
  times.push((performance.now() - t0) / 1000);
}
const best = Math.min(...times);
const gflop = (3 * 2 * n * d * d) / 1e9;
console.log(
  `linear CKA, ${n} x ${d} vs ${n} x ${d}: ${best.toFixed(2)} s (best of 3; ${
    times.map((t) => t.toFixed(2)).join(", ")
  }), ${(gflop / best).toFixed(1)} GFLOP/s as 3·2nd², CKA ${value.toFixed(4)}`,
);
[x, y].forEach((t) => t.dispose());
// The matmul benchmark's figure on the same machine in the same run, for comparison.
const square = randomNormal([1024, 1024], { seed: 4 });
const matmulSeconds: number[] = [];
for (let r = 0; r < 4; r++) {
  const t0 = performance.now();
  const c = noGrad(() => matmul(square, square));
  await c.toArray();
  c.dispose();
  if (r > 0) matmulSeconds.push((performance.now() - t0) / 1000);
}
square.dispose();
console.log(
  `matmul 1024³ in the same run: ${(2 * 1024 ** 3 / 1e9 / Math.min(...matmulSeconds)).toFixed(1)} GFLOP/s (best of 3)`,
);

// Minibatch CKA streamed: MNIST pixels against random tanh features of them.
const { train } = loadMnist({ train: 10000, test: 0, seed: 0 });
const pixels = 784;
const projection = randomNormal([pixels, 256], { seed: 3, std: 1 / Math.sqrt(pixels) });
const stream = async (label: string, rows: number, batchOf: (start: number, size: number) => Tensor) => {
  const acc = new MinibatchCka();
  const before = rss();
  const t0 = performance.now();
  for (let start = 0; start + batch <= rows; start += batch) {
    const xb = batchOf(start, batch);
    const yb = tidy(() => tanh(matmul(xb, projection)));
    await acc.add(xb, yb);
    [xb, yb].forEach((t) => t.dispose());
  }
  const { value, examples, batches } = acc.result();
  console.log(
    `minibatch CKA, ${label}: ${examples} examples in ${batches} batches of ${batch}, ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s, CKA ${value.toFixed(4)}, RSS ${before} → ${rss()} GiB`,
  );
};
await stream(
  "MNIST pixels vs tanh features",
  train.labels.length,
  (start, size) => Tensor.fromArray(train.x.subarray(start * pixels, (start + size) * pixels), [size, pixels]),
);
await stream("60,000 synthetic rows", 60000, (start, size) => randomNormal([size, pixels], { seed: 100 + start }));

// Tracking overhead: an MLP on 8,000 digits, 3 epochs, with and without the RankMe of its penultimate layer
// on 256 other digits once per epoch (the record before training included).
const digits = {
  x: train.x.subarray(0, 8000 * pixels),
  xShape: [8000, pixels],
  y: train.oneHot.subarray(0, 80000),
  yShape: [8000, 10],
};
const mlp = () =>
  new Sequential([
    new Dense(pixels, 256, { seed: 1 }),
    new Activation("relu"),
    new Dense(256, 256, { seed: 2 }),
    new Activation("relu"),
    new Dense(256, 10, { seed: 3 }),
  ]);
const probe = Tensor.fromArray(train.x.subarray(8000 * pixels, 8256 * pixels), [256, pixels]);
let recordMs: number[] = [];
/** One fit run: its seconds and, when tracked, the seconds its records took. */
const run = async (tracked: boolean) => {
  const model = mlp();
  recordMs = [];
  const t0 = performance.now();
  const tracker = tracked ? track(model, { inputs: probe, measures: ["rankMe"], layers: [4] }) : null;
  // Each record timed (what it costs the run; a performance.now() pair adds nothing measurable).
  const record = async (step: number) => {
    const t = performance.now();
    await tracker!.record(step);
    recordMs.push(performance.now() - t);
  };
  if (tracker) await record(0);
  await fit(model, digits, {
    loss: softmaxCrossEntropy,
    optimizer: new Adam({ lr: 1e-3 }),
    epochs: 3,
    batchSize: 128,
    seed: 0,
    onEpoch: tracker ? ({ epoch }) => record(epoch + 1) : undefined,
  });
  return { seconds: (performance.now() - t0) / 1000, records: recordMs.reduce((s, t) => s + t, 0) / 1000 };
};
await run(false); // compiles the training pipelines
await run(true); // and the eval pipelines of the records
// Pairs in ABBA order (plain, tracked, tracked, plain, …) so that a drift in the machine's speed cancels.
const pairs: { plain: number; tracked: number; records: number }[] = [];
const allRecordMs: number[] = [];
for (let r = 0; r < 6; r++) {
  const first = r % 2 === 0 ? await run(false) : await run(true);
  allRecordMs.push(...recordMs);
  const second = r % 2 === 0 ? await run(true) : await run(false);
  allRecordMs.push(...recordMs);
  const [plain, tracked] = r % 2 === 0 ? [first, second] : [second, first];
  pairs.push({ plain: plain.seconds, tracked: tracked.seconds, records: tracked.records });
}
const middle = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const percent = (f: number) => `${f >= 0 ? "+" : ""}${(f * 100).toFixed(1)}%`;
const ratios = pairs.map((p) => p.tracked / p.plain - 1);
const shares = pairs.map((p) => p.records / (p.tracked - p.records));
console.log(
  `fit, 3 epochs of 8,000 digits, with the penultimate layer's RankMe per epoch (4 records), 6 pairs in ABBA order:`,
);
console.log(
  `  paired overhead: median ${percent(middle(ratios))} (${ratios.map(percent).join(", ")}); ` +
    `plain ${pairs.map((p) => p.plain.toFixed(2)).join(", ")} s, tracked ${
      pairs.map((p) => p.tracked.toFixed(2)).join(", ")
    } s`,
);
console.log(
  `  the records' own time over the rest of the tracked run: median ${percent(middle(shares))} (${
    shares.map(percent).join(", ")
  })`,
);
// The host SVD behind each record, on the 256 × 256 features of the probe batch at the penultimate layer.
const features = noGrad(() => tidy(() => mlp().trace(probe, "eval")[4]));
const featureValues = await features.toArray();
features.dispose();
const svdMs = Array.from({ length: 9 }, () => {
  const t = performance.now();
  svdvalsHost(featureValues, 256, 256);
  return performance.now() - t;
});
console.log(
  `track record (forward pass, one read-back, host SVD): median ${
    middle(allRecordMs).toFixed(0)
  } ms of ${allRecordMs.length} (${
    allRecordMs.slice(0, 8).map((t) => t.toFixed(0)).join(", ")
  }, …); svdvalsHost of the 256 x 256 features: median ${middle(svdMs).toFixed(1)} ms of 9`,
);
