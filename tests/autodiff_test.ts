import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, checkGradient, seededValues } from "./_helpers.ts";

/** Values in ±[0.2, 1.2]: away from the kinks of relu/abs/max at 0 by more than the FD step. */
const away = (n: number, seed: number) => seededValues(n, seed).map((v) => Math.sign(v) * (0.2 + Math.abs(v)));
const input = (shape: number[], seed: number) => ({ data: away(shape.reduce((p, d) => p * d, 1), seed), shape });
/** Distinct values 0.1 apart (shuffled, shifted by `shift`): no two within the FD step of a tie. */
const spaced = (shape: number[], seed: number, shift = 0) => {
  const n = shape.reduce((p, d) => p * d, 1);
  const order = seededValues(n, seed);
  const ranks = [...order.keys()].sort((i, j) => order[i] - order[j]);
  const data = new Float32Array(n);
  ranks.forEach((i, rank) => (data[i] = (rank - Math.floor(n / 2)) * 0.1 + shift));
  return { data, shape };
};

Deno.test("unary backward rules match finite differences", async (t) => {
  await r.initGpu();
  const ops: [string, (x: r.Tensor) => r.Tensor][] = [
    ["neg", r.neg],
    ["exp", r.exp],
    ["log", (x) => r.log(r.abs(x))],
    ["relu", r.relu],
    ["tanh", r.tanh],
    ["sigmoid", r.sigmoid],
    ["elu", r.elu],
    ["sin", r.sin],
    ["cos", r.cos],
    ["square", r.square],
    ["sqrt", (x) => r.sqrt(r.abs(x))],
    ["abs", r.abs],
    ["erf", r.erf],
  ];
  for (const [name, op] of ops) await t.step(name, () => checkGradient(op, [input([7, 3], 1)]));
});

Deno.test("binary backward rules match finite differences, with broadcasting", async (t) => {
  await r.initGpu();
  const ops: [string, (a: r.Tensor, b: r.Tensor) => r.Tensor][] = [
    ["add", r.add],
    ["sub", r.sub],
    ["mul", r.mul],
    ["div", r.div],
    ["maximum", r.maximum],
  ];
  for (const [name, op] of ops) {
    // Operands interleave on a 0.05 grid so a and b never tie within the FD step (maximum has a kink there).
    const a = (shape: number[], seed: number) => name === "maximum" ? spaced(shape, seed) : input(shape, seed);
    const b = (shape: number[], seed: number) => name === "maximum" ? spaced(shape, seed, 0.05) : input(shape, seed);
    await t.step(`${name} same shape`, () => checkGradient(op, [a([3, 4], 1), b([3, 4], 2)]));
    await t.step(`${name} 3x4 with 4`, () => checkGradient(op, [a([3, 4], 3), b([4], 4)]));
    await t.step(`${name} 3x1 with 1x4`, () => checkGradient(op, [a([3, 1], 5), b([1, 4], 6)]));
  }
  await t.step("scalar operands", () => checkGradient((x) => r.div(3, r.sub(2.5, x)), [input([5], 7)]));
});

Deno.test("reduction and softmax backward rules match finite differences", async (t) => {
  await r.initGpu();
  for (const axis of [0, 1, undefined]) {
    await t.step(`sum axis ${axis}`, () => checkGradient((x) => r.sum(x, { axis }), [input([3, 4], 1)]));
    await t.step(`mean axis ${axis}`, () => checkGradient((x) => r.mean(x, { axis }), [input([3, 4], 2)]));
    await t.step(`max axis ${axis}`, () => checkGradient((x) => r.max(x, { axis }), [spaced([3, 4], 3)]));
    await t.step(`min axis ${axis}`, () => checkGradient((x) => r.min(x, { axis }), [spaced([3, 4], 4)]));
  }
  await t.step(
    "sum keepDims",
    () => checkGradient((x) => r.sum(x, { axis: 1, keepDims: true }), [input([2, 3, 2], 5)]),
  );
  await t.step("softmax", () => checkGradient((x) => r.softmax(x, 1), [input([3, 5], 6)]));
  await t.step("softmax axis 0", () => checkGradient((x) => r.softmax(x, 0), [input([3, 5], 7)]));
  await t.step("logSoftmax", () => checkGradient((x) => r.logSoftmax(x), [input([3, 5], 8)]));
});

