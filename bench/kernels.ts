/**
 * Kernel throughput: matmul GFLOP/s at n = 256..2048 and Gram of 1000x4096, and the GB/s of reductions
 * and softmax at each of their shape classes, for every variant the device runs (the tuner's choice marked).
 *
 * Run: `deno run -A bench/kernels.ts [--trials 5] [--sizes 256,512,1024,2048,4096] [--gram 1000x4096,4096x4096]`.
 * Each measurement records `reps` dispatches and waits once (one GPU→CPU sync), so the ~11 ms sync cost of
 * the software adapter is amortised.
 * Prints a markdown table; trials are summarised by median and best.
 */
import { parseArgs } from "node:util";
import { type Runtime, Tensor } from "../mod.ts";
import {
  chooseVariant,
  dispatchGram,
  dispatchMatmul,
  dispatchReduce,
  dispatchSoftmax,
  GRAM_FAMILY,
  MATMUL_FAMILY,
  REDUCE_FAMILY,
  REDUCE_TUNING_SHAPES,
  SOFTMAX_FAMILY,
  SOFTMAX_TUNING_SHAPES,
  type VariantFamily,
  variantNames,
} from "../kernels/mod.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "5" },
    sizes: { type: "string", default: "256,512,1024,2048" },
    gram: { type: "string", default: "1000x4096" },
  },
});
const trials = Number(values.trials);
const sizes = values.sizes.split(",").map(Number);
const grams = values.gram.split(",").map((g) => g.split("x").map(Number) as [number, number]);
if (!sizes.every((n) => Number.isInteger(n) && n >= 1)) {
  console.error(`--sizes: "${values.sizes}" is not a list of positive integers`);
  Deno.exit(2);
}
if (!grams.every((g) => g.length === 2 && g.every((v) => Number.isInteger(v) && v >= 1))) {
  console.error(`--gram: "${values.gram}" is not a list of MxK sizes (e.g. 1000x4096,4096x4096)`);
  Deno.exit(2);
}
const rt = await denoGpu();

async function measure(rt: Runtime, reps: number, record: () => void): Promise<number[]> {
  record();
  await rt.sync(); // compile + warm caches
  const seconds: number[] = [];
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) record();
    await rt.sync();
    seconds.push((performance.now() - t0) / 1000 / reps);
  }
  return seconds.sort((a, b) => a - b);
}

const rows: string[] = [], rowKernels: string[] = [];
/** One table row: median ms, and `work` (flops or bytes) per second at the median and the best trial. */
function report(name: string, work: number, seconds: number[], table = rows): void {
  const median = seconds[Math.floor(seconds.length / 2)], best = seconds[0];
  const fmt = (v: number) => String(Number(v.toPrecision(3))); // 3 significant digits, no exponent
  const row = `| ${name} | ${fmt(median * 1000)} | ${fmt(work / median / 1e9)} | ${fmt(work / best / 1e9)} |`;
  table.push(row);
  console.error(row);
}

for (const n of sizes) {
  const a = Tensor.fromArray(new Float32Array(n * n).map((_, i) => Math.sin(i)), [n, n]);
  const c = Tensor.empty([n, n]);
  const reps = Math.max(1, Math.round(2 ** 31 / n ** 3));
  const geometry = { m: n, n, k: n, transposeA: false, transposeB: false };
  const tuned = chooseVariant(rt, MATMUL_FAMILY, geometry);
  // Every variant that runs here, the tuner's choice marked: on a new adapter this shows what tuning buys.
  for (const variant of variantNames(MATMUL_FAMILY).filter((v) => MATMUL_FAMILY.variants[v].runs(rt, geometry))) {
    const s = await measure(rt, reps, () =>
      dispatchMatmul(rt, {
        a: a.buffer,
        b: a.buffer,
        c: c.buffer,
        ...geometry,
        variant,
      }));
    report(`matmul ${n}x${n}x${n} (${variant}${variant === tuned ? ", tuned choice" : ""})`, 2 * n ** 3, s);
  }
  a.dispose();
  c.dispose();
}
for (const [m, k] of grams) {
  const a = Tensor.fromArray(new Float32Array(m * k).map((_, i) => Math.cos(i)), [m, k]);
  const g = Tensor.empty([m, m]);
  const tuned = chooseVariant(rt, GRAM_FAMILY, { m, k });
  for (const variant of variantNames(GRAM_FAMILY).filter((v) => GRAM_FAMILY.variants[v].runs(rt, { m, k }))) {
    const s = await measure(rt, 2, () => dispatchGram(rt, { a: a.buffer, g: g.buffer, m, k, variant }));
    // Counted as the full product's 2·m²·k flops (what a plain matmul would do); the kernel does about half.
    report(`gram ${m}x${k} (${variant}${variant === tuned ? ", tuned choice" : ""}; as 2m²k flops)`, 2 * m * m * k, s);
  }
  a.dispose();
  g.dispose();
}

// Reductions (sum) and softmax: every variant this device runs at each shape class's tuning shape.
const rowShapes = [
  ...Object.values(REDUCE_TUNING_SHAPES).map((shape) => ({ softmax: false, shape })),
  ...Object.values(SOFTMAX_TUNING_SHAPES).map((shape) => ({ softmax: true, shape })),
];
for (const { softmax, shape: [outer, axis, inner] } of rowShapes) {
  const family: VariantFamily<{ axis: number }, string, string> = softmax ? SOFTMAX_FAMILY : REDUCE_FAMILY;
  const x = Tensor.fromArray(new Float32Array(outer * axis * inner).map((_, i) => Math.sin(i)));
  const y = Tensor.empty([(softmax ? axis : 1) * outer * inner]);
  const bytes = 4 * (x.size + y.size);
  const tuned = chooseVariant(rt, family, { axis });
  for (const variant of variantNames(family).filter((v) => family.variants[v].runs(rt, { axis }))) {
    const call = { x: x.buffer, y: y.buffer, outer, axis, inner, variant: variant as "tree" };
    const s = await measure(
      rt,
      8,
      () => softmax ? dispatchSoftmax(rt, call) : dispatchReduce(rt, { ...call, op: "sum" }),
    );
    const name = `${softmax ? "softmax" : "sum"} ${outer}x${axis}x${inner} (${variant}${
      variant === tuned ? ", tuned choice" : ""
    })`;
    report(name, bytes, s, rowKernels);
  }
  x.dispose();
  y.dispose();
}

console.log(
  `adapter: ${rt.adapterName}, ${trials} trials, one sync per trial; tuned: ${JSON.stringify(rt.tuning)}\n`,
);
console.log("| kernel | median ms | median GFLOP/s | best GFLOP/s |");
console.log("| --- | ---: | ---: | ---: |");
console.log(rows.join("\n"));
console.log("\n| kernel | median ms | median GB/s | best GB/s |");
console.log("| --- | ---: | ---: | ---: |");
console.log(rowKernels.join("\n"));
