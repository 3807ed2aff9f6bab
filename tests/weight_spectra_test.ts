import assert from "node:assert";
import { initGpu } from "../kernels/init_gpu.ts";
import { Dense } from "../nn/dense.ts";
import { Conv2d } from "../nn/conv2d.ts";
import { Activation } from "../nn/activation.ts";
import { Flatten } from "../nn/flatten.ts";
import { Sequential } from "../nn/sequential.ts";
import { Embedding } from "../nn/embedding.ts";
import { TransformerBlock } from "../nn/transformer_block.ts";
import { SPIKE_MARGIN, weightSpectra } from "../analysis/weight_spectra.ts";
import { fitPowerLaw } from "../analysis/power_law.ts";
import { esdPlot } from "../plot/esd_plot.ts";
import { assertClose, seededUniforms } from "./_helpers.ts";

/** Standard normal samples (Box–Muller). */
function gaussians(n: number, seed: number): Float64Array {
  const u = seededUniforms(2 * n, seed);
  return Float64Array.from(
    { length: n },
    (_, i) => Math.sqrt(-2 * Math.log(u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]),
  );
}

/** The Householder reflector I − 2vvᵀ/‖v‖² of a seeded v, n×n row-major (an orthogonal matrix). */
function reflector(n: number, seed: number): Float64Array {
  const v = gaussians(n, seed), vv = v.reduce((a, b) => a + b * b, 0);
  return Float64Array.from({ length: n * n }, (_, k) => {
    const i = Math.floor(k / n), j = k % n;
    return (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
  });
}

/** W = Q diag(s) P (m×n, row-major) with Q, P orthogonal reflectors: singular values s exactly. */
function withSingularValues(m: number, n: number, s: number[], seed: number): Float32Array {
  const q = reflector(m, seed), p = reflector(n, seed + 1);
  const w = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < s.length; k++) acc += q[i * m + k] * s[k] * p[k * n + j];
      w[i * n + j] = acc;
    }
  }
  return w;
}

const sorted = (v: number[]) => [...v].sort((a, b) => b - a);
const entropyRank = (s: number[]) => {
  const total = s.reduce((a, b) => a + b, 0);
  return Math.exp(-s.reduce((h, v) => (v > 0 ? h + (v / total) * Math.log(v / total) : h), 0));
};

