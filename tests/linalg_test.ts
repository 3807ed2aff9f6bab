import assert from "node:assert";
import * as r from "./_all.ts";
import { referenceMatmul, referenceSvdvals } from "./_reference.ts";
import { assertClose, maxRelativeError, seededValues } from "./_helpers.ts";
import { orthogonal } from "./_linalg_oracle.ts";

/** U diag(s) Vᵀ rounded to float32 (m x n, k = s.length <= min(m, n)). */
function withSingularValues(m: number, n: number, s: number[], seed: number): Float32Array {
  const u = orthogonal(m, seed), v = orthogonal(n, seed + 1);
  const a = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let c = 0; c < s.length; c++) acc += u[i * m + c] * s[c] * v[j * n + c];
      a[i * n + j] = acc;
    }
  }
  return a;
}

const METHODS: r.SpectrumMethod[] = ["auto", "householder", "jacobi"];

/**
 * Checks svdvals by every method against the float64 reference of the same float32 matrix, relative to
 * each value.
 */
async function checkSvdvals(a: Float32Array, m: number, n: number, rtol: number, atol = 0): Promise<void> {
  const ref = referenceSvdvals(a, m, n);
  for (const method of METHODS) {
    const s = await r.svdvals(r.Tensor.fromArray(a, [m, n]), { method });
    assertClose(s, ref, { rtol, atol }, `singular values of ${m}x${n} (${method})`);
  }
}

Deno.test("svdvals() matches the float64 reference on random matrices of awkward shapes", async (t) => {
  await r.initGpu();
  for (const [m, n] of [[1, 1], [1, 5], [5, 1], [7, 13], [13, 7], [33, 17], [64, 64]]) {
    await t.step(`${m}x${n}`, () => checkSvdvals(seededValues(m * n, m * 31 + n), m, n, 1e-6));
  }
});

Deno.test("svdvals() handles rank-deficient, zero and duplicated spectra", async (t) => {
  await r.initGpu();
  for (const method of METHODS) {
    await t.step(`rank 3 of 10x8 (${method})`, async () => {
      const left = seededValues(10 * 3, 1), right = seededValues(3 * 8, 2);
      const a = Float32Array.from(referenceMatmul(left, right, { m: 10, n: 8, k: 3 }));
      const s = await r.svdvals(r.Tensor.fromArray(a, [10, 8]), { method });
      const ref = referenceSvdvals(a, 10, 8);
      assertClose(s.subarray(0, 3), ref.subarray(0, 3), { rtol: 1e-6 });
      // The float32 matrix has tiny trailing singular values; they stay at rounding level.
      for (const v of s.subarray(3)) assert.ok(v < 1e-5 * s[0], `trailing ${v}`);
    });
    await t.step(`zero matrix (${method})`, async () => {
      assert.deepEqual([...await r.svdvals(r.Tensor.fromArray(new Float32Array(12), [4, 3]), { method })], [0, 0, 0]);
    });
  }
  await t.step("duplicated singular values", async () => {
    const a = withSingularValues(9, 6, [3, 3, 3, 1, 1, 0.5], 5);
    await checkSvdvals(a, 9, 6, 1e-6);
  });
});

Deno.test("svdvals() keeps small singular values accurate at condition numbers 1e3..1e6", async (t) => {
  await r.initGpu();
  for (const kappa of [1e3, 1e4, 1e5, 1e6]) {
    await t.step(`κ = ${kappa}`, async () => {
      const n = 24;
      const s = Array.from({ length: n }, (_, i) => kappa ** (-i / (n - 1)));
      // Relative to each value's own size: what sqrt(eig(AᵀA)) in float32 cannot do past κ ~ 1e3.
      await checkSvdvals(withSingularValues(n, n, s, 9), n, n, 1e-6);
    });
  }
});

Deno.test("svdvals() works at scales 1e-20 and 1e20", async (t) => {
  await r.initGpu();
  const base = seededValues(7 * 5, 4);
  for (const scale of [1e-20, 1e20]) {
    await t.step(`${scale}`, async () => {
      const a = base.map((v) => v * scale);
      await checkSvdvals(a, 7, 5, 1e-6);
    });
  }
});

