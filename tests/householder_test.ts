import assert from "node:assert";
import {
  bidiagonalSingularValues,
  certifiedRelativeError,
  householderBidiagonal,
  householderTridiagonal,
  symmetricEigen,
  tridiagonalEigenvalues,
} from "./_all.ts";
import { referenceMatmul, referenceSvdvals } from "./_reference.ts";
import { assertClose, seededValues } from "./_helpers.ts";

Deno.test("tridiagonalEigenvalues() matches the closed form of the 1-D Laplacian", async (t) => {
  for (const n of [1, 2, 7, 100]) {
    await t.step(`n = ${n}`, () => {
      const got = tridiagonalEigenvalues({ d: new Float64Array(n).fill(2), e: new Float64Array(n - 1).fill(-1) });
      const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
      assertClose(got, expected, { atol: 1e-14, rtol: 0 });
    });
  }
});

Deno.test("tridiagonalEigenvalues() returns duplicated eigenvalues of a split matrix twice", () => {
  // Two copies of tridiag(1, 3, 1) of order 4 joined by a zero off-diagonal.
  const d = new Float64Array(8).fill(3), e = new Float64Array(7).fill(1);
  e[3] = 0;
  const single = Array.from({ length: 4 }, (_, k) => 3 + 2 * Math.cos(((4 - k) * Math.PI) / 5));
  assertClose(tridiagonalEigenvalues({ d, e }), single.flatMap((x) => [x, x]), { atol: 1e-14, rtol: 0 });
});

Deno.test("bidiagonalSingularValues() matches closed forms and keeps graded values relatively accurate", async (t) => {
  await t.step("all-ones bidiagonal: σ_k = 2cos(kπ/(2n+1))", () => {
    for (const n of [1, 7, 50]) {
      const s = bidiagonalSingularValues({ d: new Float64Array(n).fill(1), e: new Float64Array(n - 1).fill(1) });
      const expected = Array.from({ length: n }, (_, k) => 2 * Math.cos(((k + 1) * Math.PI) / (2 * n + 1)));
      assertClose(s, expected, { atol: 1e-14, rtol: 0 }, `n = ${n}`);
    }
  });
  await t.step("graded bidiagonal over 30 decades", () => {
    const n = 16;
    const d = Float64Array.from({ length: n }, (_, i) => 10 ** (-2 * i));
    const e = Float64Array.from({ length: n - 1 }, (_, i) => 0.5 * 10 ** (-2 * i - 1));
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      dense[i * n + i] = d[i];
      if (i < n - 1) dense[i * n + i + 1] = e[i];
    }
    // Column-graded, so the float64 Jacobi reference is accurate relative to each value too.
    assertClose(bidiagonalSingularValues({ d, e }), referenceSvdvals(dense, n, n), { rtol: 1e-12, atol: 0 });
  });
  await t.step("a zero on the diagonal gives a zero singular value", () => {
    const s = bidiagonalSingularValues({ d: Float64Array.of(1, 0, 2), e: Float64Array.of(0, 0) });
    assertClose(s, [2, 1, 0], { atol: 1e-290, rtol: 1e-15 });
  });
});

Deno.test("householderBidiagonal() keeps the singular values at awkward shapes", async (t) => {
  for (const [m, n] of [[1, 1], [5, 1], [13, 7], [33, 17], [100, 64], [64, 64]]) {
    await t.step(`${m}x${n}`, () => {
      const a = seededValues(m * n, m * 7 + n);
      const s = bidiagonalSingularValues(householderBidiagonal(a, m, n));
      const ref = referenceSvdvals(a, m, n);
      assertClose(s, ref, { rtol: 1e-10, atol: 1e-13 * ref[0] });
    });
  }
  await t.step("wide input and wrong sizes are rejected", () => {
    assert.throws(() => householderBidiagonal(new Float32Array(6), 2, 3), /expected m >= n \(got 2x3\)/);
    assert.throws(() => householderBidiagonal(new Float32Array(5), 3, 2), /expected 3x2 = 6 values \(got 5\)/);
  });
});