Deno.test("weightSpectra() returns the singular values, ESD and ranks of known weight matrices", async (t) => {
  await initGpu();
  const tall = [5, 3, 2, 1, 0.5], wide = [4, 1, 0.25];
  const first = new Dense(7, 5, { bias: false, seed: 1 }), second = new Dense(5, 3, { seed: 2 });
  first.loadState({ weights: withSingularValues(7, 5, tall, 3) });
  second.loadState({ weights: withSingularValues(5, 3, wide, 5), bias: new Float32Array(3) });
  const model = new Sequential([first, new Activation("tanh"), second]);
  const spectra = await weightSpectra(model);
  await t.step("one entry per weight layer, old fields kept", () => {
    assert.deepEqual(spectra.map((w) => [w.layer, w.kind, w.shape]), [[0, "dense", [7, 5]], [2, "dense", [5, 3]]]);
    assert.deepEqual(spectra.map((w) => w.name), [model.layers[0].name, model.layers[2].name]);
  });
  await t.step("singular values and the ESD σ²/N, N the larger dimension", () => {
    for (const [w, s, n] of [[spectra[0], tall, 7], [spectra[1], wide, 5]] as const) {
      assertClose(w.values, sorted([...s]), { rtol: 1e-5, atol: 1e-6 });
      assert.equal(w.normalization, n);
      assertClose(w.eigenvalues, sorted(s.map((v) => (v * v) / n)), { rtol: 2e-5, atol: 1e-7 });
    }
  });
  await t.step("stable, effective and δ-ranks", () => {
    for (const [w, s] of [[spectra[0], tall], [spectra[1], wide]] as const) {
      const stable = s.reduce((a, v) => a + v * v, 0) / (s[0] * s[0]);
      assert.ok(Math.abs(w.stableRank - stable) < 2e-5 * stable, `${w.stableRank} vs ${stable}`);
      assert.ok(Math.abs(w.effectiveRank - entropyRank([...s])) < 2e-5 * w.effectiveRank);
    }
    // 99% of Σσ = 11.5 needs all five of the first layer's values (the last is 4.3%).
    assert.equal(spectra[0].deltaRank, 5);
  });
  await t.step("too few eigenvalues: no fit, with the reason, and not heavy-tailed", () => {
    assert.ok(spectra.every((w) => w.fit === null && !w.heavyTailed));
    assert.match(spectra[0].fitError, /5 of the 5 values are positive \(need at least minTail = 10\)/);
    assert.equal(
      spectra[1].marchenkoPastur.spikes,
      spectra[1].eigenvalues.filter((v) =>
        v > spectra[1].marchenkoPastur.edge + SPIKE_MARGIN * spectra[1].marchenkoPastur.scale
      ).length,
    );
  });
  await t.step("a Jupyter table", () => {
    const display = (spectra as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")];
    const text = display()["text/plain"];
    assert.match(text, /^weight spectra\n0 .* \[7×5\]: no fit, not heavy-tailed, stable rank 1\.57/);
    assert.deepEqual(Object.keys(spectra), ["0", "1"]);
  });
});

Deno.test("weightSpectra() reshapes convolution filters to [kh·kw·in, out], or slices them", async (t) => {
  await initGpu();
  const conv = new Conv2d(3, 4, 2, { seed: 1 });
  // Slice k of the filters [2, 2, 3, 4] is c_k·Q diag(s) P: the flattened [12, 4] matrix stacks them.
  const s = [3, 2, 1], scales = [1, 0.5, 2, 1.5];
  const slice = withSingularValues(3, 4, s, 7);
  const filters = new Float32Array(48);
  scales.forEach((c, k) => filters.set(slice.map((v) => v * c), 12 * k));
  conv.loadState({ filters, bias: new Float32Array(4) });
  const model = new Sequential([conv, new Activation("relu"), new Flatten(), new Dense(4, 2, { seed: 2 })]);
  await t.step("flatten", async () => {
    const [w] = await weightSpectra(model);
    // [12, 4] = [c_k·S_k] stacked: WᵀW = Σ c_k² S_kᵀS_k = (Σ c_k²) SᵀS, so σ = √(Σ c²)·s (and one zero).
    const c = Math.sqrt(scales.reduce((a, v) => a + v * v, 0));
    assert.deepEqual([w.kind, w.shape, w.normalization], ["conv", [12, 4], 12]);
    assertClose(w.values, [...s.map((v) => v * c), 0], { atol: 1e-5 });
    assertClose(w.eigenvalues, [...s.map((v) => (v * c) ** 2 / 12), 0], { atol: 1e-5 });
  });
  await t.step("slices (WeightWatcher's choice)", async () => {
    const [w] = await weightSpectra(model, { convolution: "slices" });
    assert.equal(w.normalization, 4);
    const expected = sorted(scales.flatMap((c) => s.map((v) => (v * c) ** 2 / 4)));
    assertClose(w.eigenvalues, expected, { rtol: 1e-5, atol: 1e-6 });
    assertClose(w.values, (await weightSpectra(model))[0].values, { rtol: 0, atol: 0 });
  });
  await t.step("bad options", async () => {
    await assert.rejects(
      () => weightSpectra(model, { convolution: "pooled" as never }),
      (e: unknown) => e instanceof RangeError && /Cannot compute weight spectra: options.convolution/.test(e.message),
    );
    await assert.rejects(
      () => weightSpectra(model, { minTail: 1 }),
      (e: unknown) => e instanceof RangeError && /Cannot compute weight spectra: options.minTail/.test(e.message),
    );
    await assert.rejects(() => weightSpectra(model, { tail: 3 } as never), TypeError);
  });
});

Deno.test("weightSpectra() reports a Marchenko–Pastur matrix as not heavy-tailed, a heavy-tailed one as heavy", async (t) => {
  await initGpu();
  const n = 400, m = 200;
  const spectrumOf = async (w: Float32Array) => {
    const dense = new Dense(n, m, { bias: false, seed: 1 });
    dense.loadState({ weights: w });
    return (await weightSpectra(new Sequential([dense])))[0];
  };
  await t.step("Gaussian 400×200, several seeds", async () => {
    const alphas: number[] = [];
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const w = Float32Array.from(gaussians(n * m, seed), (v) => 0.05 * v);
      const spectrum = await spectrumOf(w);
      const variance = w.reduce((a, v) => a + v * v, 0) / (n * m);
      const edge = variance * (1 + Math.sqrt(m / n)) ** 2;
      assert.ok(Math.abs(spectrum.marchenkoPastur.variance - variance) < 1e-6 * variance);
      assert.ok(Math.abs(spectrum.marchenkoPastur.edge - edge) < 1e-6 * edge);
      // The largest eigenvalue sits at the edge, within Tracy–Widom fluctuations (TW₁: mean −1.21, sd 1.27).
      const z = (spectrum.eigenvalues[0] - edge) / spectrum.marchenkoPastur.scale;
      assert.ok(z > -6 && z < SPIKE_MARGIN, `λ_max is ${z} scales from the edge (seed ${seed})`);
      assert.ok(spectrum.fit !== null, "200 eigenvalues are enough to fit");
      alphas.push(spectrum.fit.alpha);
      assert.equal(spectrum.marchenkoPastur.spikes, 0, `seed ${seed}`);
      assert.equal(spectrum.heavyTailed, false, `seed ${seed}`);
    }
    // α alone would call some of them heavy-tailed: the bulk's hard edge is what tells them apart.
    assert.ok(alphas.some((a) => a <= 6), `α = ${alphas}`);
  });
  await t.step("entries with a Pareto(α = 2.5) magnitude", async () => {
    const u = seededUniforms(2 * n * m, 12);
    const w = Float32Array.from(
      { length: n * m },
      (_, i) => (u[2 * i] < 0.5 ? -1 : 1) * 0.05 * (1 - u[2 * i + 1]) ** (-1 / 1.5),
    );
    const spectrum = await spectrumOf(w);
    assert.ok(spectrum.fit !== null && spectrum.fit.alpha <= 6, `α = ${spectrum.fit?.alpha}`);
    assert.ok(spectrum.marchenkoPastur.spikes > 0);
    assert.equal(spectrum.heavyTailed, true);
  });
});

