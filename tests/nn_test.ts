import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, checkGradient, seededValues } from "./_helpers.ts";

/** Direct float64 NHWC convolution (cross-correlation), the oracle for conv2d. */
function referenceConv(
  x: Float32Array,
  [n, h, w, c]: number[],
  f: Float32Array,
  [kh, kw, , o]: number[],
  stride: number,
  [pt, pl]: [number, number],
  [oh, ow]: [number, number],
): Float64Array {
  const y = new Float64Array(n * oh * ow * o);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let q = 0; q < o; q++) {
          let s = 0;
          for (let u = 0; u < kh; u++) {
            for (let v = 0; v < kw; v++) {
              const yy = i * stride + u - pt, xx = j * stride + v - pl;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                s += x[((b * h + yy) * w + xx) * c + ch] * f[((u * kw + v) * c + ch) * o + q];
              }
            }
          }
          y[((b * oh + i) * ow + j) * o + q] = s;
        }
      }
    }
  }
  return y;
}

Deno.test("conv2d() matches a direct convolution (valid, same, stride 2)", async (t) => {
  await r.initGpu();
  const xs = [2, 7, 9, 3], fs = [3, 3, 3, 5];
  const x = seededValues(2 * 7 * 9 * 3, 1), f = seededValues(3 * 3 * 3 * 5, 2);
  const cases: [string, r.Padding, number, [number, number], [number, number]][] = [
    ["valid", "valid", 1, [0, 0], [5, 7]],
    ["same", "same", 1, [1, 1], [7, 9]],
    ["valid stride 2", "valid", 2, [0, 0], [3, 4]],
    ["same stride 2", "same", 2, [1, 1], [4, 5]],
  ];
  for (const [name, padding, stride, pad, out] of cases) {
    await t.step(name, async () => {
      const y = r.conv2d(r.Tensor.fromArray(x, xs), r.Tensor.fromArray(f, fs), { padding, stride });
      assert.deepEqual(y.shape, [2, ...out, 5]);
      assertClose(await y.toArray(), referenceConv(x, xs, f, fs, stride, pad, out), { atol: 1e-5, rtol: 1e-5 });
    });
  }
  assert.throws(
    () => r.conv2d(r.Tensor.fromArray(x, xs), r.Tensor.fromArray(seededValues(3 * 3 * 2 * 5, 3), [3, 3, 2, 5])),
    /equal channels \(x is 2x7x9x3, filters are 3x3x2x5\)/,
  );
});

Deno.test("avgPool2d() averages windows", async () => {
  await r.initGpu();
  const x = r.Tensor.fromArray(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
  assert.deepEqual([...await r.avgPool2d(x, 2).toArray()], [2.5, 4.5, 10.5, 12.5]);
  const odd = r.avgPool2d(r.Tensor.fromArray(new Float32Array(2 * 5 * 5 * 3).fill(1), [2, 5, 5, 3]), 2);
  assert.deepEqual(odd.shape, [2, 2, 2, 3]);
});

Deno.test("layer backward rules match finite differences", async (t) => {
  await r.initGpu();
  const v = (shape: number[], seed: number) => ({ data: seededValues(shape.reduce((p, d) => p * d, 1), seed), shape });
  await t.step(
    "conv2d same, stride 2",
    () =>
      checkGradient((x, f) => r.conv2d(x, f, { padding: "same", stride: 2 }), [v([1, 5, 4, 2], 1), v([3, 3, 2, 3], 2)]),
  );
  await t.step("avgPool2d", () => checkGradient((x) => r.avgPool2d(x, 2), [v([2, 4, 4, 2], 3)]));
  await t.step("batch norm (train)", () => {
    const bn = new r.BatchNorm1d(3);
    return checkGradient((x) => bn.forward(x, "train"), [v([5, 3], 4)]);
  });
  await t.step("RFF", () => {
    const rff = new r.RFF(2, 4, { scale: 0.5, seed: 3 });
    return checkGradient((x) => rff.forward(x), [v([3, 2], 5)]);
  });
  await t.step(
    "softmax cross-entropy",
    () => checkGradient((z) => r.softmaxCrossEntropy(z, [2, 0, 1]), [v([3, 4], 6)]),
  );
  await t.step(
    "binary cross-entropy",
    () => checkGradient((z) => r.bceLoss(r.sigmoid(z), r.Tensor.fromArray([1, 0, 1, 0], [4])), [v([4], 7)]),
  );
  await t.step("MSE", () => checkGradient((z) => r.mseLoss(z, r.Tensor.fromArray([1, 2, 3], [3])), [v([3], 8)]));
  // Differences on both sides of the kink |d| = 1 (none within a finite-difference step of it).
  await t.step("smooth L1", () =>
    checkGradient(
      (z) => r.smoothL1Loss(z, r.Tensor.fromArray([0, 0, 0, 0, 0, 0], [6])),
      [{ data: [-2.5, -0.7, -0.2, 0.3, 0.9, 1.6], shape: [6] }],
    ));
});

Deno.test("smoothL1Loss equals PyTorch's smooth_l1_loss (β = 1) in float64, at and around the kink", async () => {
  await r.initGpu();
  const d = [0, 1e-4, -0.5, 0.999, 1, 1.001, -1, 3, -40, 1e3];
  const expected = d.reduce((s, x) => s + (Math.abs(x) < 1 ? 0.5 * x * x : Math.abs(x) - 0.5), 0) / d.length;
  const target = d.map((_, i) => i / 3);
  const pred = d.map((x, i) => target[i] + x);
  const got = await r.smoothL1Loss(r.Tensor.fromArray(pred), r.Tensor.fromArray(target)).item();
  assertClose([got], [expected], { rtol: 1e-5 });
  assert.throws(() => r.smoothL1Loss(r.Tensor.fromArray([1, 2]), r.Tensor.fromArray([1])), /smooth L1: shapes differ/);
});

Deno.test("a full CNN's parameter gradient matches finite differences", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 1, stream: 0, biasStd: 0.1 }),
    new r.Activation("tanh"),
    new r.AvgPool2d(2),
    new r.Flatten(),
    new r.Dense(8, 3, { seed: 1, stream: 1 }),
  ]);
  const x = r.Tensor.fromArray(seededValues(2 * 6 * 6, 9), [2, 6, 6, 1]);
  const [filters, bias, w, b] = model.parameters();
  const values = await Promise.all([filters, bias, w, b].map((p) => p.toArray()));
  await checkGradient(
    (f, fb, dw, db) => {
      const h = r.avgPool2d(r.tanh(r.conv2d(x, f, { bias: fb })), 2);
      return r.softmaxCrossEntropy(r.add(r.matmul(h.reshape([2, 8]), dw), db), [1, 2]);
    },
    [
      { data: values[0], shape: [...filters.shape] },
      { data: values[1], shape: [...bias.shape] },
      { data: values[2], shape: [...w.shape] },
      { data: values[3], shape: [...b.shape] },
    ],
  );
  // The model computes the same function as the hand-written composition.
  const direct = r.softmaxCrossEntropy(
    r.add(r.matmul(r.avgPool2d(r.tanh(r.conv2d(x, filters, { bias })), 2).reshape([2, 8]), w), b),
    [1, 2],
  );
  assertClose([await r.softmaxCrossEntropy(model.forward(x), [1, 2]).item()], [await direct.item()], { atol: 1e-6 });
});

