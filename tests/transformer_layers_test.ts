/**
 * GELU, SiLU, LayerNorm, multi-head self-attention and the transformer block: every forward against a
 * float64 host reference written here from the definition, every backward against central differences of
 * that reference in float64 (a 1% error in a derivative fails, and each check proves it can fail).
 *
 * @module
 */
import assert from "node:assert";
import { Activation, Dense, Flatten, grad, initGpu, saveState, Sequential, Tensor } from "./_all.ts";
import { empiricalNtk, infiniteNtk, infiniteNtkGpu } from "./_all.ts";
import { assertClose, seededValues } from "./_helpers.ts";
import { ACTIVATION_FUNCTIONS } from "../model/activations.ts";
import { layerSignals } from "../model/layer_signals.ts";
import { LayerNorm } from "../nn/layer_norm.ts";
import { MultiHeadSelfAttention } from "../nn/attention.ts";
import { TransformerBlock } from "../nn/transformer_block.ts";
import type { LayerState, StatefulLayer } from "../nn/state.ts";

type HostState = Record<string, Float64Array>;

// ---------------------------------------------------------------------------------------------
// Float64 host references, from the definitions.

/** erf(x) by its Maclaurin series, for |x| < 2.5 (terms below 1e-17 relative; cancellation < 1e-13). */
function erfSeries(x: number): number {
  let term = x, total = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(total); n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

/** erfc(z) in float64: the series for |z| < 2.5, Laplace's continued fraction (80 terms) beyond. */
function hostErfc(z: number): number {
  if (z < 0) return 2 - hostErfc(-z);
  if (z < 2.5) return 1 - erfSeries(z);
  let f = z;
  for (let k = 80; k >= 1; k--) f = z + (k / 2) / f;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * f);
}

const HOST_ACTIVATIONS: Record<"gelu" | "gelu_tanh" | "silu", (x: number) => number> = {
  gelu: (x) => 0.5 * x * hostErfc(-x / Math.SQRT2),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
};

/** LayerNorm of each row of `dim` (biased variance, eps inside the root), then · weight + bias. */
function hostLayerNorm(x: Float64Array, dim: number, weight?: Float64Array, bias?: Float64Array, eps = 1e-5) {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let mu = 0, v = 0;
    for (let i = 0; i < dim; i++) mu += x[r * dim + i] / dim;
    for (let i = 0; i < dim; i++) v += (x[r * dim + i] - mu) ** 2 / dim;
    for (let i = 0; i < dim; i++) {
      const z = (x[r * dim + i] - mu) / Math.sqrt(v + eps);
      y[r * dim + i] = weight && bias ? z * weight[i] + bias[i] : z;
    }
  }
  return y;
}

/** rows·Wᵀ + b with W [out, in] (PyTorch's Linear). */
function hostLinearT(x: Float64Array, w: Float64Array, b: Float64Array | undefined, inputs: number, outputs: number) {
  const rows = x.length / inputs, y = new Float64Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * w[o * inputs + i];
      y[r * outputs + o] = s;
    }
  }
  return y;
}

/** Self-attention with explicit loops over batch, heads, query and key positions (PyTorch's definition). */
function hostAttention(x: Float64Array, [batch, t, dim]: number[], heads: number, causal: boolean, p: HostState) {
  const qkv = hostLinearT(x, p.in_proj_weight, p.in_proj_bias, dim, 3 * dim);
  const d = dim / heads, joined = new Float64Array(batch * t * dim);
  const at = (b: number, s: number, part: number, h: number, f: number) =>
    qkv[(b * t + s) * 3 * dim + part * dim + h * d + f];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const scores = new Float64Array(t).fill(-Infinity);
        for (let j = 0; j < (causal ? i + 1 : t); j++) {
          let s = 0;
          for (let f = 0; f < d; f++) s += at(b, i, 0, h, f) * at(b, j, 1, h, f);
          scores[j] = s / Math.sqrt(d);
        }
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top)), z = e.reduce((a, v) => a + v, 0);
        for (let f = 0; f < d; f++) {
          let s = 0;
          for (let j = 0; j < t; j++) s += (e[j] / z) * at(b, j, 2, h, f);
          joined[(b * t + i) * dim + h * d + f] = s;
        }
      }
    }
  }
  return hostLinearT(joined, p["out_proj.weight"], p["out_proj.bias"], dim, dim);
}