/** [data value, pixel] of the labelled ticks of one axis of the first panel. */
function ticks(svg: string, side: "bottom" | "left"): [number, number][] {
  const group = svg.match(new RegExp(`<g class="axis axis-${side}"[^]*?</g>`))![0];
  const at = side === "bottom" ? "x" : "y";
  return [
    ...group.matchAll(
      new RegExp(
        `<text ${side === "left" ? 'x="[^"]*" ' : ""}${at === "x" ? 'x="([^"]+)"' : 'y="([^"]+)"'}[^>]*>([^<]+)</text>`,
        "g",
      ),
    ),
  ]
    .filter((m) => !m[0].includes("axis-title") && Number.isFinite(Number(m[2])))
    .map((m) => [Number(m[2]), Number(m[1])]);
}

Deno.test("esdPlot() draws each layer's density on log–log axes with its power law of slope −α", async (t) => {
  const eigenvalues = seededUniforms(800, 21).map((u) => 0.5 * (1 - u) ** (-1 / 1.8)); // Pareto, α = 2.8
  const fit = fitPowerLaw(eigenvalues);
  const layers = [{ name: "heavy", eigenvalues, fit }, { name: "flat", eigenvalues: [0, 1, 2, 3], fit: null }];
  const svg = esdPlot({ layers, bins: 25 }).toSvg();
  await t.step("one panel per layer, α in the title, a line only where fitted", () => {
    assert.equal(svg.match(/class="panel"/g)?.length, 2);
    assert.ok(svg.includes(`heavy: α = ${Number(fit.alpha.toPrecision(3))}`) && svg.includes("flat: no fit"));
    assert.equal(svg.match(/class="series"/g)?.length, 1);
    assert.ok(svg.includes("eigenvalue λ of WᵀW/N (weight²)") && svg.includes("density (1/weight²)"));
  });
  await t.step("the line's slope on the log–log axes is −α", () => {
    const first = svg.slice(0, svg.indexOf('class="panel"', svg.indexOf('class="panel"') + 1));
    const perDecade = (tk: [number, number][]) => {
      const [a, b] = [tk[0], tk[tk.length - 1]];
      return (b[1] - a[1]) / Math.log10(b[0] / a[0]);
    };
    const line = first.match(/<g class="series"><line x1="([^"]+)" y1="([^"]+)" x2="([^"]+)" y2="([^"]+)"/)!;
    const [x1, y1, x2, y2] = line.slice(1).map(Number);
    const slope = ((y2 - y1) / perDecade(ticks(first, "left"))) / ((x2 - x1) / perDecade(ticks(first, "bottom")));
    assert.ok(Math.abs(slope + fit.alpha) < 0.02 * fit.alpha, `slope ${slope} vs −${fit.alpha}`);
    // It starts at x_min.
    const xs = ticks(first, "bottom");
    const xAt = (v: number) => xs[0][1] + (Math.log10(v / xs[0][0]) * perDecade(xs));
    assert.ok(Math.abs(xAt(fit.xmin) - x1) < 1, `${xAt(fit.xmin)} vs ${x1}`);
  });
  await t.step("layers without positive eigenvalues and bad input", () => {
    assert.ok(esdPlot({ layers: [{ name: "zero", eigenvalues: [0, 0] }] }).toSvg().includes("no positive eigenvalues"));
    assert.throws(
      () => esdPlot({ layers: [] }),
      (e: unknown) => e instanceof RangeError && /Cannot draw ESD plot: options.layers is empty/.test(e.message),
    );
    assert.throws(
      () => esdPlot({ layers: [{ name: "x", eigenvalues: [1, NaN] }] }),
      (e: unknown) => e instanceof RangeError && /options.layers\[0\].eigenvalues\[1\] must be/.test(e.message),
    );
    assert.throws(
      () => esdPlot({ layers: [{ name: "x", eigenvalues: [1, 2], fit: { alpha: 1, xmin: 1 } }] }),
      (e: unknown) => e instanceof RangeError && /options.layers\[0\].fit.alpha must be/.test(e.message),
    );
    assert.throws(() => esdPlot({ layers: {} as never }), TypeError);
    assert.throws(() => esdPlot({ layers: [{ name: "x", eigenvalues: [1] }], legend: true } as never), TypeError);
  });
});

