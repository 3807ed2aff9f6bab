/**
 * Linear-algebra timings and accuracy: svdvals of Gaussian m x m (m = 64..512) and eigvalsh of a
 * 1000x1000 PSD Gram matrix, each against the float64 reference (relative error per value).
 *
 * Run: `deno run -A bench/linalg.ts [--sizes 64,128,256,512] [--eig 1000]`.
 */
import { parseArgs } from "node:util";
import { eigvalsh, gram, initGpu, randomNormal, referenceSvdvals, svdvals } from "../mod.ts";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "64,128,256,512" }, eig: { type: "string", default: "1000" } },
});
const rt = await initGpu();
const rows: string[] = [];
const relError = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < ref.length; i++) e = Math.max(e, Math.abs(got[i] - ref[i]) / ref[i]);
  return e;
};

for (const m of values.sizes!.split(",").map(Number)) {
  const a = randomNormal([m, m], { seed: m });
  const host = await a.toArray();
  const t0 = performance.now();
  const s = await svdvals(a);
  const seconds = (performance.now() - t0) / 1000;
  const ref = referenceSvdvals(host, m, m);
  rows.push(`| svdvals Gaussian ${m}x${m} | ${seconds.toFixed(2)} | ${relError(s, ref).toExponential(1)} |`);
  console.error(rows.at(-1));
  a.dispose();
}
const n = Number(values.eig);
if (n > 0) {
  const x = randomNormal([n, n + n / 2], { seed: 5 });
  const k = gram(x); // PSD, eigenvalues ~ n/2 .. 4.5n
  const host = await k.toArray();
  const t0 = performance.now();
  const lambda = await eigvalsh(k);
  const seconds = (performance.now() - t0) / 1000;
  const ref = referenceSvdvals(host, n, n).reverse();
  rows.push(`| eigvalsh PSD Gram ${n}x${n} | ${seconds.toFixed(2)} | ${relError(lambda, ref).toExponential(1)} |`);
  console.error(rows.at(-1));
  x.dispose();
  k.dispose();
}
console.log(`adapter: ${rt.adapterName}\n`);
console.log("| problem | seconds | max relative error |\n| --- | ---: | ---: |");
console.log(rows.join("\n"));
