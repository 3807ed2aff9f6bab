import assert from "node:assert";
import * as r from "./_all.ts";
import { referenceMatmul, referenceSvdvals } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";
import { gradedPositiveDefinite, maxAbs, oracleEigh, withSpectrum } from "./_linalg_oracle.ts";
import { AUTO_CERTIFIED_ERROR, JACOBI_RELATIVE_ERROR } from "../linalg/mod.ts";

const METHODS: r.SpectrumMethod[] = ["auto", "householder", "jacobi"];

/** Absolute accuracy every method promises, relative to ‖A‖₂ (Householder: ~(2n)·eps₆₄). */
const ABSOLUTE = 1e-12;

/**
 * Checks eigvalsh and eigh by `method` against the float64 oracle of the same float32 matrix: values to
 * ABSOLUTE·‖A‖₂ (which fixes every sign above that level), and every eigh pair with residual
 * ‖Av − λv‖ ≤ 1e-6·‖A‖₂ and orthonormal vectors.
 */
async function checkSymmetric(a: Float32Array, n: number, method: r.SpectrumMethod, what: string): Promise<void> {
  const ref = oracleEigh(a, n).values;
  const scale = maxAbs(ref); // ‖A‖₂ of a symmetric matrix
  const values = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method });
  assertClose(values, ref, { atol: ABSOLUTE * scale, rtol: 0 }, `${what}: eigvalsh (${method})`);
  const pairs = await r.eigh(r.Tensor.fromArray(a, [n, n]), { method });
  assertClose(pairs.values, ref, { atol: ABSOLUTE * scale, rtol: 0 }, `${what}: eigh values (${method})`);
  const v = await pairs.vectors.toArray();
  const av = referenceMatmul(a, v, { m: n, n, k: n });
  for (let j = 0; j < n; j++) {
    let residual = 0;
    for (let i = 0; i < n; i++) residual += (av[i * n + j] - pairs.values[j] * v[i * n + j]) ** 2;
    assert.ok(
      Math.sqrt(residual) <= 1e-6 * scale,
      `${what} (${method}): pair ${j} (λ = ${pairs.values[j]}) has residual ${Math.sqrt(residual)}`,
    );
  }
  const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  assertClose(referenceMatmul(v, v, { m: n, n, k: n, transposeA: true }), eye, { atol: 1e-6 }, `${what}: VᵀV`);
}

Deno.test("eigvalsh() gets the signs of the issue's reproductions right under every method", async (t) => {
  await r.initGpu();
  await t.step("positive definite 3x3 with κ ~ 1e8 (auto fell back to Jacobi and returned -9.3e-9)", async () => {
    const k = [
      0.0007203773711808026,
      0.018751759082078934,
      0.017758198082447052,
      0.018751759082078934,
      0.5287924408912659,
      0.49879443645477295,
      0.017758198082447052,
      0.49879443645477295,
      0.47058719396591187,
    ];
    const ref = oracleEigh(Float32Array.from(k), 3).values;
    assert.ok(ref[0] > 9e-9 && ref[0] < 1e-8, `oracle ${ref[0]}`);
    for (const method of ["auto", "jacobi"] as const) {
      const got = await r.eigvalsh(r.Tensor.fromArray(k, [3, 3]), { method });
      assertClose(got, ref, { rtol: 1e-6, atol: 0 }, `${method}`);
    }
  });
  await t.step("a ± pair beside a tiny eigenvalue", async () => {
    for (const method of METHODS) {
      const got = await r.eigvalsh(r.Tensor.fromArray([0, 1, 0, 1, 0, 0, 0, 0, 1e-9], [3, 3]), { method });
      assertClose(got, [-1, Math.fround(1e-9), 1], { atol: 1e-15, rtol: 1e-7 }, method);
    }
  });
  await t.step("[[0, 1], [1, 0]] has eigenvalues -1 and 1", async () => {
    for (const method of METHODS) {
      assertClose(await r.eigvalsh(r.Tensor.fromArray([0, 1, 1, 0], [2, 2]), { method }), [-1, 1], {}, method);
      const { values, vectors } = await r.eigh(r.Tensor.fromArray([0, 1, 1, 0], [2, 2]), { method });
      const v = await vectors.toArray();
      assertClose(values, [-1, 1], {}, method);
      // A v = λ v: for [[0,1],[1,0]] that is v₁ = λ v₀ in each column.
      assertClose([v[2], v[3]], [-v[0], v[1]], { atol: 1e-6 }, `${method}: eigenvectors`);
    }
  });
});