Deno.test("svdvals() on Gaussian 128x128 meets the 1e-5 relative-error goal by every method", async () => {
  await r.initGpu();
  const a = await r.randomNormal([128, 128], { seed: 3 }).toArray();
  const ref = referenceSvdvals(a, 128, 128);
  for (const method of METHODS) {
    const err = maxRelativeError(await r.svdvals(r.Tensor.fromArray(a, [128, 128]), { method }), ref);
    assert.ok(err <= 1e-5, `${method}: max relative error ${err}`);
  }
});

/** m x n float32 matrix with columns scaled by 10^(-decades·j/(n-1)): graded, κ ~ 10^decades. */
function graded(m: number, n: number, decades: number, seed: number): Float32Array {
  const a = seededValues(m * n, seed);
  return a.map((x, k) => x * 10 ** (-decades * (k % n) / (n - 1)));
}

Deno.test("svdvals() method auto falls back to Jacobi when Householder cannot certify relative accuracy", async () => {
  await r.initGpu();
  const a = graded(20, 12, 10, 4);
  const ref = referenceSvdvals(a, 20, 12);
  // Householder's error bound is absolute (~(m + n)·eps·σ_max): here it cannot vouch for σ_min ~ 1e-10.
  assert.ok(r.certifiedRelativeError(ref, 20, 12) > r.AUTO_CERTIFIED_ERROR);
  const s = await r.svdvals(r.Tensor.fromArray(a, [20, 12]));
  assertClose(s, ref, { rtol: 1e-6 }, "graded singular values (auto)");
  // A well-conditioned matrix is certified, so auto keeps the host result.
  assert.ok(r.certifiedRelativeError(referenceSvdvals(seededValues(64, 1), 8, 8), 8, 8) < r.AUTO_CERTIFIED_ERROR);
});

Deno.test("svdvals() and eigvalsh() reject an unknown method", async () => {
  await r.initGpu();
  const a = r.Tensor.fromArray([2, 1, 1, 2], [2, 2]);
  const method = "lapack" as r.SpectrumMethod;
  await assert.rejects(
    () => r.svdvals(a, { method }),
    /method must be "auto", "householder" or "jacobi" \(got lapack\)/,
  );
  await assert.rejects(() => r.eigvalsh(a, { method }), RangeError);
});

Deno.test("svd() reconstructs A with orthonormal U and V", async (t) => {
  await r.initGpu();
  for (const [m, n] of [[7, 13], [13, 7], [1, 4], [4, 1], [20, 20]]) {
    await t.step(`${m}x${n}`, async () => {
      const a = seededValues(m * n, m + 17 * n);
      const { u, s, v, sweeps } = await r.svd(r.Tensor.fromArray(a, [m, n]));
      const k = Math.min(m, n);
      assert.deepEqual(u.shape, [m, k]);
      assert.deepEqual(v.shape, [n, k]);
      assert.ok(sweeps >= 1 && sweeps <= 40);
      const [uu, vv] = [await u.toArray(), await v.toArray()];
      const us = Float64Array.from(uu, (x, i) => x * s[i % k]);
      assertClose(referenceMatmul(us, vv, { m, n, k, transposeB: true }), a, { atol: 1e-5 }, "U S Vᵀ");
      const eye = Float64Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0));
      assertClose(referenceMatmul(uu, uu, { m: k, n: k, k: m, transposeA: true }), eye, { atol: 1e-5 }, "UᵀU");
      assertClose(referenceMatmul(vv, vv, { m: k, n: k, k: n, transposeA: true }), eye, { atol: 1e-5 }, "VᵀV");
    });
  }
  await t.step("rank-deficient U is completed to an orthonormal basis", async () => {
    const a = new Float32Array([1, 2, 2, 4, 3, 6]); // 3x2, rank 1
    const { u, s } = await r.svd(r.Tensor.fromArray(a, [3, 2]));
    assert.ok(s[1] < 1e-6);
    const uu = await u.toArray();
    assertClose(referenceMatmul(uu, uu, { m: 2, n: 2, k: 3, transposeA: true }), [1, 0, 0, 1], { atol: 1e-6 });
  });
});

