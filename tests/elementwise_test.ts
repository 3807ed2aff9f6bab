import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose, seededValues } from "./_helpers.ts";

const UNARY: [string, (x: r.Tensor) => r.Tensor, (v: number) => number, number][] = [
  ["neg", r.neg, (v) => -v, 1],
  ["exp", r.exp, Math.exp, 1],
  ["log", (x) => r.log(r.add(r.abs(x), 0.1)), (v) => Math.log(Math.abs(v) + 0.1), 1],
  ["relu", r.relu, (v) => Math.max(v, 0), 1],
  ["tanh", r.tanh, Math.tanh, 1],
  ["sigmoid", r.sigmoid, (v) => 1 / (1 + Math.exp(-v)), 1],
  ["elu", r.elu, (v) => (v > 0 ? v : Math.exp(v) - 1), 1],
  ["sin", r.sin, Math.sin, 1],
  ["cos", r.cos, Math.cos, 1],
  ["square", r.square, (v) => v * v, 1],
  ["sqrt", (x) => r.sqrt(r.abs(x)), (v) => Math.sqrt(Math.abs(v)), 1],
  ["abs", r.abs, Math.abs, 1],
  ["erf", r.erf, erf64, 1],
];

/** float64 erf by its Maclaurin series (|x| <= 3 here), independent of the kernel's approximation. */
function erf64(x: number): number {
  let term = x, total = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

Deno.test("unary ops match Math at awkward sizes", async (t) => {
  await r.initGpu();
  for (const [name, op, ref] of UNARY) {
    await t.step(name, async () => {
      for (const shape of [[1], [7, 13], [33, 65, 17]]) {
        const size = shape.reduce((p, d) => p * d, 1);
        const x = seededValues(size, size).map((v) => v * 3);
        const y = await op(r.Tensor.fromArray(x, shape)).toArray();
        assertClose(y, Array.from(x, ref), { atol: 2e-6, rtol: 2e-6 }, `${name} on ${shape.join("x")}`);
      }
    });
  }
});

Deno.test("binary ops broadcast like NumPy", async (t) => {
  await r.initGpu();
  const a = seededValues(7 * 13, 1), b = seededValues(13, 2).map((v) => v + 2);
  const col = seededValues(7, 3);
  const cases: [string, (x: r.Tensor, y: r.Tensor) => r.Tensor, (p: number, q: number) => number][] = [
    ["add", r.add, (p, q) => p + q],
    ["sub", r.sub, (p, q) => p - q],
    ["mul", r.mul, (p, q) => p * q],
    ["div", r.div, (p, q) => p / q],
    ["maximum", r.maximum, Math.max],
  ];
  for (const [name, op, ref] of cases) {
    await t.step(`${name}: 7x13 with 13`, async () => {
      const y = await op(r.Tensor.fromArray(a, [7, 13]), r.Tensor.fromArray(b, [13])).toArray();
      assertClose(y, Array.from(a, (v, i) => ref(v, b[i % 13])), { atol: 1e-6, rtol: 1e-6 });
    });
    await t.step(`${name}: 7x1 with 1x13`, async () => {
      const y = await op(r.Tensor.fromArray(col, [7, 1]), r.Tensor.fromArray(b, [1, 13])).toArray();
      assertClose(y, Array.from(a, (_, i) => ref(col[Math.floor(i / 13)], b[i % 13])), { atol: 1e-6, rtol: 1e-6 });
    });
  }
  await t.step("scalars are constants", async () => {
    const y = await r.sub(2, r.mul(r.Tensor.fromArray([1, 2, 3]), 0.5)).toArray();
    assert.deepEqual([...y], [1.5, 1, 0.5]);
  });
});

Deno.test("map() fuses an expression and renumbers inputs", async () => {
  await r.initGpu();
  const inputs: r.TensorLike[] = Array.from({ length: 11 }, (_, i) => (i % 2 ? i : r.Tensor.fromArray([i, i + 1])));
  const y = await r.map(inputs, "x10 * 100.0 + x1 + x0").toArray();
  assert.deepEqual([...y], [1001, 1102]);
  assert.throws(() => r.map([r.Tensor.fromArray([1])], "x3"), /uses x3 but only 1 inputs/);
});

Deno.test("elementwise shape errors name both shapes", async () => {
  await r.initGpu();
  assert.throws(
    () => r.add(r.Tensor.fromArray(new Float32Array(12), [4, 3]), r.Tensor.fromArray([1, 2], [2])),
    (e: unknown) =>
      e instanceof RangeError && e.message === "Cannot broadcast shapes: dimensions differ (a is 4x3, b is 2)",
  );
  assert.throws(() => r.Tensor.fromArray([1, 2, 3], [2, 2]), /3 values do not fill shape 2x2/);
  assert.throws(() => r.full([2, 0]), /dimensions must be positive integers/);
});

Deno.test("full() fills, NaN included, and refuses what float32 cannot hold", async () => {
  await r.initGpu();
  assert.deepEqual([...await r.full([2, 2], 1.5).toArray()], [1.5, 1.5, 1.5, 1.5]);
  assert.deepEqual([...await r.full([2], NaN).toArray()], [NaN, NaN]);
  assert.throws(() => r.full([2], -1e39), RangeError);
});