Deno.test("householderBidiagonal() handles zero columns, zero rows, sparse and rank-deficient matrices", async (t) => {
  /** A seeded m x n matrix with the columns in `zeroColumns` and rows in `zeroRows` set to 0. */
  const matrix = (m: number, n: number, seed: number, zeroColumns: number[] = [], zeroRows: number[] = []) => {
    const a = Float64Array.from(seededValues(m * n, seed));
    for (const j of zeroColumns) for (let i = 0; i < m; i++) a[i * n + j] = 0;
    for (const i of zeroRows) a.fill(0, i * n, (i + 1) * n);
    return a;
  };
  const cases: [string, Float64Array, number, number][] = [
    ["zero first column, 9x6", matrix(9, 6, 1, [0]), 9, 6],
    ["zero middle and last columns, 10x7", matrix(10, 7, 2, [3, 6]), 10, 7],
    ["zero rows (odd and even), 11x8", matrix(11, 8, 3, [], [0, 5, 10]), 11, 8],
    ["ReLU of Gaussian-like values (half exact zeros), 41x41", matrix(41, 41, 4).map((v) => Math.max(v, 0)), 41, 41],
    ["ReLU, 64x40", matrix(64, 40, 5).map((v) => Math.max(v, 0)), 64, 40],
    ["all zeros, 5x3", new Float64Array(15), 5, 3],
  ];
  // Rank 2: every column a combination of two.
  const lowRank = new Float64Array(12 * 9), basis = matrix(12, 2, 6);
  for (let i = 0; i < 12; i++) {
    for (let j = 0; j < 9; j++) lowRank[i * 9 + j] = basis[i * 2] * (j + 1) - basis[i * 2 + 1] * (j % 3);
  }
  cases.push(["rank 2, 12x9", lowRank, 12, 9]);
  for (const [name, a, m, n] of cases) {
    await t.step(name, () => {
      const s = bidiagonalSingularValues(householderBidiagonal(a, m, n));
      const ref = referenceSvdvals(a, m, n);
      // Normwise: the reduction's error is about (m + n)·eps₆₄·σ_1 for every value, zeros included.
      assertClose(s, ref, { rtol: 0, atol: 1e-13 * Math.max(ref[0], 1e-300) });
    });
  }
});

/** One-shift-at-a-time bisection (the driver before lanes), the oracle for the four-lane one. */
function bisectOneByOne(count: (x: number) => number, lo: number, hi: number, total: number, tol: number) {
  const out = new Float64Array(total), stack = [lo, hi, 0, total];
  while (stack.length > 0) {
    const cHi = stack.pop()!, cLo = stack.pop()!, b = stack.pop()!, a = stack.pop()!;
    const width = b - a;
    if (width <= tol || width <= 4 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b))) {
      out.fill((a + b) / 2, cLo, cHi);
      continue;
    }
    const mid = a + width / 2;
    const cMid = Math.min(Math.max(count(mid), cLo), cHi);
    if (cMid > cLo) stack.push(a, mid, cLo, cMid);
    if (cHi > cMid) stack.push(mid, b, cMid, cHi);
  }
  return out;
}

/** Singular values of a bidiagonal matrix by {@linkcode bisectOneByOne} (the code before lanes). */
function bidiagonalOneByOne(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length, q = d.map((x) => x * x), ee = e.map((x) => x * x);
  let norm = 0, maxQ = 0;
  for (let i = 0; i < n; i++) {
    norm = Math.max(norm, Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0));
    maxQ = Math.max(maxQ, q[i], i < n - 1 ? ee[i] : 0);
  }
  const pivmin = 2.3e-308 * Math.max(1, maxQ);
  const count = (x: number) => {
    const tau = x * x;
    let s = -tau, c = 0;
    for (let i = 0; i < n - 1; i++) {
      let dp = q[i] + s;
      if (Math.abs(dp) < pivmin) dp = -pivmin;
      if (dp < 0) c++;
      s = (ee[i] * s) / dp - tau;
    }
    if (q[n - 1] + s < 0) c++;
    return c;
  };
  return bisectOneByOne(count, 0, norm * (1 + 4 * Number.EPSILON), n, norm * 1e-300).reverse();
}