Deno.test("training an MLP on XOR with Adam reaches loss < 0.05", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Dense(2, 16, { seed: 3, stream: 0, init: "glorot" }),
    new r.Activation("tanh"),
    new r.Dense(16, 1, { seed: 3, stream: 1, init: "glorot" }),
    new r.Activation("sigmoid"),
  ]);
  const data = {
    x: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
    xShape: [4, 2],
    y: Float32Array.from([0, 1, 1, 0]),
    yShape: [4, 1],
  };
  const result = await r.fit(model, data, {
    loss: r.bceLoss,
    optimizer: new r.Adam({ lr: 0.05 }),
    epochs: 300,
    lossEvery: 50,
    earlyStopping: { target: 0.05 },
  });
  const final = result.epochLoss.at(-1)!;
  assert.ok(final < 0.05, `final loss ${final} after ${result.steps} steps`);
  assert.ok(result.epochLoss[0] > 0.5, "started untrained");
});

Deno.test("SGD with momentum fits a linear regression", async () => {
  await r.initGpu();
  const n = 64;
  const x = seededValues(n * 3, 1), w = [0.5, -2, 1];
  const y = Float32Array.from({ length: n }, (_, i) => w.reduce((s, wk, k) => s + wk * x[i * 3 + k], 0.3));
  const model = new r.Dense(3, 1, { seed: 2, init: "lecun" });
  const result = await r.fit(model, { x, xShape: [n, 3], y, yShape: [n, 1] }, {
    loss: r.mseLoss,
    optimizer: new r.Sgd({ lr: 0.1, momentum: 0.9 }),
    epochs: 60,
    batchSize: 16,
    seed: 4,
  });
  assert.ok(result.epochLoss.at(-1)! < 1e-4, `loss ${result.epochLoss.at(-1)}`);
  assertClose(await model.weights.toArray(), w, { atol: 1e-2 });
  assertClose(await model.bias!.toArray(), [0.3], { atol: 1e-2 });
});

