import assert from "node:assert";
import { grad, gram, initGpu, matmul, mul, sum, Tensor } from "./_all.ts";
import { dispatchMatmul, MATMUL_VARIANTS, type MatmulVariant } from "../kernels/matmul.ts";
import { dispatchGram, GRAM_VARIANTS } from "../kernels/gram.ts";
import { referenceGram, referenceMatmul } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";

// float32 accumulation over k terms of size ~1: error grows like sqrt(k) * 6e-8.
const tol = (k: number) => ({ atol: 1e-5 * Math.sqrt(k), rtol: 1e-5 });

const SIZES: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [13, 7, 9], [33, 65, 17], [64, 64, 64], [
  100,
  37,
  203,
]];

Deno.test("matmul() matches reference at awkward sizes with every transpose", async (t) => {
  await initGpu();
  for (const [m, n, k] of SIZES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        await t.step(`${m}x${k} · ${k}x${n} tA=${transposeA} tB=${transposeB}`, async () => {
          const a = seededValues(m * k, m + k), b = seededValues(k * n, n + 3 * k);
          const c = matmul(
            Tensor.fromArray(a, transposeA ? [k, m] : [m, k]),
            Tensor.fromArray(b, transposeB ? [n, k] : [k, n]),
            { transposeA, transposeB },
          );
          assert.deepEqual(c.shape, [m, n]);
          assertClose(await c.toArray(), referenceMatmul(a, b, { m, n, k, transposeA, transposeB }), tol(k));
        });
      }
    }
  }
});

Deno.test("matmul() reroutes a long-k Aᵀ·B and a tall A·Bᵀ exactly, values and gradients", async (t) => {
  const rt = await initGpu();
  // [m, n, k, transposeA, transposeB, routed]: split into k/16 parts; k odd (not split); B transposed first.
  const cases: [number, number, number, boolean, boolean, boolean][] = [
    [8, 12, 8192, true, false, true],
    [8, 12, 4097, true, false, false],
    [4608, 12, 20, false, true, true],
  ];
  for (const [m, n, k, transposeA, transposeB, routed] of cases) {
    await t.step(`${m}x${k} · ${k}x${n} tA=${transposeA} tB=${transposeB}`, async () => {
      const a = seededValues(m * k, 11 + k), b = seededValues(k * n, 12 + k), w = seededValues(m * n, 13);
      const ta = Tensor.fromArray(a, transposeA ? [k, m] : [m, k]),
        tb = Tensor.fromArray(b, transposeB ? [n, k] : [k, n]);
      [ta, tb].forEach((x) => (x.requiresGrad = true));
      const before = rt.stats.dispatches;
      const c = matmul(ta, tb, { transposeA, transposeB });
      assert.equal(rt.stats.dispatches - before > 1, routed, "rerouted (more than one dispatch) exactly when expected");
      assertClose(await c.toArray(), referenceMatmul(a, b, { m, n, k, transposeA, transposeB }), tol(k));
      const [ga, gb] = grad(sum(mul(c, Tensor.fromArray(w, [m, n]))), [ta, tb]);
      // d/dA of Σ W∘op(A)op(B): W op(B)ᵀ (stored transposed for Aᵀ); d/dB: op(A)ᵀ W (likewise).
      const wantA = transposeA
        ? referenceMatmul(b, w, { m: k, n: m, k: n, transposeB: true })
        : referenceMatmul(w, b, { m, n: k, k: n, transposeB: !transposeB });
      const wantB = transposeB
        ? referenceMatmul(w, a, { m: n, n: k, k: m, transposeA: true, transposeB: transposeA })
        : referenceMatmul(a, w, { m: k, n, k: m, transposeA: !transposeA });
      assertClose(await ga.toArray(), wantA, tol(n), "gradient of A");
      assertClose(await gb.toArray(), wantB, tol(m), "gradient of B");
      [ta, tb, c, ga, gb].forEach((x) => x.dispose());
    });
  }
});

Deno.test("matmul() matches reference at 1024x1024", async () => {
  await initGpu();
  const n = 1024;
  const a = seededValues(n * n, 1), b = seededValues(n * n, 2);
  const got = await matmul(Tensor.fromArray(a, [n, n]), Tensor.fromArray(b, [n, n])).toArray();
  // Check a sample of rows against float64 (the full reference is 1e9 flops of plain JS).
  for (const row of [0, 1, 517, 1023]) {
    const ref = referenceMatmul(a.subarray(row * n, (row + 1) * n), b, { m: 1, n, k: n });
    assertClose(got.subarray(row * n, (row + 1) * n), ref, tol(n), `row ${row}`);
  }
});

