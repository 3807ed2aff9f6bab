import assert from "node:assert";
import * as r from "./_all.ts";
import { seededValues } from "./_helpers.ts";

Deno.test("transpose() permutes 2-D and 3-D tensors", async () => {
  await r.initGpu();
  const x = seededValues(7 * 13, 1);
  const t = await r.transpose(r.Tensor.fromArray(x, [7, 13])).toArray();
  for (let i = 0; i < 7; i++) for (let j = 0; j < 13; j++) assert.equal(t[j * 7 + i], x[i * 13 + j]);
  const y = seededValues(3 * 5 * 2, 2);
  const p = r.transpose(r.Tensor.fromArray(y, [3, 5, 2]), [2, 0, 1]);
  assert.deepEqual(p.shape, [2, 3, 5]);
  const v = await p.toArray();
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 5; b++) {
      for (let c = 0; c < 2; c++) {
        assert.equal(v[(c * 3 + a) * 5 + b], y[(a * 5 + b) * 2 + c]);
      }
    }
  }
  assert.throws(() => r.transpose(r.Tensor.fromArray(y, [3, 5, 2]), [0, 0, 1]), /not a permutation/);
});

Deno.test("slice(), pad() and concat() agree with index arithmetic", async () => {
  await r.initGpu();
  const x = seededValues(7 * 13, 3);
  const tx = r.Tensor.fromArray(x, [7, 13]);
  const s = await r.slice(tx, [2, 3], [4, 5]).toArray();
  for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) assert.equal(s[i * 5 + j], x[(i + 2) * 13 + j + 3]);
  const padded = await r.pad(r.Tensor.fromArray([1, 2, 3, 4], [2, 2]), [1, 0], [3, 3]).toArray();
  assert.deepEqual([...padded], [0, 0, 0, 1, 2, 0, 3, 4, 0]);
  const c = r.concat([tx, r.Tensor.fromArray(new Float32Array(7 * 2).fill(9), [7, 2])], 1);
  assert.deepEqual(c.shape, [7, 15]);
  const cv = await c.toArray();
  for (let i = 0; i < 7; i++) {
    for (let j = 0; j < 13; j++) assert.equal(cv[i * 15 + j], x[i * 13 + j]);
    assert.equal(cv[i * 15 + 13], 9);
  }
  assert.throws(() => r.slice(tx, [5, 0], [3, 1]), /outside 7x13/);
  assert.throws(() => r.concat([tx, r.Tensor.fromArray([1, 2], [1, 2])], 0), /shapes differ \(7x13, 1x2\)/);
});

Deno.test("reshape() shares storage and checks sizes", async () => {
  await r.initGpu();
  const x = r.Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const y = x.reshape([3, -1]);
  assert.deepEqual(y.shape, [3, 2]);
  x.dispose();
  assert.deepEqual([...await y.toArray()], [1, 2, 3, 4, 5, 6]);
  assert.throws(() => y.reshape([4, 2]), /2x3|3x2 has 6 elements/);
});

Deno.test("concat() joins more tensors than one kernel can read", async () => {
  await r.initGpu();
  const parts = Array.from({ length: 19 }, (_, i) => r.Tensor.fromArray([i, 100 + i], [2, 1]));
  const c = r.concat(parts, 1);
  assert.deepEqual(c.shape, [2, 19]);
  const v = await c.toArray();
  for (let i = 0; i < 19; i++) assert.deepEqual([v[i], v[19 + i]], [i, 100 + i]);
});
