/**
 * Spectra at scale: the traced empirical NTK of the seed CNN (conv32-relu-avgpool-conv64-relu-avgpool-
 * flatten-dense256-relu-dense10, 431,242 parameters) on N MNIST digits, assembled on the host within the
 * default memory budget, then its von Neumann entropy; and the eigensolvers on n x n matrices of known
 * spectrum.
 *
 * Run: `deno run -A bench/scale.ts [--sizes 250,500,1000,2000,4000] [--eigen 500,1000,2000,4000]
 * [--jacobi-max 1000]`. Progress goes to stderr, the tables to stdout.
 */
import { parseArgs } from "node:util";
import {
  eigvalsh,
  eigvalshHost,
  empiricalNtkHost,
  loadMnist,
  type SpectrumOptions,
  Tensor,
  vonNeumannEntropy,
} from "../mod.ts";
import { seedCnn } from "./_seed_cnn.ts";
import { ProgressBar } from "../cli/mod.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "250,500,1000,2000,4000" },
    eigen: { type: "string", default: "500,1000,2000,4000" },
    "jacobi-max": { type: "string", default: "1000" },
  },
});
const list = (text: string, flag: string) =>
  text === "" ? [] : text.split(",").map((v) => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 2)) {
      console.error(`--${flag}: "${v}" is not an integer >= 2`);
      Deno.exit(2);
    }
    return n;
  });
const sizes = list(values.sizes, "sizes"), eigenSizes = list(values.eigen, "eigen");
const jacobiMax = Number(values["jacobi-max"]);
const rt = await denoGpu();
const write = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s));
const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
let peakRss = Deno.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss));

console.log(`adapter: ${rt.adapterName}; ${navigator.hardwareConcurrency} CPU threads`);
console.log(
  "\nTraced empirical NTK of the seed CNN and its von Neumann entropy (eigenvalues to 1e-9·‖K‖_F)\n",
);
console.log("     N   NTK (s)   eigen+entropy (s)   total (s)   entropy S   peak RSS (GiB)   pool high-water (GiB)");
const mnist = loadMnist({ train: Math.max(2, ...sizes), test: 0, seed: 0 });
for (const n of sizes) {
  const model = seedCnn();
  const x = Tensor.fromArray(mnist.train.x.subarray(0, n * 784), [n, 28, 28, 1]);
  rt.pool.resetPeak();
  const bar = new ProgressBar({ total: 1, label: `NTK N = ${n}`, write, lineEvery: Deno.stderr.isTerminal() ? 0 : 10 });
  const t0 = performance.now();
  const { kernel } = await empiricalNtkHost(model, x, {
    onProgress: (done, total) => {
      sampleRss();
      bar.setTotal(total);
      bar.update(done);
    },
  });
  const ntkSeconds = (performance.now() - t0) / 1000;
  bar.finish(`${ntkSeconds.toFixed(1)} s`);
  x.dispose();
  model.parameters().forEach((p) => p.dispose());
  const t1 = performance.now();
  const { entropy } = await vonNeumannEntropy(kernel);
  const eigenSeconds = (performance.now() - t1) / 1000;
  sampleRss();
  console.log(
    `${String(n).padStart(6)}  ${ntkSeconds.toFixed(1).padStart(8)}  ${eigenSeconds.toFixed(2).padStart(18)}  ${
      (ntkSeconds + eigenSeconds).toFixed(1).padStart(10)
    }  ${entropy.toFixed(4).padStart(10)}  ${gib(peakRss).padStart(15)}  ${gib(rt.pool.peakBytesHeld).padStart(22)}`,
  );
}

/**
 * A symmetric positive definite matrix Q Λ Qᵀ with eigenvalues 10^(−5 k/(n−1)) (κ = 1e5), Q a product of
 * three random Householder reflectors, built in float64 and rounded to float32; the reference is Λ, and
 * rounding moves it by at most about n·6e-8·max|a| (printed as the floor).
 */
function knownSpectrum(n: number, seed: number): { a: Float32Array; lambda: Float64Array } {
  const lambda = Float64Array.from({ length: n }, (_, k) => 10 ** ((-5 * k) / (n - 1))).sort();
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = lambda[i];
  let state = seed + 1;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  for (let r = 0; r < 3; r++) {
    const v = Float64Array.from({ length: n }, random);
    const vv = v.reduce((s, x) => s + x * x, 0);
    // M ← H M H with H = I − 2 v vᵀ / vᵀv.
    const mv = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mv[i] += m[i * n + j] * v[j];
    const vmv = v.reduce((s, x, i) => s + x * mv[i], 0);
    const c = 2 / vv, d = (4 * vmv) / (vv * vv);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) m[i * n + j] += -c * (mv[i] * v[j] + v[i] * mv[j]) + d * v[i] * v[j];
    }
  }
  return { a: Float32Array.from(m), lambda };
}

console.log("\nEigensolvers on Q Λ Qᵀ (κ = 1e5), errors against Λ relative to λ_max\n");
console.log("     n   method                         time (s)   max error / λ_max   max rel. error (λ ≥ 1e-3 λ_max)");
const methods: [string, SpectrumOptions | "host"][] = [
  ["eigvalshHost (float64, host)", "host"],
  ["auto, normwise 1e-9 (entropy)", { accuracy: { normwise: 1e-9 } }],
  ["auto, relative 1e-8 (default)", {}],
  ["jacobi (GPU)", { method: "jacobi" }],
];
for (const n of eigenSizes) {
  const { a, lambda } = knownSpectrum(n, n);
  const t = Tensor.fromArray(a, [n, n]);
  for (const [name, options] of methods) {
    const slowJacobi = options !== "host" && n > jacobiMax &&
      (options.method === "jacobi" || !options.accuracy); // the default falls back to Jacobi on κ = 1e5
    if (slowJacobi) {
      console.log(`${String(n).padStart(6)}   ${name.padEnd(30)} skipped (n > --jacobi-max ${jacobiMax})`);
      continue;
    }
    const t0 = performance.now();
    const got = options === "host" ? eigvalshHost(a, n) : await eigvalsh(t, options);
    const seconds = (performance.now() - t0) / 1000;
    let abs = 0, rel = 0;
    got.forEach((v, i) => {
      abs = Math.max(abs, Math.abs(v - lambda[i]));
      if (lambda[i] >= 1e-3) rel = Math.max(rel, Math.abs(v - lambda[i]) / lambda[i]);
    });
    console.log(
      `${String(n).padStart(6)}   ${name.padEnd(30)} ${seconds.toFixed(2).padStart(8)}   ${
        abs.toExponential(1).padStart(17)
      }   ${rel.toExponential(1).padStart(12)}`,
    );
  }
  t.dispose();
}