Deno.test("Adam matches a float64 reference update", async () => {
  await r.initGpu();
  const p = r.Tensor.fromArray([1, -2, 3]);
  const adam = new r.Adam({ lr: 0.1 });
  const ref = [1, -2, 3], m = [0, 0, 0], v = [0, 0, 0];
  for (let t = 1; t <= 3; t++) {
    const g = [0.5 * t, -1, 2 / t];
    adam.step([p], [r.Tensor.fromArray(g)]);
    for (let i = 0; i < 3; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
      ref[i] -= (0.1 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  assertClose(await p.toArray(), ref, { atol: 1e-6 });
});

Deno.test("batch norm uses batch statistics in train mode and running ones in eval mode", async () => {
  await r.initGpu();
  const bn = new r.BatchNorm1d(2, { momentum: 0.5 });
  const x = r.Tensor.fromArray([1, 10, 3, 20], [2, 2]);
  const y = await bn.forward(x, "train").toArray();
  assertClose(y, [-1, -1, 1, 1], { atol: 1e-4 });
  // Running mean after one step with momentum 0.5: 0.5 * batch mean; variance: 0.5 + 0.5 * unbiased variance.
  assertClose(await bn.runningMean.toArray(), [1, 7.5], { atol: 1e-5 });
  assertClose(await bn.runningVar.toArray(), [0.5 + 0.5 * 2, 0.5 + 0.5 * 50], { atol: 1e-4 });
  const e = await bn.forward(x, "eval").toArray();
  assertClose(e, [0, 10 - 7.5, 3 - 1, 20 - 7.5].map((d, i) => d / Math.sqrt([1.5, 25.5][i % 2] + 1e-5)), {
    atol: 1e-4,
  });
});

Deno.test("init schemes have their variances; UDI hyperplanes cross the domain", async () => {
  await r.initGpu();
  const variance = async (t: r.Tensor) => (await t.toArray()).reduce((s, v) => s + v * v, 0) / t.size;
  const shape = [400, 300];
  const opts = { fanIn: 400, fanOut: 300, seed: 5 };
  assert.ok(Math.abs(await variance(r.initWeights(shape, "lecun", opts)) - 1 / 400) < 1e-4);
  assert.ok(Math.abs(await variance(r.initWeights(shape, "glorot", opts)) - 2 / 700) < 1e-4);
  assert.ok(Math.abs(await variance(r.initWeights(shape, "glorot-uniform", opts)) - 2 / 700) < 1e-4);
  assert.ok(Math.abs(await variance(r.initWeights(shape, { std: 2, fanInScaled: true }, opts)) - 4 / 400) < 3e-4);
  const { weights, bias } = r.udiInit(2, 40, [-1, 1]);
  const [w, b] = [await weights.toArray(), await bias.toArray()];
  for (let j = 0; j < 40; j++) {
    const [a0, a1] = [w[j], w[40 + j]];
    assert.ok(Math.abs(Math.hypot(a0, a1) - 1) < 1e-6, "unit normal");
    // The hyperplane a·x + b = 0 meets the square: |b| <= |a0| + |a1|.
    assert.ok(Math.abs(b[j]) <= Math.abs(a0) + Math.abs(a1) + 1e-6, `hyperplane ${j} misses the domain`);
  }
  assert.throws(() => r.udiInit(2, 4, [1, -1]), /Cannot initialise UDI for 2 inputs: domain/);
});

Deno.test("udiInit random variant: γ·a_j with a_j uniform on the circle, r_j ~ U(0, R) about the centre", async () => {
  await r.initGpu();
  const n = 4000, gamma = 2, box = [[0, 1], [0, 1]] as const, radius = Math.SQRT1_2;
  const { weights, bias } = r.udiInit(2, n, box, { variant: "random", seed: 3, scale: gamma });
  const [w, b] = [await weights.toArray(), await bias.toArray()];
  let cos = 0, cos2 = 0, rMean = 0, rMin = Infinity, rMax = -Infinity;
  for (let j = 0; j < n; j++) {
    const [a0, a1] = [w[j] / gamma, w[n + j] / gamma];
    assert.ok(Math.abs(Math.hypot(a0, a1) - 1) < 1e-5, "γ times a unit normal");
    const rj = b[j] / gamma + 0.5 * a0 + 0.5 * a1; // b = γ(r − a·c), c = (0.5, 0.5)
    [rMin, rMax, rMean] = [Math.min(rMin, rj), Math.max(rMax, rj), rMean + rj / n];
    [cos, cos2] = [cos + a0 / n, cos2 + (a0 * a0) / n];
  }
  assert.ok(rMin >= -1e-6 && rMax <= radius + 1e-6 && rMax > 0.99 * radius, `r in [${rMin}, ${rMax}]`);
  assert.ok(Math.abs(rMean - radius / 2) < 0.02, `E[r] ${rMean}`);
  assert.ok(Math.abs(cos) < 0.03 && Math.abs(cos2 - 0.5) < 0.03, `E[cos] ${cos}, E[cos²] ${cos2}`);
  const again = await r.udiInit(2, n, box, { variant: "random", seed: 3, scale: gamma }).bias.toArray();
  const other = await r.udiInit(2, n, box, { variant: "random", seed: 4, scale: gamma }).bias.toArray();
  assert.deepEqual(Array.from(again), Array.from(b), "same seed, same draw");
  assert.notDeepEqual(Array.from(other), Array.from(b));
  assert.throws(() => r.udiInit(1, 4, [-1, 1], { variant: "random", scale: -1 }), /Cannot initialise UDI: scale -1/);
});

Deno.test("Sequential.trace returns every activation; shape errors are clear", async () => {
  await r.initGpu();
  const model = new r.Sequential([new r.Dense(3, 4), new r.Activation("relu"), new r.Dense(4, 2)]);
  const acts = model.trace(r.Tensor.fromArray(new Float32Array(6), [2, 3]));
  assert.deepEqual(acts.map((a) => a.shape), [[2, 3], [2, 4], [2, 4], [2, 2]]);
  assert.equal(model.parameterCount, 3 * 4 + 4 + 4 * 2 + 2);
  assert.throws(
    () => model.forward(r.Tensor.fromArray(new Float32Array(4), [2, 2])),
    /Dense\(3→4\) expects \[batch, 3\] input \(got 2x2\)/,
  );
  assert.throws(
    () => r.softmaxCrossEntropy(r.Tensor.fromArray(new Float32Array(6), [2, 3]), [0, 5]),
    /Cannot one-hot encode labels: labels\[1\] is 5/,
  );
});

Deno.test("progress bar renders fraction and ETA", () => {
  let t = 0;
  const lines: string[] = [];
  const bar = new r.ProgressBar({ total: 4, label: "run", write: (s) => lines.push(s), width: 8, now: () => t });
  t = 2000;
  bar.update(1, "loss 1.0");
  assert.equal(lines[0], "\rrun [##......] 25% 1/4 0:02 ETA 0:06 loss 1.0\x1b[K");
  bar.finish();
  assert.equal(lines.at(-1), "\n");
});

Deno.test("progress bar for a log: a full line every lineEvery percent, no carriage returns", () => {
  const lines: string[] = [];
  const bar = new r.ProgressBar({ total: 100, write: (s) => lines.push(s), lineEvery: 25, now: () => 0 });
  for (const done of [10, 20, 30, 60, 99]) bar.update(done);
  bar.finish("done");
  assert.deepEqual(lines.map((l) => / (\d+)%/.exec(l)![1]), ["10", "30", "60", "99", "100"]);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.ok(lines.at(-1)!.includes("done"));
});

Deno.test("perExampleGradients() equals one grad() call per example (Dense and Conv2d)", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 4, stream: 0, biasStd: 0.1 }),
    new r.Activation("relu"),
    new r.AvgPool2d(2),
    new r.Flatten(),
    new r.Dense(8, 3, { seed: 4, stream: 1, biasStd: 0.1 }),
  ]);
  const n = 3;
  const xs = seededValues(n * 6 * 6, 12);
  const x = r.Tensor.fromArray(xs, [n, 6, 6, 1]);
  const output = 1;
  const per = await Promise.all(r.perExampleGradients(model, x, output).map((g) => g.toArray()));
  const params = model.parameters();
  for (let e = 0; e < n; e++) {
    const xe = r.Tensor.fromArray(xs.subarray(e * 36, (e + 1) * 36), [1, 6, 6, 1]);
    const y = model.forward(xe, "eval");
    const grads = r.grad(r.slice(y, [0, output], [1, 1]), params);
    for (let p = 0; p < params.length; p++) {
      const size = params[p].size;
      assertClose(
        per[p].subarray(e * size, (e + 1) * size),
        await grads[p].toArray(),
        { atol: 1e-5 },
        `param ${p} example ${e}`,
      );
    }
  }
});

