/**
 * The alignment experiment: its host CKA of centred Grams against the library's `cka`, its --quick run's
 * numbers within their ranges and tied together, and its refusals of inconsistent flags.
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { refusesFlags, seededValues } from "./_helpers.ts";
import { linearCkaOfGrams } from "../experiments/alignment.ts";
import { centredGramUpper } from "../experiments/_alignment_study.ts";

/** X Xᵀ of row-major features [n, d], rounded to float32 as the device's Gram is. */
function gram(x: Float32Array, n: number, d: number): Float32Array {
  const g = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
      g[i * n + j] = s;
    }
  }
  return g;
}

Deno.test("the report's linear CKA of centred Grams equals cka() of the features", async () => {
  await r.initGpu();
  const n = 12, p = 5, q = 7;
  const x = seededValues(n * p, 21), noise = seededValues(n * q, 22);
  // Y shares a 5-dimensional part with X (CKA well inside (0, 1)), plus a shift CKA must ignore.
  const y = new Float32Array(n * q).map((_, i) => (i % q < p ? x[Math.floor(i / q) * p + (i % q)] : 0) + noise[i] + 3);
  const expected = (await r.cka(r.Tensor.fromArray(x, [n, p]), r.Tensor.fromArray(y, [n, q]))).value;
  const got = linearCkaOfGrams(centredGramUpper(gram(x, n, p), n), centredGramUpper(gram(y, n, q), n), n);
  assert.ok(expected > 0.2 && expected < 0.95, `a case away from the ends (${expected})`);
  assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs cka() ${expected}`);
  const self = centredGramUpper(gram(x, n, p), n);
  assert.ok(Math.abs(linearCkaOfGrams(self, self, n) - 1) < 1e-12);
  // Centred: every row of H K H sums to zero (the upper triangle read back into the full matrix).
  const full = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++, k++) full[i * n + j] = full[j * n + i] = self[k];
  for (let i = 0; i < n; i++) assert.ok(Math.abs(full.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b)) < 1e-4);
});

Deno.test("experiments/alignment.ts --quick: alignments, shares and CKA in range and consistent", async () => {
  const out = await Deno.makeTempDir({ prefix: "rankscope-" });
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../experiments/alignment.ts", import.meta.url).pathname, "--quick", "--out", out],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.equal(results.status, "complete");
  assert.deepEqual(results.seeds.map((s: { seed: number }) => s.seed), [0, 1]);
  for (const run of results.seeds) {
    assert.equal(run.epochs.length, 3, "the initialisation and two epochs");
    for (const e of run.epochs) {
      assert.ok(e.ntkAlignment > 0 && e.ntkAlignment <= 1, `alignment ${e.ntkAlignment}`);
      assert.equal(e.layerAlignment.length, 4);
      assert.ok(Math.abs(e.layerTrace.reduce((a: number, b: number) => a + b) - 1) < 1e-5, "trace shares sum to 1");
      // ⟨ΣK̃_l, L̃⟩ = Σ A_l ‖K̃_l‖ ‖L̃‖ and ‖ΣK̃_l‖ ≤ Σ ‖K̃_l‖: with positive shares' alignments, the whole
      // kernel's is at least their ‖K̃_l‖-weighted mean, so at least the smallest.
      assert.ok(e.layerAlignment.every((a: number) => a > 0));
      assert.ok(e.ntkAlignment >= Math.min(...e.layerAlignment) - 1e-6, `${e.ntkAlignment} vs ${e.layerAlignment}`);
      assert.ok(e.ntkEntropy > 0 && e.ntkEntropy <= Math.log(20) + 1e-9);
      assert.ok(e.rankMe >= 1 && e.rankMe <= 50 + 1e-3, `RankMe ${e.rankMe} of 50 x 256 features`);
      assert.ok(e.alphaReq > 0);
    }
    assert.ok(run.epochs[2].testAccuracy > run.epochs[0].testAccuracy, "training helps");
  }
  const { mean, diagonal, pairs } = results.crossSeedCka;
  assert.equal(pairs.length, 1);
  assert.equal(mean.length, 9);
  for (const row of mean) for (const v of row) assert.ok(v >= 0 && v <= 1 + 1e-6, `CKA ${v}`);
  assert.deepEqual(diagonal, mean.map((row: number[], i: number) => row[i]));
  const figures = JSON.parse(await Deno.readTextFile(`${out}/figures.json`));
  assert.deepEqual(Object.keys(figures).sort(), ["alignment_vs_epoch", "cross_seed_cka", "features_vs_epoch"]);
  for (const name of Object.keys(figures)) {
    const svg = await Deno.readTextFile(`${out}/${name}.svg`);
    assert.ok(svg.startsWith("<svg") && !/NaN|Infinity/.test(svg), name);
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("experiments/alignment.ts refuses inconsistent flags before any work", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--seeds", "0,0"], /--seeds must not repeat a seed/],
    [["--ntk-probe", "2000"], /--ntk-probe \(2000\) must not exceed --train \(1000\)/],
    [["--feature-probe", "3"], /--feature-probe expects an integer >= 4/],
    [["--feature-probe", "5000"], /--feature-probe \(5000\) must not exceed --test \(1000\)/],
    [["--batch", "2000"], /--batch \(2000\) must not exceed --train/],
    [["--parameterization", "mup"], /--parameterization/],
  ];
  await refusesFlags(t, "alignment.ts", cases);
});
