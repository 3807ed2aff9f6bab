import assert from "node:assert";
import * as r from "./_all.ts";
import { referenceMatmul, referenceSvdvals } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";
import { choleskySolve, orthogonal } from "./_linalg_oracle.ts";

/** (AᵀA + λI)⁻¹ Aᵀ b in float64 by Cholesky (the normal equations, fine on well-posed problems). */
function normalEquations(a: Float32Array, b: ArrayLike<number>, m: number, n: number, ridge = 0): Float64Array {
  const ata = referenceMatmul(a, a, { m: n, n, k: m, transposeA: true });
  for (let i = 0; i < n; i++) ata[i * n + i] += ridge;
  return choleskySolve(ata, referenceMatmul(a, b, { m: n, n: 1, k: m, transposeA: true }), n);
}

async function solve(a: ArrayLike<number>, b: ArrayLike<number>, shape: [number, number], options = {}) {
  return await (await r.lstsq(r.Tensor.fromArray(a, shape), r.Tensor.fromArray(b), options)).toArray();
}

Deno.test("lstsq() matches a float64 Cholesky solve of the normal equations", async (t) => {
  await r.initGpu();
  for (const [m, n] of [[13, 4], [40, 17], [7, 7]]) {
    await t.step(`${m}x${n}`, async () => {
      const a = seededValues(m * n, m + n), b = seededValues(m, 3);
      assertClose(await solve(a, b, [m, n]), normalEquations(a, b, m, n), { rtol: 1e-5, atol: 1e-6 });
    });
  }
  await t.step("wide 4x9: the minimum-norm solution Aᵀ(AAᵀ)⁻¹b", async () => {
    const [m, n] = [4, 9];
    const a = seededValues(m * n, 5), b = seededValues(m, 6);
    const y = choleskySolve(referenceMatmul(a, a, { m, n: m, k: n, transposeB: true }), b, m);
    assertClose(await solve(a, b, [m, n]), referenceMatmul(a, y, { m: n, n: 1, k: m, transposeA: true }), {
      rtol: 1e-5,
      atol: 1e-6,
    });
  });
  await t.step("several right-hand sides", async () => {
    const a = seededValues(10 * 3, 8), b = seededValues(10 * 2, 9);
    const x = await (await r.lstsq(r.Tensor.fromArray(a, [10, 3]), r.Tensor.fromArray(b, [10, 2]))).toArray();
    for (let c = 0; c < 2; c++) {
      const bc = Float64Array.from({ length: 10 }, (_, i) => b[i * 2 + c]);
      assertClose([x[c], x[2 + c], x[4 + c]], normalEquations(a, bc, 10, 3), { rtol: 1e-5, atol: 1e-6 });
    }
  });
});

Deno.test("lstsq() keeps the direction of a tiny singular value (the issue's ridge 1e-20 case)", async () => {
  await r.initGpu();
  // A = [[0.6, -0.8e-7], [0.8, 0.6e-7], [0, 0]], b = [-0.8, 0.6, 0]: x ≈ [0, 1e7], residual ~0 (the old
  // U-based solve gave [0, -1e7] with residual 2). A ridge of 1e-20 against σ² = 1e-14 shrinks x by 1e-6.
  const a = Float32Array.from([0.6, -0.8e-7, 0.8, 0.6e-7, 0, 0]);
  const b = Float32Array.from([-0.8, 0.6, 0]);
  const x = await solve(a, b, [3, 2], { ridge: 1e-20 });
  assertClose(x, normalEquations(a, b, 3, 2, 1e-20), { rtol: 1e-7, atol: 1e-7 });
  assert.ok(x[1] > 9.9e6, `x = ${x}`);
  const residual = referenceMatmul(a, x, { m: 3, n: 1, k: 2 }).map((v, i) => v - b[i]);
  assert.ok(Math.hypot(...residual) < 1e-5, `residual ${Math.hypot(...residual)}`);
});