Deno.test("inputJacobian() of a tanh network matches the analytic Jacobian", async () => {
  await r.initGpu();
  const w = seededValues(2 * 3, 1), v = seededValues(3 * 2, 2);
  const wt = r.Tensor.fromArray(w, [2, 3]), vt = r.Tensor.fromArray(v, [3, 2]);
  const f = (x: r.Tensor) => r.matmul(r.tanh(r.matmul(x, wt)), vt);
  const xs = seededValues(4 * 2, 3);
  const j = await r.inputJacobian(f, r.Tensor.fromArray(xs, [4, 2])).toArray();
  for (let n = 0; n < 4; n++) {
    const h = [0, 1, 2].map((c) => Math.tanh(xs[n * 2] * w[c] + xs[n * 2 + 1] * w[3 + c]));
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 2; i++) {
        const expected = [0, 1, 2].reduce((s, c) => s + v[c * 2 + k] * (1 - h[c] ** 2) * w[i * 3 + c], 0);
        assert.ok(Math.abs(j[(n * 2 + k) * 2 + i] - expected) < 1e-5, `J[${n},${k},${i}]`);
      }
    }
  }
  // Differentiable again: the Jacobian trace of x ↦ x² summed is 2 Σ x, whose gradient is 2.
  const x = r.Tensor.fromArray([0.5, -1], [1, 2]);
  x.requiresGrad = true;
  const jac = r.inputJacobian((z) => r.square(z), x, { createGraph: true });
  const [g] = r.grad(r.sum(jac), [x]);
  assertClose(await g.toArray(), [2, 2], { atol: 1e-6 });
});