/** Eigenvalues of a symmetric tridiagonal matrix by {@linkcode bisectOneByOne} (the code before lanes). */
function tridiagonalOneByOne(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length, e2 = e.map((x) => x * x);
  let lo = Infinity, hi = -Infinity, maxE2 = 0;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
  }
  for (const x of e2) maxE2 = Math.max(maxE2, x);
  const norm = Math.max(Math.abs(lo), Math.abs(hi)), tol = norm * Number.EPSILON;
  const pivmin = 2.3e-308 * Math.max(1, maxE2);
  const count = (x: number) => {
    let q = d[0] - x, c = 0;
    if (Math.abs(q) < pivmin) q = -pivmin;
    if (q < 0) c++;
    for (let i = 1; i < n; i++) {
      q = d[i] - x - e2[i - 1] / q;
      if (Math.abs(q) < pivmin) q = -pivmin;
      if (q < 0) c++;
    }
    return c;
  };
  const spread = 2 * tol + 2 * Number.EPSILON * norm;
  return bisectOneByOne(count, lo - spread, hi + spread, n, tol);
}

Deno.test("bisection with four shifts per pass equals one-shift-at-a-time bisection bit for bit", async (t) => {
  const inputs: [string, Float64Array, Float64Array][] = [];
  for (const n of [1, 2, 3, 5, 7, 64]) {
    inputs.push([
      `random n = ${n}`,
      Float64Array.from(seededValues(n, n)),
      Float64Array.from(seededValues(n - 1, 100 + n)),
    ]);
  }
  const graded = Float64Array.from({ length: 12 }, (_, i) => 10 ** (-2 * i));
  inputs.push(["graded over 22 decades", graded, graded.slice(1).map((x) => 0.5 * x)]);
  const split = new Float64Array(8).fill(3), ones = new Float64Array(7).fill(1);
  ones[3] = 0;
  inputs.push(["split, repeated values", split, ones]);
  inputs.push(["zeros on the diagonal", Float64Array.of(1, 0, 2, 0, 0), Float64Array.of(0.5, 0, 1, 0)]);
  for (const [name, d, e] of inputs) {
    await t.step(name, () => {
      assert.deepEqual([...bidiagonalSingularValues({ d, e })], [...bidiagonalOneByOne(d, e)]);
      assert.deepEqual([...tridiagonalEigenvalues({ d, e })], [...tridiagonalOneByOne(d, e)]);
    });
  }
});

Deno.test("householderTridiagonal() keeps the eigenvalues of PSD and indefinite matrices", async (t) => {
  for (const n of [1, 2, 3, 37]) {
    await t.step(`PSD Gram ${n}x${n}`, () => {
      const x = seededValues(n * (n + 3), n);
      const k = referenceMatmul(x, x, { m: n, n, k: n + 3, transposeB: true });
      const got = tridiagonalEigenvalues(householderTridiagonal(k, n));
      assertClose(got, referenceSvdvals(k, n, n).reverse(), { rtol: 1e-10, atol: 1e-12 });
    });
  }
  await t.step("indefinite 20x20: trace, Frobenius norm and |λ|", () => {
    const n = 20, base = seededValues(n * n, 3);
    const a = Float64Array.from(base, (_, idx) => base[idx] + base[(idx % n) * n + Math.floor(idx / n)]);
    const got = tridiagonalEigenvalues(householderTridiagonal(a, n));
    let trace = 0, frob = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    for (const v of a) frob += v * v;
    assertClose([got.reduce((s, v) => s + v, 0), got.reduce((s, v) => s + v * v, 0)], [trace, frob], {
      atol: 1e-12,
      rtol: 1e-12,
    });
    assertClose(Float64Array.from(got, Math.abs).sort().reverse(), referenceSvdvals(a, n, n), { rtol: 1e-10 });
  });
  await t.step("bad input is rejected", () => {
    assert.throws(() => householderTridiagonal([1, 2, 3], 2), /expected 2x2 = 4 values \(got 3\)/);
    assert.throws(() => tridiagonalEigenvalues({ d: Float64Array.of(1, 2), e: Float64Array.of() }), /0 values/);
    assert.throws(() => tridiagonalEigenvalues({ d: Float64Array.of(1, NaN), e: Float64Array.of(1) }), /NaN/);
    assert.throws(() => bidiagonalSingularValues({ d: Float64Array.of(1, Infinity), e: Float64Array.of(1) }), /NaN/);
  });
});