Deno.test("matmul and gram backward rules match finite differences", async (t) => {
  await r.initGpu();
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      await t.step(`matmul tA=${transposeA} tB=${transposeB}`, () =>
        checkGradient(
          (a, b) => r.matmul(a, b, { transposeA, transposeB }),
          [input(transposeA ? [4, 3] : [3, 4], 1), input(transposeB ? [5, 4] : [4, 5], 2)],
        ));
    }
  }
  await t.step(
    "batched matmul",
    () => checkGradient((a, b) => r.matmul(a, b), [input([2, 3, 4], 3), input([2, 4, 5], 4)]),
  );
  await t.step(
    "batched x shared",
    () => checkGradient((a, b) => r.matmul(a, b), [input([2, 3, 4], 5), input([4, 5], 6)]),
  );
  await t.step("gram", () => checkGradient(r.gram, [input([3, 5], 7)]));
});

Deno.test("layout backward rules match finite differences", async (t) => {
  await r.initGpu();
  await t.step("transpose", () => checkGradient((x) => r.transpose(x, [1, 2, 0]), [input([2, 3, 4], 1)]));
  await t.step("slice", () => checkGradient((x) => r.slice(x, [1, 0], [2, 3]), [input([4, 3], 2)]));
  await t.step("pad", () => checkGradient((x) => r.pad(x, [1, 2], [4, 5]), [input([2, 3], 3)]));
  await t.step("concat", () => checkGradient((a, b) => r.concat([a, b], 1), [input([2, 3], 4), input([2, 2], 5)]));
  await t.step("reshape", () => checkGradient((x) => r.square(x.reshape([6])), [input([2, 3], 6)]));
  await t.step("broadcastTo", () => checkGradient((x) => r.broadcastTo(x, [3, 4]), [input([4], 7)]));
});

Deno.test("a small MLP's gradient matches finite differences", async () => {
  await r.initGpu();
  const mlp = (x: r.Tensor, w1: r.Tensor, b1: r.Tensor, w2: r.Tensor) =>
    r.logSoftmax(r.matmul(r.tanh(r.add(r.matmul(x, w1), b1)), w2));
  await checkGradient(mlp, [input([5, 3], 1), input([3, 7], 2), input([7], 3), input([7, 4], 4)]);
});

Deno.test("second derivatives: d²/dx² sin(x) = -sin(x) with createGraph", async () => {
  await r.initGpu();
  const xs = seededValues(9, 4).map((v) => v * 3);
  const x = r.Tensor.fromArray(xs);
  x.requiresGrad = true;
  const [dx] = r.grad(r.sum(r.sin(x)), [x], { createGraph: true });
  assert.ok(dx.requiresGrad, "first derivative is differentiable");
  const [dxx] = r.grad(r.sum(dx), [x]);
  assertClose(await dxx.toArray(), Array.from(xs, (v) => -Math.sin(v)), { atol: 1e-6, rtol: 1e-5 });
});

Deno.test("u_xx of a tanh network matches finite differences of u_x (PINN residual)", async () => {
  await r.initGpu();
  const w1 = r.Tensor.fromArray(away(8, 1), [1, 8]), w2 = r.Tensor.fromArray(away(8, 2), [8, 1]);
  const u = (x: r.Tensor) => r.matmul(r.tanh(r.matmul(x, w1)), w2);
  const ux = (x: r.Tensor) => {
    const [g] = r.grad(r.sum(u(x)), [x], { createGraph: true });
    return g;
  };
  const pts = [-0.7, 0.1, 0.9];
  const x = r.Tensor.fromArray(pts, [3, 1]);
  x.requiresGrad = true;
  const [uxx] = r.grad(r.sum(ux(x)), [x]);
  const h = 1e-2;
  const at = async (d: number) => {
    const xp = r.Tensor.fromArray(pts.map((p) => p + d), [3, 1]);
    xp.requiresGrad = true;
    return await ux(xp).toArray();
  };
  const [up, um] = [await at(h), await at(-h)];
  assertClose(await uxx.toArray(), Array.from(up, (v, i) => (v - um[i]) / (2 * h)), { atol: 2e-3, rtol: 2e-2 });
});

