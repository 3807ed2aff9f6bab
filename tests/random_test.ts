import assert from "node:assert";
import * as r from "./_all.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("philox4x32 (the host twin) matches the Random123 known-answer vectors", () => {
  assert.deepEqual(r.philox4x32([0, 0, 0, 0], [0, 0]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  const ones = 0xffffffff;
  assert.deepEqual(
    r.philox4x32([ones, ones, ones, ones], [ones, ones]),
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  );
  assert.deepEqual(
    r.philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  );
});

Deno.test("GPU Philox matches the reference bit for bit (uniform) and closely (normal)", async (t) => {
  await r.initGpu();
  for (const size of [1, 7, 13 * 7, 1027]) {
    await t.step(`${size} values`, async () => {
      const seed = 2 ** 40 + size;
      const u = await r.randomUniform([size], { seed, stream: 3 }).toArray();
      assertClose(u, r.hostRandom(size, { seed, stream: 3, distribution: "uniform" }), {
        atol: 0,
        rtol: 1e-7,
      });
      const z = await r.randomNormal([size], { seed, stream: 3 }).toArray();
      // f32 Box–Muller: the angle 2πu carries ~5e-7 rounding, times a radius up to ~5.
      assertClose(z, r.hostRandom(size, { seed, stream: 3, distribution: "normal" }), {
        atol: 5e-6,
        rtol: 5e-6,
      });
    });
  }
});

Deno.test("randomNormal has the requested moments and streams differ", async () => {
  await r.initGpu();
  const n = 1 << 18;
  const z = await r.randomNormal([n], { seed: 11, mean: 2, std: 3 }).toArray();
  const m = z.reduce((s, v) => s + v, 0) / n;
  const v = z.reduce((s, x) => s + (x - m) ** 2, 0) / n;
  // Standard errors: 3/sqrt(n) = 0.006 for the mean, about 9*sqrt(2/n) = 0.025 for the variance.
  assert.ok(Math.abs(m - 2) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 9) < 0.12, `variance ${v}`);
  const a = await r.randomNormal([8], { seed: 11, stream: 1 }).toArray();
  assert.notDeepEqual([...a], [...z.subarray(0, 8)]);
  assert.throws(
    () => r.randomNormal([2], { seed: -1 }),
    /Cannot seed the random generator: seed -1 is not an integer in 0\.\.2\^53 - 1/,
  );
  assert.throws(() => r.randomUniform([2], { seed: 1, low: 1, high: 1 }), /high > low \(got low 1, high 1\)/);
});

Deno.test("random ops refuse NaN and infinite parameters with a RangeError, not a WGSL compile error", async () => {
  await r.initGpu();
  for (const [mean, std] of [[NaN, 1], [0, NaN], [0, Infinity], [Infinity, 1], [0, -1]]) {
    assert.throws(
      () => r.randomNormal([4], { seed: 1, mean, std }),
      (e: unknown) =>
        e instanceof RangeError && e.message.startsWith("Cannot draw normal samples: mean must be finite"),
      `mean ${mean}, std ${std}`,
    );
  }
  assert.throws(() => r.randomUniform([4], { seed: 1, low: 0, high: NaN }), /low and high must be finite/);
  assert.throws(() => r.randomUniform([4], { seed: 1, low: -Infinity, high: 0 }), /low and high must be finite/);
  // The runtime is still healthy afterwards.
  assert.equal((await r.randomNormal([3], { seed: 1, std: 0, mean: 2 }).toArray()).join(), "2,2,2");
});

Deno.test("deriveSeed() gives reproducible, distinct seeds by path (no overlapping ranges)", () => {
  const seen = new Map<number, string>();
  for (const root of [0, 1, 2 ** 40]) {
    for (const study of ["training", "training size", "ensemble"]) {
      for (const what of ["shuffle", "model"]) {
        for (let k = 0; k < 300; k++) {
          const path = `${root}/${study}/${what}/${k}`;
          const s = r.deriveSeed(root, study, what, k);
          assert.ok(Number.isSafeInteger(s) && s >= 0, `${path}: ${s}`);
          assert.equal(r.deriveSeed(root, study, what, k), s, "reproducible");
          assert.ok(!seen.has(s), `${path} collides with ${seen.get(s)}`);
          seen.set(s, path);
        }
      }
    }
  }
  // `seed * 1000 + epoch` and `seed + 1 + k` overlapped for seed 0; derived seeds do not.
  assert.notEqual(r.deriveSeed(0, "training", "shuffle", 1), r.deriveSeed(0, "training size", "shuffle", 1));
  assert.notEqual(r.deriveSeed(0, "k", 1), r.deriveSeed(0, "k", "1"), "numbers and strings are distinct path elements");
});

Deno.test("hostPermutation() is the one shuffle: a permutation, reproducible, different per stream", () => {
  const a = r.hostPermutation(50, 3, 0), b = r.hostPermutation(50, 3, 1);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(r.hostPermutation(50, 3, 0), a);
  assert.notDeepEqual(a, b);
});
