import assert from "node:assert";
import * as r from "./_all.ts";
import { MaxPool2d } from "../nn/max_pool2d.ts";
import { Dropout } from "../nn/dropout.ts";
import { Embedding } from "../nn/embedding.ts";
import { assertClose, checkGradient, seededValues } from "./_helpers.ts";

/** Float64 max pooling from the definition, and the flat input index of each window's first maximum. */
function referenceMaxPool(
  x: ArrayLike<number>,
  [n, h, w, c]: number[],
  size: number,
  stride: number,
): { y: Float64Array; argmax: Int32Array; shape: number[] } {
  const oh = Math.floor((h - size) / stride) + 1, ow = Math.floor((w - size) / stride) + 1;
  const y = new Float64Array(n * oh * ow * c), argmax = new Int32Array(y.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity, at = -1;
          for (let u = 0; u < size; u++) {
            for (let v = 0; v < size; v++) {
              const k = ((b * h + i * stride + u) * w + j * stride + v) * c + ch;
              if (x[k] > best) [best, at] = [x[k], k];
            }
          }
          const o = ((b * oh + i) * ow + j) * c + ch;
          [y[o], argmax[o]] = [best, at];
        }
      }
    }
  }
  return { y, argmax, shape: [n, oh, ow, c] };
}

/** A seeded permutation of 0..n−1 times `spacing`: values no two of which are closer than `spacing`. */
function distinctValues(n: number, spacing: number, seed: number): Float32Array {
  const order = r.hostPermutation(n, seed, 0);
  return Float32Array.from(order, (k) => (k - n / 2) * spacing);
}

Deno.test("MaxPool2d matches a float64 reference (size 1, 2, 3 and strides 1, 2, 3 on 2x7x9x3)", async (t) => {
  await r.initGpu();
  const shape = [2, 7, 9, 3], x = seededValues(2 * 7 * 9 * 3, 11);
  for (const [size, stride] of [[2, 2], [3, 2], [3, 1], [3, 3], [1, 1]]) {
    await t.step(`size ${size}, stride ${stride}`, async () => {
      const layer = new MaxPool2d(size, { stride });
      assert.equal(layer.name, size === stride ? `MaxPool2d(${size})` : `MaxPool2d(${size}, stride ${stride})`);
      const y = layer.forward(r.Tensor.fromArray(x, shape));
      const ref = referenceMaxPool(x, shape, size, stride);
      assert.deepEqual(y.shape, ref.shape);
      // A maximum is one of the inputs: exact.
      assert.deepEqual([...await y.toArray()], [...ref.y]);
    });
  }
});

Deno.test("MaxPool2d backward matches finite differences and routes each gradient to its argmax", async (t) => {
  await r.initGpu();
  // Inputs 0.05 apart: the finite-difference steps (≤ 0.01) never change a window's argmax.
  const shape = [2, 5, 6, 2], x = distinctValues(2 * 5 * 6 * 2, 0.05, 3);
  for (const [size, stride] of [[2, 2], [3, 2]]) {
    await t.step(`size ${size}, stride ${stride}: finite differences`, () => {
      const layer = new MaxPool2d(size, { stride });
      return checkGradient((v) => layer.forward(v), [{ data: x, shape }]);
    });
    await t.step(`size ${size}, stride ${stride}: argmax routing`, async () => {
      const ref = referenceMaxPool(x, shape, size, stride);
      const upstream = seededValues(ref.y.length, 5);
      const input = r.Tensor.fromArray(x, shape);
      input.requiresGrad = true;
      const y = new MaxPool2d(size, { stride }).forward(input);
      const [g] = r.grad(y, [input], { seed: r.Tensor.fromArray(upstream, y.shape) });
      const expected = new Float64Array(x.length);
      ref.argmax.forEach((k, o) => (expected[k] += upstream[o]));
      assertClose(await g.toArray(), expected, { atol: 1e-6, rtol: 1e-6 }, "gradient");
    });
  }
});