/** x W + b with W [in, out] (rankscope's Dense). */
function hostDense(x: Float64Array, w: Float64Array, b: Float64Array, inputs: number, outputs: number) {
  const wt = new Float64Array(w.length);
  for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) wt[o * inputs + i] = w[i * outputs + o];
  return hostLinearT(x, wt, b, inputs, outputs);
}

/** h = x + MHA(LN₁ x); y = h + W₂ gelu(W₁ LN₂ h + b₁) + b₂. */
function hostBlock(
  x: Float64Array,
  shape: number[],
  heads: number,
  causal: boolean,
  hidden: number,
  p: HostState,
  activation: keyof typeof HOST_ACTIVATIONS = "gelu",
) {
  const dim = shape[2],
    sub = (prefix: string) =>
      Object.fromEntries(
        Object.entries(p).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
      );
  const a = hostAttention(
    hostLayerNorm(x, dim, p["norm1.weight"], p["norm1.bias"]),
    shape,
    heads,
    causal,
    sub("self_attn."),
  );
  const h = x.map((v, i) => v + a[i]);
  const u = hostDense(
    hostLayerNorm(h, dim, p["norm2.weight"], p["norm2.bias"]),
    p["linear1.weights"],
    p["linear1.bias"],
    dim,
    hidden,
  );
  const m = hostDense(u.map(HOST_ACTIVATIONS[activation]), p["linear2.weights"], p["linear2.bias"], hidden, dim);
  return h.map((v, i) => v + m[i]);
}

// ---------------------------------------------------------------------------------------------
// Gradient checks: grad on the device against central differences of the host reference.

/** Why `analytic` is not `numeric` within |a − n| <= 1e-3·|n| + 1e-4·max|n|, or null when it is. */
function gradientMismatch(analytic: ArrayLike<number>, numeric: Float64Array, what: string): string | null {
  const scale = numeric.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < numeric.length; i++) {
    const a = analytic[i], n = numeric[i];
    if (!(Math.abs(a - n) <= 1e-3 * Math.abs(n) + 1e-4 * scale)) return `${what}[${i}]: got ${a}, expected ${n}`;
  }
  return null;
}

/**
 * Checks grad of Σ w ⊙ f (fixed w) with respect to every input against float64 central differences of
 * the host reference; also checks that the comparison fails for a gradient 1% off.
 */
async function checkAgainstHost(
  inputs: { name: string; tensor: Tensor }[],
  device: () => Tensor,
  host: (values: HostState) => Float64Array,
): Promise<void> {
  const y = device();
  const w = seededValues(y.size, 99);
  const analytic = await Promise.all(
    grad(y, inputs.map((i) => i.tensor), { seed: Tensor.fromArray(w, y.shape), allowUnused: true })
      .map((g) => g.toArray()),
  );
  const base: HostState = {};
  for (const { name, tensor } of inputs) base[name] = Float64Array.from(await tensor.toArray());
  const loss = (values: HostState) => host(values).reduce((s, v, i) => s + v * w[i], 0);
  inputs.forEach(({ name }, k) => {
    const numeric = base[name].map((v, i) => {
      const h = 1e-5 * Math.max(1, Math.abs(v));
      const at = (u: number) => loss({ ...base, [name]: base[name].map((b, j) => (j === i ? u : b)) });
      return (at(v + h) - at(v - h)) / (2 * h);
    });
    const mismatch = gradientMismatch(analytic[k], numeric, `gradient of ${name}`);
    assert.equal(mismatch, null, mismatch ?? "");
    if (numeric.some((v) => Math.abs(v) > 1e-6)) {
      assert.notEqual(gradientMismatch(analytic[k].map((v) => 1.01 * v), numeric, name), null, `${name}: 1% passes`);
    }
  });
}

/** The layer's state with every value replaced by seeded ones (scale·u, or 1 + scale·u for norm weights). */
function randomState(layer: StatefulLayer, seed: number, scale = 0.5): LayerState {
  const state: LayerState = {};
  Object.entries(layer.stateDict()).forEach(([name, t], k) => {
    const u = seededValues(t.size, seed + k);
    const norm = /(^|\.)weight$/.test(name) && t.rank === 1;
    state[name] = u.map((v) => (norm ? 1 + scale * v : scale * v));
  });
  return state;
}