Deno.test("fit() and the optimizers refuse bad input before any work", async () => {
  await r.initGpu();
  const model = new r.Sequential([new r.Dense(2, 1, { seed: 1 })]);
  const data = { x: new Float32Array(8), xShape: [4, 2], y: new Float32Array(4), yShape: [4, 1] };
  const optimizer = new r.Sgd({ lr: 0.1 });
  const fitWith = (d: typeof data, o: Partial<r.FitOptions> = {}) =>
    r.fit(model, d, { loss: r.mseLoss, optimizer, ...o });
  await assert.rejects(
    () => fitWith({ ...data, x: new Float32Array(7) }),
    (e: unknown) =>
      e instanceof RangeError && e.message === "Cannot fit: data.x has 7 values but data.xShape [4, 2] needs 8",
  );
  await assert.rejects(
    () => fitWith({ ...data, y: new Float32Array(5) }),
    /data.y has 5 values but data.yShape \[4, 1\] needs 4/,
  );
  await assert.rejects(() => fitWith(data, { batchSize: 0 }), /batchSize must be an integer >= 1 \(got 0\)/);
  await assert.rejects(() => fitWith(data, { batchSize: 2.5 }), /batchSize must be an integer >= 1 \(got 2.5\)/);
  await assert.rejects(() => fitWith(data, { epochs: -1 }), /epochs must be an integer >= 0 \(got -1\)/);
  await assert.rejects(() => fitWith(data, { epochs: NaN }), /epochs must be an integer >= 0/);
  assert.throws(() => new r.Sgd({ lr: NaN }), /Cannot use Sgd: lr must be a finite number >= 0 \(got NaN\)/);
  assert.throws(() => new r.Adam({ lr: Infinity }), /Cannot use Adam: lr must be a finite number >= 0/);
  assert.throws(() => new r.Adam({ lr: 1e-3, beta2: 1 }), /beta2 must be in \[0, 1\)/);
  optimizer.lr = NaN;
  await assert.rejects(() => fitWith(data), /Cannot use Sgd: lr must be a finite number >= 0 \(got NaN\)/);
});

Deno.test('init "torch": weights and biases U(±1/√fan_in) with variance 1/(3 fan_in), like PyTorch layers', async (t) => {
  await r.initGpu();
  const check = (values: Float32Array, fanIn: number, what: string) => {
    const limit = 1 / Math.sqrt(fanIn);
    assert.ok(values.every((v) => Math.abs(v) <= limit), `${what} within ±1/√${fanIn}`);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
    // Sampling error of the variance of a uniform: sd ≈ var·√(0.8/n); allow 5 sd.
    const expected = 1 / (3 * fanIn), tol = 5 * expected * Math.sqrt(0.8 / values.length);
    assert.ok(Math.abs(variance - expected) < tol, `${what}: variance ${variance} vs ${expected}`);
    assert.ok(Math.abs(mean) < 5 * Math.sqrt(expected / values.length), `${what}: mean ${mean}`);
    // Uniform, not normal: excess kurtosis −1.2.
    const m4 = values.reduce((s, v) => s + (v - mean) ** 4, 0) / values.length;
    assert.ok(Math.abs(m4 / variance ** 2 - 3 - -1.2) < 0.3, `${what}: kurtosis ${m4 / variance ** 2 - 3}`);
  };
  await t.step("Dense 300 → 400", async () => {
    const layer = new r.Dense(300, 400, { init: "torch", seed: 5 });
    check(await layer.weights.toArray(), 300, "weights");
    check(await layer.bias!.toArray(), 300, "bias");
    assert.equal(r.initStd("torch", 300, 400), 1 / Math.sqrt(900));
    assert.throws(() => r.initStd("torch", 0, 400), /fanIn must be an integer >= 1/);
    assert.throws(() => r.initStd("kaiming" as "he", 3, 4), /scheme must be one of/);
  });
  await t.step("Conv2d 3x3, 16 → 64 (fan-in 144)", async () => {
    const layer = new r.Conv2d(16, 64, 3, { init: "torch", seed: 6 });
    const [filters, bias] = layer.parameters();
    check(await filters.toArray(), 144, "filters");
    assert.ok((await bias.toArray()).some((v) => v !== 0), "bias is drawn, not zero");
  });
  await t.step("an explicit biasStd still wins", async () => {
    const layer = new r.Dense(10, 4, { init: "torch", biasStd: 0 });
    assert.deepEqual([...await layer.bias!.toArray()], [0, 0, 0, 0]);
  });
});

