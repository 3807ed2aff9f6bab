/**
 * Curvature spectra of the seed CNN (431,242 parameters) on a batch of MNIST digits under the mean
 * softmax cross-entropy: one training step, one Hessian-vector product and one Gauss–Newton product
 * (kept graph and not), the top Hessian eigenvalue and the top 5 to a relative residual of 1e-3, the
 * Hutch++ trace, and an SLQ density; each with its cost in products and seconds, the ratio of a product to
 * a training step, and the peak RSS.
 *
 * Run: `deno run -A bench/curvature.ts [--n 256] [--probes 10] [--steps 60] [--skip-slq]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  grad,
  hessianDensity,
  hessianTopEigenvalues,
  hessianTrace,
  loadMnist,
  noGrad,
  Sgd,
  softmaxCrossEntropy,
  Tensor,
  tidy,
} from "../mod.ts";
import { ggnOperator, hessianOperator } from "../analysis/mod.ts";
import { seedCnn } from "./_seed_cnn.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "256" },
    probes: { type: "string", default: "10" },
    steps: { type: "string", default: "60" },
    "skip-slq": { type: "boolean", default: false },
  },
});
const [n, probes, steps] = [values.n, values.probes, values.steps].map(Number);
if (![n, probes, steps].every((v) => Number.isInteger(v) && v > 0)) {
  console.error("usage: deno run -A bench/curvature.ts [--n 256] [--probes 10] [--steps 60] [--skip-slq]");
  Deno.exit(2);
}
const rt = await denoGpu();
let peakRss = Deno.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss)), 50);
const model = seedCnn();
const { train } = loadMnist({ train: n, test: 0, seed: 0 });
const x = Tensor.fromArray(train.x, train.shape), y = Tensor.fromArray(train.oneHot, [n, 10]);
const batch = { x, y };
console.log(`curvature of the seed CNN (${model.parameterCount} parameters), ${n} digits, on ${rt.adapterName}`);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
/** Seconds of each of `times` calls after one warm call (compiles the pipelines). */
async function timed(times: number, f: () => Promise<unknown>): Promise<number[]> {
  await f();
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}
const show = (v: number[]) =>
  `${median(v).toFixed(2)} s (median of ${v.length}: ${v.map((t) => t.toFixed(2)).join(", ")})`;

// One training step: forward, backward, Sgd update at lr 0 (the weights stay those measured).
const sgd = new Sgd({ lr: 0 });
const params = model.parameters();
const step = await timed(5, async () => {
  const loss = tidy(() => {
    const value = softmaxCrossEntropy(model.forward(x, "train"), y);
    const grads = grad(value, params);
    noGrad(() => sgd.step(params, grads));
    return value;
  });
  await loss.item();
  loss.dispose();
});
console.log(`training step (full batch): ${show(step)}`);
const v = Tensor.fromArray(Float32Array.from({ length: model.parameterCount }, (_, i) => Math.sin(i)));
for (const [name, make] of [["Hessian", hessianOperator], ["Gauss–Newton", ggnOperator]] as const) {
  for (const keepGraph of [true, false]) {
    const op = make(model, softmaxCrossEntropy, batch, { keepGraph });
    const t = await timed(3, async () => {
      const out = op.apply(v);
      await out.toArray();
      out.dispose();
    });
    op.dispose();
    console.log(
      `${name} product, ${keepGraph ? "graph kept" : "graph rebuilt"}: ${show(t)}, ${
        (median(t) / median(step)).toFixed(2)
      } training steps`,
    );
  }
}
const perProduct = (r: { products: number; seconds: number }) =>
  `${r.products} products, ${(r.seconds / r.products).toFixed(2)} s each (${
    (r.seconds / r.products / median(step)).toFixed(2)
  } training steps)`;
const top1 = await hessianTopEigenvalues(model, softmaxCrossEntropy, batch, { k: 1, tol: 1e-3 });
console.log(
  `top Hessian eigenvalue ${top1.values[0].toPrecision(6)} (relative residual ${
    (top1.residuals[0] / Math.abs(top1.values[0])).toExponential(1)
  }, converged ${top1.converged[0]}): ${top1.seconds.toFixed(1)} s, ${perProduct(top1)}`,
);
const top5 = await hessianTopEigenvalues(model, softmaxCrossEntropy, batch, { k: 5, tol: 1e-3 });
console.log(
  `top 5 Hessian eigenvalues ${top5.values.map((e) => e.toPrecision(4)).join(", ")} (all converged ${
    top5.converged.every(Boolean)
  }): ${top5.seconds.toFixed(1)} s, ${perProduct(top5)}`,
);
const trace = await hessianTrace(model, softmaxCrossEntropy, batch, { products: 30 });
console.log(
  `Hessian trace (Hutch++) ${trace.value.toPrecision(5)} ± ${trace.standardError.toPrecision(2)}: ${
    trace.seconds.toFixed(1)
  } s, ${perProduct(trace)}`,
);
if (!values["skip-slq"]) {
  const d = await hessianDensity(model, softmaxCrossEntropy, batch, { probes, steps });
  console.log(
    `SLQ density (${probes} probes × ${steps} steps), trace ${d.trace.value.toPrecision(5)} ± ${
      d.trace.standardError.toPrecision(2)
    }: ${d.seconds.toFixed(1)} s, ${perProduct(d)}`,
  );
}
clearInterval(sampler);
console.log(`peak RSS ${(peakRss / 2 ** 30).toFixed(2)} GiB`);
