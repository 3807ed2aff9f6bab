import assert from "node:assert";
import * as r from "./_all.ts";
import { referenceSvdvals } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";

/** Explicit Θ[(i,o),(j,o')] = ⟨∂f_o(x_i)/∂θ, ∂f_o'(x_j)/∂θ⟩ from one grad() per example and output. */
async function explicitNtk(model: r.Sequential, xs: Float32Array, shape: number[]): Promise<Float64Array[][]> {
  const n = shape[0], per = xs.length / n;
  const params = model.parameters();
  const jac: Float64Array[][] = [];
  for (let i = 0; i < n; i++) {
    const x = r.Tensor.fromArray(xs.subarray(i * per, (i + 1) * per), [1, ...shape.slice(1)]);
    const y = model.forward(x, "eval");
    const rows: Float64Array[] = [];
    for (let o = 0; o < y.shape[1]; o++) {
      const grads = r.grad(r.slice(y, [0, o], [1, 1]), params);
      const flat = (await Promise.all(grads.map((g) => g.toArray()))).flatMap((a) => Array.from(a));
      rows.push(Float64Array.from(flat));
    }
    jac.push(rows);
  }
  return jac;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

Deno.test("empiricalNtk() equals the explicit Jacobian product (traced and full, chunked)", async (t) => {
  await r.initGpu();
  for (const parameterization of ["standard", "ntk"] as const) {
    await t.step(parameterization, async () => {
      const model = new r.Sequential([
        new r.Conv2d(1, 2, 3, { seed: 1, stream: 0, parameterization, biasStd: 0.3, weightStd: 1.4 }),
        new r.Activation("tanh"),
        new r.AvgPool2d(2),
        new r.Flatten(),
        new r.Dense(8, 3, { seed: 1, stream: 1, parameterization, biasStd: 0.2 }),
      ]);
      const n = 5, shape = [n, 6, 6, 1];
      const xs = seededValues(n * 36, 4);
      const jac = await explicitNtk(model, xs, shape);
      const x = r.Tensor.fromArray(xs, shape);
      const traced = await r.empiricalNtk(model, x, { chunk: 2 }).toArray();
      const expected = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) for (let o = 0; o < 3; o++) expected[i * n + j] += dot(jac[i][o], jac[j][o]);
      }
      assertClose(traced, expected, { atol: 1e-4, rtol: 1e-4 }, "traced NTK");
      const full = await r.empiricalNtk(model, x, { mode: "full", chunk: 3 }).toArray();
      const expectedFull = new Float64Array(n * 3 * n * 3);
      for (let i = 0; i < n; i++) {
        for (let o = 0; o < 3; o++) {
          for (let j = 0; j < n; j++) {
            for (let o2 = 0; o2 < 3; o2++) {
              expectedFull[(i * 3 + o) * n * 3 + j * 3 + o2] = dot(jac[i][o], jac[j][o2]);
            }
          }
        }
      }
      assertClose(full, expectedFull, { atol: 1e-4, rtol: 1e-4 }, "full NTK");
    });
  }
});

Deno.test("entropy, effective rank and delta-rank have their known answers", () => {
  assert.ok(Math.abs(r.spectralEntropy(new Array(7).fill(3)) - Math.log(7)) < 1e-12);
  assert.equal(r.spectralEntropy([5, 0, 0]), 0);
  assert.equal(r.spectralEntropy([0, 0]), 0);
  assert.ok(Math.abs(r.effectiveRank([2, 2, 2, 0]) - 3) < 1e-12);
  assert.equal(r.deltaRank([1, 1, 1, 1], 0.01), 4);
  assert.equal(r.deltaRank([100, 1e-3, 1e-3], 0.01), 1);
  assert.equal(r.deltaRank([0.4, 0.3, 0.2, 0.1], 0.25), 3);
  assert.throws(() => r.spectralEntropy([1, -1]), /value 1 is -1/);
  assert.throws(() => r.deltaRank([1], 1), /delta must be a finite number >= 0 and < 1 \(got 1\)/);
});

