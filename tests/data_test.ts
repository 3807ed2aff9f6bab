import assert from "node:assert";
import {
  columnMoments,
  concentricCircles,
  grid1d,
  grid2d,
  loadMnist,
  MNIST_SIZE,
  poissonProblem,
  sineSumTarget,
  standardize,
  trainTestSplit,
  xorPoints,
} from "./_all.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("loadMnist() gives real digits, a deterministic disjoint split and normalisation", () => {
  const a = loadMnist({ train: 300, test: 200, seed: 3 });
  const b = loadMnist({ train: 300, test: 200, seed: 3 });
  assert.deepEqual(a.train.labels, b.train.labels);
  assert.deepEqual(a.train.shape, [300, 28, 28, 1]);
  assert.equal(a.train.x.length, 300 * 784);
  // Every class appears, pixel values are in [0, 1], one-hot rows match labels.
  assert.equal(new Set(a.train.labels).size, 10);
  assert.ok(a.train.x.every((v) => v >= 0 && v <= 1));
  for (let i = 0; i < 300; i++) assert.equal(a.train.oneHot[i * 10 + a.train.labels[i]], 1);
  // Disjoint: no training image equals a test image (compare hashes of the pixel rows).
  const key = (x: Float32Array, i: number) => x.subarray(i * 784, (i + 1) * 784).join(",");
  const trainKeys = new Set(Array.from({ length: 300 }, (_, i) => key(a.train.x, i)));
  for (let i = 0; i < 200; i++) assert.ok(!trainKeys.has(key(a.test.x, i)), `test image ${i} is also in training`);
  const other = loadMnist({ train: 300, test: 0, seed: 4 });
  assert.notDeepEqual(other.train.labels, a.train.labels);
  const std = loadMnist({ train: 300, test: 10, seed: 3, normalize: "standard" });
  const mean = std.train.x.reduce((s, v) => s + v, 0) / std.train.x.length;
  const variance = std.train.x.reduce((s, v) => s + (v - mean) ** 2, 0) / std.train.x.length;
  assert.ok(Math.abs(mean) < 1e-4 && Math.abs(variance - 1) < 1e-3, `${mean} ${variance}`);
  assert.throws(() => loadMnist({ train: MNIST_SIZE, test: 1 }), /exceed the 10000 available/);
});

Deno.test("concentric circles and XOR have the right geometry and labels", () => {
  const c = concentricCircles({ n: 200, noise: 0, seed: 1, factor: 0.4 });
  for (let i = 0; i < 200; i++) {
    const r = Math.hypot(c.x[2 * i], c.x[2 * i + 1]);
    assert.ok(Math.abs(r - (c.y[i] === 1 ? 1 : 0.4)) < 1e-6);
  }
  const x = xorPoints({ n: 300, noise: 0, seed: 2 });
  for (let i = 0; i < 300; i++) assert.equal(x.y[i], x.x[2 * i] * x.x[2 * i + 1] < 0 ? 1 : 0);
  assert.deepEqual(xorPoints({ n: 5, seed: 9 }), xorPoints({ n: 5, seed: 9 }));
  assert.throws(() => concentricCircles({ factor: 1.5 }), /options.factor must be a finite number > 0 and < 1/);
});

Deno.test("trainTestSplit() is a seeded 80/20 partition; standardize uses training moments", () => {
  const { x, y } = concentricCircles({ n: 100, seed: 3 });
  const { train, test } = trainTestSplit(x, y, { width: 2, seed: 4 });
  assert.equal(train.y.length, 80);
  assert.equal(test.y.length, 20);
  const rows = (s: { x: Float32Array }) =>
    Array.from({ length: s.x.length / 2 }, (_, i) => `${s.x[2 * i]},${s.x[2 * i + 1]}`);
  const all = new Set([...rows(train), ...rows(test)]);
  assert.equal(all.size, 100);
  const m = columnMoments(train.x, 2);
  const z = standardize(train.x, m);
  const zm = columnMoments(z, 2);
  assert.ok(Math.abs(zm.mean[0]) < 1e-6 && Math.abs(zm.std[1] - 1) < 1e-5);
});