Deno.test("eigvalsh()/eigh() match the float64 oracle on Q Λ Qᵀ with graded, indefinite and repeated spectra", async (t) => {
  await r.initGpu();
  const n = 12;
  const cases: [string, number[]][] = [];
  for (const kappa of [1e6, 1e8, 1e10, 1e12]) {
    cases.push([`PSD κ = ${kappa}`, Array.from({ length: n }, (_, i) => kappa ** (-i / (n - 1)))]);
  }
  cases.push(["indefinite with ± pairs and exact zeros", [3, -3, 1, -1, 1e-3, -1e-3, 0, 0, 2, -0.5, 1e-6, -1e-6]]);
  cases.push(["repeated eigenvalues of both signs", [2, 2, 2, -2, -2, 1, 1, 1, 0.5, 0.5, -1e-4, -1e-4]]);
  cases.push(["rank-deficient indefinite", [4, -4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
  for (const [what, lambda] of cases) {
    for (const method of METHODS) {
      await t.step(`${what} (${method})`, () => checkSymmetric(withSpectrum(lambda, 7), n, method, what));
    }
  }
});

Deno.test("eigvalsh() keeps graded positive definite matrices positive and relatively accurate (κ 1e6..1e12)", async (t) => {
  await r.initGpu();
  // The D H D family: κ(A) is huge, yet every eigenvalue is determined to float32 precision relative to
  // its own size, and the float32 matrix is positive definite. Householder promises only absolute
  // accuracy; auto and jacobi promise relative accuracy here.
  for (const decades of [6, 8, 10, 12]) {
    for (const n of [5, 16]) {
      await t.step(`κ ~ 1e${decades}, n = ${n}`, async () => {
        const a = gradedPositiveDefinite(n, decades, decades * 10 + n);
        const ref = oracleEigh(a, n).values;
        assert.ok(ref[0] > 0 && ref[n - 1] / ref[0] > 10 ** (decades - 1), `oracle spectrum ${ref}`);
        for (const method of ["auto", "jacobi"] as const) {
          const got = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method });
          // Each method to its promise: auto to the default request, Jacobi to its own.
          const rtol = method === "auto" ? AUTO_CERTIFIED_ERROR : JACOBI_RELATIVE_ERROR;
          assertClose(got, ref, { rtol, atol: 0 }, `relative accuracy (${method})`);
        }
        await checkSymmetric(a, n, "householder", `graded PD κ ~ 1e${decades}`);
      });
    }
  }
  await t.step("20 random positive definite matrices with κ >= 1e7 never get a negative eigenvalue", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + (trial % 6);
      const a = gradedPositiveDefinite(n, 7 + (trial % 6), 1000 + trial);
      for (const method of ["auto", "jacobi"] as const) {
        const got = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method });
        assert.ok(got[0] > 0, `trial ${trial} (${method}): smallest eigenvalue ${got[0]}`);
      }
    }
  });
});

Deno.test("eigh() on a block matrix [[0, B], [Bᵀ, 0]]: exact ± pairs and exact zeros", async () => {
  await r.initGpu();
  // Eigenvalues ±σ_i(B) and (p - q) exact zeros; the entries are B's, so no rounding blurs the pairs.
  const [q, p] = [3, 5], n = q + p;
  const b = seededValues(q * p, 77);
  const a = new Float32Array(n * n);
  for (let i = 0; i < q; i++) for (let j = 0; j < p; j++) a[i * n + q + j] = a[(q + j) * n + i] = b[i * p + j];
  const sigma = referenceSvdvals(b, q, p);
  const expected = [...sigma].map((s) => -s).concat([0, 0], [...sigma]).sort((x, y) => x - y);
  assertClose(oracleEigh(a, n).values, expected, { atol: 1e-12 }, "oracle");
  for (const method of METHODS) await checkSymmetric(a, n, method, "block ± pairs");
});