Deno.test("sRank of a rank-k orthogonal feature matrix is ln k", async () => {
  await r.initGpu();
  // Columns 0..2 of a 10x5 matrix hold orthogonal unit vectors of equal norm; the rest are zero.
  const z = new Float32Array(50);
  for (let c = 0; c < 3; c++) z[(2 * c) * 5 + c] = 1;
  assert.ok(Math.abs(await r.sRank(r.Tensor.fromArray(z, [10, 5])) - Math.log(3)) < 1e-6);
});

Deno.test("von Neumann entropy: identity, projector, effective and cosine options", async () => {
  await r.initGpu();
  const n = 6;
  const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 2.5 : 0));
  assert.ok(Math.abs((await r.vonNeumannEntropy(eye)).entropy - Math.log(n)) < 1e-6);
  assert.ok(Math.abs((await r.vonNeumannEntropy(eye, { effective: true })).entropy - 1) < 1e-6);
  // A rank-2 projector (two orthonormal vectors) has entropy ln 2.
  const u = [1, 1, 0, 0, 0, 0].map((v) => v / Math.SQRT2), v = [0, 0, 1, 0, 0, 0];
  const p = Float64Array.from(
    { length: n * n },
    (_, k) => u[Math.floor(k / n)] * u[k % n] + v[Math.floor(k / n)] * v[k % n],
  );
  const proj = await r.vonNeumannEntropy(p);
  assert.ok(Math.abs(proj.entropy - Math.log(2)) < 1e-5, `${proj.entropy}`);
  // Cosine normalisation removes scale differences: diag(1, 100) → identity → ln 2.
  assert.ok(Math.abs((await r.vonNeumannEntropy([1, 0, 0, 100], { cosine: true })).entropy - Math.log(2)) < 1e-6);
  await assert.rejects(() => r.vonNeumannEntropy([1, 2, 3]), /not a square matrix/);
});