Deno.test("MaxPool2d ties send the whole gradient to the first maximal entry of each window", async () => {
  await r.initGpu();
  const x = r.Tensor.fromArray(new Float32Array(16).fill(3), [1, 4, 4, 1]);
  x.requiresGrad = true;
  const y = new MaxPool2d(2).forward(x);
  assert.deepEqual([...await y.toArray()], [3, 3, 3, 3]);
  const [g] = r.grad(y, [x], { seed: r.Tensor.fromArray([1, 2, 3, 4], y.shape) });
  // Row-major windows: the first entry of each is its top-left corner; no gradient is duplicated.
  assert.deepEqual([...await g.toArray()], [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
  // A tie between the second and fourth entries of a window: the second gets it.
  const z = r.Tensor.fromArray([0, 5, 1, 5], [1, 2, 2, 1]);
  z.requiresGrad = true;
  const [gz] = r.grad(new MaxPool2d(2).forward(z), [z]);
  assert.deepEqual([...await gz.toArray()], [0, 1, 0, 0]);
});

Deno.test("MaxPool2d refuses bad sizes and inputs; its state is empty", async () => {
  await r.initGpu();
  assert.throws(() => new MaxPool2d(0), {
    name: "RangeError",
    message: "Cannot build MaxPool2d: size must be an integer >= 1 (got 0)",
  });
  assert.throws(() => new MaxPool2d(1.5), {
    name: "RangeError",
    message: /Cannot build MaxPool2d: size must be an integer >= 1 \(got 1\.5\)/,
  });
  assert.throws(() => new MaxPool2d(2, { stride: 0 }), {
    name: "RangeError",
    message: /options\.stride must be an integer >= 1 \(got 0\)/,
  });
  assert.throws(() => new MaxPool2d(2, { padding: 1 } as never), {
    name: "TypeError",
    message: /Cannot build MaxPool2d: unknown option "padding"/,
  });
  const pool = new MaxPool2d(3);
  assert.throws(
    () => pool.forward(r.Tensor.fromArray([1, 2], [1, 2])),
    { name: "RangeError", message: "Cannot apply MaxPool2d(3): input must be NHWC [n, h, w, c] (got 1x2)" },
  );
  assert.throws(
    () => pool.forward(r.Tensor.fromArray(new Float32Array(8), [1, 2, 4, 1])),
    { name: "RangeError", message: "Cannot apply MaxPool2d(3): the 3x3 window does not fit the 2x4 input" },
  );
  assert.deepEqual(pool.parameters(), []);
  assert.deepEqual(await r.saveState(pool), {});
  assert.throws(() => pool.loadState({ w: new Float32Array(1) }), RangeError);
});

Deno.test("Dropout: eval is the identity; train keeps the Philox-predicted (1 − p) and scales exactly", async () => {
  await r.initGpu();
  const p = 0.3, seed = 7, n = 256 * 256;
  const x = seededValues(n, 21).map((v) => (v === 0 ? 0.5 : v));
  const input = r.Tensor.fromArray(x, [256, 256]);
  const drop = new Dropout(p, { seed });
  assert.equal(drop.name, "Dropout(0.3)");
  assert.equal(drop.forward(input, "eval"), input);
  const scale = Math.fround(1 / (1 - p));
  const masks: boolean[][] = [];
  for (let call = 0; call < 2; call++) {
    const y = await drop.forward(input, "train").toArray();
    assert.equal(drop.draws, call + 1);
    // Entry i is kept when the call's uniform u_i >= p (u on the device is float32).
    const u = r.hostRandom(n, { seed: r.deriveSeed(seed, "dropout", call), distribution: "uniform" });
    const keep = Array.from(u, (v) => Math.fround(v) >= Math.fround(p));
    for (let i = 0; i < n; i++) {
      const want = keep[i] ? Math.fround(x[i] * scale) : 0;
      if (y[i] !== want) assert.fail(`call ${call}, entry ${i}: got ${y[i]}, expected ${want}`);
    }
    // Kept ~ Binomial(n, 1 − p): within 6 standard deviations (≈ 1.5% of the mean at this n).
    const kept = keep.filter((k) => k).length, sigma = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(kept - n * (1 - p)) < 6 * sigma, `kept ${kept} of ${n}`);
    masks.push(keep);
  }
  const same = masks[0].filter((k, i) => k === masks[1][i]).length;
  // Independent masks agree on about p² + (1 − p)² = 58% of the entries; one mask twice on all.
  assert.ok(Math.abs(same - n * 0.58) < 6 * Math.sqrt(n * 0.58 * 0.42), `masks agree on ${same}`);
  // p = 0 keeps everything, in train mode too.
  assert.deepEqual(await new Dropout(0).forward(input, "train").toArray(), x);
});

Deno.test("Dropout: the same seed gives the same masks; draws replays them; another seed differs", async () => {
  await r.initGpu();
  const ones = r.Tensor.fromArray(new Float32Array(4096).fill(1));
  const run = async (layer: Dropout, calls: number) => {
    const out: Float32Array[] = [];
    for (let k = 0; k < calls; k++) out.push(await layer.forward(ones).toArray());
    return out;
  };
  const a = await run(new Dropout(0.5, { seed: 3 }), 3), b = await run(new Dropout(0.5, { seed: 3 }), 3);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1]);
  const replay = new Dropout(0.5, { seed: 3 });
  replay.draws = 2;
  assert.deepEqual(await replay.forward(ones).toArray(), a[2]);
  assert.notDeepEqual((await run(new Dropout(0.5, { seed: 4 }), 1))[0], a[0]);
});

