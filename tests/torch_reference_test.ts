/**
 * rankscope's networks against PyTorch references committed as fixtures (made by the dev scripts beside
 * them with Debian's python3-torch; never run by CI).
 *
 * @module
 */
import assert from "node:assert";
import { initGpu, sineSumTarget, sRank, Tensor, tidy } from "./_all.ts";
import { build } from "../experiments/srank_evolution.ts";

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs. */
function ksStatistic(a: number[], b: number[]): number {
  const points = [...a, ...b].sort((x, y) => x - y);
  const cdf = (v: number[], t: number) => v.filter((x) => x <= t).length / v.length;
  return Math.max(...points.map((t) => Math.abs(cdf(a, t) - cdf(b, t))));
}
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const variance = (v: number[]) => v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1);

Deno.test("srank_evolution's MLP at initialisation: the initial s-rank over 20 seeds has PyTorch's distribution", async () => {
  await initGpu();
  const fixture = JSON.parse(await Deno.readTextFile(new URL("./fixtures/srank_mlp_init_torch.json", import.meta.url)));
  const torch: number[] = fixture.initialSrank;
  assert.equal(torch.length, 20);
  const target = sineSumTarget({ seed: 0, phase: "per-point" });
  const xs = Tensor.fromArray(target.x, [target.x.length, 1]);
  const ours: number[] = [];
  for (const seed of fixture.seeds as number[]) {
    const model = build("mlp", 0, seed, { init: "torch", rff: "sine" });
    const z = tidy(() => model.trace(xs, "eval").at(-2)!);
    ours.push(await sRank(z));
    z.dispose();
    model.parameters().forEach((p) => p.dispose());
  }
  xs.dispose();
  // Different random streams, the same distribution: the means agree within 3 standard errors and the
  // KS statistic is below its 1% critical value for 20 + 20 samples (1.63·√(40/400) = 0.515).
  const se = Math.sqrt(variance(ours) / 20 + variance(torch) / 20);
  assert.ok(Math.abs(mean(ours) - mean(torch)) < 3 * se, `means ${mean(ours)} vs ${mean(torch)} (se ${se})`);
  const d = ksStatistic(ours, torch);
  assert.ok(d < 0.515, `KS statistic ${d}: ${ours.map((v) => v.toFixed(3))} vs ${torch.map((v) => v.toFixed(3))}`);
  // Not a test that any spectrum passes: He's zero biases make this MLP linear on x ≥ 0 (s-rank 0).
  const linear = build("mlp", 0, 0, { init: "he", rff: "sine" });
  const z = tidy(() => linear.trace(Tensor.fromArray(target.x, [target.x.length, 1]), "eval").at(-2)!);
  assert.ok((await sRank(z)) < 1e-6);
  z.dispose();
  linear.parameters().forEach((p) => p.dispose());
});
