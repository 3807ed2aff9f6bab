/**
 * Training-step throughput: MLP 784-256-256-10, batch 128, ReLU, softmax cross-entropy, Adam, with the
 * loss read back every 10 steps (each read is a GPU sync). Data is synthetic (seeded), uploaded per step.
 *
 * Run: `deno run -A bench/train.ts [--steps 200]`.
 */
import { parseArgs } from "node:util";
import { Activation, Adam, Dense, fit, Sequential, softmaxCrossEntropy } from "../mod.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({ options: { steps: { type: "string", default: "200" } } });
const steps = Number(values.steps);
const rt = await denoGpu();
const batch = 128;
const model = new Sequential([
  new Dense(784, 256, { seed: 1, stream: 0 }),
  new Activation("relu"),
  new Dense(256, 256, { seed: 1, stream: 1 }),
  new Activation("relu"),
  new Dense(256, 10, { seed: 1, stream: 2 }),
]);
const n = batch * 20;
const x = new Float32Array(n * 784).map((_, i) => Math.sin(i * 0.37));
const y = new Float32Array(n * 10);
for (let i = 0; i < n; i++) y[i * 10 + (i % 10)] = 1;
const data = { x, xShape: [n, 784], y, yShape: [n, 10] };
const optimizer = new Adam({ lr: 1e-3 });
const run = (epochs: number) =>
  fit(model, data, { loss: softmaxCrossEntropy, optimizer, epochs, batchSize: batch, lossEvery: 10 });
await run(1); // compile pipelines
await rt.sync();
const epochs = Math.max(1, Math.round(steps / 20));
const t0 = performance.now();
const result = await run(epochs);
await rt.sync();
const seconds = (performance.now() - t0) / 1000;
console.log(`adapter: ${rt.adapterName}`);
console.log(
  `MLP 784-256-256-10, batch ${batch}, Adam: ${(result.steps / seconds).toFixed(1)} steps/s ` +
    `(${result.steps} steps in ${seconds.toFixed(2)} s, loss ${result.epochLoss.at(-1)!.toFixed(4)})`,
);
