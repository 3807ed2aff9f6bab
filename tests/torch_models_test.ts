/**
 * Models trained elsewhere: PyTorch's own MLP, seed CNN and two-block transformer (committed fixtures from
 * tests/fixtures/make_torch_fixtures.py), loaded with loadWeights, give PyTorch's outputs, loss, parameter
 * gradients and empirical NTK.
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose } from "./_helpers.ts";

/** The largest |value| (a loop: spreading 400,000 values overflows the stack). */
function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

interface Fixture {
  file: r.Safetensors;
  get(name: string): r.SafetensorsTensor;
}

async function fixture(name: string): Promise<Fixture> {
  const file = r.parseSafetensors(
    await Deno.readFile(new URL(`./fixtures/torch_${name}.safetensors`, import.meta.url)),
  );
  return {
    file,
    get: (n) => {
      const t = file.tensors.get(n);
      assert.ok(t, `fixture ${name} has ${n}`);
      return t;
    },
  };
}

/** Outputs within 1e-5 relative, loss, every gradient within 1e-4 and the traced NTK within 1e-4 of PyTorch's. */
async function checkAgainstTorch(
  name: string,
  model: r.Sequential,
  options: r.LoadWeightsOptions,
): Promise<void> {
  const f = await fixture(name);
  const { loaded } = r.loadWeights(model, f.file, { ...options, strict: false });
  const params = [...f.file.tensors.keys()].filter((k) => !k.startsWith("fixture."));
  assert.deepEqual([...loaded].sort(), params.sort(), "every PyTorch parameter loaded");
  const input = f.get("fixture.input");
  const x = r.Tensor.fromArray(input.data, input.shape);
  const labels = Array.from(f.get("fixture.labels").data);
  const out = model.forward(x, "eval");
  const expectedOut = f.get("fixture.output").data;
  const scale = maxAbs(expectedOut);
  assertClose(await out.toArray(), expectedOut, { atol: 1e-5 * scale, rtol: 1e-5 }, `${name} outputs`);
  // Gradients of the mean cross-entropy, written back through saveWeights into PyTorch's names and layouts.
  const state = model.stateDict();
  const loss = r.softmaxCrossEntropy(out, Uint8Array.from(labels));
  const grads = r.grad(loss, Object.values(state));
  assert.ok(Math.abs(await loss.item() - f.get("fixture.loss").data[0]) < 1e-5, `${name} loss`);
  const values: r.LayerState = {};
  for (const [q, key] of Object.keys(state).entries()) values[key] = await grads[q].toArray();
  const saved = await r.saveWeights(model, options);
  const weights = r.parseSafetensors(saved);
  model.loadState(values);
  const gradFile = r.parseSafetensors(await r.saveWeights(model, options));
  for (const p of params) {
    const expected = f.get(`fixture.grad.${p}`).data;
    const g = Math.max(maxAbs(expected), 1e-12);
    assertClose(gradFile.tensors.get(p)!.data, expected, { atol: 1e-4 * g, rtol: 1e-4 }, `${name} grad ${p}`);
  }
  r.loadWeights(model, weights, options); // the weights again
  const ntk = await r.empiricalNtk(model, x).toArray();
  const expectedNtk = f.get("fixture.ntk").data;
  const k = maxAbs(expectedNtk);
  assertClose(ntk, expectedNtk, { atol: 1e-4 * k, rtol: 1e-4 }, `${name} NTK`);
}

Deno.test("a PyTorch MLP (Linear, Tanh, Linear, GELU, Linear) loads and matches PyTorch", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Dense(6, 16),
    new r.Activation("tanh"),
    new r.Dense(16, 16),
    new r.Activation("gelu"),
    new r.Dense(16, 4),
  ]);
  await checkAgainstTorch("mlp", model, {});
});

Deno.test("PyTorch's seed CNN loads (NCHW flatten permuted) and matches PyTorch", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Conv2d(1, 32, 3),
    new r.Activation("relu"),
    new r.AvgPool2d(2),
    new r.Conv2d(32, 64, 3),
    new r.Activation("relu"),
    new r.AvgPool2d(2),
    new r.Flatten(),
    new r.Dense(1600, 256),
    new r.Activation("relu"),
    new r.Dense(256, 10),
  ]);
  await checkAgainstTorch("cnn", model, { flattened: { "7.weights": [5, 5, 64] } });
});

Deno.test("a PyTorch two-block transformer (TransformerEncoderLayer, norm_first) loads and matches PyTorch", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Embedding(11, 16),
    new r.TransformerBlock(16, 2),
    new r.TransformerBlock(16, 2),
    new r.LayerNorm(16),
    new r.Flatten(),
    new r.Dense(96, 3),
  ]);
  await checkAgainstTorch("transformer", model, {});
});