Deno.test("Dropout: the gradient is the mask times the upstream gradient", async () => {
  await r.initGpu();
  const p = 0.25, n = 1000;
  const x = r.Tensor.fromArray(seededValues(n, 2).map((v) => v + 2), [10, 100]); // no zero entries
  x.requiresGrad = true;
  const upstream = seededValues(n, 3);
  const y = new Dropout(p, { seed: 9 }).forward(x, "train");
  const [g] = r.grad(y, [x], { seed: r.Tensor.fromArray(upstream, y.shape) });
  const [values, gradient] = [await y.toArray(), await g.toArray()];
  const scale = Math.fround(1 / (1 - p));
  const want = upstream.map((w, i) => (values[i] !== 0 ? Math.fround(w * scale) : 0));
  assert.deepEqual([...gradient], [...want]);
  assert.ok(values.some((v) => v === 0) && values.some((v) => v !== 0));
});

Deno.test("Dropout refuses p outside [0, 1), bad seeds, modes and draws", () => {
  assert.throws(() => new Dropout(1), {
    name: "RangeError",
    message: "Cannot build Dropout: p must be a finite number >= 0 and < 1 (got 1)",
  });
  assert.throws(() => new Dropout(-0.1), {
    name: "RangeError",
    message: /p must be a finite number >= 0 and < 1 \(got -0\.1\)/,
  });
  assert.throws(() => new Dropout(NaN), {
    name: "RangeError",
    message: /p must be a finite number >= 0 and < 1 \(got NaN\)/,
  });
  assert.throws(() => new Dropout("0.5" as never), TypeError);
  assert.throws(() => new Dropout(0.5, { seed: -1 }), {
    name: "RangeError",
    message: /options\.seed must be an integer >= 0/,
  });
  assert.throws(() => new Dropout(0.5, { sed: 1 } as never), {
    name: "TypeError",
    message: /Cannot build Dropout: unknown option "sed"/,
  });
  const drop = new Dropout(0.5);
  assert.throws(() => (drop.draws = 1.5), {
    name: "RangeError",
    message: /Cannot set the draws of Dropout\(0\.5\): draws must be an integer >= 0/,
  });
  assert.throws(() => drop.forward([1, 2] as never), TypeError);
});

