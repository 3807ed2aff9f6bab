/**
 * Empirical NTK (traced over outputs) of the seed CNN — conv32-relu-avgpool-conv64-relu-avgpool-flatten-
 * dense256-relu-dense10, ~431k parameters — on 100 MNIST digits, and its infinite-width NTK on the host
 * (float64) and with the spatial recursion on the device (float32).
 *
 * Run: `deno run -A bench/ntk.ts [--n 100]`.
 */
import { parseArgs } from "node:util";
import { empiricalNtk, infiniteNtk, infiniteNtkGpu, loadMnist, Tensor } from "../mod.ts";
import { seedCnn } from "./_seed_cnn.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "100" } } });
const n = Number(values.n);
const rt = await denoGpu();
const model = seedCnn();
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
const t2 = performance.now();
const infGpu = await infiniteNtkGpu(model, train.x, train.shape);
const infiniteGpu = (performance.now() - t2) / 1000;
let gpuError = 0;
inf.ntk.forEach((v, i) => (gpuError = Math.max(gpuError, Math.abs(infGpu.ntk[i] - v) / Math.abs(v))));
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
console.log(
  `infinite-width NTK (device recursion, float32): ${infiniteGpu.toFixed(2)} s (largest relative difference from ` +
    `the host: ${gpuError.toExponential(1)})`,
);
