/**
 * Empirical NTK (traced over outputs) of the seed CNN — conv32-relu-avgpool-conv64-relu-avgpool-flatten-
 * dense256-relu-dense10, ~431k parameters — on 100 MNIST digits, and its infinite-width NTK.
 *
 * Run: `deno run -A bench/ntk.ts [--n 100]`.
 */
import { parseArgs } from "node:util";
import {
  Activation,
  AvgPool2d,
  Conv2d,
  Dense,
  empiricalNtk,
  Flatten,
  infiniteNtk,
  initGpu,
  loadMnist,
  Sequential,
  Tensor,
} from "../mod.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "100" } } });
const n = Number(values.n);
const rt = await initGpu();
const model = new Sequential([
  new Conv2d(1, 32, 3, { seed: 1, stream: 0 }),
  new Activation("relu"),
  new AvgPool2d(2),
  new Conv2d(32, 64, 3, { seed: 1, stream: 1 }),
  new Activation("relu"),
  new AvgPool2d(2),
  new Flatten(),
  new Dense(1600, 256, { seed: 1, stream: 2 }),
  new Activation("relu"),
  new Dense(256, 10, { seed: 1, stream: 3 }),
]);
const { train } = loadMnist({ train: n, test: 0, seed: 0 });
const x = Tensor.fromArray(train.x, train.shape);
// The first call compiles every pipeline for these shapes; time it, then a warm call.
const tc = performance.now();
(await empiricalNtk(model, x)).dispose();
await rt.sync();
const cold = (performance.now() - tc) / 1000;
const t0 = performance.now();
const k = empiricalNtk(model, x);
const values0 = await k.toArray();
const empirical = (performance.now() - t0) / 1000;
const t1 = performance.now();
const inf = infiniteNtk(model, train.x, train.shape);
const infinite = (performance.now() - t1) / 1000;
console.log(`adapter: ${rt.adapterName}; model parameters: ${model.parameterCount}`);
console.log(
  `empirical NTK (traced, ${n} MNIST digits): first call ${cold.toFixed(2)} s (compiles pipelines), then ${
    empirical.toFixed(2)
  } s (trace ${values0.reduce((s, v, i) => s + (i % (n + 1) === 0 ? v : 0), 0).toExponential(3)})`,
);
console.log(
  `infinite-width NTK (host float64): ${infinite.toFixed(2)} s (trace ${
    inf.ntk.reduce((s, v, i) => s + (i % (n + 1) === 0 ? v : 0), 0).toExponential(3)
  })`,
);