Deno.test("von Neumann entropy refuses zero and indefinite kernels, clips rounding-level negatives", async () => {
  await r.initGpu();
  // A zero kernel would otherwise come out as ln N (every eigenvalue clipped to the same floor).
  await assert.rejects(
    () => r.vonNeumannEntropy(new Float64Array(9)),
    (e: unknown) => e instanceof RangeError && /no positive eigenvalue \(largest 0\)/.test(e.message),
  );
  await assert.rejects(
    () => r.vonNeumannEntropy([0, 1, 1, 0]),
    (e: unknown) =>
      e instanceof RangeError && /not positive semidefinite \(λ_min = -1.000e\+0, λ_max = 1.000e\+0/.test(e.message),
  );
  await assert.rejects(
    () => r.vonNeumannEntropy([1, 0, 0, 1], { relativeFloor: NaN }),
    (e: unknown) =>
      e instanceof RangeError && /options.relativeFloor must be a finite number >= 0 and < 1/.test(e.message),
  );
  // diag(1, 1, -1e-7): a rounding-level negative eigenvalue is clipped, the entropy is that of diag(1, 1).
  const { entropy, eigenvalues } = await r.vonNeumannEntropy([1, 0, 0, 0, 1, 0, 0, 0, -1e-7]);
  assert.ok(eigenvalues[0] < 0);
  assert.ok(Math.abs(entropy - Math.log(2)) < 1e-6, `${entropy}`);
});

Deno.test("epsilonRank counts L² Gram eigenvalues above ε (orthogonal sines have rank = count)", async () => {
  await r.initGpu();
  const x = Float64Array.from({ length: 401 }, (_, i) => i / 400);
  // sin(kπx) for k = 1..4 are orthogonal on [0, 1] with norm² 1/2; a duplicate column adds no rank.
  const cols = [1, 2, 3, 4, 4];
  const d = new Float32Array(401 * cols.length);
  x.forEach((xi, i) => cols.forEach((k, c) => (d[i * cols.length + c] = Math.sin(k * Math.PI * xi))));
  const { rank, eigenvalues } = await r.epsilonRank(r.Tensor.fromArray(d, [401, cols.length]), { x, epsilon: 1e-3 });
  assert.equal(rank, 4);
  // Eigenvalues: 1/2 (three times), 1 (the doubled sin 4πx), and ~0.
  assertClose(eigenvalues, [0, 0.5, 0.5, 0.5, 1], { atol: 1e-4 });
  assert.deepEqual([...r.trapezoidWeights([0, 1, 3])], [0.5, 1.5, 1]);
  await assert.rejects(
    () => r.epsilonRank(r.Tensor.fromArray(d, [401, 5]), { x: [0, 1] }),
    /options.x needs 401 values, one per row of features \(got 2\)/,
  );
});

Deno.test("excess kurtosis, four-point correlators and Hotelling's T² have known answers", () => {
  // Gaussian samples (Box–Muller on a lattice) have excess kurtosis ~0; a uniform has −1.2.
  const e = 20000, n = 4;
  const gauss = r.hostRandom(e * n, { seed: 3, distribution: "normal" });
  const kg = r.excessKurtosis(gauss, n).mean;
  assert.ok(Math.abs(kg.value) < 5 * kg.stderr + 0.05, `gaussian kurtosis ${kg.value} ± ${kg.stderr}`);
  const uni = r.hostRandom(e * n, { seed: 4, distribution: "uniform" });
  assert.ok(Math.abs(r.excessKurtosis(uni, n).mean.value + 1.2) < 0.05);
  const c = r.connectedFourPoint(gauss, n);
  assert.ok(Math.abs(c.diagonal.value) < 0.2 && Math.abs(c.offDiagonal.value) < 0.1 && Math.abs(c.k - 1) < 0.05);
  // Incomplete beta: I_0.5(2, 3) = 11/16.
  assert.ok(Math.abs(r.incompleteBeta(0.5, 2, 3) - 11 / 16) < 1e-12);
  // T² of zero-mean data is small (p-value not tiny); shifted data is rejected.
  const p = 3, m = 200;
  const z = r.hostRandom(m * p, { seed: 5, distribution: "normal" });
  const h0 = r.hotellingT2(z, p);
  assert.ok(h0.pValue > 0.01, `p = ${h0.pValue}`);
  assert.deepEqual(h0.df, [3, 197]);
  const shifted = z.map((v, i) => v + (i % p === 0 ? 0.5 : 0));
  assert.ok(r.hotellingT2(shifted, p).pValue < 1e-6);
  // One-dimensional case: T² = t², and F(1, m−1) p-value equals the two-sided t-test p-value.
  const one = r.hotellingT2([1, 2, 3, 4, 6], 1);
  const mean = 3.2, sd = Math.sqrt([1, 2, 3, 4, 6].reduce((s, v) => s + (v - mean) ** 2, 0) / 4);
  assert.ok(Math.abs(one.t2 - (mean / (sd / Math.sqrt(5))) ** 2) < 1e-9);
  assert.throws(() => r.hotellingT2([1, 2, 3, 4], 2), /need more samples \(2\) than dimensions \(2\)/);
});

Deno.test("infiniteNtkGpu(): the device recursion equals the host float64 recursion to float32 accuracy", async (t) => {
  await r.initGpu();
  const n = 7, shape = [n, 12, 11, 2];
  const x = Float64Array.from({ length: n * 12 * 11 * 2 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.3));
  const check = async (layers: r.KernelLayer[], what: string, batch?: number) => {
    const host = r.infiniteNtk(layers, x, shape);
    const progress: number[] = [];
    const gpu = await r.infiniteNtkGpu(layers, x, shape, { batch, onProgress: (done) => progress.push(done) });
    for (const key of ["ntk", "nngp"] as const) {
      assertClose(gpu[key], host[key], { rtol: 5e-6, atol: 1e-7 * Math.max(...host[key]) }, `${what}: ${key}`);
    }
    assert.equal(progress.at(-1), (n * (n + 1)) / 2, "progress reaches every pair");
  };
  // Valid and same padding, stride 2, pooling, relu and erf, a dense readout: batches of 3 pairs split the
  // self pairs from the cross pairs mid-batch.
  const mixed: r.KernelLayer[] = [
    { kind: "conv", kernel: [3, 3], stride: 1, padding: "valid", weightStd: 1.4, biasStd: 0.1 },
    { kind: "activation", fn: "relu" },
    { kind: "avgpool", size: 2 },
    { kind: "conv", kernel: [3, 3], stride: 2, padding: "same", weightStd: 1.2, biasStd: 0.2 },
    { kind: "activation", fn: "erf" },
    { kind: "flatten" },
    { kind: "dense", weightStd: 1.3, biasStd: 0.1 },
    { kind: "activation", fn: "relu" },
    { kind: "dense", weightStd: 1, biasStd: 0 },
  ];
  await t.step("mixed stack, batches of 3 pairs", () => check(mixed, "mixed", 3));
  await t.step("mixed stack, one batch", () => check(mixed, "mixed"));
  await t.step("tanh before Flatten falls back to the host recursion", () =>
    check([
      { kind: "conv", kernel: [2, 2], stride: 1, padding: "valid", weightStd: 1, biasStd: 0.1 },
      { kind: "activation", fn: "tanh" },
      { kind: "flatten" },
      { kind: "dense", weightStd: 1, biasStd: 0 },
    ], "tanh"));
  await assert.rejects(() => r.infiniteNtkGpu(mixed, x, shape, { batch: 0 }), /batch must be an integer >= 1/);
});

Deno.test("infiniteNtkGpu(): a readout over more positions than the loop budget runs on the host, not truncated", async () => {
  const rt = await r.initGpu();
  const layers: r.KernelLayer[] = [
    { kind: "conv", kernel: [1, 1], stride: 1, padding: "valid", weightStd: 1.2, biasStd: 0.1 },
    { kind: "activation", fn: "relu" },
    { kind: "flatten" },
    { kind: "dense", weightStd: 1, biasStd: 0 },
  ];
  // 128 x 128 = 16,384 positions is the budget (device); 130 x 130 = 16,900 is past it (host).
  for (const [side, onDevice] of [[128, true], [130, false]] as const) {
    const shape = [2, side, side, 1];
    const x = Float64Array.from({ length: 2 * side * side }, (_, i) => Math.sin(i * 0.01) + (i % 3) * 0.1);
    const before = rt.stats.dispatches;
    const gpu = await r.infiniteNtkGpu(layers, x, shape);
    assert.equal(rt.stats.dispatches > before, onDevice, `${side}x${side} on the device: ${onDevice}`);
    const host = r.infiniteNtk(layers, x, shape);
    assertClose(gpu.ntk, host.ntk, { rtol: 1e-5, atol: 0 }, `${side}x${side}`);
  }
});

Deno.test("streaming NTK: panels within a memory budget and host assembly equal the one-pass kernel", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 2, stream: 0, biasStd: 0.3 }),
    new r.Activation("relu"),
    new r.Flatten(),
    new r.Dense(32, 3, { seed: 2, stream: 1, biasStd: 0.2 }),
  ]);
  const n = 9, shape = [n, 6, 6, 1];
  const x = r.Tensor.fromArray(seededValues(n * 36, 8), shape);
  // Factors of one example: conv (18 + 2)·3 floats, dense 32 + 3·3: 101 floats, 404 bytes.
  const perExample = 404;
  for (const mode of ["traced", "full"] as const) {
    const whole = await r.empiricalNtk(model, x, { mode }).toArray();
    // Chunks of 2 with room for 3 of them: panels of 2 chunks, later chunks recomputed and streamed.
    const streamed = await r.empiricalNtk(model, x, { mode, chunk: 2, memoryBudget: 3 * 2 * perExample }).toArray();
    assertClose(streamed, whole, { rtol: 1e-6, atol: 1e-6 * Math.max(...whole) }, `${mode}: streamed`);
    const progress: [number, number][] = [];
    const host = await r.empiricalNtkHost(model, x, {
      mode,
      chunk: 2,
      memoryBudget: 2 * 2 * perExample,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(host.size, mode === "traced" ? n : 3 * n);
    assertClose(host.kernel, whole, { rtol: 1e-6, atol: 1e-6 * Math.max(...whole) }, `${mode}: host assembly`);
    assert.deepEqual(progress[0], [0, progress[0][1]]);
    assert.ok(progress.every(([d], i) => i === 0 || d > progress[i - 1][0]), "progress only moves forward");
    assert.equal(progress.at(-1)![0], progress.at(-1)![1], "and ends at its total");
  }
  assert.throws(
    () => r.empiricalNtk(model, x, { chunk: 2, memoryBudget: 100 }),
    /memoryBudget \(100 bytes\) holds fewer than two chunks of factors \(808 bytes each at chunk 2\)/,
  );
  assert.throws(() => r.empiricalNtk(model, x, { chunk: 0 }), /chunk must be an integer >= 1 \(got 0\)/);
});