Deno.test('RFF variant "sine" is the original study\'s trainable sin(π(x Bᵀ + b)); "fourier" stays frozen', async (t) => {
  await r.initGpu();
  const layer = new r.RFF(2, 400, { scale: 10, variant: "sine", seed: 3 });
  await t.step("values match a host evaluation", async () => {
    const x = [0.3, -0.7, 1.1, 0.2];
    const y = await layer.forward(r.Tensor.fromArray(x, [2, 2])).toArray();
    const b = await layer.frequencies.toArray(), phase = await layer.phases!.toArray();
    const expected = Float64Array.from({ length: 2 * 400 }, (_, k) => {
      const [i, j] = [Math.floor(k / 400), k % 400];
      return Math.sin(Math.PI * (x[2 * i] * b[2 * j] + x[2 * i + 1] * b[2 * j + 1] + phase[j]));
    });
    assertClose(y, expected, { atol: 2e-5, rtol: 0 });
  });
  await t.step("B ~ N(0, (scale/in)²), b ~ U(−1, 1), both trained", async () => {
    const b = await layer.frequencies.toArray(), phase = await layer.phases!.toArray();
    const sd = Math.sqrt(b.reduce((s, v) => s + v * v, 0) / b.length);
    assert.ok(Math.abs(sd / 5 - 1) < 0.1, `std ${sd} vs 5`);
    assert.ok(phase.every((v) => v > -1 && v < 1));
    assert.equal(layer.parameters().length, 2);
    assert.ok(layer.parameters().every((p) => p.requiresGrad));
    assert.equal(new r.RFF(2, 4, { scale: 1 }).parameters().length, 0, "fourier stays frozen");
  });
  await t.step("its gradient matches finite differences", () => {
    const small = new r.RFF(2, 3, { scale: 0.5, variant: "sine", seed: 4 });
    return checkGradient((x) => small.forward(x), [{ data: seededValues(6, 7), shape: [3, 2] }]);
  });
});

Deno.test("fit() with dropRemainder skips the short last batch of every epoch", async () => {
  await r.initGpu();
  const data = { x: new Float32Array(20).fill(1), xShape: [10, 2], y: new Float32Array(10), yShape: [10, 1] };
  const rows: number[] = [];
  const countRows = (pred: r.Tensor, target: r.Tensor) => {
    rows.push(pred.shape[0]);
    return r.mseLoss(pred, target);
  };
  const run = (dropRemainder: boolean) =>
    r.fit(new r.Sequential([new r.Dense(2, 1, { seed: 1 })]), data, {
      loss: countRows,
      optimizer: new r.Sgd({ lr: 0.01 }),
      epochs: 2,
      batchSize: 4,
      dropRemainder,
    });
  assert.equal((await run(true)).steps, 4);
  assert.deepEqual(rows, [4, 4, 4, 4]);
  rows.length = 0;
  assert.equal((await run(false)).steps, 6);
  assert.deepEqual(rows, [4, 4, 2, 4, 4, 2]);
});

/** Every tensor of a layer's state, read back. */
async function readState(layer: r.StatefulLayer): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(layer.stateDict())) out[name] = Array.from(await t.toArray());
  return out;
}

/** One model of every layer class: dense, batch norm, residual, both RFF variants; and a CNN. */
function stateModels(): { name: string; model: r.Sequential; x: r.Tensor }[] {
  const dense = new r.Sequential([
    new r.RFF(2, 3, { scale: 1, seed: 1, variant: "sine" }),
    new r.Dense(3, 4, { seed: 2, init: "torch" }),
    new r.BatchNorm1d(4),
    new r.Activation("tanh"),
    new r.Residual(
      new r.Sequential([new r.Dense(4, 4, { seed: 3, stream: 1, bias: false }), new r.Activation("relu")]),
    ),
    new r.RFF(4, 2, { scale: 0.5, seed: 4 }),
    new r.Dense(4, 1, { seed: 5 }),
  ]);
  const cnn = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 6, padding: "same", init: "torch" }),
    new r.AvgPool2d(2),
    new r.Flatten(),
    new r.Dense(8, 1, { seed: 7 }),
  ]);
  return [
    { name: "dense", model: dense, x: r.Tensor.fromArray(seededValues(10, 8), [5, 2]) },
    { name: "cnn", model: cnn, x: r.Tensor.fromArray(seededValues(32, 11), [2, 4, 4, 1]) },
  ];
}

