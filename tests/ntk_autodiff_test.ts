/**
 * The empirical NTK of models the layer-structure path cannot describe comes from their explicit Jacobian:
 * checked against central finite differences of a float64 host forward, and against the structure path
 * on a model both can compute.
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, seededValues } from "./_helpers.ts";
import { autodiffNtk, describedByLayers } from "../analysis/_ntk_autodiff.ts";

/** y = x ⊙ s with a trainable s: a layer with parameters that is neither dense nor convolutional. */
class Scale implements r.Layer {
  readonly name = "Scale";
  constructor(readonly s: r.Tensor) {
    s.requiresGrad = true;
  }
  forward(x: r.Tensor): r.Tensor {
    return r.mul(x, this.s);
  }
  parameters(): r.Tensor[] {
    return [this.s];
  }
}

Deno.test("empiricalNtk() of a model with a non-dense parameterised layer equals finite differences", async () => {
  await r.initGpu();
  const w1 = seededValues(12, 31), b1 = seededValues(4, 32), s = seededValues(4, 33), w2 = seededValues(8, 34);
  const model = new r.Sequential([
    new r.Dense(3, 4, { seed: 0 }),
    new Scale(r.Tensor.fromArray(s, [4])),
    new r.Activation("tanh"),
    new r.Dense(4, 2, { seed: 1, bias: false }),
  ]);
  (model.layers[0] as r.Dense).loadState({ weights: w1, bias: b1 });
  (model.layers[3] as r.Dense).loadState({ weights: w2 });
  assert.equal(describedByLayers(model), false);
  const n = 5, xs = seededValues(n * 3, 35);
  // Host forward in float64 from a flat θ = [w1 (3x4), b1, s, w2 (4x2)].
  const theta = Float64Array.from([...w1, ...b1, ...s, ...w2]);
  const f = (t: Float64Array, i: number) => {
    const h = [0, 1, 2, 3].map((j) => {
      let z = t[12 + j];
      for (let a = 0; a < 3; a++) z += xs[i * 3 + a] * t[a * 4 + j];
      return Math.tanh(z * t[16 + j]);
    });
    return [0, 1].map((o) => h.reduce((acc, v, j) => acc + v * t[20 + j * 2 + o], 0));
  };
  const jac = Array.from({ length: n }, (_, i) =>
    [0, 1].map((o) =>
      Array.from(theta, (_, p) => {
        const e = 1e-6, up = theta.slice(), dn = theta.slice();
        up[p] += e, dn[p] -= e;
        return (f(up, i)[o] - f(dn, i)[o]) / (2 * e);
      })
    ));
  const dot = (a: number[], b: number[]) => a.reduce((acc, v, q) => acc + v * b[q], 0);
  const x = r.Tensor.fromArray(xs, [n, 3]);
  const traced = await r.empiricalNtk(model, x).toArray();
  const expected = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) expected[i * n + j] = dot(jac[i][0], jac[j][0]) + dot(jac[i][1], jac[j][1]);
  }
  assertClose(traced, expected, { atol: 1e-5, rtol: 1e-4 }, "traced");
  const full = await r.empiricalNtk(model, x, { mode: "full" }).toArray();
  const expectedFull = new Float64Array(n * 2 * n * 2);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < 2; o++) {
      for (let j = 0; j < n; j++) {
        for (let q = 0; q < 2; q++) expectedFull[(i * 2 + o) * n * 2 + j * 2 + q] = dot(jac[i][o], jac[j][q]);
      }
    }
  }
  assertClose(full, expectedFull, { atol: 1e-5, rtol: 1e-4 }, "full");
  const host = await r.empiricalNtkHost(model, x);
  assert.equal(host.size, n);
  assertClose(host.kernel, expected, { atol: 1e-5, rtol: 1e-4 }, "host");
});

Deno.test("the Jacobian NTK equals the layer-structure NTK where both apply", async () => {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 4, biasStd: 0.3 }),
    new r.Activation("relu"),
    new r.Flatten(),
    new r.Dense(32, 3, { seed: 5 }),
  ]);
  const x = r.Tensor.fromArray(seededValues(4 * 36, 36), [4, 6, 6, 1]);
  for (const traced of [true, false]) {
    const a = await autodiffNtk(model, x, traced).toArray();
    const b = await r.empiricalNtk(model, x, { mode: traced ? "traced" : "full" }).toArray();
    assertClose(a, b, { atol: 1e-5, rtol: 1e-4 }, traced ? "traced" : "full");
  }
});
