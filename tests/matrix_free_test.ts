/**
 * The matrix-free engine (Lanczos, stochastic Lanczos quadrature, Hutchinson, Hutch++) on operators
 * with a spectrum known by construction, A = Q diag(λ) Qᵀ with Q a product of Householder reflections
 * formed in float64: the eigenvalues come from the construction, not from another solver.
 *
 * @module
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { seededValues } from "./_helpers.ts";

/** Q diag(λ) Qᵀ in float64, Q the product of four reflections I − 2uuᵀ of seeded directions. */
function knownSpectrum(lambda: readonly number[], seed: number): Float64Array {
  const n = lambda.length;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let h = 0; h < 4; h++) {
    const u = Array.from(seededValues(n, seed + h));
    const norm = Math.hypot(...u);
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += u[i] * q[i * n + c];
      for (let i = 0; i < n; i++) q[i * n + c] -= (2 * u[i] * s) / (norm * norm);
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = a[j * n + i] = s;
    }
  }
  return a;
}

/** The operator v ↦ scale · A v of a dense float32 copy of A. */
function denseOperator(a: Float64Array, n: number, scale = 1): r.SymmetricOperator {
  const m = r.Tensor.fromArray(a.map((v) => v * scale), [n, n]);
  return { dim: n, apply: (v) => r.matmul(m, v.reshape([n, 1])).reshape([n]) };
}

// Indefinite: 10 outliers 20, 23, …, 47 and 5 negative ones −3, −2.5, …, −1 around a bulk of 185 values in
// [−0.5, 0.5] holding a cluster of 50 repeated values 0.3.
const n = 200;
const lambda = Array.from(
  { length: n },
  (_, i) => (i < 10 ? 20 + 3 * i : i < 15 ? -3 + 0.5 * (i - 10) : i < 65 ? 0.3 : 0.5 * Math.sin(i)),
);
const sorted = [...lambda].sort((x, y) => y - x);
const a = knownSpectrum(lambda, 7);
const norm = sorted[0];

Deno.test("Lanczos finds every outlier and the bottom of a known spectrum, each with a measured residual", async () => {
  await r.initGpu();
  const result = await r.lanczos(denseOperator(a, n), { k: 10, tol: 1e-4 });
  assert.ok(result.converged, result.display);
  result.largest.forEach((e, i) => {
    assert.ok(Math.abs(e.value - sorted[i]) <= 1e-5 * norm, `largest ${i + 1}: ${e.value} vs ${sorted[i]}`);
    assert.ok(e.residual <= 1e-4 * Math.max(Math.abs(e.value), 1e-3 * norm), `residual ${e.residual}`);
  });
  const ascending = [...sorted].reverse();
  // The five negative outliers at the bottom (inside a cluster, Lanczos bounds only the distance to some
  // eigenvalue, so the bulk's edge is not asked for).
  const ends = await r.lanczos(denseOperator(a, n), { k: 5, which: "both", tol: 1e-4 });
  assert.ok(ends.converged, ends.display);
  ends.smallest.forEach((e, i) => {
    assert.ok(Math.abs(e.value - ascending[i]) <= 1e-5 * norm, `smallest ${i + 1}: ${e.value} vs ${ascending[i]}`);
  });
  // The same comparison rejects an operator 1% off.
  const off = await r.lanczos(denseOperator(a, n, 1.01), { k: 10 });
  assert.ok(off.largest.some((e, i) => Math.abs(e.value - sorted[i]) > 1e-5 * norm));
  // Same seed, same numbers; the Ritz vectors are unit eigenvectors.
  const again = await r.lanczos(denseOperator(a, n), { k: 10, tol: 1e-4 });
  assert.deepEqual(again.largest.map((e) => e.value), result.largest.map((e) => e.value));
  const top = await r.lanczos(denseOperator(a, n), { k: 1, vectors: true });
  const v = await top.largest[0].vector!.toArray();
  top.largest[0].vector!.dispose();
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
  assert.ok(top.display.includes("converged"));
  // Warm-started from that eigenvector, one step suffices; a start of the wrong size or zero is refused.
  const warm = await r.lanczos(denseOperator(a, n), { k: 1, start: r.Tensor.fromArray(v), checkSymmetry: false });
  assert.ok(warm.converged && warm.steps <= 2 && Math.abs(warm.largest[0].value - sorted[0]) <= 1e-5 * norm);
  await assert.rejects(() => r.lanczos(denseOperator(a, n), { start: r.full([3], 1) }), /options.start has 3/);
  await assert.rejects(() => r.lanczos(denseOperator(a, n), { start: r.full([n], 0) }), /options.start has norm 0/);
});

