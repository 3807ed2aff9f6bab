/**
 * Curvature operators (Hessian, Gauss–Newton, Fisher, NTK) against float64 references that PyTorch formed
 * explicitly for a small tanh MLP (tests/fixtures/make_curvature_fixture.py): the spectra of the formed
 * operators, Lanczos's extreme eigenvalues, SLQ's moments and Hutch++'s trace.
 *
 * @module
 */
import assert from "node:assert";
import * as r from "./_all.ts";

const file = r.parseSafetensors(
  await Deno.readFile(new URL("./fixtures/curvature_mlp.safetensors", import.meta.url)),
);
const get = (name: string) => {
  const t = file.tensors.get(name);
  assert.ok(t, `fixture has ${name}`);
  return t;
};
const wide = (name: string) => get(name).data[0] + get(name).data[1];

async function setup() {
  await r.initGpu();
  const model = new r.Sequential([
    new r.Dense(6, 12, { seed: 0 }),
    new r.Activation("tanh"),
    new r.Dense(12, 10, { seed: 1 }),
  ]);
  r.loadWeights(model, file, { strict: false });
  const input = get("fixture.input");
  const x = r.Tensor.fromArray(input.data, input.shape);
  const y = r.oneHot(Array.from(get("fixture.labels").data), 10);
  return { model, x, y };
}

/** Eigenvalues of a formed operator in float64, checked symmetric, against the fixture's. */
async function checkSpectrum(op: r.CurvatureOperator, key: string) {
  const m = await op.toMatrix(), dim = op.dim;
  const want = get(`fixture.eig.${key}`).data;
  const scale = Math.max(...Array.from(want, Math.abs));
  let asym = 0;
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) asym = Math.max(asym, Math.abs(m[i * dim + j] - m[j * dim + i]));
  }
  assert.ok(asym <= 1e-5 * scale, `${key} asymmetry ${asym}`);
  const got = r.eigvalshHost(m, dim);
  assert.equal(got.length, want.length);
  for (let i = 0; i < dim; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 2e-5 * scale, `${key} eigenvalue ${i}: ${got[i]} vs ${want[i]}`);
  }
  return { values: got, scale };
}

Deno.test("Hessian, GGN, Fisher and NTK operators have PyTorch's float64 spectra; a 1% product error fails", async () => {
  const { model, x, y } = await setup();
  const batch = { x, y };
  const h = await checkSpectrum(r.hessianOperator(model, r.softmaxCrossEntropy, batch), "hessian");
  assert.ok(h.values[0] < -1e-3 * h.scale, "the Hessian is indefinite here (unlike the GGN)");
  await checkSpectrum(r.ggnOperator(model, r.softmaxCrossEntropy, batch), "ggn");
  await checkSpectrum(r.fisherOperator(model, r.softmaxCrossEntropy, batch), "fisher");
  await checkSpectrum(r.ntkOperator(model, x), "ntk");
  // Chunks, and graphs kept from the first product on, give the same operators.
  const kept = [
    [r.ggnOperator(model, r.softmaxCrossEntropy, batch, { chunkSize: 7, keepGraph: true }), "ggn"],
    [r.hessianOperator(model, r.softmaxCrossEntropy, batch, { chunkSize: 5, keepGraph: true }), "hessian"],
    [r.fisherOperator(model, r.softmaxCrossEntropy, batch, { chunkSize: 10, keepGraph: true }), "fisher"],
    [r.ntkOperator(model, x, { chunkSize: 10, keepGraph: true }), "ntk"],
  ] as const;
  for (const [op, key] of kept) {
    await checkSpectrum(op, key);
    op.dispose();
  }
  // A Hessian-vector product scaled by 1.01 is caught by the same comparison.
  const exact = r.hessianOperator(model, r.softmaxCrossEntropy, batch);
  const scaled: r.CurvatureOperator = {
    ...exact,
    apply: (v) => r.mul(exact.apply(v), 1.01),
    toMatrix: async () => (await exact.toMatrix()).map((v) => 1.01 * v),
  };
  await assert.rejects(() => checkSpectrum(scaled, "hessian"));
});