Deno.test("accuracy follows the question: normwise and absolute requests are certified without the Jacobi path", async (t) => {
  const rt = await r.initGpu();
  await t.step(
    "a graded PSD kernel (κ ~ 1e10): normwise stays on the host and meets r·‖A‖_F; relative needs Jacobi",
    async () => {
      const n = 24, a = gradedPositiveDefinite(n, 10, 7);
      const ref = oracleEigh(a, n).values;
      const frobenius = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
      const before = rt.stats.dispatches;
      const normwise = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { accuracy: { normwise: 1e-9 } });
      assert.equal(rt.stats.dispatches - before, 0, "no GPU work: the host Householder result is certified");
      assertClose(normwise, ref, { atol: 1e-9 * frobenius, rtol: 0 }, "within 1e-9·‖A‖_F");
      const mid = rt.stats.dispatches;
      const relative = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]));
      assert.ok(rt.stats.dispatches - mid > 10, "the default relative request falls back to the Jacobi path");
      assertClose(relative, ref, { rtol: AUTO_CERTIFIED_ERROR, atol: 0 }, "relative accuracy of the smallest values");
    },
  );
  await t.step("absolute: certified when (m + n)·eps·‖A‖₂ is below it, else the Jacobi path", async () => {
    const n = 16, a = withSpectrum(Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (i / 4)), 3);
    const ref = oracleEigh(a, n).values;
    let before = rt.stats.dispatches;
    const loose = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { accuracy: { absolute: 1e-9 } });
    assert.equal(rt.stats.dispatches - before, 0);
    assertClose(loose, ref, { atol: 1e-9, rtol: 0 });
    // Below the host bound the Jacobi path cannot help either (its promise is 1e-11 of each value, here
    // 6e-8 for the largest): refused, not answered short of the request.
    before = rt.stats.dispatches;
    await assert.rejects(
      () => r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { accuracy: { absolute: 1e-16 } }),
      (e: unknown) =>
        e instanceof RangeError &&
        /no method certifies accuracy \{"absolute":1e-16\} for a 16x16 matrix/.test(e.message) &&
        /Jacobi: 1e-11 of each value/.test(e.message),
    );
    assert.equal(rt.stats.dispatches - before, 0, "refused after the host attempt, before any GPU work");
  });
  await t.step(
    "requests tighter than both methods' promises are refused, before any work where the size shows it",
    async () => {
      const n = 100, a = gradedPositiveDefinite(n, 6, 11);
      const before = rt.stats.dispatches;
      for (const accuracy of [{ relative: 1e-14 }, { normwise: 1e-15 }]) {
        await assert.rejects(
          () => r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { accuracy }),
          (e: unknown) => e instanceof RangeError && /no method certifies accuracy/.test(e.message),
          JSON.stringify(accuracy),
        );
        await assert.rejects(() => r.svdvals(r.Tensor.fromArray(a, [n, n]), { accuracy }), RangeError);
        await assert.rejects(() => r.eigh(r.Tensor.fromArray(a, [n, n]), { accuracy }), RangeError);
      }
      assert.equal(rt.stats.dispatches - before, 0, "no GPU work for a request no method can meet");
      // 1e-13 lies above Householder's (m + n)·eps₆₄ for n = 4: certified for a well-conditioned matrix ...
      const well = withSpectrum([1, 2, -3, 4], 2), wellRef = oracleEigh(well, 4).values;
      const got = await r.eigvalsh(r.Tensor.fromArray(well, [4, 4]), { accuracy: { relative: 1e-13 } });
      assertClose(got, wellRef, { rtol: 1e-13, atol: 0 });
      // ... and refused for a graded one, whose Householder bound fails and whose Jacobi promise is 1e-11.
      await assert.rejects(
        () =>
          r.eigvalsh(r.Tensor.fromArray(gradedPositiveDefinite(4, 8, 3), [4, 4]), { accuracy: { relative: 1e-13 } }),
        /no method certifies accuracy \{"relative":1e-13\}/,
      );
      // An explicit method is obeyed whatever the accuracy says.
      await r.eigvalsh(r.Tensor.fromArray(well, [4, 4]), { method: "jacobi", accuracy: { relative: 1e-14 } });
    },
  );
  await t.step("svdvals and eigh take the same requests; bad requests are usage errors", async () => {
    const x = r.Tensor.fromArray(seededValues(12, 4), [4, 3]);
    const s = await r.svdvals(x, { accuracy: { normwise: 1e-10 } });
    assertClose(s, referenceSvdvals(seededValues(12, 4), 4, 3), { atol: 1e-9, rtol: 0 });
    for (const accuracy of [{ relative: 0 }, { normwise: -1 }, { absolute: NaN }, { relative: 1e-8, absolute: 1 }]) {
      await assert.rejects(
        () => r.eigvalsh(r.Tensor.fromArray([1, 0, 0, 1], [2, 2]), { accuracy } as r.SpectrumOptions),
        /accuracy must be \{ relative \} or \{ normwise \} with a tolerance in \(0, 1\), or \{ absolute \} with a finite tolerance > 0/,
      );
    }
  });
  await t.step("the cost model is measured per adapter (both methods' costs positive) and reused", async () => {
    const costs = await r.spectrumCosts(rt);
    assert.ok(costs.householder.perCube > 0 && costs.jacobi.fixed + costs.jacobi.perCube > 0, JSON.stringify(costs));
    assert.equal(r.spectrumCosts(rt), r.spectrumCosts(rt), "one measurement per adapter");
  });
});