Deno.test("Hotelling's T² is calibrated on critical ReLU ensembles (heavy-tailed rows, nets ≈ 9 × width)", async () => {
  await r.initGpu();
  // Under H0 (mean 0, which the ensemble has by symmetry) E[T²] = p(n−1)/(n−p−2) and sd(T²) ≈ √(2p)·(n−1)/(n−p):
  // the mean over 12 ensembles lies within 3 standard errors (±21%) of it, so a T² off by a quarter fails.
  const nets = 300, p = 32, runs = 12;
  const t2: number[] = [];
  for (let seed = 0; seed < runs; seed++) {
    const x = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1 + seed));
    const zs = await r.ensemblePreactivations(x, { nets, widths: [p, p, p], weightVariance: 2, seed });
    t2.push(r.hotellingT2(zs[2], p).t2);
  }
  const mean = t2.reduce((a, b) => a + b, 0) / runs;
  const expected = (p * (nets - 1)) / (nets - p - 2);
  const stderr = (Math.sqrt(2 * p) * (nets - 1)) / (nets - p) / Math.sqrt(runs);
  assert.ok(Math.abs(mean - expected) < 3 * stderr, `mean T² ${mean} vs ${expected} ± ${stderr}`);
});

Deno.test("Gaussian expectations: quadrature matches closed forms", () => {
  const [a, b, c] = [0.8, 1.3, 0.4];
  const [e1, e2] = r.gaussianExpectations("sin", a, b, c);
  assert.ok(Math.abs(e1 - Math.exp(-(a + b) / 2) * Math.sinh(c)) < 1e-10);
  assert.ok(Math.abs(e2 - Math.exp(-(a + b) / 2) * Math.cosh(c)) < 1e-10);
  // relu closed form at ρ = 1: E[relu(u)²] = a/2, E[step²] = 1/2.
  const [r1, r2] = r.gaussianExpectations("relu", 2, 2, 2);
  assert.ok(Math.abs(r1 - 1) < 1e-12 && Math.abs(r2 - 0.5) < 1e-12);
  // erf closed form agrees with quadrature of erf through a tanh-free check: symmetric at c = 0.
  assert.ok(Math.abs(r.gaussianExpectations("erf", 1, 1, 0)[0]) < 1e-12);
});