Deno.test("Embedding looks up weight rows for [B, T] and [N] tensors and host Int32/Uint32 ids", async (t) => {
  await r.initGpu();
  const vocab = 11, dim = 4;
  const embed = new Embedding(vocab, dim, { seed: 2, stream: 1 });
  assert.equal(embed.name, "Embedding(11, 4)");
  const w = await embed.weight.toArray();
  const rows = (ids: ArrayLike<number>) => Array.from(ids).flatMap((id) => [...w.slice(dim * id, dim * id + dim)]);
  const ids = Array.from(seededValues(15, 8), (v) => Math.floor((v + 1) / 2 * vocab));
  await t.step("[3, 5] tensor", async () => {
    const y = embed.forward(r.Tensor.fromArray(ids, [3, 5]));
    assert.deepEqual(y.shape, [3, 5, dim]);
    assert.deepEqual([...await y.toArray()], rows(ids));
  });
  await t.step("[15] tensor", async () => {
    const y = embed.forward(r.Tensor.fromArray(ids));
    assert.deepEqual(y.shape, [15, dim]);
    assert.deepEqual([...await y.toArray()], rows(ids));
  });
  for (const host of [Int32Array.from(ids), Uint32Array.from(ids)]) {
    await t.step(host.constructor.name, async () => {
      const y = embed.forward(host);
      assert.deepEqual(y.shape, [15, dim]);
      assert.deepEqual([...await y.toArray()], rows(ids));
    });
  }
});

Deno.test("Embedding weight is std · N(0, 1) from the Philox stream (PyTorch's default std 1)", async () => {
  await r.initGpu();
  const [vocab, dim, seed] = [64, 64, 5];
  for (const std of [1, 0.02]) {
    const w = await new Embedding(vocab, dim, { seed, stream: 3, std }).weight.toArray();
    const normal = r.hostRandom(vocab * dim, { seed, stream: 6, distribution: "normal" });
    assertClose(w, normal.map((v) => v * std), { atol: 1e-5 * std, rtol: 1e-4 }, `weight (std ${std})`);
  }
  const w = await new Embedding(vocab, dim, { seed }).weight.toArray();
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
  assert.ok(Math.abs(mean) < 6 / Math.sqrt(w.length), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 6 * Math.sqrt(2 / w.length), `variance ${variance}`);
});

Deno.test("Embedding gradient is the scatter-add of the upstream rows (and matches finite differences)", async () => {
  await r.initGpu();
  const vocab = 5, dim = 3, embed = new Embedding(vocab, dim, { seed: 1 });
  const ids = [4, 0, 4, 2, 4, 1]; // repeated ids accumulate; id 3 gets none
  const x = r.Tensor.fromArray(ids, [2, 3]);
  const upstream = seededValues(ids.length * dim, 4);
  const y = embed.forward(x);
  const [g] = r.grad(y, [embed.weight], { seed: r.Tensor.fromArray(upstream, y.shape) });
  const expected = new Float64Array(vocab * dim);
  ids.forEach((id, p) => {
    for (let d = 0; d < dim; d++) expected[id * dim + d] += upstream[p * dim + d];
  });
  assertClose(await g.toArray(), expected, { atol: 1e-6, rtol: 1e-6 }, "weight gradient");
  const data = await embed.weight.toArray();
  await checkGradient((weight) => {
    embed.weight = weight;
    return embed.forward(x);
  }, [{ data, shape: [vocab, dim] }]);
});