const toHost = (state: LayerState): HostState =>
  Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Float64Array.from(v)]));

/** Checks a layer's forward against `host` and its gradient (input and every state tensor) by differences. */
async function checkLayer(
  layer: StatefulLayer,
  shape: number[],
  host: (x: Float64Array, p: HostState) => Float64Array,
  tol: { atol: number; rtol: number },
): Promise<void> {
  const xv = seededValues(shape.reduce((p, d) => p * d, 1), 17).map((v) => 2 * v);
  const x = Tensor.fromArray(xv, shape);
  x.requiresGrad = true;
  const state = await saveState(layer);
  assertClose(await layer.forward(x).toArray(), host(Float64Array.from(xv), toHost(state)), tol, "forward");
  const params = Object.entries(layer.stateDict()).map(([name, tensor]) => ({ name, tensor }));
  await checkAgainstHost([{ name: "x", tensor: x }, ...params], () => layer.forward(x), (v) => {
    const { x: xs, ...p } = v;
    return host(xs, p);
  });
}

// ---------------------------------------------------------------------------------------------

Deno.test("the host erfc oracle matches tabulated values", () => {
  // Abramowitz & Stegun table 7.1 and erfc(5) = 1.5374597944280349e-12.
  assertClose([1 - hostErfc(0.5), hostErfc(1), hostErfc(3), hostErfc(5)], [
    0.5204998778130465,
    0.15729920705028513,
    2.209049699858544e-5,
    1.5374597944280349e-12,
  ], { atol: 0, rtol: 1e-13 });
});

Deno.test("gelu, gelu_tanh and silu match float64 definitions, and their derivatives", async (t) => {
  await initGpu();
  const xs = [-10, -6, -3.7, -2, -1.1, -0.5, -1e-3, 0, 1e-3, 0.3, 0.9, 1.7, 2.5, 4, 7, 10, 20, 30, -20, -30];
  for (const name of ["gelu", "gelu_tanh", "silu"] as const) {
    await t.step(`${name} forward`, async () => {
      const got = await new Activation(name).forward(Tensor.fromArray(xs)).toArray();
      const expected = xs.map(HOST_ACTIVATIONS[name]);
      // The erf form keeps its relative accuracy for x < 0 (erfc, not 1 + erf); the tanh form loses
      // digits in 1 + tanh there in float32, as PyTorch's float32 does.
      const tol = name === "gelu_tanh" ? { atol: 1e-6, rtol: 1e-5 } : { atol: 1e-37, rtol: 5e-5 };
      assertClose(got, expected, tol, name);
    });
    await t.step(`${name} backward`, () => {
      const x = Tensor.fromArray(seededValues(40, 5).map((v) => 4 * v), [5, 8]);
      x.requiresGrad = true;
      return checkAgainstHost(
        [{ name: "x", tensor: x }],
        () => ACTIVATION_FUNCTIONS[name](x),
        ({ x }) => x.map(HOST_ACTIVATIONS[name]),
      );
    });
  }
});

