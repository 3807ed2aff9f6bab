/**
 * safetensors in and out: the reader against files from an independent writer (numpy, see
 * tests/fixtures/make_safetensors_fixture.py) and against bytes built here by hand, every malformed file, and
 * loadWeights/saveWeights: PyTorch names and layouts checked against forward passes computed from PyTorch's
 * definitions, bit-exact round trips, and every mismatch refused with the model unchanged.
 *
 * @module
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, seededValues } from "./_helpers.ts";
import {
  parseSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsInput,
  serializeSafetensors,
} from "../nn/safetensors.ts";
import { loadWeights, saveWeights } from "../nn/weights.ts";

const fixture = (name: string) => Deno.readFile(new URL(`./fixtures/${name}`, import.meta.url));

/** A file built by hand: the u64 length, the header text as given (no padding), the data. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), text?: string): Uint8Array {
  const bytes = new TextEncoder().encode(text ?? JSON.stringify(header));
  const out = new Uint8Array(8 + bytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  out.set(data, 8 + bytes.length);
  return out;
}

/** Every tensor of a state as bits, so that comparisons are bit-exact. */
function bits(state: r.LayerState): Record<string, number[]> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, [...new Uint32Array(v.slice().buffer)]]));
}

/** Runs `f`, expects a RangeError matching `pattern`, and checks that the model's state did not change. */
async function refused(model: r.Sequential, f: () => unknown, pattern: RegExp): Promise<void> {
  const before = bits(await r.saveState(model));
  assert.throws(f, (e: unknown) => e instanceof RangeError && pattern.test(e.message) || assert.fail(String(e)));
  assert.deepEqual(bits(await r.saveState(model)), before, "the model changed");
}

/** Values equal as float32 values, NaN equal to NaN and -0 distinct from 0. */
function assertSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const e = Math.fround(expected[i]);
    assert.ok(Object.is(actual[i], e), `${what}[${i}]: got ${actual[i]}, expected ${e}`);
  }
}

Deno.test("parseSafetensors() decodes F32, F16, BF16, F64, I64 and I32 written by numpy", async () => {
  const { tensors, metadata } = parseSafetensors(await fixture("safetensors_dtypes.safetensors"));
  assert.deepEqual(metadata, { source: "tests/fixtures/make_safetensors_fixture.py" });
  const get = (name: string) => tensors.get(name) ?? assert.fail(`no ${name}`);
  assert.deepEqual([get("f32").dtype, get("f16").dtype, get("bf16").dtype, get("f64").dtype], [
    "F32",
    "F16",
    "BF16",
    "F64",
  ]);
  assert.deepEqual([get("f16").shape, get("f64").shape, get("i64").shape], [[2, 7], [3, 2], []]);
  assertSame(get("f32").data, get("f32.original").data.map((v) => v), "f32");
  // F64 → float32 is rounding to nearest, as Math.fround does (1e-300 underflows to 0, 2^-149 survives).
  const f64 = parseSafetensors(await fixture("safetensors_dtypes.safetensors")).tensors.get("f64")!;
  const original64 = [Math.PI, -1e-3, 1e10, 1e-300, 2 ** -149, -123456789.123];
  assertSame(f64.data, original64, "f64");
  for (const [name, unit] of [["f16", 2 ** -11], ["bf16", 2 ** -8]] as const) {
    // The exact values numpy stored, and each within half a unit in the last place of the original.
    assertSame(get(name).data, get(`${name}.exact`).data, name);
    const original = get(`${name}.original`).data, decoded = get(name).data;
    const smallest = name === "f16" ? 2 ** -25 : 2 ** -134;
    for (let i = 0; i < decoded.length; i++) {
      if (!Number.isFinite(original[i])) continue;
      assert.ok(
        Math.abs(decoded[i] - original[i]) <= Math.max(unit * Math.abs(original[i]), smallest),
        `${name}[${i}]`,
      );
    }
  }
  assert.deepEqual([...get("i64").data], [12345]);
  assert.deepEqual([...get("i32").data], [-7, 0, 2 ** 24]);
});