Deno.test("grad() of an unrelated input is zero with allowUnused, and a bad seed shape is rejected", async () => {
  await r.initGpu();
  const x = r.Tensor.fromArray([1, 2]), y = r.Tensor.fromArray([3]);
  x.requiresGrad = y.requiresGrad = true;
  const [, gy] = r.grad(r.sum(r.square(x)), [x, y], { allowUnused: true });
  assert.deepEqual([...await gy.toArray()], [0]);
  assert.throws(
    () => r.grad(r.square(x), [x], { seed: r.Tensor.fromArray([1]) }),
    /seed shape 1 differs from output 2/,
  );
});

Deno.test("checkGradient() catches a derivative rule that is off by 1%", async (t) => {
  await r.initGpu();
  /** sigmoid with a backward rule scaled by `factor` (1 is the true rule). */
  const sigmoidWithRule = (factor: number) => (x: r.Tensor) => {
    const y = r.noGrad(() => r.sigmoid(x));
    return r.Tensor.record(y, "testSigmoid", [x], (g) => [r.mul(g, r.mul(r.mul(y, r.sub(1, y)), factor))]);
  };
  await t.step("the true rule passes", () => checkGradient(sigmoidWithRule(1), [input([7, 3], 1)]));
  for (const factor of [1.01, 0.99, 1.1]) {
    await t.step(`a rule scaled by ${factor} fails`, async () => {
      await assert.rejects(() => checkGradient(sigmoidWithRule(factor), [input([7, 3], 1)]), /gradient of input 0/);
    });
  }
  await t.step("a 1% error in one operand of a binary rule fails", async () => {
    const mulWithRule = (a: r.Tensor, b: r.Tensor) => {
      const y = r.noGrad(() => r.mul(a, b));
      return r.Tensor.record(y, "testMul", [a, b], (g) => [r.mul(g, b), r.mul(r.mul(g, a), 1.01)]);
    };
    await assert.rejects(() => checkGradient(mulWithRule, [input([3, 4], 2), input([3, 4], 3)]), /gradient of input 1/);
  });
});

Deno.test("grad() refuses inputs that do not require gradients or are unused", async () => {
  await r.initGpu();
  const x = r.Tensor.fromArray([1, 2, 3]);
  const w = r.Tensor.fromArray([4, 5, 6]);
  w.requiresGrad = true;
  assert.throws(
    () => r.grad(r.sum(r.mul(x, w)), [x]),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message ===
        "Cannot differentiate: input 0 (3) does not require gradients; set `requiresGrad = true` on it before computing the output",
  );
  const unused = r.Tensor.fromArray([1, 1]);
  unused.requiresGrad = true;
  assert.throws(
    () => r.grad(r.sum(w), [w, unused]),
    /the output does not depend on input 1 \(2\); pass `allowUnused: true`/,
  );
  const [gw, gu] = r.grad(r.sum(w), [w, unused], { allowUnused: true });
  assert.deepEqual([...await gw.toArray()], [1, 1, 1]);
  assert.deepEqual([...await gu.toArray()], [0, 0]);
});

Deno.test("grad() computes only what leads to its inputs: weight gradients are skipped for activation gradients", async () => {
  const rt = await r.initGpu();
  const x = r.Tensor.fromArray(seededValues(6 * 4, 1), [6, 4]);
  const w1 = r.Tensor.fromArray(seededValues(4 * 5, 2), [4, 5]),
    w2 = r.Tensor.fromArray(seededValues(5 * 3, 3), [5, 3]);
  [w1, w2].forEach((w) => (w.requiresGrad = true));
  const h = r.relu(r.matmul(x, w1));
  h.requiresGrad = true;
  const y = r.sum(r.matmul(h, w2));
  const count = (inputs: r.Tensor[]) => {
    const before = rt.stats.dispatches;
    const gs = r.grad(y, inputs);
    return { dispatches: rt.stats.dispatches - before, gs };
  };
  const onlyH = count([h]);
  const all = count([h, w1, w2]);
  // dL/dh = 1·w2ᵀ needs one product; the weights' gradients need more (w1's goes through relu and x).
  assert.ok(onlyH.dispatches < all.dispatches, `${onlyH.dispatches} vs ${all.dispatches} dispatches`);
  // And the values agree.
  assertClose(await onlyH.gs[0].toArray(), await all.gs[0].toArray(), { atol: 1e-6 });
});
