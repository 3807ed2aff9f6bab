/**
 * The curvature experiment: its outlier count on spectra with a known gap, its --quick run's results and
 * figures (consistent with each other and with 2/η), and its refusals of inconsistent flags.
 *
 * @module
 */
import assert from "node:assert";
import { refusesFlags } from "./_helpers.ts";
import { outliersOf } from "../experiments/curvature.ts";

Deno.test("outliersOf counts the eigenvalues above the largest ratio gap", () => {
  assert.deepEqual(outliersOf([50, 40, 30, 3, 2.9, 2.5]), { outliers: 3, gapRatio: 10 });
  assert.equal(outliersOf([9, 8, 7, 6, 5, 4, 3, 2, 1.5, 0.1, 0.09]).outliers, 9);
  assert.equal(outliersOf([1, 1, 1]).outliers, 0, "no gap, no outliers");
  // Non-positive values end the search (a ratio across zero means nothing).
  assert.equal(outliersOf([4, 2, -1, -5]).outliers, 1);
});

Deno.test("experiments/curvature.ts --quick: sharpness, top eigenvalues, trace and densities consistent", async () => {
  const out = await Deno.makeTempDir({ prefix: "rankscope-" });
  const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../experiments/curvature.ts", import.meta.url).pathname, "--quick", "--out", out],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
  assert.match(new TextDecoder().decode(stdout), /Hessian product \/ step/);
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.equal(results.status, "complete");
  assert.deepEqual(results.runs.map((r: { lr: number }) => r.lr), [0.05, 0.1]);
  for (const run of results.runs) {
    assert.deepEqual(run.sharpness.map((p: { step: number }) => p.step), [0, 1, 2]);
    for (const p of run.sharpness) assert.ok(p.sharpness > 0 && p.products >= 2, JSON.stringify(p));
    for (const m of run.measures) {
      // λ₁ from the sharpness run and from the top-k run agree (both to a relative residual of 1e-3).
      const s = run.sharpness.find((p: { step: number }) => p.step === m.step).sharpness;
      assert.ok(Math.abs(m.hessianTop[0] - s) <= 2e-2 * s, `${m.hessianTop[0]} vs ${s}`);
      assert.ok(m.hessianTop[0] >= m.hessianTop[1] && m.ggnTop[0] >= m.ggnTop[1]);
      assert.ok(m.ggnTop[1] > 0, "the Gauss–Newton matrix is positive semi-definite");
      assert.ok(Number.isFinite(m.trace) && m.traceError >= 0);
    }
    assert.deepEqual(run.densities.map((d: { step: number }) => d.step), [0, 1, 2]);
    for (const d of run.densities) {
      for (const w of [...d.hessian.weights, ...d.ggn.weights]) {
        assert.ok(Math.abs(w.reduce((a: number, b: number) => a + b) - 1) < 1e-4, "quadrature weights sum to 1");
      }
      assert.ok(d.ggn.nodes.flat().every((v: number) => v > -1e-3 * d.ggnTop[0]), "Gauss–Newton nodes ≥ 0");
      assert.ok(d.outliers >= 0 && d.outliers < 3);
    }
  }
  for (const e of results.edgeOfStability) assert.ok(Math.abs(e.threshold - 2 / e.lr) < 1e-12);
  const figures = JSON.parse(await Deno.readTextFile(`${out}/figures.json`));
  // The densities on their shared grid integrate to 1.
  const { grid, points } = figures.density;
  for (const p of points) {
    for (const d of [p.hessian, p.ggn]) {
      const area = d.reduce((a: number, b: number) => a + b, 0) * (grid[1] - grid[0]);
      assert.ok(Math.abs(area - 1) < 1e-2, `density integrates to ${area}`);
    }
  }
  assert.deepEqual(Object.keys(figures).sort(), ["curvature_vs_step", "density", "sharpness_vs_step"]);
  for (const name of Object.keys(figures)) {
    const svg = await Deno.readTextFile(`${out}/${name}.svg`);
    assert.ok(svg.startsWith("<svg") && !/NaN|Infinity/.test(svg), name);
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("experiments/curvature.ts refuses inconsistent flags before any work", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--lrs", "0.1,0.1"], /--lrs must not repeat/],
    [["--lrs", "0.1,-1"], /--lrs expects a comma-separated list of positive numbers/],
    [["--train", "5000"], /--train \(5000\) must not exceed/],
    [["--top", "20", "--outlier-k", "10"], /--outlier-k \(10\) must be at least --top \(20\)/],
    [["--trace-products", "2"], /--trace-products expects an integer >= 3/],
  ];
  await refusesFlags(t, "curvature.ts", cases);
});