Deno.test("Embedding refuses bad ids naming the id and the vocabulary size", async (t) => {
  await r.initGpu();
  const embed = new Embedding(11, 2, { seed: 0 });
  const message = (i: number, id: string) =>
    `Cannot embed tokens with Embedding(11, 2): ids[${i}] is ${id}, not an integer in [0, 11) (the vocabulary size is 11)`;
  await t.step("host ids", () => {
    assert.throws(() => embed.forward(Int32Array.from([3, 11])), { name: "RangeError", message: message(1, "11") });
    assert.throws(() => embed.forward(Int32Array.from([-1])), { name: "RangeError", message: message(0, "-1") });
    assert.throws(() => embed.checkIds([0, 2.5]), { name: "RangeError", message: message(1, "2.5") });
    assert.throws(() => embed.checkIds([NaN]), { name: "RangeError", message: message(0, "NaN") });
    assert.throws(() => embed.forward(new Int32Array(0)), { name: "RangeError", message: /no ids given/ });
    assert.throws(() => embed.forward([1, 2] as never), TypeError);
    assert.throws(() => embed.forward(r.Tensor.fromArray([1], [])), {
      name: "RangeError",
      message: /ids must have rank >= 1/,
    });
  });
  await t.step("device ids outside [0, vocab) give NaN rows, never another token's vector", async () => {
    const w = await embed.weight.toArray();
    const y = await embed.forward(r.Tensor.fromArray([1, 11, 2.5, -1, NaN, 10])).toArray();
    assert.deepEqual([...y.slice(0, 2)], [...w.slice(2, 4)]);
    assert.ok(y.slice(2, 10).every(Number.isNaN), `${y.slice(2, 10)}`);
    assert.deepEqual([...y.slice(10, 12)], [...w.slice(20, 22)]);
  });
  await t.step("constructor", () => {
    assert.throws(() => new Embedding(0, 2), {
      name: "RangeError",
      message: /Cannot build Embedding: vocab must be an integer >= 1 and <= 16777216/,
    });
    assert.throws(() => new Embedding(2 ** 24 + 1, 2), {
      name: "RangeError",
      message: /vocab must be an integer >= 1 and <= 16777216/,
    });
    assert.throws(() => new Embedding(4, 1.5), {
      name: "RangeError",
      message: /dim must be an integer >= 1 \(got 1\.5\)/,
    });
    assert.throws(() => new Embedding(4, 2, { std: -1 }), {
      name: "RangeError",
      message: /options\.std must be a finite number >= 0/,
    });
    assert.throws(() => new Embedding(4, 2, { init: "he" } as never), {
      name: "TypeError",
      message: /Cannot build Embedding: unknown option "init"/,
    });
  });
});

Deno.test("Embedding state round-trips and trains inside Sequential with fit()", async () => {
  await r.initGpu();
  const embed = new Embedding(6, 3, { seed: 4 });
  const saved = await r.saveState(embed);
  assert.deepEqual(Object.keys(saved), ["weight"]);
  embed.loadState({ weight: new Float32Array(18) });
  assert.ok((await embed.weight.toArray()).every((v) => v === 0) && embed.weight.requiresGrad);
  embed.loadState(saved);
  assert.deepEqual(await embed.weight.toArray(), saved.weight);
  assert.throws(() => embed.loadState({ weight: new Float32Array(5) }), RangeError);
  // Two tokens per example; the target is a fixed function of the pair.
  const model = new r.Sequential([embed, new r.Flatten(), new r.Dense(6, 1, { seed: 1 })]);
  const n = 36, x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) [x[2 * i], x[2 * i + 1], y[i]] = [i % 6, Math.floor(i / 6), Math.sin(i)];
  embed.checkIds(x);
  const data = { x, xShape: [n, 2], y, yShape: [n, 1] };
  const result = await r.fit(model, data, {
    loss: r.mseLoss,
    optimizer: new r.Adam({ lr: 0.05 }),
    epochs: 40,
    lossEvery: 1,
  });
  const first = result.epochLoss[0], last = result.epochLoss.at(-1)!;
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  assert.notDeepEqual(await embed.weight.toArray(), saved.weight);
});

/** Explicit traced Θ[i, j] = Σ_o ⟨∂f_o(x_i)/∂θ, ∂f_o(x_j)/∂θ⟩ from one grad() per example and output. */
async function explicitTracedNtk(model: r.Sequential, xs: Float32Array, shape: number[]): Promise<Float64Array> {
  const n = shape[0], per = xs.length / n, params = model.parameters();
  const jac: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const y = model.forward(r.Tensor.fromArray(xs.subarray(i * per, (i + 1) * per), [1, ...shape.slice(1)]), "eval");
    const rows: number[][] = [];
    for (let o = 0; o < y.shape[1]; o++) {
      const grads = r.grad(r.slice(y, [0, o], [1, 1]), params);
      rows.push((await Promise.all(grads.map((g) => g.toArray()))).flatMap((a) => Array.from(a)));
    }
    jac.push(rows);
  }
  const theta = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      jac[i].forEach((row, o) => row.forEach((v, q) => (theta[i * n + j] += v * jac[j][o][q])));
    }
  }
  return theta;
}

