import assert from "node:assert";
import fc from "npm:fast-check@4.11.0";
import * as r from "./_all.ts";
import { eigvalshHost, svdvalsHost } from "../mod.ts";
import { withSpectrum64 } from "./_linalg_oracle.ts";

/** The spectra the property draws from: each gives N eigenvalues in (0, 1] (or 0 for rank-deficient). */
const SPECTRA: Record<string, (n: number, i: number, p: number) => number> = {
  geometric: (n, i, p) => (1e-6) ** ((p * i) / Math.max(1, n - 1)),
  powerLaw: (_n, i, p) => (i + 1) ** -(1 + 2 * p),
  repeated: (_n, i, p) => (i < 3 + Math.floor(p * 5) ? 1 : 0.25),
  rankDeficient: (n, i, p) => (i < Math.max(1, Math.floor(n * (0.2 + 0.5 * p))) ? 1 / (i + 1) : 0),
  flat: (_n, i, p) => 1 - 0.5 * p * ((i * 7919) % 13) / 13,
  graded: (n, i, p) => 10 ** (-12 * p * (i / Math.max(1, n - 1))),
};

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
/** Relative difference, absolute below 1 (an entropy of a rank-one kernel is 0 up to rounding: ~1e-15 nats). */
const relativeAbove1 = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1);

Deno.test("vonNeumannEntropy() of diag(s·1, …, s·20) is 2.825192 nats at every scale of the issue's table", async () => {
  await r.initGpu();
  const exact = (() => {
    const total = 210;
    let s = 0;
    for (let i = 1; i <= 20; i++) s -= (i / total) * Math.log(i / total);
    return s;
  })();
  assert.ok(Math.abs(exact - 2.825192) < 1e-6);
  for (const scale of [1e35, 1e30, 1e25, 1e-10, 1e-15, 1e-18, 1e-20, 1e-25, 1e-30]) {
    const k = new Float64Array(400);
    for (let i = 0; i < 20; i++) k[i * 20 + i] = scale * (i + 1);
    const { entropy, eigenvalues } = await r.vonNeumannEntropy(k);
    assert.ok(relative(entropy, exact) < 1e-12, `s = ${scale}: entropy ${entropy}, exact ${exact}`);
    assert.ok(relative(eigenvalues[19], 20 * scale) < 1e-12, `s = ${scale}: λ_max ${eigenvalues[19]}`);
  }
});

Deno.test("entropy, effective rank and delta-rank of random PSD kernels do not depend on the scale (1e-30…1e30)", async () => {
  await r.initGpu();
  const names = Object.keys(SPECTRA);
  const sizes = [2, 7, 33, 90, 200];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.constantFrom(...sizes),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 3, maxLength: 3 }),
      async (name, n, p, seed, exponents) => {
        runs++;
        const lambda = Float64Array.from({ length: n }, (_, i) => SPECTRA[name](n, i, p));
        if (!lambda.some((v) => v > 0)) lambda[0] = 1;
        const base = withSpectrum64(lambda, seed);
        const reference = await r.vonNeumannEntropy(base);
        const refValues = reference.eigenvalues.map((v) => Math.max(v, 0)).reverse();
        const refRank = r.effectiveRank(refValues), refDeltaRank = r.deltaRank(refValues, 0.01);
        // The extremes, a power of two, and random decimal scales in between.
        for (const c of [1e-30, 1e30, 2 ** -70, ...exponents.map((e) => 10 ** e)]) {
          const scaled = base.map((v) => v * c);
          const { entropy, eigenvalues } = await r.vonNeumannEntropy(scaled);
          const values = eigenvalues.map((v) => Math.max(v, 0)).reverse();
          const where = `${name} spectrum, N = ${n}, p = ${p}, seed ${seed}, c = ${c}`;
          assert.ok(
            relativeAbove1(entropy, reference.entropy) < 1e-9,
            `${where}: entropy ${entropy} vs ${reference.entropy}`,
          );
          assert.ok(relative(r.effectiveRank(values), refRank) < 1e-9, `${where}: effective rank`);
          assert.ok(relative(r.deltaRank(values, 0.01), refDeltaRank) < 1e-9, `${where}: delta-rank`);
          assert.ok(relative(eigenvalues[n - 1], c * reference.eigenvalues[n - 1]) < 1e-9, `${where}: λ_max`);
        }
      },
    ),
    { numRuns: 60, seed: 20261206 },
  );
  assert.equal(runs, 60);
});