Deno.test("LayerNorm matches its definition, its gradient, and PyTorch's init and names", async (t) => {
  await initGpu();
  await t.step("init: weight ones, bias zeros, names weight and bias", async () => {
    const norm = new LayerNorm(5);
    assert.deepEqual(Object.keys(norm.stateDict()), ["weight", "bias"]);
    assert.deepEqual([...await norm.weight!.toArray()], [1, 1, 1, 1, 1]);
    assert.deepEqual([...await norm.bias!.toArray()], [0, 0, 0, 0, 0]);
  });
  for (const shape of [[7, 13], [2, 3, 5], [4, 1]]) {
    await t.step(`forward and backward on ${shape.join("x")}`, async () => {
      const dim = shape[shape.length - 1];
      const norm = new LayerNorm(dim, { eps: 1e-3 });
      norm.loadState(randomState(norm, 3));
      await checkLayer(norm, shape, (x, p) => hostLayerNorm(x, dim, p.weight, p.bias, 1e-3), {
        atol: 1e-5,
        rtol: 1e-5,
      });
    });
  }
  await t.step("without the affine part: no parameters, the plain normalisation", async () => {
    const norm = new LayerNorm(6, { elementwiseAffine: false });
    assert.deepEqual(norm.parameters(), []);
    assert.deepEqual(norm.stateDict(), {});
    await checkLayer(norm, [3, 6], (x) => hostLayerNorm(x, 6), { atol: 1e-5, rtol: 1e-5 });
  });
  await t.step("invariant to shifting and to positive scaling of each row", async () => {
    const norm = new LayerNorm(9);
    norm.loadState(randomState(norm, 4));
    const x = seededValues(4 * 9, 8);
    const base = await norm.forward(Tensor.fromArray(x, [4, 9])).toArray();
    const shifted = await norm.forward(
      Tensor.fromArray(x.map((v, i) => v + [3, -5, 0.25, 10][Math.floor(i / 9)]), [4, 9]),
    )
      .toArray();
    const scaled = await norm.forward(
      Tensor.fromArray(x.map((v, i) => v * [3, 0.5, 7, 1.5][Math.floor(i / 9)]), [4, 9]),
    )
      .toArray();
    assertClose(shifted, base, { atol: 2e-5, rtol: 1e-5 }, "shifted");
    assertClose(scaled, base, { atol: 1e-4, rtol: 1e-4 }, "scaled");
  });
});