async function ntkError(model: r.Sequential, xs: Float32Array, shape: number[]): Promise<number> {
  const emp = await r.empiricalNtk(model, r.Tensor.fromArray(xs, shape)).toArray();
  const { ntk } = r.infiniteNtk(model, xs, shape);
  let num = 0, den = 0;
  for (let i = 0; i < ntk.length; i++) {
    num += (emp[i] - ntk[i]) ** 2;
    den += ntk[i] ** 2;
  }
  return Math.sqrt(num / den);
}

Deno.test("empirical NTK of wide random MLPs converges to the infinite-width NTK", async () => {
  await r.initGpu();
  const xs = seededValues(4 * 3, 8), shape = [4, 3];
  const errors: number[] = [];
  for (const width of [16, 256, 4096]) {
    // Average over seeds to separate the 1/√width trend from one draw's noise.
    let e = 0;
    for (const seed of [1, 2, 3]) {
      const opts = { parameterization: "ntk" as const, biasStd: 0.1, seed };
      const model = new r.Sequential([
        new r.Dense(3, width, { ...opts, stream: 0, weightStd: 1.5 }),
        new r.Activation("relu"),
        new r.Dense(width, width, { ...opts, stream: 1, weightStd: 1.5 }),
        new r.Activation("erf"),
        new r.Dense(width, 1, { ...opts, stream: 2 }),
      ]);
      e += (await ntkError(model, xs, shape)) / 3;
    }
    errors.push(e);
  }
  assert.ok(errors[2] < errors[0] / 4, `errors ${errors}`);
  assert.ok(errors[2] < 0.05, `error at width 4096: ${errors[2]}`);
});