Deno.test("saveState → perturb → loadState restores every parameter and buffer exactly", async (t) => {
  await r.initGpu();
  for (const { name, model, x } of stateModels()) {
    await t.step(name, async () => {
      const saved = await r.saveState(model);
      const before = await readState(model);
      const grads = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.requiresGrad]));
      assert.deepEqual(Object.keys(saved), Object.keys(before));
      assert.deepEqual(Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, Array.from(v)])), before);
      // Perturb: train (moves the weights and batch norm's running statistics), then overwrite one tensor.
      const n = x.shape[0];
      await r.fit(model, { x: await x.toArray(), xShape: x.shape, y: new Float32Array(n).fill(1), yShape: [n, 1] }, {
        loss: r.mseLoss,
        optimizer: new r.Adam({ lr: 0.1 }),
        epochs: 3,
      });
      const first = Object.keys(saved)[0];
      const trained = await r.saveState(model);
      model.loadState({ ...trained, [first]: trained[first].map((v) => v + 1) });
      const moved = await readState(model);
      for (const key of Object.keys(before)) {
        if (key === first || key.endsWith("frequencies") && !key.startsWith("0.")) continue;
        assert.notDeepEqual(moved[key], before[key], `${key} did not move`);
      }
      model.loadState(saved);
      assert.deepEqual(await readState(model), before);
      const after = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.requiresGrad]));
      assert.deepEqual(after, grads);
      assert.deepEqual(model.parameters().map((p) => p.requiresGrad), model.parameters().map(() => true));
    });
  }
  const names = Object.keys(stateModels()[0].model.stateDict());
  assert.deepEqual(names, [
    "0.frequencies",
    "0.phases",
    "1.weights",
    "1.bias",
    "2.gamma",
    "2.beta",
    "2.runningMean",
    "2.runningVar",
    "4.inner.0.weights",
    "5.frequencies",
    "6.weights",
    "6.bias",
  ]);
});