Deno.test("targets: sine sum, grids and the Poisson problem", () => {
  const t = sineSumTarget({ seed: 1 });
  assert.equal(t.x.length, 1001);
  assert.equal(t.x[0], 0);
  assert.equal(t.x[1000], 5);
  const f0 = Array.from({ length: 20 }, (_, k) => Math.sin(Math.PI * t.phases[k])).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(t.y[0] - f0) < 1e-5);
  const g = grid1d((x) => x * x, { n: 3, domain: [-1, 1] });
  assert.deepEqual([...g.y], [1, 0, 1]);
  const g2 = grid2d((x, y) => x + 10 * y, { nx: 3, ny: 2 });
  assert.deepEqual([...g2.values], [0, 0.5, 1, 10, 10.5, 11]);
  const p = poissonProblem({ interior: 4, boundary: 8 });
  assert.equal(p.interior.length, 32);
  assert.equal(p.boundary.length, 64);
  // −Δu = f: check with a finite-difference Laplacian of the exact solution at an interior point.
  const [x0, y0] = [p.interior[10], p.interior[11]], h = 1e-4;
  const lap =
    (p.exact(x0 + h, y0) + p.exact(x0 - h, y0) + p.exact(x0, y0 + h) + p.exact(x0, y0 - h) - 4 * p.exact(x0, y0)) /
    h ** 2;
  assert.ok(Math.abs(-lap - p.source[5]) < 1e-3 * p.source[5]);
  for (let k = 0; k < 32; k++) assert.ok(Math.abs(p.exact(p.boundary[2 * k], p.boundary[2 * k + 1])) < 1e-6);
});

Deno.test("sineSumTarget({ phase: 'per-point' }) is the original study's comb: exact values", () => {
  const t = sineSumTarget({ phase: "per-point" });
  assert.equal(t.x.length, 1001);
  assert.equal(t.phases.length, 1001);
  // At integer x every frequency 2πk contributes sin(π b_i) with b_i = 2x/5 − 1: f = 20 sin(π(2x/5 − 1)).
  for (const x of [0, 1, 2, 3, 4, 5]) {
    const i = x * 200;
    assertClose([t.y[i]], [20 * Math.sin(Math.PI * ((2 * x) / 5 - 1))], { atol: 1e-4, rtol: 0 }, `f(${x})`);
  }
  // Between the spikes the sum is small: at x = 2.5 (b = 0) every term is sin(5πk) = 0.
  assertClose([t.y[500]], [0], { atol: 1e-4 }, "f(2.5)");
  // Independent direct sum at an awkward point.
  const i = 333, x = (5 * i) / 1000, b = -1 + (2 * i) / 1000;
  let direct = 0;
  for (let k = 0; k < 20; k++) direct += Math.sin(2 * Math.PI * k * x + Math.PI * b);
  assertClose([t.y[i]], [direct], { atol: 1e-4 }, "f(x_333)");
  assert.ok(Math.max(...t.y.map(Math.abs)) > 19 && Math.max(...t.y.map(Math.abs)) <= 20);
  // The default is unchanged: per-frequency seeded phases.
  assert.equal(sineSumTarget().phases.length, 20);
});

Deno.test("xorPoints blobs: four Gaussian blobs at (±0.5, ±0.5) with σ = noise, labelled by corner", () => {
  const n = 8000, noise = 0.2;
  const { x, y } = xorPoints({ n, noise, layout: "blobs", seed: 5 });
  const blobs = new Map<string, { count: number; sx: number; sxx: number; label: number }>();
  for (let i = 0; i < n; i++) {
    // Far from the axes the corner is unambiguous; the blobs' inner tails cross them.
    const cx = x[2 * i] > 0 ? 0.5 : -0.5, cy = x[2 * i + 1] > 0 ? 0.5 : -0.5;
    if (Math.abs(x[2 * i]) < 0.5 || Math.abs(x[2 * i + 1]) < 0.5) continue;
    const key = `${cx},${cy}`, b = blobs.get(key) ?? { count: 0, sx: 0, sxx: 0, label: cx * cy < 0 ? 1 : 0 };
    assert.equal(y[i], b.label, `label of a point in blob ${key}`);
    blobs.set(key, { ...b, count: b.count + 1 });
  }
  assert.equal(blobs.size, 4);
  const ones = y.reduce((s, v) => s + v, 0) / n;
  assert.ok(Math.abs(ones - 0.5) < 0.02, `label balance ${ones}`);
  // Per-coordinate spread about the corners is the noise.
  let ss = 0;
  for (let i = 0; i < 2 * n; i++) ss += (Math.abs(x[i]) - 0.5) ** 2;
  assert.ok(Math.abs(Math.sqrt(ss / (2 * n)) - noise) < 0.01, `σ ${Math.sqrt(ss / (2 * n))}`);
});
