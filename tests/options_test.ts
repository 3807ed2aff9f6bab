import assert from "node:assert";
import * as r from "../mod.ts";
import { type DocParam, type DocType, rootSymbols } from "./_doc.ts";

/**
 * One call per root export that takes an options object, with `options` in the options position and
 * ordinary arguments elsewhere. The test below finds those exports in `deno doc --json mod.ts`, so an
 * export added without an entry here fails it.
 */
const CALLS: Record<string, (options: object) => unknown> = {
  loadMnist: (o) => r.loadMnist(o),
  initGpu: (o) => r.initGpu(o),
  "Tensor.fromArray": (o) => r.Tensor.fromArray([1, 2], [2], o),
  grad: (o) => {
    const x = r.Tensor.fromArray([1, 2]);
    x.requiresGrad = true;
    return r.grad(r.sum(r.mul(x, x)), [x], o);
  },
  full: (o) => r.full([2], 1, o),
  max: (o) => r.max(r.Tensor.fromArray([1, 2]), o),
  mean: (o) => r.mean(r.Tensor.fromArray([1, 2]), o),
  min: (o) => r.min(r.Tensor.fromArray([1, 2]), o),
  sum: (o) => r.sum(r.Tensor.fromArray([1, 2]), o),
  matmul: (o) => r.matmul(r.Tensor.fromArray([1, 2], [1, 2]), r.Tensor.fromArray([3, 4], [2, 1]), o),
  randomNormal: (o) => r.randomNormal([2], { seed: 1, ...o }),
  randomUniform: (o) => r.randomUniform([2], { seed: 1, ...o }),
  avgPool2d: (o) => r.avgPool2d(r.full([1, 2, 2, 1], 1), 2, o),
  conv2d: (o) => r.conv2d(r.full([1, 3, 3, 1], 1), r.full([2, 2, 1, 1], 1), o),
  inputJacobian: (o) => r.inputJacobian((x) => r.mul(x, x), r.Tensor.fromArray([1, 2], [1, 2]), o),
  svd: (o) => r.svd(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), o),
  svdvals: (o) => r.svdvals(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), o),
  svdvalsBatched: (o) => r.svdvalsBatched(r.Tensor.fromArray([1, 0, 0, 2], [1, 2, 2]), o),
  eigh: (o) => r.eigh(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), o),
  eigvalsh: (o) => r.eigvalsh(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), o),
  lstsq: (o) => r.lstsq(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), r.Tensor.fromArray([1, 1], [2, 1]), o),
  Dense: (o) => new r.Dense(2, 3, o),
  RFF: (o) => new r.RFF(2, 3, { scale: 1, ...o }),
  Conv2d: (o) => new r.Conv2d(1, 2, 3, o),
  BatchNorm1d: (o) => new r.BatchNorm1d(3, o),
  MaxPool2d: (o) => new r.MaxPool2d(2, o),
  Dropout: (o) => new r.Dropout(0.5, o),
  Embedding: (o) => new r.Embedding(3, 2, o),
  LayerNorm: (o) => new r.LayerNorm(2, o),
  MultiHeadSelfAttention: (o) => new r.MultiHeadSelfAttention(4, 2, o),
  TransformerBlock: (o) => new r.TransformerBlock(4, 2, o),
  loadWeights: (o) => r.loadWeights(tinyModel(), new Uint8Array(0), o),
  saveWeights: (o) => r.saveWeights(tinyModel(), o),
  initWeights: (o) => r.initWeights([2, 3], "he", { seed: 1, fanIn: 2, fanOut: 3, ...o }),
  Adam: (o) => new r.Adam({ lr: 0.01, ...o }),
  Sgd: (o) => new r.Sgd({ lr: 0.01, ...o }),
  mlp: (o) => r.mlp([2, 1], o),
  accuracy: (o) => r.accuracy(new r.Dense(2, 1), tinyData(), o),
  fit: (o) => r.fit(new r.Dense(2, 1), tinyData(), { epochs: 1, batchSize: 2, ...o } as r.FitOptions),
  cka: (o) => r.cka(r.Tensor.fromArray([1, 0, 0, 2, 3, 1], [3, 2]), r.Tensor.fromArray([1, 2, 4], [3, 1]), o),
  kernelAlignment: (o) => r.kernelAlignment(r.Tensor.fromArray([1, 0, 0, 2], [2, 2]), [0, 1], o),
  hessianTopEigenvalues: (o) =>
    r.hessianTopEigenvalues(new r.Dense(2, 1), r.mseLoss, { x: r.full([4, 2], 1), y: r.full([4, 1], 0) }, o),
  hessianTrace: (o) => r.hessianTrace(new r.Dense(2, 1), r.mseLoss, { x: r.full([4, 2], 1), y: r.full([4, 1], 0) }, o),
  hessianDensity: (o) =>
    r.hessianDensity(new r.Dense(2, 1), r.mseLoss, { x: r.full([4, 2], 1), y: r.full([4, 1], 0) }, o),
  spectralDensityPlot: (o) => r.spectralDensityPlot({ series: [{ label: "a", grid: [0, 1], density: [1, 2] }], ...o }),
  agop: (o) => r.agop(new r.Dense(2, 1), r.Tensor.fromArray([1, 2, 3, 4], [2, 2]), o),
  track: (o) => r.track(tinyModel(), { inputs: r.full([3, 2], 1), measures: ["rankMe"], ...o }),
  Tracker: (o) => new r.Tracker(tinyModel(), { inputs: r.full([3, 2], 1), measures: ["rankMe"], ...o }),
  measuresPlot: (o) => r.measuresPlot([{ step: 0, layer: 1, measure: "m", value: 1 }], o),
  alphaReq: (o) => r.alphaReq(r.Tensor.fromArray([1, 0, 0, 0, 2, 0, 0, 0, 3], [3, 3]), o),
  vonNeumannEntropy: (o) => r.vonNeumannEntropy([1, 0, 0, 1], o),
  epsilonRank: (o) => r.epsilonRank(r.full([3, 2], 1), { x: [0, 0.5, 1], ...o }),
  hiddenEpsilonRanks: (o) => r.hiddenEpsilonRanks(tinyModel(), r.full([3, 2], 1), { x: [0, 0.5, 1], ...o }),
  empiricalNtk: (o) => r.empiricalNtk(tinyModel(), r.full([3, 2], 1), o),
  empiricalNtkHost: (o) => r.empiricalNtkHost(tinyModel(), r.full([3, 2], 1), o),
  empiricalNtkLayers: (o) => r.empiricalNtkLayers(tinyModel(), r.full([3, 2], 1), o),
  infiniteNtk: (o) => r.infiniteNtk([{ kind: "dense", weightStd: 1, biasStd: 0 }], [1, 2], [1, 2], o),
  infiniteNtkGpu: (o) => r.infiniteNtkGpu([{ kind: "dense", weightStd: 1, biasStd: 0 }], [1, 2], [1, 2], o),
  inputJacobianSpectra: (o) => r.inputJacobianSpectra((x) => r.mul(x, x), r.full([1, 2], 1), o),
  weightSpectra: (o) => r.weightSpectra(tinyModel(), o),
  fitPowerLaw: (o) => r.fitPowerLaw(Array.from({ length: 60 }, (_, i) => 1 / (1 - i / 60) ** 0.5), o),
  ensemblePreactivations: (o) => r.ensemblePreactivations([1, 2], { nets: 2, widths: [3], ...o } as r.EnsembleOptions),
  excessKurtosis: (o) => r.excessKurtosis([1, 2, 3, 4, 5, 6], 2, o),
  linePlot: (o) => r.linePlot({ series: [{ x: [0, 1], y: [0, 1] }], ...o }),
  scatterPlot: (o) => r.scatterPlot({ x: [0, 1], y: [0, 1], ...o }),
  heatmap: (o) => r.heatmap({ nx: 2, ny: 2, values: [0, 1, 2, 3], xDomain: [0, 1], yDomain: [0, 1], ...o }),
  esdPlot: (o) => r.esdPlot({ layers: [{ name: "0", eigenvalues: [0.5, 1, 2, 4] }], ...o }),
  histogram: (o) => r.histogram({ values: [0, 1, 2], ...o }),
  imageGrid: (o) => r.imageGrid({ images: [new Float32Array(4)], imageWidth: 2, imageHeight: 2, ...o }),
  subplots: (o) => r.subplots({ panels: [r.linePlot({ series: [{ x: [0, 1], y: [0, 1] }] })], ...o }),
  concentricCircles: (o) => r.concentricCircles(o),
  trainTestSplit: (o) => r.trainTestSplit(new Float32Array(4), new Float32Array(2), { width: 2, ...o }),
  xorPoints: (o) => r.xorPoints(o),
  grid1d: (o) => r.grid1d((x) => x, o),
  grid2d: (o) => r.grid2d((x, y) => x + y, o),
  poissonProblem: (o) => r.poissonProblem(o),
  sineSumTarget: (o) => r.sineSumTarget(o),
};