Deno.test("lstsq() with ridge and rcond on rank-deficient and κ = 1e6 problems", async (t) => {
  await r.initGpu();
  await t.step("rank 3 of 10x6 with ridge 1e-3 equals (AᵀA + λI)⁻¹Aᵀb", async () => {
    const a = Float32Array.from(referenceMatmul(seededValues(30, 1), seededValues(18, 2), { m: 10, n: 6, k: 3 }));
    const b = seededValues(10, 3);
    assertClose(await solve(a, b, [10, 6], { ridge: 1e-3 }), normalEquations(a, b, 10, 6, 1e-3), {
      rtol: 1e-5,
      atol: 1e-6,
    });
  });
  // A = U diag(σ) Vᵀ with σ from 1 to 1e-6, from known float64 factors.
  const [m, n] = [10, 6];
  const sigma = Array.from({ length: n }, (_, i) => 1e-6 ** (i / (n - 1)));
  const u = orthogonal(m, 11), v = orthogonal(n, 12);
  const a = Float32Array.from({ length: m * n }, (_, k) => {
    const [i, j] = [Math.floor(k / n), k % n];
    return sigma.reduce((acc, s, c) => acc + u[i * m + c] * s * v[j * n + c], 0);
  });
  const b = seededValues(m, 13);
  await t.step("κ = 1e6 with ridge 1e-8", async () => {
    assertClose(await solve(a, b, [m, n], { ridge: 1e-8 }), normalEquations(a, b, m, n, 1e-8), {
      rtol: 1e-5,
      atol: 1e-4,
    });
  });
  await t.step("κ = 1e6 with rcond 1e-3 keeps only σ > 1e-3", async () => {
    // Truncated solution Σ_{σ_c > 1e-3} v_c (u_c·b)/σ_c from the known factors (rounding of A perturbs
    // it by ~1e-7/1e-3 relatively).
    const expected = new Float64Array(n);
    sigma.forEach((s, c) => {
      if (s <= 1e-3) return;
      let ub = 0;
      for (let i = 0; i < m; i++) ub += u[i * m + c] * b[i];
      for (let j = 0; j < n; j++) expected[j] += v[j * n + c] * ub / s;
    });
    assertClose(await solve(a, b, [m, n], { rcond: 1e-3 }), expected, { rtol: 1e-3, atol: 1e-3 });
  });
  await t.step("κ = 1e6 with rcond 0 solves exactly", async () => {
    assertClose(await solve(a, b, [m, n], { rcond: 0 }), normalEquations(a, b, m, n), { rtol: 1e-4, atol: 1e-3 });
  });
});

Deno.test("lstsq() and the SVD family refuse bad input before any work", async () => {
  await r.initGpu();
  const a = r.Tensor.fromArray([1, 0, 0, 1], [2, 2]);
  await assert.rejects(() => r.lstsq(a, r.Tensor.fromArray([1, 2, 3])), /a is 2x2, b is 3/);
  await assert.rejects(
    () => r.lstsq(a, r.Tensor.fromArray([1, NaN])),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "Cannot compute least squares (right-hand side b): input 2 contains 1 NaN or infinite values",
  );
  await assert.rejects(() => r.lstsq(a, r.Tensor.fromArray([1, 2]), { ridge: -1 }), /ridge must be a finite number/);
  await assert.rejects(() => r.lstsq(a, r.Tensor.fromArray([1, 2]), { ridge: NaN }), RangeError);
  await assert.rejects(() => r.lstsq(a, r.Tensor.fromArray([1, 2]), { rcond: 1 }), /rcond must be in \[0, 1\)/);
  for (const tol of [NaN, 0, 1e-9, 1]) {
    await assert.rejects(
      () => r.svdvals(a, { method: "jacobi", tol }),
      (e: unknown) => e instanceof RangeError && /tol must be in \[1.19e-7, 1\)/.test(e.message),
      `tol ${tol}`,
    );
  }
  await assert.rejects(() => r.svd(a, { maxSweeps: 0 }), /maxSweeps must be a positive integer \(got 0\)/);
  await assert.rejects(
    () => r.svdvals(r.Tensor.fromArray([1e-40, 0, 0, 1e-40], [2, 2]), { method: "jacobi" }),
    /largest \|entry\| 1.00e-40 is below float32's normal range/,
  );
});

Deno.test("svd() says so when Jacobi does not converge within maxSweeps", async () => {
  await r.initGpu();
  const a = r.Tensor.fromArray(seededValues(24 * 24, 5), [24, 24]);
  await assert.rejects(
    () => r.svd(a, { maxSweeps: 1, polish: false }),
    (e: unknown) => e instanceof Error && /Jacobi did not converge within 1 sweeps \(largest relative/.test(e.message),
  );
  // The float64 polish finishes what a short float32 run leaves, so the same cap with the polish works.
  const { s } = await r.svd(a, { maxSweeps: 1 });
  assertClose(s, referenceSvdvals(await a.toArray(), 24, 24), { rtol: 1e-6 });
});