Deno.test("empirical NTK of wide random CNNs converges to the infinite-width NTK", async () => {
  await r.initGpu();
  const xs = seededValues(3 * 6 * 6, 9), shape = [3, 6, 6, 1];
  const errors: number[] = [];
  for (const channels of [8, 512]) {
    let e = 0;
    for (const seed of [1, 2]) {
      const opts = { parameterization: "ntk" as const, biasStd: 0.1, seed };
      const model = new r.Sequential([
        new r.Conv2d(1, channels, 3, { ...opts, stream: 0, weightStd: 1.4, padding: "same" }),
        new r.Activation("relu"),
        new r.AvgPool2d(2),
        new r.Conv2d(channels, channels, 2, { ...opts, stream: 1, weightStd: 1.4 }),
        new r.Activation("relu"),
        new r.Flatten(),
        new r.Dense(4 * channels, 1, { ...opts, stream: 2 }),
      ]);
      e += (await ntkError(model, xs, shape)) / 2;
    }
    errors.push(e);
  }
  assert.ok(errors[1] < errors[0] / 3, `errors ${errors}`);
  assert.ok(errors[1] < 0.08, `error at 512 channels: ${errors[1]}`);
});

Deno.test("input-Jacobian and weight spectra: known answers", async () => {
  await r.initGpu();
  // f(x) = x A with A = diag(3, 0.5) rotated: singular values 3 and 0.5 at every point.
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const a = r.Tensor.fromArray([3 * c, 3 * s, -0.5 * s, 0.5 * c], [2, 2]);
  const pts = r.Tensor.fromArray(seededValues(50 * 2, 3), [50, 2]);
  const spectra = await r.inputJacobianSpectra((x) => r.matmul(x, a), pts);
  assert.equal(spectra.values.length, 50);
  for (let i = 0; i < 50; i++) {
    assert.ok(Math.abs(spectra.max[i] - 3) < 1e-5 && Math.abs(spectra.min[i] - 0.5) < 1e-5);
  }
  // tanh(x w) with a width-1 bottleneck: the 2x2 Jacobian has rank 1 (min singular value 0).
  const w1 = r.Tensor.fromArray([1, 2], [2, 1]), w2 = r.Tensor.fromArray([1, -1], [1, 2]);
  const rank1 = await r.inputJacobianSpectra((x) => r.matmul(r.tanh(r.matmul(x, w1)), w2), pts);
  assert.ok(rank1.min.every((v) => v < 1e-6) && rank1.max.every((v) => v > 0));
  const model = new r.Sequential([
    new r.Dense(3, 2, { seed: 1 }),
    new r.Activation("relu"),
    new r.Dense(2, 2, { seed: 2 }),
  ]);
  const ws = await r.weightSpectra(model);
  assert.deepEqual(ws.map((w) => w.layer), [0, 2]);
  const ref = referenceSvdvals(await model.layers[0].parameters()[0].toArray(), 3, 2);
  assertClose(ws[0].values, ref, { rtol: 1e-6 });
});