function tinyModel(): r.Sequential {
  return new r.Sequential([new r.Dense(2, 3, { seed: 1 }), new r.Activation("tanh"), new r.Dense(3, 1, { seed: 2 })]);
}

function tinyData(): r.Dataset {
  return { x: new Float32Array([0, 1, 1, 0]), y: new Float32Array([1, 0]), xShape: [2, 2], yShape: [2, 1] };
}

/** Every root export with an options parameter, and the keys its documented options type declares. */
async function optionExports(): Promise<Map<string, Set<string>>> {
  const symbols = await rootSymbols();
  const byName = new Map(symbols.map((s) => [s.name, s]));
  const keysOf = (t: DocType): string[] => {
    if (t.kind === "typeRef") {
      const name = (t.value as { typeName: string }).typeName, decl = byName.get(name)?.declarations[0];
      assert.ok(decl, `options type ${name} is not exported from mod.ts`);
      if (decl.kind === "typeAlias") return keysOf(decl.def.tsType!);
      assert.equal(decl.kind, "interface", `options type ${name}`);
      return [...decl.def.properties!.map((p) => p.name), ...(decl.def.extends ?? []).flatMap(keysOf)];
    }
    if (t.kind === "typeLiteral") return (t.value as { properties: { name: string }[] }).properties.map((p) => p.name);
    if (t.kind === "intersection") return (t.value as DocType[]).flatMap(keysOf);
    throw new Error(`unexpected options type ${JSON.stringify(t).slice(0, 200)}`);
  };
  const found = new Map<string, Set<string>>();
  const scan = (label: string, params: DocParam[]) => {
    for (const p of params) {
      const param = p.kind === "assign" ? p.left! : p;
      if (param.name === "options" || param.tsType?.repr?.endsWith("Options")) {
        found.set(label, new Set(keysOf(param.tsType!)));
      }
    }
  };
  for (const s of symbols) {
    for (const d of s.declarations) {
      if (d.kind === "function") scan(s.name, d.def.params!);
      if (d.kind !== "class") continue;
      for (const c of d.def.constructors ?? []) scan(s.name, c.params);
      for (const m of d.def.methods ?? []) scan(`${s.name}${m.isStatic ? "." : "#"}${m.name}`, m.functionDef.params);
    }
  }
  return found;
}