Deno.test("matmul() batches, and broadcasts a 2-D operand over the batch", async (t) => {
  await initGpu();
  const [batch, m, n, k] = [3, 7, 13, 5];
  const a = seededValues(batch * m * k, 5), b = seededValues(batch * k * n, 6), b2 = seededValues(k * n, 7);
  const per = (x: Float32Array, i: number, size: number) => x.subarray(i * size, (i + 1) * size);
  await t.step("3-D x 3-D", async () => {
    const c = await matmul(Tensor.fromArray(a, [batch, m, k]), Tensor.fromArray(b, [batch, k, n])).toArray();
    for (let i = 0; i < batch; i++) {
      assertClose(per(c, i, m * n), referenceMatmul(per(a, i, m * k), per(b, i, k * n), { m, n, k }), tol(k));
    }
  });
  await t.step("3-D x 2-D", async () => {
    const c = await matmul(Tensor.fromArray(a, [batch, m, k]), Tensor.fromArray(b2, [k, n])).toArray();
    for (let i = 0; i < batch; i++) {
      assertClose(per(c, i, m * n), referenceMatmul(per(a, i, m * k), b2, { m, n, k }), tol(k));
    }
  });
  await t.step("2-D transposed x 3-D", async () => {
    const at = seededValues(k * m, 8);
    const c = await matmul(Tensor.fromArray(at, [k, m]), Tensor.fromArray(b, [batch, k, n]), { transposeA: true })
      .toArray();
    for (let i = 0; i < batch; i++) {
      assertClose(per(c, i, m * n), referenceMatmul(at, per(b, i, k * n), { m, n, k, transposeA: true }), tol(k));
    }
  });
});

Deno.test("matmul kernel accumulates into C when asked", async () => {
  const rt = await initGpu();
  const [m, n, k] = [7, 13, 9];
  const a = seededValues(m * k, 1), b = seededValues(k * n, 2), c0 = seededValues(m * n, 3);
  const [ta, tb, tc] = [Tensor.fromArray(a, [m, k]), Tensor.fromArray(b, [k, n]), Tensor.fromArray(c0, [m, n])];
  dispatchMatmul(rt, {
    a: ta.buffer,
    b: tb.buffer,
    c: tc.buffer,
    m,
    n,
    k,
    transposeA: false,
    transposeB: false,
    accumulate: true,
  });
  const ref = referenceMatmul(a, b, { m, n, k }).map((v, i) => v + c0[i]);
  assertClose(await tc.toArray(), ref, tol(k));
});

Deno.test("matmul() rejects mismatched shapes naming both", async () => {
  await initGpu();
  const a = Tensor.fromArray(new Float32Array(12), [3, 4]), b = Tensor.fromArray(new Float32Array(10), [5, 2]);
  assert.throws(() => matmul(a, b), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.equal(e.message, "Cannot multiply matrices: inner dimensions differ (a is 3x4, b is 5x2)");
    return true;
  });
  assert.throws(() => matmul(a.reshape([12]), b), /must be 2-D or 3-D \(got 12\)/);
  const a3 = Tensor.fromArray(new Float32Array(24), [2, 3, 4]), b3 = Tensor.fromArray(new Float32Array(36), [3, 4, 3]);
  assert.throws(() => matmul(a3, b3), /batch sizes differ \(a is 2x3x4, b is 3x4x3\)/);
});

Deno.test("gram() matches reference at awkward sizes", async (t) => {
  await initGpu();
  for (const [m, k] of [[1, 1], [7, 13], [13, 7], [65, 17], [130, 64], [200, 9], [1000, 33]]) {
    await t.step(`${m}x${k}`, async () => {
      const a = seededValues(m * k, m * 7 + k);
      const g = await gram(Tensor.fromArray(a, [m, k])).toArray();
      assertClose(g, referenceGram(a, m), tol(k));
      // Exactly symmetric: the lower triangle is a copy of the upper one.
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) assert.equal(g[i * m + j], g[j * m + i]);
    });
  }
});

Deno.test("gram() rejects a non-matrix", async () => {
  await initGpu();
  assert.throws(
    () => gram(Tensor.fromArray([1, 2, 3])),
    (e: unknown) => e instanceof RangeError && e.message === "Cannot compute Gram matrix: a must be 2-D (got 3)",
  );
});