Deno.test("hiddenEpsilonRanks reports each hidden activation's ε-rank", async () => {
  await r.initGpu();
  const dense = new r.Dense(1, 3, { seed: 1 });
  // Neurons x, 2x and 1 (identity activation) span two functions.
  dense.weights = r.Tensor.fromArray([1, 2, 0], [1, 3]);
  dense.bias = r.Tensor.fromArray([0, 0, 1], [3]);
  const model = new r.Sequential([dense, new r.Activation("identity"), new r.Dense(3, 1, { seed: 2 })]);
  const x = Float64Array.from({ length: 201 }, (_, i) => -1 + i / 100);
  const ranks = await r.hiddenEpsilonRanks(model, r.Tensor.fromArray(Float32Array.from(x), [201, 1]), {
    x,
    epsilon: 1e-4,
  });
  assert.deepEqual(ranks.map((e) => [e.layer, e.rank]), [[1, 2]]);
});

Deno.test("ensemblePreactivations() reproduces the exact finite-width kurtosis of ReLU networks", async () => {
  await r.initGpu();
  const x = [1, -1, 1, -1, 1, -1, 1, -1];
  const zs = await r.ensemblePreactivations(x, { nets: 3000, widths: [16, 16, 16], weightVariance: 2, seed: 4 });
  // K stays at C_W·|x|²/n₀ = 2; excess kurtosis = 3((1 + 5/n)^(ℓ−1) − 1).
  zs.forEach((z, l) => {
    const k = z.reduce((s, v) => s + v * v, 0) / z.length;
    assert.ok(Math.abs(k - 2) < 0.15, `K at layer ${l + 1}: ${k}`);
    const kurt = r.excessKurtosis(z, 16, { groups: 10 }).mean;
    const exact = 3 * ((1 + 5 / 16) ** l - 1);
    assert.ok(
      Math.abs(kurt.value - exact) < 4 * kurt.stderr + 0.1,
      `layer ${l + 1}: ${kurt.value} ± ${kurt.stderr} vs ${exact}`,
    );
  });
  // The unscaled variant multiplies K by the width at every layer.
  const [u1, u2] = await r.ensemblePreactivations(x, {
    nets: 2000,
    widths: [16, 16],
    weightVariance: 2,
    scaling: "none",
    seed: 5,
  });
  const k1 = u1.reduce((s, v) => s + v * v, 0) / u1.length, k2 = u2.reduce((s, v) => s + v * v, 0) / u2.length;
  assert.ok(Math.abs(k1 / 16 - 1) < 0.1 && Math.abs(k2 / k1 / 16 - 1) < 0.15, `${k1} ${k2}`);
});

Deno.test("ensemblePreactivations() with a PyTorch-default layer: K = fan_in·Var(W)·K/2 + Var(b), Var = 1/(3 fan_in)", async () => {
  await r.initGpu();
  const x = [1, -1, 1, -1, 1, -1, 1, -1];
  const [z1, z2] = await r.ensemblePreactivations(x, {
    nets: 4000,
    widths: [32, 32],
    weightVariance: 2,
    layerInit: ["normal", "torch"],
    seed: 6,
  });
  const k1 = z1.reduce((s, v) => s + v * v, 0) / z1.length, k2 = z2.reduce((s, v) => s + v * v, 0) / z2.length;
  const expected = 32 * (1 / 96) * (k1 / 2) + 1 / 96; // the bias's variance 1/96 is 3% of K: a zero bias fails
  assert.ok(Math.abs(k2 / expected - 1) < 0.02, `K2 ${k2} vs ${expected}`);
  assert.ok(Math.abs(k2 / (expected - 1 / 96) - 1) > 0.02, "the bias contributes");
  await assert.rejects(
    r.ensemblePreactivations(x, { nets: 2, widths: [4, 4], weightVariance: 2, layerInit: ["torch"], seed: 1 }),
    /options.layerInit needs one entry per layer \(2\)/,
  );
});