Deno.test("certifiedRelativeError() is (m + n)·eps·max/min", () => {
  assert.equal(certifiedRelativeError([4, 2], 3, 5), (8 * Number.EPSILON * 4) / 2);
  assert.equal(certifiedRelativeError([0, 0], 2, 2), 0);
  assert.equal(certifiedRelativeError([-3, 0], 2, 2), Infinity);
});

/** Asserts A v = λ v and VᵀV = I for a float64 symmetric eigendecomposition. */
function checkEigenpairs(a: ArrayLike<number>, n: number, values: Float64Array, vectors: Float64Array[], tol: number) {
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]));
  vectors.forEach((v, j) => {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * v[k];
      assert.ok(Math.abs(av - values[j] * v[i]) <= tol * Math.max(scale, 1), `residual of pair ${j} row ${i}`);
    }
    vectors.forEach((u, k) => {
      const dot = u.reduce((acc, x, i) => acc + x * v[i], 0);
      assert.ok(Math.abs(dot - (j === k ? 1 : 0)) <= tol, `v${j}·v${k} = ${dot}`);
    });
  });
  for (let j = 1; j < n; j++) assert.ok(values[j - 1] <= values[j], "ascending");
}

Deno.test("symmetricEigen() gives orthonormal eigenvectors with small residuals", async (t) => {
  await t.step("1-D Laplacian: values and vectors in closed form", () => {
    const n = 12;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = symmetricEigen(a, n);
    values.forEach((x, k) => assert.ok(Math.abs(x - (2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)))) < 1e-14));
    // v_k ∝ sin(i (k+1) π / (n+1)), up to sign.
    vectors.forEach((v, k) => {
      const ref = Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * (k + 1) * Math.PI) / (n + 1)));
      const len = Math.hypot(...ref), sign = Math.sign(v[0] * ref[0]);
      assertClose(v, ref.map((x) => (sign * x) / len), { atol: 1e-13, rtol: 0 }, `vector ${k}`);
    });
  });
  for (const n of [1, 2, 3, 37]) {
    await t.step(`random symmetric ${n}x${n}`, () => {
      const base = seededValues(n * n, 40 + n);
      const a = Float64Array.from(base, (_, idx) => base[idx] + base[(idx % n) * n + Math.floor(idx / n)]);
      const { values, vectors } = symmetricEigen(a, n);
      checkEigenpairs(a, n, values, vectors, 1e-12);
    });
  }
  await t.step("repeated eigenvalues: identity plus a rank-2 term, and the zero matrix", () => {
    const n = 9, u = seededValues(n, 1), w = seededValues(n, 2);
    const a = Float64Array.from({ length: n * n }, (_, idx) => {
      const [i, j] = [Math.floor(idx / n), idx % n];
      return (i === j ? 3 : 0) + u[i] * u[j] + w[i] * w[j];
    });
    const { values, vectors } = symmetricEigen(a, n);
    checkEigenpairs(a, n, values, vectors, 1e-12);
    assertClose(values.subarray(0, n - 2), new Float64Array(n - 2).fill(3), { atol: 1e-13, rtol: 0 });
    const zero = symmetricEigen(new Float64Array(16), 4);
    assert.deepEqual([...zero.values], [0, 0, 0, 0]);
    checkEigenpairs(new Float64Array(16), 4, zero.values, zero.vectors, 1e-15);
  });
});