Deno.test("svd functions reject NaN and non-matrix input clearly", async () => {
  await r.initGpu();
  await assert.rejects(
    () => r.svdvals(r.Tensor.fromArray([1, NaN, 3, 4], [2, 2])),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "Cannot compute singular values: input 2x2 contains 1 NaN or infinite values",
  );
  await assert.rejects(
    () => r.svdvals(r.Tensor.fromArray([1, NaN, 3, 4], [2, 2]), { method: "jacobi" }),
    /input 1x2x2 contains 1 NaN/,
  );
  await assert.rejects(() => r.eigvalsh(r.Tensor.fromArray([1, Infinity, Infinity, 4], [2, 2])), /contains 2 NaN/);
  await assert.rejects(() => r.svd(r.Tensor.fromArray([1, 2, 3])), /expected a 2-D tensor \(got 3\)/);
});

Deno.test("svdvalsBatched() handles 1000 2x2 and 2x1 matrices in one batch", async (t) => {
  await r.initGpu();
  for (const [m, n] of [[2, 2], [2, 1], [1, 2]]) {
    await t.step(`${m}x${n}`, async () => {
      const batch = 1000;
      const a = seededValues(batch * m * n, m * 10 + n);
      const { s, sweeps } = await r.svdvalsBatched(r.Tensor.fromArray(a, [batch, m, n]));
      assert.equal(s.length, batch);
      assert.ok(sweeps >= 1);
      for (let b = 0; b < batch; b += 37) {
        const ref = referenceSvdvals(a.subarray(b * m * n, (b + 1) * m * n), m, n);
        assertClose(s[b], ref, { rtol: 1e-6, atol: 1e-7 }, `matrix ${b}`);
      }
    });
  }
});