Deno.test("meanKeyedWeights gives the original chapter-2 ε-rank code's mass matrix (sorted by mean of g)", () => {
  const m = 7, width = 3, cols = 2;
  const g = seededValues(m * width, 21), d = seededValues(m * cols, 22);
  // The original: sort rows by the mean of g, uniform dx from the sorted means, halve the ends, M = Dᵀ W D.
  const means = Array.from({ length: m }, (_, i) => (g[i * width] + g[i * width + 1] + g[i * width + 2]) / 3);
  const idx = means.map((_, i) => i).sort((a, b) => means[a] - means[b]);
  const dx = (means[idx[m - 1]] - means[idx[0]]) / (m - 1 + 1e-8);
  const expected = new Float64Array(cols * cols);
  idx.forEach((row, k) => {
    const w = (k === 0 || k === m - 1 ? 0.5 : 1) * dx;
    for (let a = 0; a < cols; a++) {
      for (let b = 0; b < cols; b++) expected[a * cols + b] += d[row * cols + a] * w * d[row * cols + b];
    }
  });
  const w = r.meanKeyedWeights(g, width), got = new Float64Array(cols * cols);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < cols; a++) {
      for (let b = 0; b < cols; b++) got[a * cols + b] += d[i * cols + a] * w[i] * d[i * cols + b];
    }
  }
  assertClose(got, expected, { rtol: 1e-12, atol: 1e-15 });
  assert.throws(() => r.meanKeyedWeights([1, 2, 3], 2), /not m x 2/);
});

Deno.test("excessKurtosis's jackknife standard error matches the spread over independent ensembles", () => {
  // Neurons of one member share a random scale (a scale mixture, as neurons of one network share their
  // weights), so they are correlated; the jackknife over members must still match the true spread.
  const e = 400, n = 16, reps = 150;
  const estimates: number[] = [], jackknife: number[] = [];
  for (let k = 0; k < reps; k++) {
    const g = r.hostRandom(e * n, { seed: r.deriveSeed(7, "rep", k), distribution: "normal" });
    const scale = r.hostRandom(e, { seed: r.deriveSeed(8, "rep", k), distribution: "uniform" });
    const z = g.map((v, i) => v * (0.5 + scale[Math.floor(i / n)]));
    const withGroups = r.excessKurtosis(z, n, { groups: 20 }).mean;
    estimates.push(withGroups.value);
    jackknife.push(withGroups.stderr);
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean(estimates)) ** 2, 0) / (reps - 1));
  assert.ok(Math.abs(mean(jackknife) / sd - 1) < 0.25, `jackknife ${mean(jackknife)} vs true spread ${sd}`);
});

Deno.test("entropy and ε-rank results display as a small HTML table in Jupyter, and stay plain objects", async () => {
  await r.initGpu();
  const result = await r.vonNeumannEntropy([2, 0, 0, 2]);
  const display = (result as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")];
  const html = display()["text/html"];
  assert.ok(
    html.includes("<caption>von Neumann entropy</caption>") &&
      html.includes(String(Number(Math.log(2).toPrecision(6)))),
  );
  assert.deepEqual(Object.keys(result), ["entropy", "eigenvalues"], "nothing enumerable added");
  const x = Float32Array.from({ length: 101 }, (_, i) => -1 + i / 50);
  const rank = await r.epsilonRank(r.Tensor.fromArray(x.map((v) => Math.sin(Math.PI * v)), [101, 1]), { x });
  assert.ok(
    (rank as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]()["text/plain"]
      .startsWith("ε-rank\nrank: 1"),
  );
});