Deno.test("every root export that takes options refuses an unknown key, naming it and the documented keys", async () => {
  await r.initGpu();
  const exports = await optionExports();
  assert.ok(exports.size >= 50, `only ${exports.size} options-taking exports found`);
  const missing = [...exports.keys()].filter((name) => !(name in CALLS));
  assert.deepEqual(missing, [], "root exports that take options but have no entry in CALLS");
  const stale = Object.keys(CALLS).filter((name) => !exports.has(name));
  assert.deepEqual(stale, [], "entries in CALLS that are not options-taking root exports");
  for (const [name, documented] of exports) {
    let error: unknown;
    try {
      await CALLS[name]({ notAnOption: 1 });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError, `${name} accepted an unknown option (got ${error})`);
    const match = /unknown option "notAnOption" \(known: ([^;]*);/.exec(error.message);
    assert.ok(match, `${name}: ${error.message}`);
    const known = match[1].split(", ");
    assert.deepEqual(known.toSorted(), [...documented].toSorted(), `${name}: the keys it knows vs its documented type`);
  }
});

Deno.test("the issue's misspelt option is refused with the right name", async () => {
  await r.initGpu();
  await assert.rejects(
    () => r.vonNeumannEntropy([1, 0, 0, 1], { normalization: "cosine" } as never),
    (e: Error) =>
      e instanceof TypeError &&
      e.message.includes('unknown option "normalization"') && e.message.includes("cosine"),
  );
  // Options must be an object; undefined stands for none.
  assert.throws(() => r.sum(r.Tensor.fromArray([1]), 0 as never), /options must be an object \(got 0\)/);
  assert.equal((await r.vonNeumannEntropy([2, 0, 0, 2], undefined)).entropy.toFixed(6), Math.log(2).toFixed(6));
});

Deno.test("randomNormal() and randomUniform() without a seed say that a seed is required", async () => {
  await r.initGpu();
  for (const draw of [() => r.randomNormal([3, 4], undefined as never), () => r.randomUniform([3], {} as never)]) {
    assert.throws(draw, (e: Error) => e instanceof TypeError && /options\.seed is required/.test(e.message));
  }
});
