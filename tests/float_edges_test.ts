import assert from "node:assert";
import * as r from "./_all.ts";

const T = (values: number[]) => r.Tensor.fromArray(values);
const read = async (t: r.Tensor) => [...await t.toArray()];

Deno.test("scalar operands keep their IEEE meaning: division by 0, ±Infinity and NaN behave as with tensors", async () => {
  await r.initGpu();
  assert.deepEqual(await read(r.div(T([1, -1, 0]), 0)), [Infinity, -Infinity, NaN]);
  assert.deepEqual(await read(r.div(T([1, -1, 0]), T([0, 0, 0]))), [Infinity, -Infinity, NaN]);
  assert.deepEqual(await read(r.full([2], Infinity)), [Infinity, Infinity]);
  assert.deepEqual(await read(r.full([1], -Infinity)), [-Infinity]);
  assert.deepEqual(await read(r.add(T([1]), Infinity)), [Infinity]);
  assert.deepEqual(await read(r.div(T([1e38]), Infinity)), [0]);
  assert.deepEqual(await read(r.maximum(T([5]), Infinity)), [Infinity]);
  assert.deepEqual(await read(r.mul(T([1, 2]), NaN)), [NaN, NaN]);
  assert.deepEqual(await read(r.map([T([1, 2]), 2, 3], "x0 * x1 + x2")), [5, 7]);
  // Literals in a map expression are data too.
  assert.deepEqual(await read(r.map([T([1, -1, 0])], "x0 / 0.0")), [Infinity, -Infinity, NaN]);
  assert.deepEqual(await read(r.map([T([1, 2])], "x0 * 2.5 + 1e1")), [12.5, 15]);
  assert.throws(() => r.map([T([1])], "x0 * 1e39"), /the literal 1e39 is beyond float32's range/);
  assert.throws(() => r.map([T([1])], "x1 + 2.0"), /uses x1 but only 1 inputs/);
  // The gradient of sum(x / 0) is 1/0 = Infinity, not 0.
  const x = T([1, 2]);
  x.requiresGrad = true;
  assert.deepEqual(await read(r.grad(r.sum(r.div(x, 0)), [x])[0]), [Infinity, Infinity]);
  // Constants no longer give one pipeline per value.
  const rt = await r.initGpu();
  const before = rt.pipelines.size;
  for (const c of [0.5, 1.5, 2.5, 3.5]) r.mul(T([1]), c).dispose();
  assert.ok(rt.pipelines.size - before <= 1, `${rt.pipelines.size - before} new pipelines for 4 constants`);
});

Deno.test("a constant that is not a number, or that float32 cannot hold, is refused naming the operand", async () => {
  await r.initGpu();
  for (const bad of [undefined, null, "2", [1]]) {
    assert.throws(() => r.add(T([1]), bad as never), /Cannot add: b must be a Tensor or a number/);
  }
  assert.throws(() => r.add(T([1]), 1e39), /Cannot add: b is 1e\+39, which float32 cannot hold/);
  assert.throws(() => r.full([2], 1e39), /value is 1e\+39, which float32 cannot hold/);
  assert.throws(() => r.randomNormal([3], { seed: 1, std: 1e39 }), /options.std is 1e\+39, which float32 cannot hold/);
  assert.throws(
    () => r.randomUniform([4], { seed: 1, low: -3e38, high: 3e38 }),
    /the range options.high - options.low is 6e\+38, which float32 cannot hold/,
  );
  assert.throws(() => r.Tensor.fromArray(["a", "2"] as never), /value 0 is "a", not a number/);
  assert.throws(() => r.Tensor.fromArray([1e39]), /value 0 is 1e\+39, which float32 cannot hold/);
  assert.deepEqual(await read(r.Tensor.fromArray([Infinity, NaN])), [Infinity, NaN]);
});

Deno.test("max and min propagate NaN in every variant, and ±Infinity is their identity", async () => {
  const rt = await r.initGpu();
  assert.deepEqual(await read(r.max(T([1, NaN, 3]))), [NaN]);
  assert.deepEqual(await read(r.min(T([NaN, 1, 3]))), [NaN]);
  assert.deepEqual(await read(r.max(T([-Infinity, -Infinity]))), [-Infinity]);
  assert.deepEqual(await read(r.min(T([Infinity]))), [Infinity]);
  // Long axes take the workgroup kernels (and several passes); NaN in one row leaves the others alone.
  for (const axis of [10, 5000, 70000]) {
    const values = Float32Array.from({ length: 2 * axis }, (_, i) => (i % axis) - axis / 2);
    values[axis + Math.floor(axis / 3)] = NaN;
    const x = r.Tensor.fromArray(values, [2, axis]);
    assert.deepEqual(await read(r.max(x, { axis: 1 })), [axis / 2 - 1, NaN], `max, axis ${axis}`);
    assert.deepEqual(await read(r.min(x, { axis: 1 })), [-axis / 2, NaN], `min, axis ${axis}`);
    x.dispose();
  }
  for (const variant of ["serial", "tree"] as const) {
    const x = r.Tensor.fromArray([3, NaN, 1, 2, 5, 4], [2, 3]);
    const y = r.Tensor.empty([2], "test", rt);
    r.dispatchReduce(rt, { x: x.buffer, y: y.buffer, outer: 2, axis: 3, inner: 1, op: "max", variant });
    assert.deepEqual(await read(y), [NaN, 5], variant);
  }
});

Deno.test("host spectra are right across float64's range (the issue's rows)", () => {
  const m = [1, 2, 3, 4, 5, 7];
  const s100 = r.svdvalsHost(m.map((v) => v * 1e100), 3, 2);
  assert.ok(Math.abs(s100[0] / 1.01914e101 - 1) < 1e-5 && Math.abs(s100[1] / 3.6714e99 - 1) < 1e-4, `${s100}`);
  const s90 = r.svdvalsHost(m.map((v) => v * 1e-90), 3, 2);
  assert.ok(Math.abs(s90[0] / 1.0191e-89 - 1) < 1e-4 && Math.abs(s90[1] / 3.671e-91 - 1) < 1e-3, `${s90}`);
  const tiny = r.svdvalsHost([1e-300, 0, 0, 2e-300], 2, 2);
  assert.ok(Math.abs(tiny[0] / 2e-300 - 1) < 1e-15 && Math.abs(tiny[1] / 1e-300 - 1) < 1e-15, `${tiny}`);
  const s154 = r.svdvalsHost(m.map((v) => v * 1e154), 3, 2);
  assert.ok(Math.abs(s154[0] / 1.01914e155 - 1) < 1e-5, `${s154}`);
  const e = r.eigvalshHost([2, 1, 1, 2].map((v) => v * 1e-170), 2);
  assert.ok(Math.abs(e[0] / 1e-170 - 1) < 1e-14 && Math.abs(e[1] / 3e-170 - 1) < 1e-14, `${e}`);
  assert.ok(Math.abs(r.spectralEntropy([1e308, 1e308]) - Math.log(2)) < 1e-15);
  assert.equal(r.deltaRank([1, 1e-13], 0), 2);
});

Deno.test("degenerate statistics are refused, never a plausible number", () => {
  assert.throws(
    () => r.excessKurtosis(Array(10).fill(0.1), 1),
    /neuron 0 of the samples is constant across the ensemble/,
  );
  assert.throws(
    () => r.excessKurtosis([1, 2, 1, 2, 1, 2, 1, 2], 2, { groups: 2.5 }),
    /options.groups must be an integer/,
  );
  assert.throws(() => r.excessKurtosis([1, 2, 1, 2], 1, { groups: NaN }), RangeError);
  assert.throws(() => r.ensembleMoments([1, 2, 3], 1.5), /neurons must be an integer >= 1/);
  const nearConstant: number[] = [];
  for (let i = 0; i < 10; i++) nearConstant.push(i + 1, 0.1);
  assert.throws(() => r.hotellingT2(nearConstant, 2), /column 1 is constant/);
  // Two columns equal up to 1e-12: numerically singular.
  const dependent: number[] = [];
  for (let i = 0; i < 10; i++) dependent.push(Math.sin(i), Math.sin(i) * (1 + 1e-13 * Math.cos(7 * i)));
  assert.throws(() => r.hotellingT2(dependent, 2), /numerically singular: column 1 is a linear combination/);
  assert.throws(() => r.hotellingT2([1, 2, 3, 5, 2, 1, 4, 4, 0, 1], 2, [0]), /mu0 must hold 2 values/);
  // Ordinary data still runs.
  const ok = r.hotellingT2([1, 2, 3, 5, 2, 1, 4, 4, 0, 1, 2, 2], 2);
  assert.ok(ok.pValue > 0 && ok.pValue <= 1);
  assert.ok(Number.isFinite(r.excessKurtosis([1, -1, 2, -2, 0.5, -0.5], 1).mean.value));
});

Deno.test("columnMoments and the data helpers refuse sizes that are not whole numbers (no hang)", () => {
  assert.throws(() => r.columnMoments(new Float32Array([1, 2]), 0), /width must be an integer >= 1/);
  assert.throws(() => r.columnMoments(new Float32Array([1, 2, 3]), 2), /x has 3 values, not whole rows of width 2/);
  assert.throws(() => r.concentricCircles({ n: 2.5 }), /options.n must be an integer >= 2/);
  assert.throws(() => r.xorPoints({ n: 3.7 }), /options.n must be an integer >= 1/);
  assert.throws(() => r.xorPoints({ layout: "blob" as never }), /options.layout must be one of/);
  assert.throws(() => r.grid2d((x) => x, { nx: 2.5 }), /options.nx must be an integer >= 2/);
  assert.throws(() => r.poissonProblem({ interior: -1 }), /options.interior must be an integer >= 1/);
  assert.throws(() => r.grid1d((x) => x, { domain: [1, 0] }), /options.domain must be \[a, b\]/);
  const x = new Float32Array(6), y = new Float32Array(3);
  assert.throws(() => r.trainTestSplit(x, y, { width: 1.5 }), /options.width must be an integer >= 1/);
  assert.throws(() => r.trainTestSplit(x, y, { width: 2, testFraction: 0.9 }), /leave the train set empty/);
});

Deno.test("layer and op arguments out of range are refused before any work", async () => {
  await r.initGpu();
  const img = r.full([1, 3, 3, 1], 1), filters = r.full([2, 2, 1, 2], 1);
  assert.throws(
    () => r.conv2d(img, filters, { padding: [-1, 0, 0, 0] }),
    /Cannot slide a window: padding \[-1, 0, 0, 0\]/,
  );
  assert.throws(() => r.conv2d(img, filters, { padding: [0.5, 0, 0, 0] }), /Cannot slide a window: padding/);
  assert.throws(() => r.conv2d(img, filters, { bias: r.full([3], 0) }), /bias must be a Tensor of shape \[2\]/);
  assert.throws(() => r.pad(T([1, 2]), [0.5], [4]), /Cannot pad/);
  assert.throws(() => r.pad(T([1, 2]), [NaN], [4]), /Cannot pad/);
  assert.throws(() => new r.Activation("toString" as never), /Unknown activation "toString"/);
  assert.throws(() => new r.BatchNorm1d(3, { momentum: 2 }), /options.momentum must be a finite number >= 0 and <= 1/);
  assert.throws(() => new r.BatchNorm1d(3, { momentum: NaN }), /options.momentum/);
  assert.throws(() => new r.BatchNorm1d(3, { eps: -1 }), /options.eps must be a finite number > 0/);
  assert.throws(() => new r.BatchNorm1d(3).forward(r.full([2, 3, 1], 1)), /input must be \[batch, 3\]/);
  assert.throws(() => new r.Dense(2, 3, { biasStd: -1 }), /Cannot build Dense: options.biasStd/);
  assert.throws(() => new r.Dense(2, 3, { init: "kaiming" as never }), /options.init must be one of/);
  assert.throws(() => new r.AvgPool2d(0), /size must be an integer >= 1/);
  assert.throws(
    () => r.initWeights([2, 3], "he", { fanIn: 1.5, fanOut: 3, seed: 1 }),
    /options.fanIn must be an integer >= 1/,
  );
  assert.throws(() => new r.RFF(2, 3, undefined as never), /options with the frequency scale are required/);
  assert.throws(
    () => r.matmul(T([1]).reshape([1, 1]), T([1]).reshape([1, 1]), { transposeB: "no" as never }),
    TypeError,
  );
  assert.throws(() => r.grad(r.sum(T([1])), [5 as never]), /input 0 must be a Tensor \(got 5\)/);
  const data = { x: new Float32Array(2), y: new Float32Array(1), xShape: [1, 2], yShape: [1, 1] };
  await assert.rejects(
    () => r.fit(new r.Dense(2, 1), data, { loss: r.mseLoss, epochs: 1 } as never),
    /options.optimizer must be an optimizer/,
  );
  await assert.rejects(
    () =>
      r.fit(new r.Dense(2, 1), data, {
        loss: r.mseLoss,
        optimizer: new r.Sgd({ lr: 0.1 }),
        earlyStopping: { patience: -1 },
      }),
    /options.earlyStopping.patience must be an integer >= 1/,
  );
  await assert.rejects(() => r.weightSpectra({} as never), /model must be a Sequential/);
  await assert.rejects(
    () => r.ensemblePreactivations([1, 2], { nets: 2, widths: [3], weightVariance: -1, seed: 0 }),
    /options.weightVariance must be a finite number >= 0/,
  );
  await assert.rejects(
    () =>
      r.ensemblePreactivations([1, 2], {
        nets: 2,
        widths: [3],
        weightVariance: 1,
        seed: 0,
        scaling: "fanout" as never,
      }),
    /options.scaling must be one of "fan-in", "none"/,
  );
  assert.throws(() => r.histogram({ values: [1, 2], bins: 0 }), /options.bins must be an integer >= 1/);
  assert.throws(() => r.histogram({ values: [1, 2], bins: 2.5 }), /options.bins/);
  const a = r.Tensor.fromArray([1, 0, 0, 2], [2, 2]);
  await assert.rejects(() => r.svdvals(a, { accuracy: { relative: "1e-3" as never } }), /accuracy must be/);
  await assert.rejects(() => r.svdvals(a, { accuracy: { relative: 5 } }), /accuracy must be/);
  const layers: r.KernelLayer[] = [{ kind: "dense", weightStd: 1, biasStd: 0 }];
  assert.throws(() => r.infiniteNtk(layers, [1, 2, 3], [2, 1.5]), /shape must be positive integers/);
  await assert.rejects(() => r.infiniteNtkGpu(layers, [1, 2], [1, 2], { batch: 0 }), /batch must be an integer >= 1/);
});