Deno.test("parseSafetensors() decodes F16 subnormals, infinities and NaN from their bits", () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0xc100, -2.5],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x8001, -(2 ** -24)],
    [0x0400, 2 ** -14],
    [0x7bff, 65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
    [0x7c01, NaN],
  ];
  const data = new Uint8Array(2 * cases.length);
  cases.forEach(([h], i) => new DataView(data.buffer).setUint16(2 * i, h, true));
  const file = rawFile({ h: { dtype: "F16", shape: [cases.length], data_offsets: [0, data.length] } }, data);
  assertSame(parseSafetensors(file).tensors.get("h")!.data, cases.map(([, v]) => v), "f16");
  const bf = new Uint8Array([0x80, 0x3f, 0x80, 0xff, 0xc0, 0x7f, 0x01, 0x00]); // 1, -inf, NaN, the smallest subnormal
  const bfFile = rawFile({ b: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, bf);
  assertSame(
    parseSafetensors(bfFile.buffer as ArrayBuffer).tensors.get("b")!.data,
    [1, -Infinity, NaN, 2 ** -133],
    "bf16",
  );
});

Deno.test("serializeSafetensors() writes F32 little-endian after a header padded with spaces", () => {
  const w = new Float32Array([1.5, -0, NaN, 3e-45, -Infinity, 7]);
  const bytes = serializeSafetensors({
    "0.weight": { shape: [2, 3], data: w },
    s: { shape: [], data: new Float32Array([2]) },
  }, {
    format: "pt",
  });
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(text, /^\{.*\} *$/);
  assert.ok(text.length - text.trimEnd().length < 8);
  assert.deepEqual(JSON.parse(text), {
    __metadata__: { format: "pt" },
    "0.weight": { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
    s: { dtype: "F32", shape: [], data_offsets: [24, 28] },
  });
  assert.equal(bytes.length, 8 + n + 28);
  for (let i = 0; i < 6; i++) {
    assert.equal(view.getUint32(8 + n + 4 * i, true), new Uint32Array(w.buffer)[i], `element ${i}`);
  }
  assert.equal(view.getFloat32(8 + n + 24, true), 2);
  assert.throws(
    () => serializeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } }),
    /Cannot serialize safetensors: tensor "x" has 3 values but shape \[2, 2\] needs 4/,
  );
  assert.throws(() => serializeSafetensors({ x: { shape: [1], data: [1] as unknown as Float32Array } }), TypeError);
});

Deno.test("parseSafetensors() refuses every malformed file with a RangeError naming the fault", async (t) => {
  await r.initGpu();
  const model = r.mlp([3, 4, 2], { batchNorm: true, seed: 1 });
  const good = await saveWeights(r.mlp([3, 4, 2], { batchNorm: true, seed: 2 }));
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));
  const f4 = (count: number) => new Uint8Array(4 * count);
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, BigInt(SAFETENSORS_MAX_HEADER_BYTES + 1), true);
  const cases: [string, Uint8Array, RegExp][] = [
    ["under 8 bytes", good.slice(0, 5), /the file has 5 bytes, fewer than the 8 of the header length/],
    [
      "truncated header",
      good.slice(0, 8 + n - 1),
      /the file is truncated: the header needs \d+ bytes .* only \d+ follow/,
    ],
    ["header over 100 MB", huge, /the header length is 100000001 bytes, over the limit of 100000000/],
    ["invalid JSON", rawFile(null, f4(0), '{"a": {"dtype": '), /the header is not valid JSON/],
    [
      "invalid UTF-8",
      (() => {
        const f = rawFile(null, f4(0), "{}  ");
        f[10] = 0xff;
        return f;
      })(),
      /the header is not valid UTF-8/,
    ],
    ["not an object", rawFile([1, 2]), /the header must be a JSON object \(got \[1, 2\]\)/],
    [
      "offsets outside the data",
      rawFile({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f4(2)),
      /tensor "a" has data_offsets \[0, 16\] outside the data \(8 bytes\)/,
    ],
    [
      "byte length differs from dtype x shape",
      rawFile({ a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, f4(5)),
      /tensor "a" holds 20 bytes but F32 of shape \[2, 3\] needs 24/,
    ],
    [
      "unsupported dtype",
      rawFile({ a: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }, f4(1)),
      /tensor "a" has dtype "F8_E4M3", which is not supported \(supported: F64, F32, F16, BF16, I64, I32\)/,
    ],
    [
      "overlapping tensors",
      rawFile({
        a: { dtype: "F32", shape: [4], data_offsets: [0, 16] },
        b: { dtype: "F32", shape: [4], data_offsets: [8, 24] },
      }, f4(6)),
      /tensors "a" and "b" overlap \(bytes 8 to 16\)/,
    ],
    [
      "a hole",
      rawFile({
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      }, f4(3)),
      /bytes 4 to 8 of the data belong to no tensor/,
    ],
    [
      "bytes after the last tensor",
      rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f4(2)),
      /4 bytes follow the last tensor's data/,
    ],
    [
      "negative shape",
      rawFile({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f4(1)),
      /tensor "a" has shape \[-1\]; it must be an array of non-negative integers/,
    ],
    [
      "reversed offsets",
      rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, f4(1)),
      /tensor "a" has data_offsets \[4, 0\]; they must be two integers begin <= end/,
    ],
    [
      "metadata not strings",
      rawFile({ __metadata__: { epoch: 3 } }),
      /__metadata__\["epoch"\] must be a string \(got 3\)/,
    ],
  ];
  for (const [name, bytes, pattern] of cases) {
    await t.step(
      name,
      () => refused(model, () => loadWeights(model, bytes), new RegExp(`^Cannot parse safetensors: ${pattern.source}`)),
    );
  }
  assert.throws(
    () => parseSafetensors("abc" as unknown as Uint8Array),
    /Cannot parse safetensors: bytes must be an ArrayBuffer or a Uint8Array \(got "abc"\)/,
  );
});