Deno.test("MultiHeadSelfAttention matches loops over heads and positions, with and without the causal mask", async (t) => {
  await initGpu();
  for (
    const [shape, heads, causal, bias] of [
      [[2, 5, 6], 3, false, true],
      [[2, 5, 6], 3, true, true],
      [[1, 4, 4], 1, true, true],
      [[3, 1, 4], 2, true, true],
      [[2, 3, 4], 2, false, false],
    ] as [number[], number, boolean, boolean][]
  ) {
    await t.step(
      `${shape.join("x")}, ${heads} heads${causal ? ", causal" : ""}${bias ? "" : ", no bias"}`,
      async () => {
        const attn = new MultiHeadSelfAttention(shape[2], heads, { causal, bias, seed: 4 });
        attn.loadState(randomState(attn, 11));
        await checkLayer(attn, shape, (x, p) => hostAttention(x, shape, heads, causal, p), { atol: 1e-5, rtol: 1e-4 });
      },
    );
  }
  await t.step("the causal mask hides the future: changing later positions leaves earlier outputs", async () => {
    const attn = new MultiHeadSelfAttention(4, 2, { causal: true, seed: 2 });
    const x = seededValues(6 * 4, 3);
    const y1 = await attn.forward(Tensor.fromArray(x, [1, 6, 4])).toArray();
    const changed = x.map((v, i) => (i >= 3 * 4 ? v + 5 : v));
    const y2 = await attn.forward(Tensor.fromArray(changed, [1, 6, 4])).toArray();
    assert.deepEqual(y2.slice(0, 12), y1.slice(0, 12));
    assert.notDeepEqual(y2.slice(12), y1.slice(12));
  });
  await t.step("PyTorch's names, layouts and initialisation", async () => {
    const attn = new MultiHeadSelfAttention(8, 2, { seed: 1 });
    const state = await saveState(attn);
    assert.deepEqual(Object.keys(state), ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    assert.deepEqual(Object.values(attn.stateDict()).map((t) => t.shape), [[24, 8], [24], [8, 8], [8]]);
    assert.ok(state.in_proj_weight.every((v) => Math.abs(v) <= Math.sqrt(6 / 32)));
    assert.ok(state.in_proj_weight.some((v) => Math.abs(v) > 1 / Math.sqrt(8)), "glorot bound, not 1/√dim");
    assert.ok(state["out_proj.weight"].every((v) => Math.abs(v) <= 1 / Math.sqrt(8)));
    assert.ok(state.in_proj_bias.every((v) => v === 0) && state["out_proj.bias"].every((v) => v === 0));
    const plain = new MultiHeadSelfAttention(8, 2, { bias: false });
    assert.deepEqual(Object.keys(plain.stateDict()), ["in_proj_weight", "out_proj.weight"]);
  });
});

Deno.test("TransformerBlock matches the pre-norm composition and its gradient", async (t) => {
  await initGpu();
  for (const [causal, activation] of [[false, "gelu"], [true, "gelu"], [true, "silu"]] as const) {
    await t.step(`${causal ? "causal" : "bidirectional"}, ${activation}`, async () => {
      const block = new TransformerBlock(4, 2, { mlpRatio: 2, causal, activation, seed: 6 });
      block.loadState(randomState(block, 21));
      await checkLayer(block, [2, 3, 4], (x, p) => hostBlock(x, [2, 3, 4], 2, causal, 8, p, activation), {
        atol: 1e-5,
        rtol: 1e-4,
      });
    });
  }
  await t.step("state names follow nn.TransformerEncoderLayer", () => {
    const block = new TransformerBlock(8, 2);
    assert.deepEqual(Object.keys(block.stateDict()), [
      "self_attn.in_proj_weight",
      "self_attn.in_proj_bias",
      "self_attn.out_proj.weight",
      "self_attn.out_proj.bias",
      "linear1.weights",
      "linear1.bias",
      "linear2.weights",
      "linear2.bias",
      "norm1.weight",
      "norm1.bias",
      "norm2.weight",
      "norm2.bias",
    ]);
    assert.deepEqual(block.linear1.weights.shape, [8, 32]);
    assert.equal(block.parameters().length, 12);
  });
});

Deno.test("stateDict and loadState round-trip the new layers bit-exactly, and refuse bad state", async (t) => {
  await initGpu();
  const x = Tensor.fromArray(seededValues(2 * 3 * 8, 5), [2, 3, 8]);
  const make: [string, (seed: number) => StatefulLayer][] = [
    ["LayerNorm", () => new LayerNorm(8)],
    ["MultiHeadSelfAttention", (seed) => new MultiHeadSelfAttention(8, 4, { causal: true, seed })],
    ["TransformerBlock", (seed) => new TransformerBlock(8, 2, { seed })],
  ];
  for (const [name, build] of make) {
    await t.step(name, async () => {
      const a = build(1);
      a.loadState(randomState(a, 31));
      const saved = await saveState(a);
      const b = build(2);
      b.loadState(saved);
      assert.deepEqual(await saveState(b), saved);
      assert.deepEqual(await b.forward(x).toArray(), await a.forward(x).toArray());
      const [first] = Object.keys(saved);
      const { [first]: _dropped, ...missing } = saved;
      assert.throws(() => b.loadState(missing), RangeError);
      assert.throws(() => b.loadState({ ...saved, [first]: new Float32Array(3) }), /has 3 values but the tensor/);
      assert.throws(() => b.loadState({ ...saved, extra: new Float32Array(1) }), /unknown name "extra"/);
      assert.deepEqual(await saveState(b), saved, "unchanged after the refusals");
    });
  }
});

Deno.test("the new layers and activations refuse bad arguments with clear errors", async () => {
  await initGpu();
  assert.throws(
    () => new MultiHeadSelfAttention(6, 4),
    (e) =>
      e instanceof RangeError &&
      /Cannot build MultiHeadSelfAttention: dim \(6\) must be a multiple of heads \(4\)/.test(e.message),
  );
  assert.throws(() => new MultiHeadSelfAttention(6, 0), RangeError);
  assert.throws(() => new MultiHeadSelfAttention(6, 2, { causal: 1 as unknown as boolean }), TypeError);
  assert.throws(
    () => new MultiHeadSelfAttention(6, 2).forward(Tensor.fromArray(new Float32Array(12), [2, 6])),
    (e) => e instanceof RangeError && /input must be \[batch, T, 6\] \(got 2x6\)/.test(e.message),
  );
  assert.throws(() => new LayerNorm(0), RangeError);
  assert.throws(() => new LayerNorm(4, { eps: 0 }), /Cannot build LayerNorm: options.eps must be/);
  assert.throws(
    () => new LayerNorm(4).forward(Tensor.fromArray(new Float32Array(6), [2, 3])),
    (e) =>
      e instanceof RangeError && /Cannot apply LayerNorm\(4\): input must be \[\.\.\., 4\] \(got 2x3\)/.test(e.message),
  );
  assert.throws(() => new TransformerBlock(4, 2, { mlpRatio: 0.3 }), /mlpRatio·dim must be a whole number/);
  assert.throws(() => new TransformerBlock(6, 4), /dim \(6\) must be a multiple of heads \(4\)/);
  assert.throws(
    () => new TransformerBlock(4, 2).forward(Tensor.fromArray(new Float32Array(8), [2, 4])),
    /Cannot apply TransformerBlock\(4, 2 heads, mlp 16\): input must be \[batch, T, 4\] \(got 2x4\)/,
  );
  assert.throws(() => ACTIVATION_FUNCTIONS.gelu([1, 2] as unknown as Tensor), /Cannot take gelu: x must be a Tensor/);
  assert.throws(() => new Activation("gelux" as "gelu"), /known: .*gelu, gelu_tanh, silu/);
});

Deno.test("layer signals and the infinite-width NTK refuse the new layers by name; the empirical NTK takes their Jacobian", async (t) => {
  await initGpu();
  const rows = Tensor.fromArray(seededValues(3 * 4, 2), [3, 4]);
  const sequences = Tensor.fromArray(seededValues(3 * 2 * 4, 3), [3, 2, 4]);
  const withNorm = new Sequential([new Dense(4, 4, { seed: 1 }), new LayerNorm(4), new Dense(4, 2, { seed: 2 })]);
  const withAttention = new Sequential([new MultiHeadSelfAttention(4, 2), new Flatten(), new Dense(8, 2)]);
  const withBlock = new Sequential([new TransformerBlock(4, 2), new Flatten(), new Dense(8, 2)]);
  await t.step("layer signals refuse them", () => {
    assert.throws(() => layerSignals(withNorm, rows, 0), /LayerNorm\(4\)/);
    assert.throws(() => layerSignals(withAttention, sequences, 0), /MultiHeadSelfAttention\(4, 2 heads\)/);
    assert.throws(() => layerSignals(withBlock, sequences, 0), /TransformerBlock\(4, 2 heads, mlp 16\)/);
  });
  // The empirical NTK does not refuse them: it takes their explicit Jacobian (analysis/_ntk_autodiff.ts).
  await t.step("the empirical NTK of a transformer block is Σ_θ ∂f/∂θ ∂f/∂θ, traced over outputs", async () => {
    const theta = await empiricalNtk(withBlock, sequences).toArray();
    const params = withBlock.parameters();
    const rowsOf: Float32Array[][] = [];
    for (let n = 0; n < 3; n++) {
      const y = withBlock.forward(Tensor.fromArray((await sequences.toArray()).slice(n * 8, n * 8 + 8), [1, 2, 4]));
      const perOutput: Float32Array[] = [];
      for (let o = 0; o < 2; o++) {
        const seed = Tensor.fromArray(o === 0 ? [1, 0] : [0, 1], [1, 2]);
        const g = await Promise.all(grad(y, params, { seed, allowUnused: true }).map((t) => t.toArray()));
        perOutput.push(Float32Array.from(g.flatMap((a) => [...a])));
      }
      rowsOf.push(perOutput);
    }
    const expected = Array.from({ length: 9 }, (_, q) => {
      const [i, j] = [Math.floor(q / 3), q % 3];
      return [0, 1].reduce((s, o) => s + rowsOf[i][o].reduce((p, v, k) => p + v * rowsOf[j][o][k], 0), 0);
    });
    assertClose(theta, expected, { atol: 1e-4, rtol: 1e-4 }, "NTK");
  });
  await t.step("infinite-width NTK", async () => {
    const x = [...seededValues(3 * 4, 4)];
    for (const name of ["gelu", "gelu_tanh", "silu"] as const) {
      const model = new Sequential([new Dense(4, 8), new Activation(name), new Dense(8, 1)]);
      const message = new RegExp(`architecture\\[1\\] is the activation "${name}", which has no infinite-width rule`);
      assert.throws(() => infiniteNtk(model, x, [3, 4]), (e) => e instanceof RangeError && message.test(e.message));
      await assert.rejects(() => infiniteNtkGpu(model, x, [3, 4]), message);
    }
    assert.throws(() => infiniteNtk(withNorm, x, [3, 4]), /LayerNorm\(4\)/);
    assert.throws(() => infiniteNtk(withAttention, x, [3, 4]), /MultiHeadSelfAttention\(4, 2 heads\)/);
    assert.throws(() => infiniteNtk(withBlock, x, [3, 4]), /TransformerBlock\(4, 2 heads, mlp 16\)/);
  });
});