Deno.test("layer signals and the infinite-width NTK refuse these layers where they have no rule, naming the layer", async (t) => {
  await r.initGpu();
  const tokens = () =>
    new r.Sequential([new Embedding(7, 3, { seed: 1 }), new r.Flatten(), new r.Dense(6, 2, { seed: 2 })]);
  const ids = r.Tensor.fromArray([1, 2, 6, 0, 3, 3], [3, 2]);
  await t.step("layerSignals: Embedding (trainable, neither dense nor conv)", () => {
    assert.throws(() => r.layerSignals(tokens(), ids, 0), {
      name: "RangeError",
      message: "Layer signals support dense and convolutional parameters only (found Embedding(7, 3))",
    });
  });
  const cnn = (layer: r.Layer) =>
    new r.Sequential([new r.Conv2d(1, 2, 3, { seed: 1 }), layer, new r.Flatten(), new r.Dense(8, 1, { seed: 2 })]);
  const image = seededValues(36, 1);
  for (
    const [model, name] of [
      [cnn(new MaxPool2d(2)), "MaxPool2d(2)"],
      [cnn(new Dropout(0.5)), "Dropout(0.5)"],
      [tokens(), "Embedding(7, 3)"],
    ] as const
  ) {
    await t.step(`infiniteNtk and infiniteNtkGpu: ${name}`, async () => {
      const x = name.startsWith("Embedding") ? [1, 2] : image,
        shape = name.startsWith("Embedding") ? [1, 2] : [1, 6, 6, 1];
      const message = `No infinite-width kernel rule for layer ${name}`;
      assert.throws(() => r.infiniteNtk(model as r.Sequential, x, shape), { name: "RangeError", message });
      await assert.rejects(() => r.infiniteNtkGpu(model as r.Sequential, x, shape), { name: "RangeError", message });
    });
  }
});

Deno.test("empiricalNtk() of a CNN with MaxPool2d and Dropout equals the explicit Jacobian product", async () => {
  await r.initGpu();
  // Parameter-free layers take part exactly: layer signals differentiate through them (Dropout in eval
  // mode is the identity).
  const model = new r.Sequential([
    new r.Conv2d(1, 2, 3, { seed: 3, biasStd: 0.2 }),
    new r.Activation("tanh"),
    new MaxPool2d(2),
    new Dropout(0.5, { seed: 1 }),
    new r.Flatten(),
    new r.Dense(8, 2, { seed: 4 }),
  ]);
  const shape = [4, 6, 6, 1], xs = seededValues(4 * 36, 6);
  const expected = await explicitTracedNtk(model, xs, shape);
  const theta = await r.empiricalNtk(model, r.Tensor.fromArray(xs, shape), { chunk: 3 }).toArray();
  assertClose(theta, expected, { atol: 1e-4, rtol: 1e-4 }, "traced NTK");
});

Deno.test("empiricalNtk() of Embedding → Flatten → Dense on token ids equals the explicit Jacobian product", async () => {
  await r.initGpu();
  const model = new r.Sequential([new Embedding(7, 3, { seed: 1 }), new r.Flatten(), new r.Dense(6, 2, { seed: 2 })]);
  const ids = Float32Array.from([1, 2, 6, 0, 3, 3, 1, 1]), shape = [4, 2];
  const expected = await explicitTracedNtk(model, ids, shape);
  const theta = await r.empiricalNtk(model, r.Tensor.fromArray(ids, shape)).toArray();
  assertClose(theta, expected, { atol: 1e-4, rtol: 1e-4 }, "traced NTK");
});
