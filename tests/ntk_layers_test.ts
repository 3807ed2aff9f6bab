import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, seededValues } from "./_helpers.ts";

/** Explicit Θ_l[i, j] = Σ_o ⟨∂f_o(x_i)/∂θ_l, ∂f_o(x_j)/∂θ_l⟩ over one layer's parameters θ_l, from grad(). */
async function explicitShare(model: r.Sequential, layer: number, xs: Float32Array, shape: number[]) {
  const n = shape[0], per = xs.length / n, params = model.layers[layer].parameters();
  const jac: Float64Array[][] = [];
  for (let i = 0; i < n; i++) {
    const y = model.forward(r.Tensor.fromArray(xs.subarray(i * per, (i + 1) * per), [1, ...shape.slice(1)]), "eval");
    const rows: Float64Array[] = [];
    for (let o = 0; o < y.shape[1]; o++) {
      const grads = r.grad(r.slice(y, [0, o], [1, 1]), params);
      rows.push(Float64Array.from((await Promise.all(grads.map((g) => g.toArray()))).flatMap((a) => Array.from(a))));
    }
    jac.push(rows);
  }
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let o = 0; o < jac[i].length; o++) k[i * n + j] += jac[i][o].reduce((s, v, q) => s + v * jac[j][o][q], 0);
    }
  }
  return k;
}

const net = (parameterization: "standard" | "ntk") =>
  new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 3, stream: 0, parameterization, biasStd: 0.3, weightStd: 1.4 }),
    new r.Activation("tanh"),
    new r.AvgPool2d(2),
    new r.Flatten(),
    new r.Dense(8, 4, { seed: 3, stream: 1, parameterization, biasStd: 0.2 }),
    new r.Activation("tanh"),
    new r.Dense(4, 3, { seed: 3, stream: 2, parameterization }),
  ]);

Deno.test("empiricalNtkLayers() gives each layer's share J_l J_lᵀ, and the shares sum to the whole NTK", async (t) => {
  await r.initGpu();
  for (const parameterization of ["standard", "ntk"] as const) {
    await t.step(parameterization, async () => {
      const model = net(parameterization), n = 5, shape = [n, 6, 6, 1], xs = seededValues(n * 36, 7);
      const x = r.Tensor.fromArray(xs, shape);
      // Chunks of 2: the shares are assembled from 3 x 3 blocks.
      const shares = await r.empiricalNtkLayers(model, x, { chunk: 2 });
      assert.deepEqual([shares.layers, shares.modelLayers, shares.size], [[0, 1, 2], [0, 4, 6], n]);
      for (const [q, layer] of shares.modelLayers.entries()) {
        const expected = await explicitShare(model, layer, xs, shape);
        assertClose(shares.kernels[q], expected, { atol: 1e-5, rtol: 1e-4 }, `share of layer ${layer}`);
        // Each share is a Gram matrix: symmetric and with a positive diagonal.
        for (let i = 0; i < n; i++) assert.ok(shares.kernels[q][i * n + i] > 0);
      }
      const { kernel } = await r.empiricalNtkHost(model, x);
      const sum = kernel.map((_, i) => shares.kernels.reduce((s, k) => s + k[i], 0));
      assertClose(sum, kernel, { atol: 1e-5, rtol: 1e-5 }, "Σ_l Θ_l = Θ");
      // A subset: the NTK over layers 0 and 2 only, from empiricalNtkHost's layers option.
      const part = await r.empiricalNtkHost(model, x, { layers: [2, 0] });
      const expected = kernel.map((_, i) => shares.kernels[0][i] + shares.kernels[2][i]);
      assertClose(part.kernel, expected, { atol: 1e-5, rtol: 1e-5 }, "layers [0, 2]");
      const onDevice = await r.empiricalNtk(model, x, { layers: [1] }).toArray();
      assertClose(onDevice, shares.kernels[1], { atol: 1e-5, rtol: 1e-5 }, "empiricalNtk layers [1]");
    });
  }
});

Deno.test("empiricalNtkLayers() streams its factors within a small memory budget, to the same shares", async () => {
  await r.initGpu();
  const model = net("standard"), n = 7, xs = seededValues(n * 36, 8), x = r.Tensor.fromArray(xs, [n, 6, 6, 1]);
  const whole = await r.empiricalNtkLayers(model, x, { chunk: 2 });
  const perExample = 4 * (2 * 9 * 3 + 2 * 3 + 8 + 4 * 3 + 4 + 3 * 3); // conv g and bias, dense Δ and A, per output
  let progress = 0;
  const streamed = await r.empiricalNtkLayers(model, x, {
    chunk: 2,
    memoryBudget: 2 * 2 * perExample + 8,
    onProgress: (done, total) => (assert.ok(done <= total), progress = done / total),
  });
  assert.equal(progress, 1);
  whole.kernels.forEach((k, q) => assertClose(streamed.kernels[q], k, { atol: 1e-6, rtol: 1e-6 }, `layer ${q}`));
});

Deno.test("empiricalNtkLayers() refuses a full mode and layer lists outside the model's weight layers", async () => {
  await r.initGpu();
  const model = net("standard"), x = r.full([2, 6, 6, 1], 0.5);
  await assert.rejects(() => r.empiricalNtkLayers(model, x, { mode: "full" } as r.EmpiricalNtkLayersOptions), /mode/);
  await assert.rejects(() => r.empiricalNtkLayers(model, x, { layers: [3] }), /layers\[0\] \(3\).*\[0, 3\)/);
  await assert.rejects(() => r.empiricalNtkLayers(model, x, { layers: [1, 1] }), /lists layer 1 twice/);
  await assert.rejects(() => r.empiricalNtkLayers(model, x, { layers: [] }), /non-empty/);
});
