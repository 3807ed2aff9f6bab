import assert from "node:assert";
import { seededUniforms } from "./_helpers.ts";
import { DEFAULT_MIN_TAIL, fitPowerLaw } from "../analysis/power_law.ts";

/** Pareto samples by the inverse CDF: x = x_min·(1 − u)^(−1/(α − 1)). */
function pareto(n: number, alpha: number, xmin: number, seed: number): Float64Array {
  return seededUniforms(n, seed).map((u) => xmin * (1 - u) ** (-1 / (alpha - 1)));
}

/** KS distance from its definition: sup over x of |#{x_i ≤ x}/n − P(x)|, at each value and just below it. */
function ksByCounting(tail: number[], alpha: number, xmin: number): number {
  const cdf = (x: number) => 1 - (x / xmin) ** (1 - alpha);
  let d = 0;
  for (const y of tail) {
    const below = tail.filter((v) => v < y).length / tail.length;
    const atOrBelow = tail.filter((v) => v <= y).length / tail.length;
    d = Math.max(d, Math.abs(atOrBelow - cdf(y)), Math.abs(below - cdf(y)));
  }
  return d;
}

/** α̂ and D for one candidate, straight from the definitions. */
function referenceFit(values: number[], xmin: number): { alpha: number; ks: number; tail: number[] } {
  const tail = values.filter((v) => v >= xmin);
  const alpha = 1 + tail.length / tail.reduce((s, v) => s + Math.log(v / xmin), 0);
  return { alpha, ks: ksByCounting(tail, alpha, xmin), tail };
}

Deno.test("fitPowerLaw() matches the MLE and KS distance from their definitions on a small sample", async (t) => {
  const values = [0.3, 1, 1.5, 2, 2, 3.25, 4, 6, 9.5, 17, 40, -2, 0];
  await t.step("fixed x_min", () => {
    const fit = fitPowerLaw(values, { xmin: 1, minTail: 2 });
    const ref = referenceFit(values, 1);
    assert.ok(Math.abs(fit.alpha - ref.alpha) < 1e-14 * ref.alpha, `${fit.alpha} vs ${ref.alpha}`);
    assert.ok(Math.abs(fit.ks - ref.ks) < 1e-14, `${fit.ks} vs ${ref.ks}`);
    assert.equal(fit.tail, 10);
    assert.equal(fit.count, values.length);
    assert.equal(fit.xmax, 40);
    assert.ok(Math.abs(fit.sigma - (ref.alpha - 1) / Math.sqrt(10)) < 1e-14);
    const logLikelihood = ref.tail.reduce((acc, v) => acc + Math.log((ref.alpha - 1) * v ** -ref.alpha), 0);
    assert.ok(Math.abs(fit.logLikelihood - logLikelihood) < 1e-12 * Math.abs(logLikelihood));
  });
  await t.step("x_min searched over the positive values", () => {
    const fit = fitPowerLaw(values, { minTail: 3 });
    const candidates = [...new Set(values.filter((v) => v > 0))].sort((a, b) => a - b)
      .filter((x) => values.filter((v) => v >= x).length >= 3);
    const refs = candidates.map((x) => ({ x, ...referenceFit(values, x) }));
    const best = refs.reduce((a, b) => (b.ks < a.ks ? b : a));
    assert.equal(fit.xmin, best.x);
    assert.ok(Math.abs(fit.alpha - best.alpha) < 1e-13 * best.alpha);
    assert.ok(Math.abs(fit.ks - best.ks) < 1e-13);
    assert.deepEqual([...fit.scan.xmin], candidates);
    refs.forEach((r, i) => assert.ok(Math.abs(fit.scan.ks[i] - r.ks) < 1e-13, `candidate ${r.x}`));
  });
  await t.step("explicit candidates", () => {
    const fit = fitPowerLaw(values, { xmins: [2.5, 1.2], minTail: 2 });
    const best = [1.2, 2.5].map((x) => ({ x, ...referenceFit(values, x) })).reduce((a, b) => (b.ks < a.ks ? b : a));
    assert.equal(fit.xmin, best.x);
    assert.ok(Math.abs(fit.alpha - best.alpha) < 1e-13 * best.alpha);
    assert.deepEqual([...fit.scan.xmin], [1.2, 2.5]);
  });
});