Deno.test("eigvalsh() and eigh() on PSD and indefinite symmetric matrices", async (t) => {
  await r.initGpu();
  await t.step("PSD Gram matrix with eigenvalues spanning 1e-6..1", async () => {
    const n = 16;
    const lambda = Array.from({ length: n }, (_, i) => 1e-6 ** (i / (n - 1)));
    const q = orthogonal(n, 21);
    const k = Float32Array.from({ length: n * n }, (_, idx) => {
      const [i, j] = [Math.floor(idx / n), idx % n];
      let acc = 0;
      for (let c = 0; c < n; c++) acc += q[i * n + c] * lambda[c] * q[j * n + c];
      return acc;
    });
    // Symmetrise the float32 rounding exactly, then compare with the float64 spectrum of that matrix.
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) k[i * n + j] = k[j * n + i];
    const ref = referenceSvdvals(k, n, n).reverse(); // PSD: eigenvalues = singular values
    for (const method of METHODS) {
      const got = await r.eigvalsh(r.Tensor.fromArray(k, [n, n]), { method });
      assertClose(got, ref, { rtol: 1e-6 }, `eigenvalues (${method})`);
    }
  });
  await t.step("graded PSD matrix (κ ~ 1e10): auto falls back to Jacobi", async () => {
    const b = graded(30, 12, 5, 8);
    const k = Float32Array.from(referenceMatmul(b, b, { m: 12, n: 12, k: 30, transposeA: true }));
    for (let i = 0; i < 12; i++) for (let j = 0; j < i; j++) k[i * 12 + j] = k[j * 12 + i];
    const ref = referenceSvdvals(k, 12, 12).reverse();
    assert.ok(r.certifiedRelativeError(ref, 12, 12) > r.AUTO_CERTIFIED_ERROR);
    assertClose(await r.eigvalsh(r.Tensor.fromArray(k, [12, 12])), ref, { rtol: 1e-6 }, "graded eigenvalues");
  });
  await t.step("indefinite matrix: every method agrees with the trace and Frobenius norm", async () => {
    const n = 9;
    const base = seededValues(n * n, 14);
    const a = Float32Array.from(base, (_, idx) => base[idx] + base[(idx % n) * n + Math.floor(idx / n)]);
    let trace = 0, frob = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    for (const x of a) frob += x * x;
    const magnitudes = referenceSvdvals(a, n, n);
    for (const method of METHODS) {
      const got = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method });
      assert.ok(got.some((x) => x < 0) && got.some((x) => x > 0), `${method}: ${got}`);
      for (let i = 1; i < n; i++) assert.ok(got[i - 1] <= got[i], `${method}: not ascending`);
      assertClose([got.reduce((x, y) => x + y, 0)], [trace], { atol: 1e-5 }, `${method}: Σλ`);
      assertClose([got.reduce((x, y) => x + y * y, 0)], [frob], { rtol: 1e-6 }, `${method}: Σλ²`);
      assertClose(Float64Array.from(got, Math.abs).sort().reverse(), magnitudes, { rtol: 1e-6 }, `${method}: |λ|`);
    }
  });
  for (const method of METHODS) {
    await t.step(`indefinite matrix, eigenvectors satisfy A v = λ v (${method})`, async () => {
      const a = new Float32Array([2, 1, 0, 1, -3, 1, 0, 1, 1]);
      const { values, vectors } = await r.eigh(r.Tensor.fromArray(a, [3, 3]), { method });
      assert.ok(values[0] < 0 && values[2] > 0, `${values}`);
      const v = await vectors.toArray();
      const av = referenceMatmul(a, v, { m: 3, n: 3, k: 3 });
      assertClose(av, Float64Array.from(v, (x, i) => x * values[i % 3]), { atol: 1e-5 });
      const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
      assertClose(referenceMatmul(v, v, { m: 3, n: 3, k: 3, transposeA: true }), eye, { atol: 1e-6 }, "VᵀV");
    });
  }
  await t.step("non-symmetric input is rejected", async () => {
    await assert.rejects(
      () => r.eigvalsh(r.Tensor.fromArray([1, 2, 3, 4], [2, 2])),
      (e: unknown) => e instanceof RangeError && /not symmetric \(max \|a_ij - a_ji\| = 1.00e\+0\)/.test(e.message),
    );
  });
});

Deno.test("lstsq() matches the normal equations, ridge, and minimum-norm solutions", async (t) => {
  await r.initGpu();
  await t.step("overdetermined 13x4", async () => {
    const a = seededValues(13 * 4, 1), b = seededValues(13, 2);
    const x = await (await r.lstsq(r.Tensor.fromArray(a, [13, 4]), r.Tensor.fromArray(b))).toArray();
    // Residual is orthogonal to the columns: Aᵀ(Ax − b) = 0.
    const ax = referenceMatmul(a, x, { m: 13, n: 1, k: 4 });
    const res = Float64Array.from(ax, (v, i) => v - b[i]);
    assertClose(referenceMatmul(a, res, { m: 4, n: 1, k: 13, transposeA: true }), [0, 0, 0, 0], { atol: 1e-5 });
  });
  await t.step("ridge on a diagonal system", async () => {
    const x = await (await r.lstsq(r.Tensor.fromArray([2, 0, 0, 1], [2, 2]), r.Tensor.fromArray([2, 3], [2, 1]), {
      ridge: 1,
    })).toArray();
    assertClose(x, [4 / 5, 3 / 2], { atol: 1e-6 });
  });
  await t.step("rank-deficient: minimum norm", async () => {
    const x = await (await r.lstsq(r.Tensor.fromArray([1, 1, 1, 1], [2, 2]), r.Tensor.fromArray([2, 2]))).toArray();
    assertClose(x, [1, 1], { atol: 1e-5 });
  });
  await t.step("bad shapes", async () => {
    await assert.rejects(
      () => r.lstsq(r.Tensor.fromArray([1, 2, 3, 4], [2, 2]), r.Tensor.fromArray([1, 2, 3])),
      /a is 2x2, b is 3/,
    );
  });
});
