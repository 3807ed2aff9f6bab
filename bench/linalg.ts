/**
 * Linear-algebra timings and accuracy: svdvals of Gaussian m x m (m = 64..512) and eigvalsh of an
 * n x n PSD Gram matrix, each by method (`auto`, which keeps the float64 Householder result when it is
 * certified, and the GPU `jacobi` SVD), against the float64 Jacobi reference (relative error per value).
 *
 * Run: `deno run -A bench/linalg.ts [--sizes 64,128,256,512] [--eig 1000] [--methods auto,jacobi]`.
 * The reference is a host Jacobi SVD, so errors are only checked up to n = 1000.
 */
import { parseArgs } from "node:util";
import { eigh, eigvalsh, gram, randomNormal, type SpectrumMethod, svdvals, type Tensor } from "../mod.ts";
import { AUTO_CERTIFIED_ERROR, certifiedRelativeError } from "../linalg/mod.ts";
import { referenceSvdvals } from "../tests/_reference.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "64,128,256,512" },
    eig: { type: "string", default: "1000" },
    methods: { type: "string", default: "auto,jacobi" },
  },
});
const rt = await denoGpu();
const methods = values.methods!.split(",") as SpectrumMethod[];
const rows: string[] = [];
const relError = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < ref.length; i++) e = Math.max(e, Math.abs(got[i] - ref[i]) / ref[i]);
  return e;
};

/** The method that produced `values`: what `auto` resolves to is read off the certification. */
function methodUsed(method: SpectrumMethod, values: ArrayLike<number>, m: number, n: number): string {
  if (method !== "auto") return method;
  return certifiedRelativeError(values, m, n) <= AUTO_CERTIFIED_ERROR ? "auto → householder" : "auto → jacobi";
}

/** Times one call per method and appends a row each. */
async function measure(
  label: string,
  a: Tensor,
  run: (method: SpectrumMethod) => Promise<Float64Array>,
  reference: () => Float64Array | undefined,
): Promise<void> {
  const [m, n] = a.shape;
  let ref: Float64Array | undefined;
  for (const method of methods) {
    const t0 = performance.now();
    const got = await run(method);
    const seconds = (performance.now() - t0) / 1000;
    ref ??= reference();
    const used = methodUsed(method, got, m, n);
    const error = ref ? relError(got, ref).toExponential(1) : "not checked";
    rows.push(`| ${label} | ${used} | ${seconds.toFixed(2)} | ${error} |`);
    console.error(rows.at(-1));
  }
}

for (const m of values.sizes!.split(",").map(Number)) {
  const a = randomNormal([m, m], { seed: m });
  const host = await a.toArray();
  await measure(
    `svdvals Gaussian ${m}x${m}`,
    a,
    (method) => svdvals(a, { method }),
    () => (m <= 1000 ? referenceSvdvals(host, m, m) : undefined),
  );
  a.dispose();
}
for (const n of values.eig!.split(",").filter((x) => x !== "").map(Number)) {
  const x = randomNormal([n, n + n / 2], { seed: 5 });
  const k = gram(x); // PSD, eigenvalues ~ n/2 .. 4.5n
  const host = await k.toArray();
  await measure(
    `eigvalsh PSD Gram ${n}x${n}`,
    k,
    (method) => eigvalsh(k, { method }),
    () => (n <= 1000 ? referenceSvdvals(host, n, n).reverse() : undefined),
  );
  // Eigenvectors too: the error column is the largest residual ‖K v − λ v‖ / ‖K‖ (Jacobi only up to 1000).
  for (const method of methods.filter((m) => m !== "jacobi" || n <= 1000)) {
    const t0 = performance.now();
    const { values: lambda, vectors } = await eigh(k, { method });
    const seconds = (performance.now() - t0) / 1000;
    const v = await vectors.toArray();
    vectors.dispose();
    let worst = 0;
    for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 50))) {
      for (let i = 0; i < n; i++) {
        let kv = 0;
        for (let c = 0; c < n; c++) kv += host[i * n + c] * v[c * n + j];
        worst = Math.max(worst, Math.abs(kv - lambda[j] * v[i * n + j]) / lambda[n - 1]);
      }
    }
    const used = methodUsed(method, lambda, n, n);
    rows.push(
      `| eigh PSD Gram ${n}x${n} (residual, 50 vectors) | ${used} | ${seconds.toFixed(2)} | ${
        worst.toExponential(1)
      } |`,
    );
    console.error(rows.at(-1));
  }
  x.dispose();
  k.dispose();
}
console.log(`adapter: ${rt.adapterName}\n`);
console.log("| problem | method | seconds | max relative error |\n| --- | --- | ---: | ---: |");
console.log(rows.join("\n"));