Deno.test("loadWeights() reads PyTorch's state_dict of an MLP with BatchNorm (numpy fixture, mixed dtypes)", async () => {
  await r.initGpu();
  const bytes = await fixture("safetensors_mlp_bn.safetensors");
  const file = parseSafetensors(bytes);
  const model = r.mlp([3, 4, 2], { batchNorm: true, seed: 5 }); // Linear, BatchNorm1d, ReLU, Linear
  // Strict by default: the test data are tensors the model does not use; num_batches_tracked is not named.
  await refused(model, () => loadWeights(model, bytes), /does not use: "fixture\.input", "fixture\.output" \(pass/);
  const result = loadWeights(model, bytes, { strict: false });
  assert.deepEqual(result.loaded, [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "1.running_mean",
    "1.running_var",
    "3.weight",
    "3.bias",
  ]);
  assert.deepEqual(result.ignored, ["1.num_batches_tracked", "fixture.input", "fixture.output"]);
  const input = file.tensors.get("fixture.input")!, output = file.tensors.get("fixture.output")!;
  const y = model.forward(r.Tensor.fromArray(input.data, input.shape), "eval");
  assertClose(await y.toArray(), output.data, { atol: 1e-6, rtol: 1e-5 }, "eval output");
  // The same file already parsed gives the same state.
  const again = r.mlp([3, 4, 2], { batchNorm: true, seed: 6 });
  loadWeights(again, file, { strict: false });
  assert.deepEqual(bits(await r.saveState(again)), bits(await r.saveState(model)));
});

Deno.test("loadWeights() converts Conv2d weights from PyTorch's [out, in, kh, kw]", async () => {
  await r.initGpu();
  const [o, c, kh, kw, n, h, w] = [3, 2, 2, 3, 2, 4, 5];
  const weight = seededValues(o * c * kh * kw, 11), bias = seededValues(o, 12), x = seededValues(n * h * w * c, 13);
  const model = new r.Sequential([new r.Conv2d(c, o, [kh, kw], { seed: 1 })]);
  loadWeights(
    model,
    serializeSafetensors({ "0.weight": { shape: [o, c, kh, kw], data: weight }, "0.bias": { shape: [o], data: bias } }),
  );
  // PyTorch's definition: y[b, q, i, j] = bias[q] + Σ w[q, ch, u, v] x[b, ch, i + u, j + v]; x and y are NHWC here.
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  const expected = new Float64Array(n * oh * ow * o);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let q = 0; q < o; q++) {
          let s = bias[q];
          for (let ch = 0; ch < c; ch++) {
            for (let u = 0; u < kh; u++) {
              for (let v = 0; v < kw; v++) {
                s += weight[((q * c + ch) * kh + u) * kw + v] * x[((b * h + i + u) * w + j + v) * c + ch];
              }
            }
          }
          expected[((b * oh + i) * ow + j) * o + q] = s;
        }
      }
    }
  }
  const y = model.forward(r.Tensor.fromArray(x, [n, h, w, c]));
  assert.deepEqual(y.shape, [n, oh, ow, o]);
  assertClose(await y.toArray(), expected, { atol: 1e-5, rtol: 1e-5 }, "conv output");
  // And back: the saved weight is the one loaded, bit for bit.
  const saved = parseSafetensors(await saveWeights(model)).tensors.get("0.weight")!;
  assert.deepEqual(saved.shape, [o, c, kh, kw]);
  assertSame(saved.data, weight, "saved conv weight");
});