Deno.test("the cost model lives in the tuning store: a second process reads it, and a stored model picks the method before any data moves", async () => {
  const rt = await r.initGpu();
  const store = r.memoryTuningStore();
  const fresh = (identity: string) => {
    const other = new r.Runtime(rt.device, rt.adapterName, identity);
    other.tuningStore = store;
    return other;
  };
  const identity = `cost-model test ${crypto.randomUUID()}`;
  const first = await r.spectrumCosts(fresh(identity));
  const second = fresh(identity); // a later process on the same adapter and store
  assert.deepEqual(await r.spectrumCosts(second), first);
  assert.equal(second.stats.dispatches, 0, "read from the store, not measured again");
  // A stored model that makes the Jacobi path free sends a normwise N = 256 entropy there (one upload of
  // the kernel, no read-back of it); the eigenvalues still match the float64 host path.
  const jacobiCheap = fresh(`cost-model test ${crypto.randomUUID()}`);
  const costs = { householder: { fixed: 1, perCube: 1 }, jacobi: { fixed: 0, perCube: 0 } };
  await store.write(r.tuningKey(jacobiCheap, "choice linalg spectrum costs"), { value: JSON.stringify(costs) });
  const n = 256, x = seededValues(n * 64, 11), k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) for (let q = 0; q < 64; q++) k[i * n + j] += x[i * 64 + q] * x[j * 64 + q] / 64;
  }
  const kernel = r.Tensor.fromArray(Float32Array.from(k), [n, n], { runtime: jacobiCheap });
  const before = jacobiCheap.stats.dispatches;
  const { eigenvalues } = await r.vonNeumannEntropy(kernel);
  assert.ok(jacobiCheap.stats.dispatches > before + 10, "the Jacobi sweeps ran on the kernel's runtime");
  const host = r.eigvalshHost(await kernel.toArray(), n);
  assertClose(eigenvalues, host, { atol: 1e-6 * host[n - 1], rtol: 0 });
  kernel.dispose();
});