Deno.test("matmul() splits inner dimensions beyond the kernel limit", async (t) => {
  await initGpu();
  const k = 65536 * 2 + 5, m = 3, n = 2;
  const a = seededValues(m * k, 1), b = seededValues(k * n, 2);
  const ref = referenceMatmul(a, b, { m, n, k });
  const bt = new Float32Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) bt[j * k + i] = b[i * n + j];
  await t.step("A · B", async () => {
    assertClose(await matmul(Tensor.fromArray(a, [m, k]), Tensor.fromArray(b, [k, n])).toArray(), ref, tol(k));
  });
  await t.step("A · (Bᵀ)ᵀ", async () => {
    const c = matmul(Tensor.fromArray(a, [m, k]), Tensor.fromArray(bt, [n, k]), { transposeB: true });
    assertClose(await c.toArray(), ref, tol(k));
  });
});

Deno.test("every matmul kernel variant matches the reference: sizes, transposes, batches, broadcast, accumulate", async (t) => {
  const rt = await initGpu();
  const run = async (
    variant: MatmulVariant,
    geometry: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean },
    batch = 1,
    broadcastB = false,
    accumulate = false,
  ) => {
    const { m, n, k } = geometry;
    const a = seededValues(batch * m * k, m + k), b = seededValues((broadcastB ? 1 : batch) * k * n, n + 3 * k);
    const c0 = seededValues(batch * m * n, 11);
    const [ta, tb, tc] = [Tensor.fromArray(a), Tensor.fromArray(b), Tensor.fromArray(c0)];
    dispatchMatmul(rt, {
      a: ta.buffer,
      b: tb.buffer,
      c: tc.buffer,
      ...geometry,
      batch,
      batchedB: !broadcastB,
      accumulate,
      variant,
    });
    const got = await tc.toArray();
    for (let i = 0; i < batch; i++) {
      const ref = referenceMatmul(
        a.subarray(i * m * k, (i + 1) * m * k),
        broadcastB ? b : b.subarray(i * k * n, (i + 1) * k * n),
        geometry,
      ).map((v, j) => v + (accumulate ? c0[i * m * n + j] : 0));
      assertClose(got.subarray(i * m * n, (i + 1) * m * n), ref, tol(k), `${variant} batch entry ${i}`);
    }
    [ta, tb, tc].forEach((x) => x.dispose());
  };
  // The subgroup variant runs where the device has the feature (Deno's adapters here do not; the browser
  // check runs it in Chromium); elsewhere naming it is a usage error.
  for (const variant of MATMUL_VARIANTS.filter((v) => v !== "subgroup" || rt.subgroups)) {
    await t.step(`${variant}: awkward sizes, every transpose`, async () => {
      for (const [m, n, k] of [...SIZES, [130, 70, 40] as [number, number, number]]) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) await run(variant, { m, n, k, transposeA, transposeB });
        }
      }
    });
    await t.step(`${variant}: batch of 3, B broadcast, accumulate`, async () => {
      const g = { m: 67, n: 19, k: 21, transposeA: false, transposeB: true };
      await run(variant, g, 3);
      await run(variant, g, 3, true);
      await run(variant, g, 2, false, true);
    });
  }
});

Deno.test("the subgroup variants are refused, by name, on a device without the feature", async () => {
  const rt = await initGpu();
  if (rt.subgroups) return; // run above like every other variant
  const [a, c] = [Tensor.fromArray(seededValues(16, 1)), Tensor.empty([16])];
  const geometry = { m: 4, n: 4, k: 4, transposeA: false, transposeB: false };
  const lacks = (e: unknown) => e instanceof RangeError && /lacks the "subgroups" feature/.test(e.message);
  assert.throws(
    () => dispatchMatmul(rt, { a: a.buffer, b: a.buffer, c: c.buffer, ...geometry, variant: "subgroup" }),
    lacks,
  );
  assert.throws(() => dispatchGram(rt, { a: a.buffer, g: c.buffer, m: 4, k: 4, variant: "subgroup" }), lacks);
  [a, c].forEach((x) => x.dispose());
});

Deno.test("every Gram kernel variant matches the reference and is exactly symmetric", async (t) => {
  const rt = await initGpu();
  for (const variant of GRAM_VARIANTS.filter((v) => v !== "subgroup" || rt.subgroups)) {
    await t.step(variant, async () => {
      for (const [m, k] of [[1, 1], [7, 13], [65, 17], [130, 64], [200, 9], [300, 40]]) {
        const a = seededValues(m * k, m * 7 + k);
        const [ta, tg] = [Tensor.fromArray(a), Tensor.empty([m * m])];
        dispatchGram(rt, { a: ta.buffer, g: tg.buffer, m, k, variant });
        const g = await tg.toArray();
        assertClose(g, referenceGram(a, m), tol(k), `${variant} ${m}x${k}`);
        for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) assert.equal(g[i * m + j], g[j * m + i]);
        [ta, tg].forEach((x) => x.dispose());
      }
    });
  }
});