Deno.test("the derived measures are scale-free on spectra given directly (1e-300…1e300)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 1e-8, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }),
      fc.double({ min: -300, max: 300, noNaN: true }),
      (raw, e) => {
        const values = Float64Array.from(raw).sort().reverse(), c = 10 ** e;
        const scaled = values.map((v) => v * c);
        assert.ok(relative(r.effectiveRank(scaled), r.effectiveRank(values)) < 1e-9);
        assert.ok(relative(r.spectralEntropy(scaled), r.spectralEntropy(values)) < 1e-9);
        assert.equal(r.deltaRank(scaled, 0.01), r.deltaRank(values, 0.01));
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

Deno.test("relativeFloor raises eigenvalues below f·λ_max, whatever the kernel's units", async () => {
  await r.initGpu();
  const exactWithFloor = (values: number[], f: number) => {
    const top = Math.max(...values), clipped = values.map((v) => Math.max(v, f * top));
    const total = clipped.reduce((a, b) => a + b, 0);
    return -clipped.reduce((s, v) => (v > 0 ? s + (v / total) * Math.log(v / total) : s), 0);
  };
  const values = [1, 0.5, 1e-3, 1e-7, 0];
  for (const c of [1e-25, 1, 1e25]) {
    const k = new Float64Array(25);
    values.forEach((v, i) => (k[i * 5 + i] = v * c));
    for (const f of [0, 1e-9, 1e-4, 0.01]) {
      const { entropy } = await r.vonNeumannEntropy(k, { relativeFloor: f });
      const exact = exactWithFloor(values, f);
      assert.ok(relative(entropy, exact) < 1e-9, `c = ${c}, f = ${f}: ${entropy} vs ${exact}`);
    }
  }
  // A floor of 1e-4 lifts 1e-7 and 0, so the entropy moves up, and 0 changes nothing.
  assert.ok(exactWithFloor(values, 1e-4) > exactWithFloor(values, 0) + 1e-4);
  await assert.rejects(() => r.vonNeumannEntropy([1], { relativeFloor: 1 }), RangeError);
  await assert.rejects(() => r.vonNeumannEntropy([1], { floor: 1e-12 } as never), /unknown option "floor"/);
});

Deno.test("ε-rank with a relative ε does not depend on the features' units", async () => {
  await r.initGpu();
  const n = 64, width = 6, x = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
  const features = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) features[i * width + j] = Math.cos((j + 1) * Math.PI * x[i]) * 0.3 ** j;
  }
  const ranks: number[] = [];
  for (const c of [1e-15, 1, 2 ** 40]) {
    const t = r.Tensor.fromArray(features.map((v) => v * c), [n, width]);
    ranks.push((await r.epsilonRank(t, { x, epsilon: 1e-3, relative: true })).rank);
    t.dispose();
  }
  assert.deepEqual(ranks, [ranks[1], ranks[1], ranks[1]]);
  assert.ok(ranks[1] >= 2 && ranks[1] < width, `rank ${ranks[1]}`);
});

Deno.test("eigvalshHost() and svdvalsHost() hold across float64's range (1e-300…1e300, adversarial spectra)", () => {
  const n = 24;
  const spectra: Record<string, number[]> = {
    graded: Array.from({ length: n }, (_, i) => 10 ** (-i / 2)),
    indefinite: Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)),
    plusMinusPairs: Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (Math.floor(i / 2) + 1)),
    repeated: Array.from({ length: n }, (_, i) => (i < 8 ? 3 : 1)),
    rankDeficient: Array.from({ length: n }, (_, i) => (i < 5 ? i + 1 : 0)),
  };
  for (const [name, lambda] of Object.entries(spectra)) {
    const k = withSpectrum64(lambda, 99); // Q diag(λ) Qᵀ: symmetric, indefinite where λ is
    const exact = Float64Array.from(lambda).sort();
    const top = Math.max(...lambda.map(Math.abs));
    for (const c of [1e-300, 2 ** -1000, 1e-160, 1, 1e160, 1e300]) {
      const values = eigvalshHost(k.map((v) => v * c), n);
      const worst = Math.max(...values.map((v, i) => Math.abs(v / c - exact[i]) / top));
      assert.ok(worst < 1e-13, `${name}, c = ${c}: eigenvalue error ${worst} of λ_max`);
      const s = svdvalsHost(k.map((v) => v * c), n, n);
      const sExact = lambda.map(Math.abs).sort((a, b) => b - a);
      const sWorst = Math.max(...s.map((v, i) => Math.abs(v / c - sExact[i]) / top));
      assert.ok(sWorst < 1e-13, `${name}, c = ${c}: singular value error ${sWorst} of σ_max`);
    }
  }
});