Deno.test("the Jacobi path keeps its relative promise as n grows: ± paired spectra at n = 96, a Gaussian 128 x 128", async () => {
  await r.initGpu();
  // With the earlier polish threshold (1e-6) these were off by 3.4e-11 and 4e-11 relative: errors grew with n.
  const n = 96;
  const base = [5, -5, 3, -3, 3, 2, 2, 2, 1e-3, -1e-3, 0.5, -0.25, 4, 4, -4, 1, -1, 9, -9, 6];
  const spectrum = Array.from({ length: n }, (_, i) => base[i % 20] * (1 + Math.floor(i / 20) * 0.01));
  const a = withSpectrum(spectrum, 5), ref = oracleEigh(a, n).values;
  const got = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method: "jacobi" });
  assertClose(got, ref, { rtol: JACOBI_RELATIVE_ERROR, atol: 0 }, "± pairs, n = 96");
  const g = Float32Array.from(seededValues(128 * 128, 3));
  const s = await r.svdvals(r.Tensor.fromArray(g, [128, 128]), { method: "jacobi" });
  assertClose(s, referenceSvdvals(g, 128, 128), { rtol: JACOBI_RELATIVE_ERROR, atol: 0 }, "Gaussian 128 x 128");
});

Deno.test("eigvalshHost() matches the oracle for any size and refuses malformed input", () => {
  const n = 20, a = withSpectrum(Array.from({ length: n }, (_, i) => i - 7.5), 9);
  assertClose(r.eigvalshHost(a, n), oracleEigh(a, n).values, { atol: 1e-12 * 12.5, rtol: 0 });
  assert.throws(() => r.eigvalshHost([1, 2, 3], 2), /3 values are not a 2x2 matrix/);
  assert.throws(() => r.eigvalshHost([1, NaN, NaN, 1], 2), /NaN or infinite/);
});

Deno.test("the block Jacobi variant keeps every accuracy promise (graded, indefinite, ± pairs, repeated, rank-deficient)", async (t) => {
  const rt = await r.initGpu();
  const saved = rt.tuning.get({ family: "jacobi", shapeClass: "all" });
  rt.tuning.set({ family: "jacobi", shapeClass: "all" }, "block");
  try {
    await t.step("graded positive definite, κ ~ 1e10, n = 16 and 40: relative accuracy", async () => {
      for (const n of [16, 40]) {
        const a = gradedPositiveDefinite(n, 10, 100 + n);
        const got = await r.eigvalsh(r.Tensor.fromArray(a, [n, n]), { method: "jacobi" });
        assertClose(got, oracleEigh(a, n).values, { rtol: 1e-6, atol: 0 }, `block, n = ${n}`);
      }
    });
    await t.step(
      "indefinite with ± pairs, repeated and zero eigenvalues: n = 16 and 24 to the suite's 1e-12",
      async () => {
        const spectrum = [5, -5, 3, -3, 3, 2, 2, 2, 1e-3, -1e-3, 0, 0, 7, -7, 0.5, -0.25, 4, 4, -4, 1, -1, 9, -9, 6];
        await checkSymmetric(withSpectrum(spectrum.slice(0, 16), 5), 16, "jacobi", "block Jacobi ± pairs");
        // With the earlier polish threshold (1e-6) n = 24 landed only within about 5e-12·‖A‖.
        await checkSymmetric(withSpectrum(spectrum, 5), 24, "jacobi", "block Jacobi ± pairs, n = 24");
      },
    );
    await t.step("svd of a rank-deficient 50 x 30 matrix: singular values against the float64 reference", async () => {
      const [m, n] = [50, 30];
      const low = seededValues(m * 5, 9), right = seededValues(5 * n, 10);
      const a = Float32Array.from(referenceMatmul(low, right, { m, n, k: 5 }));
      const s = await r.svdvals(r.Tensor.fromArray(a, [m, n]), { method: "jacobi" });
      const ref = referenceSvdvals(a, m, n);
      assertClose(s.slice(0, 5), ref.slice(0, 5), { rtol: 1e-9, atol: 0 });
      assert.ok(Math.max(...s.slice(5)) < 1e-5 * s[0], `zero singular values: ${s.slice(5, 8)}`);
    });
  } finally {
    if (saved === undefined) rt.tuning.delete({ family: "jacobi", shapeClass: "all" });
    else rt.tuning.set({ family: "jacobi", shapeClass: "all" }, saved);
  }
});