Deno.test("Lanczos never reports an unconverged value as converged", async () => {
  await r.initGpu();
  // Five steps cannot resolve the 10 outliers: the flags say so, and the residuals are the measured ones.
  const result = await r.lanczos(denseOperator(a, n), { k: 3, maxSteps: 5, tol: 1e-6 });
  assert.equal(result.steps, 5);
  assert.equal(result.converged, false);
  for (const e of result.largest) {
    assert.equal(e.converged, e.residual <= 1e-6 * Math.max(Math.abs(e.value), 1e-3 * norm));
  }
  assert.ok(result.largest.some((e) => !e.converged));
  assert.match(result.display, /NO/);
});

Deno.test("SLQ moments and Hutchinson / Hutch++ traces agree with the known spectrum within their standard errors", async () => {
  await r.initGpu();
  const op = denseOperator(a, n);
  const trace = lambda.reduce((s, v) => s + v, 0), trace2 = lambda.reduce((s, v) => s + v * v, 0);
  const density = await r.slq(op, { probes: 12, steps: 30 });
  for (const p of density.probes) assert.ok(Math.abs(p.weights.reduce((s, w) => s + w, 0) - 1) < 1e-10);
  const step = density.grid[1] - density.grid[0];
  assert.ok(Math.abs(density.density.reduce((s, v) => s + v, 0) * step - 1) < 1e-3, "density integrates to 1");
  const m1 = r.slqTrace(density, "identity"), m2 = r.slqTrace(density, "square");
  assert.ok(Math.abs(m1.value - trace) <= 3 * m1.standardError, `tr A ${m1.value} ± ${m1.standardError} vs ${trace}`);
  assert.ok(Math.abs(m2.value - trace2) <= 3 * m2.standardError, `tr A² ${m2.value} ± ${m2.standardError}`);
  // The SLQ trace is Hutchinson's estimate on the same probes (the first moment of the quadrature is exact).
  const h = await r.hutchinson(op, { products: 12 });
  assert.ok(Math.abs(h.value - m1.value) <= 1e-4 * Math.abs(trace), `${h.value} vs ${m1.value}`);
  assert.ok(Math.abs(h.value - trace) <= 3 * h.standardError);
  // Counting: 10 eigenvalues above 10.
  assert.ok(
    Math.abs(r.slqTrace(density, "count", 10).value - 10) <= 3 * r.slqTrace(density, "count", 10).standardError + 0.5,
  );
  const hpp = await r.hutchPlusPlus(op, { products: 60 });
  assert.ok(Math.abs(hpp.value - trace) <= 3 * hpp.standardError, `Hutch++ ${hpp.value} ± ${hpp.standardError}`);
  // Hutch++ is exact once its sketch holds the whole range of a low-rank operator.
  const low = denseOperator(knownSpectrum([...Array(5).keys()].map((i) => i + 1).concat(Array(45).fill(0)), 3), 50);
  assert.ok(Math.abs((await r.hutchPlusPlus(low, { products: 18 })).value - 15) < 1e-3);
});

Deno.test("the matrix-free engine refuses bad input before any long work, naming the value", async () => {
  await r.initGpu();
  const op = denseOperator(a, n);
  const rejects = (call: () => Promise<unknown>, kind: typeof RangeError | typeof TypeError, pattern: RegExp) =>
    assert.rejects(call, (e: unknown) => e instanceof kind && pattern.test((e as Error).message));
  const noise = seededValues(n * n, 99);
  const skew = a.map((v, i) => v + 0.1 * noise[i]);
  await rejects(() => r.lanczos(denseOperator(skew, n)), RangeError, /not symmetric/);
  await rejects(() => r.lanczos(op, { k: n }), RangeError, /options.k 200/);
  await rejects(() => r.lanczos(op, { k: 2, maxSteps: 1 }), RangeError, /maxSteps 1/);
  await rejects(() => r.lanczos((v) => v), TypeError, /options.dim/);
  await rejects(() => r.lanczos(op, { kk: 1 } as never), TypeError, /unknown option "kk"/);
  await rejects(() => r.slq(op, { probes: 0 }), RangeError, /options.probes/);
  await rejects(() => r.slq(op, { steps: 0 }), RangeError, /options.steps/);
  await rejects(() => r.hutchinson(op, { products: 0 }), RangeError, /options.products/);
  await rejects(() => r.hutchPlusPlus(op, { products: 2 }), RangeError, /options.products/);
  const nan = { dim: 4, apply: (v: r.Tensor) => r.mul(v, r.Tensor.fromArray([1, NaN, 1, 1])) };
  await rejects(() => r.lanczos(nan, { checkSymmetry: false }), RangeError, /holds NaN/);
  await rejects(() => r.hutchinson(nan), RangeError, /holds NaN/);
  await rejects(() => r.lanczos({ dim: 4, apply: () => r.full([3], 1) }), RangeError, /\[4\] tensor/);
  assert.throws(() => r.slqTrace({ probes: [{ nodes: [-1], weights: [1] }], dim: 1 } as never, "log"), RangeError);
});