Deno.test("weightSpectra() covers the 2-D parameters of other layers: an embedding and a transformer block", async () => {
  await initGpu();
  const embedding = new Embedding(4, 3, { seed: 0 });
  // Rows (3, 0, 0), (0, 2, 0), (0, 0, 0), (0, 0, 1): singular values 3, 2, 1.
  embedding.loadState({ weight: new Float32Array([3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1]) });
  const block = new TransformerBlock(4, 2, { seed: 1 });
  const spectra = await weightSpectra(new Sequential([embedding, block, new Flatten(), new Dense(12, 2)]));
  assert.deepEqual(
    spectra.map((w) => [w.layer, w.kind, w.name.split(" ").at(-1), w.shape]),
    [
      [0, "matrix", "weight", [4, 3]],
      [1, "matrix", "self_attn.in_proj_weight", [12, 4]],
      [1, "matrix", "self_attn.out_proj.weight", [4, 4]],
      [1, "matrix", "linear1.weights", [4, 16]],
      [1, "matrix", "linear2.weights", [16, 4]],
      [3, "dense", "Dense(12→2)", [12, 2]],
    ],
  );
  assertClose(spectra[0].values, [3, 2, 1], { atol: 1e-6 }, "embedding singular values");
  assert.ok(Math.abs(spectra[0].stableRank - 14 / 9) < 1e-6);
});
