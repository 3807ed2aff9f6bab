/**
 * Representation measures (CKA, minibatch CKA, kernel alignment, RankMe, stable rank, α-ReQ) against
 * float64 references from their definitions (tests/fixtures/representation_numpy.py), their
 * invariances, and their refusals.
 *
 * @module
 */
import assert from "node:assert";
import * as r from "./_all.ts";
import { seededValues } from "./_helpers.ts";

const fixture = JSON.parse(await Deno.readTextFile(new URL("./fixtures/representation_numpy.json", import.meta.url)));
const T = (v: ArrayLike<number>, shape: number[]) => r.Tensor.fromArray(Array.from(v), shape);
const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= tol,
    `${what}: ${got} vs ${want} (|Δ| ${Math.abs(got - want).toExponential(2)} > ${tol})`,
  );

/** Deterministic pseudo-random values in (−1, 1). */
const values = (count: number, seed: number) => Array.from(seededValues(count, seed));

/** A d×d orthogonal matrix (Gram–Schmidt of a fixed matrix, in float64). */
function orthogonal(d: number, seed: number): number[] {
  const cols: number[][] = [];
  for (let j = 0; j < d; j++) {
    const v = values(d, seed + j);
    for (const c of cols) {
      const dot = v.reduce((s, x, i) => s + x * c[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * c[i];
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  return Array.from({ length: d * d }, (_, k) => cols[k % d][Math.floor(k / d)]);
}

Deno.test("CKA, minibatch CKA and kernel alignment match float64 references from their definitions", async () => {
  await r.initGpu();
  const { n, d1, d2 } = fixture;
  const x = T(fixture.x, [n, d1]), y = T(fixture.y, [n, d2]);
  // The references take float32-rounded inputs in float64; rankscope's Grams are float32, so agreement
  // is to about 1e-6 (a 1% error in any formula is 1e-3 or more).
  close((await r.cka(x, y)).value, fixture.ckaLinear, 1e-5, "linear CKA");
  close((await r.cka(x, y, { debiased: true })).value, fixture.ckaLinearDebiased, 1e-5, "debiased linear CKA");
  close((await r.cka(x, y, { kernel: "rbf" })).value, fixture.ckaRbf, 1e-5, "RBF CKA");
  close(
    (await r.cka(x, y, { kernel: "rbf", bandwidth: 0.8, debiased: true })).value,
    fixture.ckaRbfDebiased,
    1e-5,
    "debiased RBF CKA",
  );
  const acc = new r.MinibatchCka();
  for (let b = 0; b < n; b += 10) {
    await acc.add(
      T(fixture.x.slice(b * d1, (b + 10) * d1), [10, d1]),
      T(fixture.y.slice(b * d2, (b + 10) * d2), [10, d2]),
    );
  }
  const mb = acc.result();
  close(mb.value, fixture.minibatchCka, 1e-5, "minibatch CKA");
  assert.deepEqual([mb.batches, mb.examples], [4, 40]);
  const k = T(fixture.kernel, [n, n]);
  close((await r.kernelAlignment(k, fixture.labels)).value, fixture.alignmentCentered, 1e-6, "centred alignment");
  close(
    (await r.kernelAlignment(k, fixture.labels, { centered: false })).value,
    fixture.alignmentUncentered,
    1e-6,
    "alignment",
  );
  const onehot = fixture.labels.flatMap((c: number) => [0, 1, 2].map((j) => (j === c ? 1 : 0)));
  close((await r.kernelAlignment(k, T(onehot, [n, 3]))).value, fixture.alignmentCentered, 1e-6, "one-hot target");
});

Deno.test("RankMe, stable rank and α-ReQ match float64 references; α of an exact power law is recovered", async () => {
  await r.initGpu();
  const { n, d1 } = fixture;
  const x = T(fixture.x, [n, d1]);
  close((await r.rankMe(x)).value, fixture.rankMe, 1e-6 * fixture.rankMe, "RankMe");
  close((await r.stableRank(x)).value, fixture.stableRank, 1e-6 * fixture.stableRank, "stable rank");
  const fit = await r.alphaReq(x, { range: fixture.alphaRange });
  close(fit.value, fixture.alpha, 1e-3, "α on the fixture's graded columns");
  assert.deepEqual(fit.range, fixture.alphaRange);
  // λ_k = k^−1.5 exactly: rows ±√(n/2)·λ_k^½·e_k rotated by an orthogonal matrix (centred by pairing).
  const d = 16, alpha = 1.5, q = orthogonal(d, 3);
  const rows: number[] = [];
  for (let k = 1; k <= d; k++) {
    for (const sign of [1, -1]) {
      for (let j = 0; j < d; j++) rows.push(sign * Math.sqrt(d) * k ** (-alpha / 2) * q[(k - 1) * d + j]);
    }
  }
  const exact = await r.alphaReq(T(rows, [2 * d, d]));
  close(exact.value, alpha, 1e-4, "α of k^−1.5");
  assert.ok(exact.r2 > 0.99999, `R² ${exact.r2}`);
  assert.deepEqual(exact.range, [1, d]);
  // RankMe of a scaled identity-like Z is its dimension (the ε terms add d·ε·(1 − ln(1/d)) at most).
  const eye = Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 5 : 0));
  close((await r.rankMe(T(eye, [8, 8]))).value, 8, 1e-4, "RankMe of 5·I₈");
  close((await r.stableRank(T(eye, [8, 8]))).value, 8, 1e-9, "stable rank of 5·I₈");
});

Deno.test("CKA is 1 for rotated, scaled, shifted copies, symmetric, and linear CKA is the centred alignment of XXᵀ and YYᵀ", async () => {
  await r.initGpu();
  const n = 24, d = 6;
  const x = T(values(n * d, 1), [n, d]);
  // y depends on x (through a nonlinearity) plus noise, so every CKA is well inside (0, 1).
  const y = r.add(r.tanh(r.matmul(x, T(values(d * 3, 7), [d, 3]))), r.mul(T(values(n * 3, 2), [n, 3]), 0.4));
  const copy = r.add(r.mul(r.matmul(x, T(orthogonal(d, 9), [d, d])), 2.5), 4);
  for (
    const options of [{}, { debiased: true }, { kernel: "rbf" as const }, { kernel: "rbf" as const, debiased: true }]
  ) {
    close((await r.cka(x, copy, options)).value, 1, 1e-5, `CKA(X, 2.5·XQ + 4) ${JSON.stringify(options)}`);
    const [xy, yx] = [(await r.cka(x, y, options)).value, (await r.cka(y, x, options)).value];
    close(xy, yx, 1e-12, `symmetry ${JSON.stringify(options)}`);
    assert.ok(xy > 0.05 && xy < 0.95, `a non-trivial value ${xy}`);
  }
  const linear = (await r.cka(x, y)).value;
  const alignment = (await r.kernelAlignment(r.gram(x), r.gram(y), { targetKind: "kernel" })).value;
  close(linear, alignment, 1e-5, "linear CKA = centred alignment of the Grams");
  close((await r.kernelAlignment(r.gram(x), r.gram(x))).value, 1, 1e-12, "alignment of K with itself");
  // One batch: minibatch CKA is the debiased linear CKA.
  const one = new r.MinibatchCka();
  await one.add(x, y);
  close(one.result().value, (await r.cka(x, y, { debiased: true })).value, 1e-12, "one batch = debiased CKA");
});

Deno.test("linear CKA is the same through the joint feature Gram and, past 4,096 features, three separate Grams", async () => {
  await r.initGpu();
  // Float64 reference from n×n Grams of centred rows: ⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖).
  const reference = (xv: number[], yv: number[], n: number) => {
    const centredGram = (v: number[]) => {
      const d = v.length / n;
      const c = v.map((a, i) =>
        a - Array.from({ length: n }, (_, k) => v[k * d + (i % d)]).reduce((s, b) => s + b) / n
      );
      return Array.from({ length: n * n }, (_, ij) => {
        let s = 0;
        for (let k = 0; k < d; k++) s += c[Math.floor(ij / n) * d + k] * c[(ij % n) * d + k];
        return s;
      });
    };
    const [k, l] = [centredGram(xv), centredGram(yv)];
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
    return dot(k, l) / Math.sqrt(dot(k, k) * dot(l, l));
  };
  const n = 8;
  for (const [d1, d2] of [[30, 7], [4000, 200]]) {
    // Rank-2 representations sharing one of their two example-space factors, so that CKA is well inside (0, 1).
    const [u1, u2, u3] = [values(n, 11), values(n, 12), values(n, 13)];
    const lowRank = (d: number, a: number[], b: number[], seed: number) => {
      const [p, q] = [values(d, seed), values(d, seed + 1)];
      return Array.from({ length: n * d }, (_, i) => a[Math.floor(i / d)] * p[i % d] + b[Math.floor(i / d)] * q[i % d]);
    };
    const xv = lowRank(d1, u1, u2, 20), yv = lowRank(d2, u1, u3, 30);
    const want = reference(xv, yv, n);
    assert.ok(want > 0.05 && want < 0.95, `reference ${want}`);
    close((await r.cka(T(xv, [n, d1]), T(yv, [n, d2]))).value, want, 1e-5, `linear CKA, d = ${d1} + ${d2}`);
  }
});

Deno.test("representation measures refuse bad input before any work, naming the value", async () => {
  await r.initGpu();
  const x = T(values(20, 4), [10, 2]);
  const rejects = (call: () => Promise<unknown>, kind: typeof RangeError | typeof TypeError, pattern: RegExp) =>
    assert.rejects(call, (e: unknown) => e instanceof kind && pattern.test((e as Error).message));
  await rejects(() => r.cka(x, T(values(18, 5), [9, 2])), RangeError, /x has 10 examples and y has 9/);
  await rejects(
    () => r.cka(T(values(6, 1), [3, 2]), T(values(6, 2), [3, 2]), { debiased: true }),
    RangeError,
    /needs 4/,
  );
  await rejects(() => r.cka(x, r.full([10, 3], 2)), RangeError, /y is constant/);
  await rejects(() => r.cka(x, r.full([10, 3], 2), { kernel: "rbf" }), RangeError, /median distance .* y is 0/);
  await rejects(() => r.cka(x, T([...values(19, 3), NaN], [10, 2])), RangeError, /y holds NaN/);
  await rejects(() => r.cka(x, x, { kernal: "rbf" } as never), TypeError, /unknown option "kernal".*"kernel"/);
  await rejects(() => r.cka(x, x, { bandwidth: 1 }), TypeError, /bandwidth applies to the "rbf" kernel/);
  await rejects(
    () => new r.MinibatchCka().add(T(values(6, 1), [3, 2]), T(values(6, 1), [3, 2])),
    RangeError,
    /3 examples/,
  );
  assert.throws(() => new r.MinibatchCka().result(), RangeError);
  await rejects(() => r.kernelAlignment(r.full([3, 3], 1), [0, 1, 2]), RangeError, /centred Gram of k is zero/);
  await rejects(() => r.kernelAlignment(r.full([3, 2], 1), [0, 1, 2]), RangeError, /square/);
  await rejects(() => r.rankMe(r.full([3, 2], 0)), RangeError, /z is all zeros/);
  await rejects(() => r.alphaReq(r.full([5, 3], 1)), RangeError, /constant over its 5 examples/);
  await rejects(() => r.alphaReq(x, { range: [1, 5] }), RangeError, /options.range\[1\]/);
});

Deno.test("AGOP of a linear and a tanh model equals its closed form; the NFA correlation of a linear map is 1", async () => {
  await r.initGpu();
  const n = 12, d = 5, k = 3;
  const inputs = values(n * d, 11);
  const x = T(inputs, [n, d]);
  const linear = new r.Dense(d, k, { seed: 4, bias: false });
  const w = await linear.parameters()[0].toArray(); // [d, k]
  // Linear: every input Jacobian is Wᵀ, so AGOP = W Wᵀ.
  const lin = await r.agop(linear, x, { chunk: 5 });
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let want = 0;
      for (let c = 0; c < k; c++) want += w[i * k + c] * w[j * k + c];
      close(lin.matrix[i * d + j], want, 1e-5 * Math.abs(want) + 1e-6, `linear AGOP[${i}, ${j}]`);
    }
  }
  close(lin.nfaCorrelation!, 1, 1e-6, "NFA correlation of a linear map");
  // tanh(xW): ∇f_o(x_i) = (1 − tanh²(x_i·w_o)) w_o, so AGOP = (1/n) Σ_i Σ_o (1 − t_io²)² w_o w_oᵀ.
  const model = new r.Sequential([linear, new r.Activation("tanh")]);
  const got = await r.agop(model, x, { power: 0.5 });
  const want = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < k; o++) {
      let z = 0;
      for (let a = 0; a < d; a++) z += inputs[i * d + a] * w[a * k + o];
      const g = (1 - Math.tanh(z) ** 2) ** 2 / n;
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) want[a * d + b] += g * w[a * k + o] * w[b * k + o];
    }
  }
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < d * d; i++) close(got.matrix[i], want[i], 1e-5 * scale, `tanh AGOP entry ${i}`);
  const eig = r.eigvalshHost(want, d).reverse();
  for (let i = 0; i < d; i++) close(got.eigenvalues[i], eig[i], 1e-5 * eig[0], `tanh AGOP eigenvalue ${i}`);
  assert.ok(got.nfaCorrelation! > 0 && got.nfaCorrelation! < 1, `NFA correlation ${got.nfaCorrelation}`);
  await assert.rejects(() => r.agop(model, r.full([3], 1)), RangeError);
});