Deno.test("loadState refuses a mismatched state and changes nothing", async (t) => {
  await r.initGpu();
  const model = new r.Sequential([new r.Dense(2, 3, { seed: 1 }), new r.BatchNorm1d(3), new r.Activation("relu")]);
  const saved = await r.saveState(model);
  const live = model.stateDict();
  const cases: [string, unknown, ErrorConstructor, RegExp][] = [
    ["a missing name", { ...saved, "1.runningVar": undefined }, RangeError, /missing "1\.runningVar"/],
    ["an unknown name", { ...saved, "2.weights": new Float32Array(1) }, RangeError, /unknown name "2\.weights"/],
    [
      "a wrong size",
      { ...saved, "0.weights": new Float32Array(5) },
      RangeError,
      /state\["0\.weights"\] has 5 values but the tensor of shape \[2, 3\] needs 6/,
    ],
    ["a plain array", { ...saved, "0.bias": [0, 0, 0] }, TypeError, /state\["0\.bias"\] must be a Float32Array/],
    ["no object", null, TypeError, /state must be an object of Float32Arrays/],
  ];
  for (const [what, state, type, message] of cases) {
    await t.step(what, () => {
      assert.throws(() => model.loadState(state as r.LayerState), (e: Error) => {
        assert.ok(e instanceof type, `${e.name}: ${e.message}`);
        assert.match(e.message, /^Cannot load state into Sequential: /);
        assert.match(e.message, message);
        return true;
      });
      const now = model.stateDict();
      for (const key of Object.keys(live)) assert.equal(now[key], live[key], `${key} was replaced`);
    });
  }
  await t.step("a leaf layer names itself", () => {
    assert.throws(
      () => new r.Dense(2, 3).loadState({ weights: new Float32Array(6) }),
      (e: Error) =>
        e instanceof RangeError && /^Cannot load state into Dense\(2→3\): state is missing "bias"/.test(e.message),
    );
    assert.throws(
      () => new r.Activation("tanh").loadState({ x: new Float32Array(1) }),
      (e: Error) => e instanceof RangeError && /unknown name "x" \(the layer's: none\)/.test(e.message),
    );
  });
  await t.step("a layer without stateDict", async () => {
    const custom = { name: "Custom", forward: (x: r.Tensor) => x, parameters: () => [] };
    const wrapped = new r.Sequential([new r.Dense(2, 2), custom]);
    assert.throws(() => wrapped.stateDict(), (e: Error) =>
      e instanceof TypeError &&
      e.message === "Cannot read the state of Sequential: layer 1 (Custom) has no stateDict and loadState methods");
    await assert.rejects(() => r.saveState(custom as unknown as r.StatefulLayer), TypeError);
  });
});

Deno.test("mlp() builds the Dense stack the experiments wrote by hand", async (t) => {
  await r.initGpu();
  await t.step("layers, streams and init match a hand-built network", async () => {
    const built = r.mlp([2, 3, 3, 1], {
      activation: "tanh",
      outputActivation: "sigmoid",
      init: "he",
      outputInit: "glorot",
      batchNorm: true,
      seed: 4,
    });
    assert.deepEqual(built.layers.map((l) => l.name), [
      "Dense(2→3)",
      "BatchNorm1d(3)",
      "tanh",
      "Dense(3→3)",
      "BatchNorm1d(3)",
      "tanh",
      "Dense(3→1)",
      "sigmoid",
    ]);
    const hand = [
      new r.Dense(2, 3, { seed: 4, stream: 0, init: "he" }),
      new r.Dense(3, 3, { seed: 4, stream: 1, init: "he" }),
      new r.Dense(3, 1, { seed: 4, stream: 2, init: "glorot" }),
    ];
    const dense = built.layers.filter((l) => l instanceof r.Dense) as r.Dense[];
    for (let k = 0; k < 3; k++) assert.deepEqual(await dense[k].weights.toArray(), await hand[k].weights.toArray());
  });
  await t.step("residual blocks, no bias, first stream", () => {
    const m = r.mlp([1, 4, 4, 4, 1], { residual: true, bias: false, stream: 2 });
    assert.deepEqual(m.layers.map((l) => l.name), [
      "Dense(1→4)",
      "relu",
      "Residual(Sequential(Dense(4→4), relu))",
      "Residual(Sequential(Dense(4→4), relu))",
      "Dense(4→1)",
    ]);
    assert.equal(m.parameters().length, 4);
  });
  await t.step("bad input", () => {
    assert.throws(
      () => r.mlp([3]),
      (e: Error) => e instanceof RangeError && /^Cannot build mlp: widths/.test(e.message),
    );
    assert.throws(() => r.mlp([2, 0, 1]), (e: Error) => e instanceof RangeError && /widths\[1\]/.test(e.message));
    assert.throws(
      () => r.mlp([2, 4, 3, 1], { residual: true }),
      (e: Error) => e instanceof RangeError && /equal hidden widths/.test(e.message),
    );
    assert.throws(() => r.mlp([2, 1], { bias: 1 as unknown as boolean }), TypeError);
    assert.throws(() => r.mlp([2, 1], { depth: 2 } as r.MlpOptions), TypeError);
  });
});

Deno.test("accuracy() counts thresholded, argmax and one-hot predictions", async (t) => {
  await r.initGpu();
  const x = Float32Array.from([-2, 1, 3, -1, 0.5, -0.5]);
  await t.step("one column: p > threshold", async () => {
    const data = { x, xShape: [6, 1], y: Float32Array.from([0, 1, 1, 1, 1, 0]), yShape: [6, 1] };
    assert.equal(await r.accuracy(new r.Activation("sigmoid"), data), 5 / 6);
    assert.equal(await r.accuracy(new r.Activation("sigmoid"), data, { threshold: 0.7 }), 4 / 6);
  });
  await t.step("k columns: argmax against class indices or one-hot rows", async () => {
    const wide = { x, xShape: [3, 2], y: Float32Array.from([1, 0, 1]), yShape: [3] };
    assert.equal(await r.accuracy(new r.Activation("relu"), wide), 2 / 3);
    const oneHot = { ...wide, y: Float32Array.from([1, 0, 1, 0, 0, 1]), yShape: [3, 2] };
    assert.equal(await r.accuracy(new r.Activation("relu"), oneHot), 1 / 3);
  });
  await t.step("targets of another shape", async () => {
    const bad = { x, xShape: [3, 2], y: new Float32Array(9), yShape: [3, 3] };
    await assert.rejects(
      () => r.accuracy(new r.Activation("relu"), bad),
      (e: Error) => e instanceof RangeError && /^Cannot compute accuracy: targets of shape \[3, 3\]/.test(e.message),
    );
  });
});

Deno.test('fit() takes each epoch\'s row order from options.order and stops when a callback returns "stop"', async () => {
  await r.initGpu();
  const data = {
    x: Float32Array.from([1, 2, 3, 4]),
    xShape: [4, 1],
    y: Float32Array.from([10, 20, 30, 40]),
    yShape: [4, 1],
  };
  const targets: r.Tensor[] = [];
  const record = (pred: r.Tensor, target: r.Tensor) => {
    targets.push(r.keep(target));
    return r.mseLoss(pred, target);
  };
  const orders = [[3, 2, 1, 0], [1, 3, 0, 2], [0, 1, 2, 3]];
  const model = new r.Sequential([new r.Dense(1, 1, { seed: 1 })]);
  const run = await r.fit(model, data, {
    loss: record,
    optimizer: new r.Sgd({ lr: 0.001 }),
    epochs: 5,
    batchSize: 2,
    order: (epoch) => Uint32Array.from(orders[epoch]),
    onStep: ({ step }) => step === 5 ? "stop" : undefined,
  });
  assert.deepEqual([run.steps, run.stopped, run.epochLoss.length], [5, "callback", 3]);
  const rows = await Promise.all(targets.map(async (t) => Array.from(await t.toArray())));
  assert.deepEqual(rows, [[40, 30], [20, 10], [20, 40], [10, 30], [10, 20]]);
  const early = await r.fit(model, data, {
    loss: r.mseLoss,
    optimizer: new r.Sgd({ lr: 0.001 }),
    epochs: 2,
    batchSize: 2,
    onEpoch: () => "stop",
  });
  assert.deepEqual([early.steps, early.stopped], [2, "callback"]);
  await assert.rejects(
    () => r.fit(model, data, { loss: r.mseLoss, optimizer: new r.Sgd({ lr: 0.01 }), order: () => new Uint32Array(3) }),
    (e: Error) =>
      e instanceof RangeError &&
      e.message ===
        "Cannot fit: options.order(0) must return a Uint32Array of the 4 row indices (got a Uint32Array of length 3)",
  );
});