Deno.test("saveWeights() writes PyTorch names and layouts, and loadWeights() restores them bit-exactly", async (t) => {
  await r.initGpu();
  await t.step("MLP with BatchNorm running statistics and residual blocks", async () => {
    const options = { batchNorm: true, residual: true } as const;
    const model = r.mlp([3, 5, 5, 2], { ...options, seed: 1 });
    // Training-mode passes move the running statistics away from their initial 0 and 1.
    for (let k = 0; k < 3; k++) model.forward(r.Tensor.fromArray(seededValues(7 * 3, 20 + k), [7, 3]), "train");
    const bytes = await saveWeights(model);
    const file = parseSafetensors(bytes);
    assert.deepEqual([...file.tensors.keys()], [
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
      "1.running_mean",
      "1.running_var",
      "3.inner.0.weight",
      "3.inner.0.bias",
      "3.inner.1.weight",
      "3.inner.1.bias",
      "3.inner.1.running_mean",
      "3.inner.1.running_var",
      "4.weight",
      "4.bias",
    ]);
    assert.deepEqual(file.metadata, { format: "pt" });
    // The Linear layout: file [out, in][o][i] is rankscope's [in, out][i][o].
    const dense = model.layers[0] as r.Dense, rankscope = await dense.weights.toArray();
    const torch = file.tensors.get("0.weight")!;
    assert.deepEqual(torch.shape, [5, 3]);
    for (let i = 0; i < 3; i++) for (let o = 0; o < 5; o++) assert.equal(torch.data[o * 3 + i], rankscope[i * 5 + o]);
    const fresh = r.mlp([3, 5, 5, 2], { ...options, seed: 2 });
    const before = bits(await r.saveState(model));
    assert.notDeepEqual(bits(await r.saveState(fresh)), before);
    loadWeights(fresh, bytes);
    assert.deepEqual(bits(await r.saveState(fresh)), before);
    const x = r.Tensor.fromArray(seededValues(4 * 3, 30), [4, 3]);
    assert.deepEqual(await fresh.forward(x, "eval").toArray(), await model.forward(x, "eval").toArray());
  });
  await t.step("a CNN with pooling and flatten", async () => {
    const cnn = (seed: number) =>
      new r.Sequential([
        new r.Conv2d(1, 4, 3, { seed }),
        new r.Activation("relu"),
        new r.AvgPool2d(2),
        new r.Flatten(),
        new r.Dense(16, 3, { seed }),
      ]);
    const model = cnn(1), fresh = cnn(2);
    const bytes = await saveWeights(model);
    assert.deepEqual([...parseSafetensors(bytes).tensors.keys()], ["0.weight", "0.bias", "4.weight", "4.bias"]);
    assert.deepEqual(parseSafetensors(bytes).tensors.get("0.weight")!.shape, [4, 1, 3, 3]);
    loadWeights(fresh, bytes);
    assert.deepEqual(bits(await r.saveState(fresh)), bits(await r.saveState(model)));
  });
  await t.step("names: an explicit map both ways", async () => {
    const names = { "0.weights": "encoder.linear.weight", "0.bias": "encoder.linear.bias" };
    const model = new r.Sequential([new r.Dense(2, 3, { seed: 1 })]);
    const bytes = await saveWeights(model, { names, metadata: { epoch: "3" } });
    const file = parseSafetensors(bytes);
    assert.deepEqual([...file.tensors.keys()], ["encoder.linear.weight", "encoder.linear.bias"]);
    assert.deepEqual(file.tensors.get("encoder.linear.weight")!.shape, [3, 2]);
    assert.deepEqual(file.metadata, { epoch: "3" });
    const fresh = new r.Sequential([new r.Dense(2, 3, { seed: 2 })]);
    await refused(
      fresh,
      () => loadWeights(fresh, bytes),
      /the file has no tensor "0\.weight", "0\.bias" \(for Dense\(2→3\)'s "0\.weights"/,
    );
    loadWeights(fresh, bytes, { names });
    assert.deepEqual(bits(await r.saveState(fresh)), bits(await r.saveState(model)));
  });
});

Deno.test("loadWeights() refuses a mismatched file with the model unchanged", async (t) => {
  await r.initGpu();
  const model = r.mlp([3, 4, 2], { batchNorm: true, seed: 1 });
  const state = async (seed: number, widths = [3, 4, 2]) =>
    parseSafetensors(await saveWeights(r.mlp(widths, { batchNorm: true, seed })));
  const write = (file: ReturnType<typeof parseSafetensors>, edit: (t: Record<string, SafetensorsInput>) => void) => {
    const tensors = Object.fromEntries(
      [...file.tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() }]),
    );
    edit(tensors);
    return serializeSafetensors(tensors);
  };
  const good = await state(2);
  await t.step("another architecture: both shapes named", async () => {
    const other = await saveWeights(r.mlp([3, 6, 2], { batchNorm: true, seed: 2 }));
    await refused(
      model,
      () => loadWeights(model, other),
      /^Cannot load weights: "0\.weight" has shape \[6, 3\] in the file but the model needs \[4, 3\] \(Dense\(3→4\)'s "0\.weights", rankscope's \[3, 4\] in PyTorch's layout\)$/,
    );
  });
  await t.step(
    "a missing name",
    () =>
      refused(
        model,
        () => loadWeights(model, write(good, (t) => delete t["1.running_var"])),
        /^Cannot load weights: the file has no tensor "1\.running_var" \(for BatchNorm1d\(4\)'s "1\.runningVar"; the file's: "0\.weight"/,
      ),
  );
  await t.step("an extra name, then strict: false", async () => {
    const extra = write(good, (t) => t["5.weight"] = { shape: [1], data: new Float32Array(1) });
    await refused(
      model,
      () => loadWeights(model, extra),
      /^Cannot load weights: the file has tensors the model does not use: "5\.weight" \(pass \{ strict: false \}/,
    );
    assert.deepEqual(loadWeights(model, extra, { strict: false }).ignored, ["5.weight"]);
  });
  await t.step("NaN and infinite weights", async () => {
    for (const [value, text] of [[NaN, "NaN"], [-Infinity, "-Infinity"]] as const) {
      const bad = write(good, (t) => t["3.weight"].data[5] = value);
      await refused(
        model,
        () => loadWeights(model, bad),
        new RegExp(
          `^Cannot load weights: "3\\.weight" holds ${text} at index 5 \\(a non-finite weight is never loaded\\)$`,
        ),
      );
    }
    // An F16 NaN, as a half-precision checkpoint may hold: every name and shape right, one value NaN.
    const data = new Uint8Array(2 * 16);
    new DataView(data.buffer).setUint16(6, 0x7e00, true);
    const names = ["weight", "bias", "running_mean", "running_var"];
    const half = rawFile(
      Object.fromEntries(
        names.map((k, i) => [`0.${k}`, { dtype: "F16", shape: [4], data_offsets: [8 * i, 8 * i + 8] }]),
      ),
      data,
    );
    const one = new r.Sequential([new r.BatchNorm1d(4)]);
    await refused(one, () => loadWeights(one, half), /^Cannot load weights: "0\.weight" holds NaN at index 3 /);
  });
  await t.step("bad names maps", async () => {
    await refused(
      model,
      () =>
        loadWeights(model, write(good, () => {}), {
          names: { "0.weight": "x" },
        }),
      /options\.names has "0\.weight", which is not a state name of the model \(its names: 0\.weights, 0\.bias/,
    );
    await refused(
      model,
      () => loadWeights(model, write(good, () => {}), { names: { "0.bias": "0.weight" } }),
      /state "0\.weights" and "0\.bias" both map to "0\.weight"/,
    );
  });
  await t.step("NTK-parameterized layers are refused, naming the layer", async () => {
    const ntk = new r.Sequential([new r.Dense(3, 4, { parameterization: "ntk", seed: 1 })]);
    await refused(
      ntk,
      () => loadWeights(ntk, write(good, () => {}), { strict: false }),
      /^Cannot load weights: Dense\(3→4, ntk\) uses the NTK parameterization/,
    );
    await assert.rejects(
      saveWeights(ntk),
      /^RangeError: Cannot save weights: Dense\(3→4, ntk\) uses the NTK parameterization/,
    );
  });
  assert.throws(
    () => loadWeights({} as r.Sequential, write(good, () => {})),
    /^TypeError: Cannot load weights: model must be a layer/,
  );
  assert.throws(() => loadWeights(model, write(good, () => {}), { strict: "no" as unknown as boolean }), TypeError);
});

Deno.test("loadWeights() permutes a Linear after Flatten from PyTorch's (c, h, w) order with options.flattened", async () => {
  await r.initGpu();
  // Conv2d(2, 3, 2) on 4x5 images gives 3x4x3 features (not square, so h and w cannot be confused).
  const [c, o, h, w, oh, ow, out, n] = [2, 3, 4, 5, 3, 4, 2, 2];
  const features = o * oh * ow;
  const cw = seededValues(o * c * 4, 41), cb = seededValues(o, 42), lw = seededValues(out * features, 43);
  const lb = seededValues(out, 44), x = seededValues(n * h * w * c, 45);
  const file = serializeSafetensors({
    "0.weight": { shape: [o, c, 2, 2], data: cw },
    "0.bias": { shape: [o], data: cb },
    "2.weight": { shape: [out, features], data: lw },
    "2.bias": { shape: [out], data: lb },
  });
  const model = new r.Sequential([new r.Conv2d(c, o, 2), new r.Flatten(), new r.Dense(features, out)]);
  const flattened = { "2.weights": [oh, ow, o] as const };
  loadWeights(model, file, { flattened });
  // PyTorch: conv to NCHW features z[q, i, j], flattened at (q·oh + i)·ow + j, then Linear.
  const expected = new Float64Array(n * out);
  for (let b = 0; b < n; b++) {
    const z = new Float64Array(features);
    for (let q = 0; q < o; q++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let s = cb[q];
          for (let ch = 0; ch < c; ch++) {
            for (let u = 0; u < 2; u++) {
              for (let v = 0; v < 2; v++) {
                s += cw[((q * c + ch) * 2 + u) * 2 + v] * x[((b * h + i + u) * w + j + v) * c + ch];
              }
            }
          }
          z[(q * oh + i) * ow + j] = s;
        }
      }
    }
    for (let k = 0; k < out; k++) {
      expected[b * out + k] = lb[k] + z.reduce((s, zi, f) => s + lw[k * features + f] * zi, 0);
    }
  }
  assertClose(await model.forward(r.Tensor.fromArray(x, [n, h, w, c])).toArray(), expected, { atol: 1e-5, rtol: 1e-5 });
  const saved = parseSafetensors(await saveWeights(model, { flattened })).tensors.get("2.weight")!;
  assertSame(saved.data, lw, "saved Linear weight");
  await refused(
    model,
    () => loadWeights(model, file, { flattened: { "2.weights": [4, 4, 3] } }),
    /^Cannot load weights: options\.flattened\["2\.weights"\] must be \[height, width, channels\] of 36 features in all, for a Dense weight \(got \[4, 4, 3\] for Dense\(36→2\)\)$/,
  );
});