Deno.test("fitPowerLaw() recovers α of seeded Pareto samples within 3 standard errors, and x_min by KS", async (t) => {
  for (const [k, alpha] of [1.7, 2.5, 3.5, 5].entries()) {
    await t.step(`α = ${alpha}`, () => {
      // 2000 Pareto values above x_min = 0.8, under a body of 600 uniform values on (0.05, 0.8) that a
      // power law does not describe: the scan must find the break.
      const xmin = 0.8;
      const tail = pareto(2000, alpha, xmin, 10 + k);
      const body = seededUniforms(600, 100 + k).map((u) => 0.05 + u * (xmin - 0.05));
      const fit = fitPowerLaw([...body, ...tail]);
      assert.ok(Math.abs(fit.alpha - alpha) < 3 * fit.sigma, `α̂ = ${fit.alpha} ± ${fit.sigma}`);
      assert.ok(Math.abs(fit.sigma - (fit.alpha - 1) / Math.sqrt(fit.tail)) < 1e-15);
      assert.ok(fit.xmin >= 0.95 * xmin && fit.xmin <= 1.25 * xmin, `x_min = ${fit.xmin}`);
      // x_min ≥ 0.95·0.8 lets in at most ~32 body values.
      assert.ok(fit.tail >= 1500 && fit.tail <= 2040, `tail ${fit.tail}`);
      assert.equal(fit.count, 2600);
      assert.ok(fit.ks < 0.03, `D = ${fit.ks}`);
      // The minimum of the scan is the reported fit.
      assert.equal(Math.min(...fit.scan.ks), fit.ks);
    });
  }
});

Deno.test("fitPowerLaw() refuses samples it cannot fit, with clear errors", async (t) => {
  const ok = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["NaN", () => fitPowerLaw([...ok, NaN]), RangeError, /values\[12\] is NaN \(must be finite\)/],
    ["Infinity", () => fitPowerLaw([Infinity, ...ok]), RangeError, /values\[0\] is Infinity/],
    ["not numbers", () => fitPowerLaw(["1", 2] as never), TypeError, /values\[0\] must be a number/],
    ["not an array", () => fitPowerLaw(3 as never), TypeError, /values/],
    [
      "too few positive values",
      () => fitPowerLaw([0, -1, 1, 2, 3]),
      RangeError,
      new RegExp(`3 of the 5 values are positive \\(need at least minTail = ${DEFAULT_MIN_TAIL}\\)`),
    ],
    [
      "too few above a fixed x_min",
      () => fitPowerLaw(ok, { xmin: 10 }),
      RangeError,
      /3 of the 12 values are at or above options.xmin = 10/,
    ],
    ["x_min zero", () => fitPowerLaw(ok, { xmin: 0 }), RangeError, /options.xmin must be/],
    ["x_min negative", () => fitPowerLaw(ok, { xmin: -1 }), RangeError, /options.xmin must be/],
    ["a candidate zero", () => fitPowerLaw(ok, { xmins: [1, 0] }), RangeError, /options.xmins\[1\] must be/],
    ["no candidates", () => fitPowerLaw(ok, { xmins: [] }), RangeError, /options.xmins is empty/],
    ["both", () => fitPowerLaw(ok, { xmin: 1, xmins: [1] }), TypeError, /not both/],
    ["minTail 1", () => fitPowerLaw(ok, { minTail: 1 }), RangeError, /options.minTail must be/],
    ["minTail 2.5", () => fitPowerLaw(ok, { minTail: 2.5 }), RangeError, /options.minTail must be/],
    ["unknown option", () => fitPowerLaw(ok, { xMin: 1 } as never), TypeError, /xMin/],
    [
      "a repeated value",
      () => fitPowerLaw([1, 1, 1, 1], { minTail: 2 }),
      RangeError,
      /every candidate tail holds a single repeated value/,
    ],
  ];
  for (const [name, call, type, message] of cases) {
    await t.step(name, () => {
      assert.throws(call, (e: unknown) => e instanceof type && message.test((e as Error).message));
      assert.throws(call, /^\w*Error: Cannot fit power law: /);
    });
  }
});