Deno.test("Lanczos top-5 and bottom-5 of the Hessian, SLQ moments and Hutch++ against PyTorch's float64 values", async () => {
  const { model, x, y } = await setup();
  const op = r.hessianOperator(model, r.softmaxCrossEntropy, { x, y });
  const want = get("fixture.eig.hessian").data;
  const dim = want.length, scale = Math.max(...Array.from(want, Math.abs));
  const result = await r.lanczos(op, { k: 5, which: "both", tol: 1e-5, maxSteps: dim });
  assert.ok(result.converged, result.display);
  result.largest.forEach((e, i) => {
    const w = want[dim - 1 - i];
    assert.ok(Math.abs(e.value - w) <= 1e-5 * scale, `largest ${i + 1}: ${e.value} vs ${w}`);
  });
  result.smallest.forEach((e, i) => {
    assert.ok(Math.abs(e.value - want[i]) <= 1e-5 * scale, `smallest ${i + 1}: ${e.value} vs ${want[i]}`);
  });
  const density = await r.slq(op, { probes: 10, steps: 40 });
  const m1 = r.slqTrace(density, "identity"), m2 = r.slqTrace(density, "square");
  const trace = wide("fixture.trace.hessian"), trace2 = wide("fixture.trace2.hessian");
  assert.ok(Math.abs(m1.value - trace) <= 3 * m1.standardError, `tr H ${m1.value} ± ${m1.standardError} vs ${trace}`);
  assert.ok(
    Math.abs(m2.value - trace2) <= 3 * m2.standardError,
    `tr H² ${m2.value} ± ${m2.standardError} vs ${trace2}`,
  );
  const hpp = await r.hutchPlusPlus(op, { products: 60 });
  assert.ok(
    Math.abs(hpp.value - trace) <= 3 * hpp.standardError,
    `Hutch++ ${hpp.value} ± ${hpp.standardError} vs ${trace}`,
  );
});

Deno.test("hessianTopEigenvalues, hessianTrace and hessianDensity give PyTorch's values for each matrix", async () => {
  const { model, x, y } = await setup();
  const batch = { x, y };
  for (const matrix of ["hessian", "ggn", "fisher"] as const) {
    const want = get(`fixture.eig.${matrix}`).data;
    const top = await r.hessianTopEigenvalues(model, r.softmaxCrossEntropy, batch, { matrix, k: 3, tol: 1e-5 });
    assert.equal(top.matrix, matrix);
    top.values.forEach((v, i) => {
      const w = want[want.length - 1 - i];
      assert.ok(top.converged[i] && Math.abs(v - w) <= 1e-4 * Math.abs(w), `${matrix} λ${i + 1}: ${v} vs ${w}`);
    });
    const trace = wide(`fixture.trace.${matrix}`);
    const t = await r.hessianTrace(model, r.softmaxCrossEntropy, batch, { matrix, products: 45, chunkSize: 12 });
    assert.ok(
      Math.abs(t.value - trace) <= 3 * t.standardError,
      `${matrix} trace ${t.value} ± ${t.standardError} vs ${trace}`,
    );
  }
  const d = await r.hessianDensity(model, r.softmaxCrossEntropy, batch, { matrix: "ggn", probes: 6, steps: 30 });
  const trace = wide("fixture.trace.ggn");
  assert.ok(Math.abs(d.trace.value - trace) <= 3 * d.trace.standardError, `GGN density trace ${d.trace.value}`);
  assert.equal(d.nodes.length, 6);
  const svg = r.spectralDensityPlot({ series: [{ label: "Gauss–Newton", grid: d.grid, density: d.density }] }).toSvg();
  assert.ok(svg.startsWith("<svg") && !/NaN|Infinity/.test(svg));
});

Deno.test("curvature operators refuse bad input before any work, naming the value", async () => {
  const { model, x, y } = await setup();
  const refuses = (call: () => unknown, kind: typeof TypeError, pattern: RegExp) =>
    assert.throws(call, (e: unknown) => e instanceof kind && pattern.test((e as Error).message));
  const ce = r.softmaxCrossEntropy;
  refuses(() => r.hessianOperator({} as never, ce, { x, y }), TypeError, /model/);
  refuses(() => r.hessianOperator(model, 5 as never, { x, y }), TypeError, /loss must be a function/);
  refuses(() => r.ggnOperator(model, ce, { x, y: r.full([3, 10], 0) }), RangeError, /24 examples and y has 3/);
  refuses(() => r.fisherOperator(model, ce, { x, y }, { chunkSize: 0 }), RangeError, /chunkSize/);
  refuses(() => r.ntkOperator(model, x, { mode: "test" as never }), RangeError, /options.mode/);
  refuses(() => r.ntkOperator(model, x, { chunk: 3 } as never), TypeError, /unknown option "chunk"/);
  await assert.rejects(() => r.ntkOperator(model, r.full([500, 6], 1)).toMatrix(), RangeError);
});
