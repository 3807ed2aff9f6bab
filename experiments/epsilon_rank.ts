/**
 * Epsilon-rank and the staircase phenomenon.
 *
 * Question: while an MLP fits a 1-D function, does its loss drop in steps as the ε-rank of its last hidden
 * layer's neuron functions steps up, and how do depth, width, optimizer, activation, initialization
 * (random vs the uniformly distributed deterministic UDI) and residual connections change that? And for a
 * PINN solving a 2-D Poisson problem, and for random-feature least squares (a partition-of-unity random
 * feature method vs an extreme learning machine), how do error and ε-rank compare?
 *
 * Run: `deno run -A experiments/epsilon_rank.ts [--studies staircase,layers,activations,init,resnet,pinn,rfm]
 *       [--steps 1500] [--every 100] [--epsilon 1e-3] [--seed 0] [--out out/epsilon_rank] [--quick]`
 *
 * Outputs (in --out): results.json (rewritten after every run), figures.json and one SVG per study
 * (staircase.svg, layers.svg, activations.svg, init.svg, resnet.svg, pinn.svg, rfm.svg); a summary table
 * on stdout, progress on stderr.
 *
 * ε-rank: with D the neuron outputs on a sorted quadrature grid and W the trapezoid weights,
 * M = Dᵀ W D (symmetrised) and the ε-rank counts eigenvalues of M above ε. Target (1-D studies):
 * f(x) = sin(πx) + sin(4πx)/2 + sin(9πx)/3 + sin(16πx)/4 on 501 points of [−1, 1], full-batch MSE.
 */
import {
  Activation,
  type ActivationName,
  Adam,
  add,
  Dense,
  deriveSeed,
  epsilonRank,
  type Figure,
  fit,
  grad,
  initGpu,
  type Layer,
  linePlot,
  lstsq,
  mean,
  mseLoss,
  mul,
  type Optimizer,
  poissonProblem,
  Residual,
  Sequential,
  Sgd,
  slice,
  square,
  subplots,
  sum,
  Tensor,
  tidy,
} from "../mod.ts";
import { udiInit } from "../nn/mod.ts";
import { trapezoidWeights } from "../analysis/mod.ts";
import { hostRandom } from "../kernels/mod.ts";
import { ProgressBar } from "../cli/mod.ts";
import { experimentFlags, resultsWriter, stderrWriter, table, writeAtomic, writeJson } from "./_common.ts";

const ALL_STUDIES = ["staircase", "layers", "activations", "init", "resnet", "pinn", "rfm"] as const;
type Study = (typeof ALL_STUDIES)[number];
const { flags, quick, out: outDir, config } = experimentFlags("epsilon_rank", {
  studies: { default: ALL_STUDIES.join(","), kind: "choices", choices: ALL_STUDIES, help: "Studies to run" },
  steps: { default: "1500", kind: "count", min: 1, help: "Training steps of every network" },
  every: { default: "100", kind: "count", min: 1, help: "Steps between ε-rank measurements" },
  epsilon: { default: "1e-3", kind: "number", min: 0, max: 1, help: "ε of the ε-rank" },
  seed: { default: "0", kind: "count", help: "Seed of every initialisation" },
});
const studies = flags.studies as Study[];
const steps = quick ? 40 : flags.steps;
const every = quick ? 20 : flags.every;
const epsilon = flags.epsilon;
const seed = flags.seed;

const rt = await initGpu();
console.error(`adapter: ${rt.adapterName}`);

// ---- The 1-D fitting problem ---------------------------------------------------------------------
const POINTS = quick ? 101 : 501;
const xs = Float32Array.from({ length: POINTS }, (_, i) => -1 + (2 * i) / (POINTS - 1));
const target = xs.map((x) =>
  Math.sin(Math.PI * x) + Math.sin(4 * Math.PI * x) / 2 + Math.sin(9 * Math.PI * x) / 3 + Math.sin(16 * Math.PI * x) / 4
);
const weights1d = trapezoidWeights(xs);
const grid = Tensor.fromArray(xs, [POINTS, 1]);
const data = { x: xs, xShape: [POINTS, 1], y: target, yShape: [POINTS, 1] };

interface MlpSpec {
  depth: number;
  width: number;
  activation?: ActivationName;
  init?: "glorot" | "udi";
  residual?: boolean;
}

function mlp(spec: MlpSpec, modelSeed: number, inputs = 1, domain: [number, number] = [-1, 1]): Sequential {
  const act = spec.activation ?? "tanh";
  const layers: Layer[] = [];
  const first = new Dense(inputs, spec.width, { seed: modelSeed, stream: 0, init: "glorot" });
  if (spec.init === "udi") {
    const { weights, bias } = udiInit(inputs, spec.width, domain);
    first.weights.dispose();
    first.bias?.dispose();
    [first.weights, first.bias] = [weights, bias];
  }
  layers.push(first, new Activation(act));
  for (let l = 1; l < spec.depth; l++) {
    const dense = new Dense(spec.width, spec.width, { seed: modelSeed, stream: l, init: "glorot" });
    layers.push(spec.residual ? new Residual(new Sequential([dense, new Activation(act)])) : dense);
    if (!spec.residual) layers.push(new Activation(act));
  }
  layers.push(new Dense(spec.width, 1, { seed: modelSeed, stream: spec.depth, init: "glorot" }));
  return new Sequential(layers);
}

/** Indices of the layers whose outputs are hidden representations (after each nonlinearity / block). */
function hiddenOutputs(model: Sequential): number[] {
  return model.layers.map((l, i) => (l instanceof Activation || l instanceof Residual ? i : -1)).filter((i) =>
    i >= 0 && i < model.layers.length - 1
  );
}

/** ε-ranks of the chosen hidden outputs on the grid. */
async function ranksOf(
  model: Sequential,
  input: Tensor,
  w: ArrayLike<number>,
  which: "last" | "all",
): Promise<number[]> {
  const acts = tidy(() => model.trace(input, "eval"));
  const idx = hiddenOutputs(model);
  const chosen = which === "last" ? [idx[idx.length - 1]] : idx;
  const out: number[] = [];
  for (const i of chosen) out.push((await epsilonRank(acts[i + 1], { weights: w, epsilon })).rank);
  acts.slice(1).forEach((a) => a !== input && a.dispose());
  return out;
}

interface Curve {
  label: string;
  step: number[];
  loss: number[];
  /** ε-rank per tracked hidden layer (rows: layers). */
  rank: number[][];
}

const results: { config: Record<string, unknown>; studies: Record<string, unknown> } = {
  config: { studies, steps, every, epsilon, seed, points: POINTS, adapter: rt.adapterName },
  studies: {},
};
const started = performance.now();
const save = resultsWriter(outDir, config, () => results);
const summary: (string | number)[][] = [];

// Progress: one unit per training step of every planned run.
// Progress: one unit per training step of every distinct run (studies share identical runs).
const RUNS: Record<Study, string[]> = {
  staircase: ["2-25-adam", "2-50-adam", "4-25-adam", "4-50-adam"].map((
    k,
  ) => (quick ? k.replace(/-(25|50)-/, "-10-") : k)),
  layers: ["4-25-sgd", "4-25-adam"],
  activations: ["2-25-relu", "2-25-elu", "2-25-cos", "2-25-adam"],
  init: ["2-25-adam", "2-25-udi"],
  resnet: ["4-25-adam", "4-25-residual"],
  pinn: [],
  rfm: [],
};
const distinctRuns = new Set(studies.flatMap((s) => RUNS[s])).size;
const pinnSteps = quick ? 10 : Math.round(steps / 4);
const bar = new ProgressBar({
  total: distinctRuns * steps + (studies.includes("pinn") ? 2 * pinnSteps : 0) + (studies.includes("rfm") ? 1 : 0),
  label: "epsilon_rank",
  write: stderrWriter,
});
let done = 0;

/** Runs already trained, by model specification and optimizer: studies share identical runs. */
const cache = new Map<string, Curve>();

/** Trains (or reuses) a run; ε-ranks of every hidden layer are recorded, `which` picks what is returned. */
async function fitCurve(
  label: string,
  spec: MlpSpec,
  optimizer: "adam" | "sgd",
  which: "last" | "all",
): Promise<Curve> {
  const key = `${JSON.stringify(spec)}|${optimizer}`;
  let full = cache.get(key);
  if (!full) {
    const opt = optimizer === "adam" ? new Adam({ lr: 1e-3 }) : new Sgd({ lr: 0.05, momentum: 0.9 });
    full = await trainCurve(label, mlp(spec, seed), opt);
    cache.set(key, full);
  }
  summary.push([label, full.loss.at(-1)!, full.rank.at(-1)!.at(-1)!, steps]);
  return { ...full, label, rank: which === "all" ? full.rank : [full.rank.at(-1)!] };
}

async function trainCurve(label: string, model: Sequential, optimizer: Optimizer): Promise<Curve> {
  const curve: Curve = { label, step: [], loss: [], rank: [] };
  const record = async (step: number, loss: number) => {
    const ranks = await ranksOf(model, grid, weights1d, "all");
    curve.step.push(step);
    curve.loss.push(loss);
    ranks.forEach((r, l) => (curve.rank[l] ??= []).push(r));
  };
  const initial = tidy(() => mseLoss(model.forward(grid, "eval"), Tensor.fromArray(target, [POINTS, 1])));
  await record(0, await initial.item());
  initial.dispose();
  await fit(model, data, {
    loss: mseLoss,
    optimizer,
    epochs: steps,
    lossEvery: every,
    callbackEvery: every,
    onStep: async ({ step, loss }) => {
      await record(step, loss!);
      bar.update(done + step, `${label}: loss ${loss!.toPrecision(3)}, ε-rank ${curve.rank.at(-1)!.at(-1)}`);
    },
  });
  done += steps;
  model.parameters().forEach((p) => p.dispose());
  return curve;
}

/** Loss (log, right axis) and last-layer ε-rank (left axis) per curve. */
function stairPanel(curves: Curve[], title: string): Figure {
  return linePlot({
    title,
    series: curves.flatMap((c, i) => [
      { x: c.step, y: c.rank.at(-1)!, label: `${c.label} ε-rank`, markers: true, color: COLORS[i % COLORS.length] },
      {
        x: c.step,
        y: c.loss,
        label: `${c.label} loss`,
        axis: "right" as const,
        dashed: true,
        color: COLORS[i % COLORS.length],
      },
    ]),
    xLabel: "step",
    yLabel: `ε-rank (ε = ${epsilon})`,
    y2Label: "MSE",
    y2Scale: "log",
    width: 760,
    height: 440,
  });
}
const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"];
const figures: Record<string, { svg: Figure; data: unknown }> = {};
const emit = async (name: string, data: unknown, svg: Figure) => {
  figures[name] = { svg, data };
  results.studies[name] = data;
  await writeAtomic(`${outDir}/${name}.svg`, svg.toSvg());
  await save();
};

for (const study of studies) {
  if (study === "staircase") {
    const curves: Curve[] = [];
    for (const depth of [2, 4]) {
      for (const width of quick ? [10] : [25, 50]) {
        curves.push(await fitCurve(`depth ${depth}, width ${width}`, { depth, width }, "adam", "last"));
      }
    }
    await emit("staircase", curves, stairPanel(curves, "Staircase: loss and last-layer ε-rank (Adam, tanh)"));
  } else if (study === "layers") {
    const curves = [
      await fitCurve("SGD", { depth: 4, width: 25 }, "sgd", "all"),
      await fitCurve("Adam", { depth: 4, width: 25 }, "adam", "all"),
    ];
    await emit(
      "layers",
      curves,
      subplots({
        panels: curves.map((c) =>
          linePlot({
            series: c.rank.map((r, l) => ({ x: c.step, y: r, label: `hidden layer ${l + 1}`, markers: true })),
            xLabel: "step",
            yLabel: "ε-rank",
            width: 460,
            height: 340,
          })
        ),
        titles: curves.map((c) => `${c.label}: final loss ${c.loss.at(-1)!.toExponential(2)}`),
        title: "ε-rank of every hidden layer (depth 4, width 25, tanh)",
      }),
    );
  } else if (study === "activations") {
    const curves: Curve[] = [];
    for (const activation of ["relu", "elu", "cos", "tanh"] as const) {
      // tanh is the default activation: that run is shared with the staircase study.
      const spec: MlpSpec = activation === "tanh" ? { depth: 2, width: 25 } : { depth: 2, width: 25, activation };
      curves.push(await fitCurve(activation, spec, "adam", "last"));
    }
    await emit("activations", curves, stairPanel(curves, "Activations (depth 2, width 25, Adam)"));
  } else if (study === "init") {
    const curves = [
      await fitCurve("Glorot", { depth: 2, width: 25 }, "adam", "last"),
      await fitCurve("UDI", { depth: 2, width: 25, init: "udi" }, "adam", "last"),
    ];
    await emit(
      "init",
      curves,
      stairPanel(curves, "Random (Glorot) vs uniformly distributed deterministic (UDI) initialization"),
    );
  } else if (study === "resnet") {
    const curves = [
      await fitCurve("plain MLP", { depth: 4, width: 25 }, "adam", "last"),
      await fitCurve("ResNet", { depth: 4, width: 25, residual: true }, "adam", "last"),
    ];
    await emit("resnet", curves, stairPanel(curves, "ResNet vs plain MLP (depth 4, width 25, tanh)"));
  } else if (study === "pinn") {
    await emit("pinn", ...(await pinnStudy()));
  } else if (study === "rfm") {
    await emit("rfm", ...(await rfmStudy()));
  }
}
bar.finish(`${((performance.now() - started) / 1000).toFixed(0)} s`);

// ---- PINN: −Δu = f on [0,1]², u = 0 on the boundary -------------------------------------------------
async function pinnStudy(): Promise<[unknown, Figure]> {
  const problem = poissonProblem({ interior: quick ? 6 : 12, boundary: quick ? 6 : 12 });
  const nIn = problem.source.length, nB = problem.boundaryValues.length;
  // Evaluation grid with tensor-product trapezoid weights for the 2-D ε-rank.
  const g = quick ? 11 : 31;
  const axis = Float32Array.from({ length: g }, (_, i) => i / (g - 1));
  const w1 = trapezoidWeights(axis);
  const evalPoints = new Float32Array(g * g * 2), w2 = new Float64Array(g * g), exact = new Float32Array(g * g);
  for (let j = 0; j < g; j++) {
    for (let i = 0; i < g; i++) {
      evalPoints.set([axis[i], axis[j]], 2 * (j * g + i));
      w2[j * g + i] = w1[i] * w1[j];
      exact[j * g + i] = problem.exact(axis[i], axis[j]);
    }
  }
  const evalGrid = Tensor.fromArray(evalPoints, [g * g, 2]);
  const interior = Tensor.fromArray(problem.interior, [nIn, 2]);
  const boundary = Tensor.fromArray(problem.boundary, [nB, 2]);
  const source = Tensor.fromArray(problem.source, [nIn, 1]);
  const curves: (Curve & { error: number[] })[] = [];
  for (const init of ["glorot", "udi"] as const) {
    const model = mlp({ depth: 2, width: 25, init }, seed, 2, [0, 1]);
    const params = model.parameters();
    const optimizer = new Adam({ lr: 1e-3 });
    const label = init === "glorot" ? "Xavier" : "UDI";
    const curve: Curve & { error: number[] } = { label, step: [], loss: [], rank: [[]], error: [] };
    const record = async (step: number, loss: number) => {
      const u = tidy(() => model.forward(evalGrid, "eval"));
      const values = await u.toArray();
      u.dispose();
      let err = 0, norm = 0;
      for (let k = 0; k < values.length; k++) {
        err += w2[k] * (values[k] - exact[k]) ** 2;
        norm += w2[k] * exact[k] ** 2;
      }
      curve.step.push(step);
      curve.loss.push(loss);
      curve.error.push(Math.sqrt(err / norm));
      curve.rank[0].push((await ranksOf(model, evalGrid, w2, "last"))[0]);
    };
    for (let step = 0; step <= pinnSteps; step++) {
      const read = step % Math.max(1, Math.round(every / 4)) === 0 || step === pinnSteps;
      const loss = tidy(() => {
        // −Δu via second derivatives through the graph: u_xx + u_yy from the gradient's columns.
        const x = interior.reshape([nIn, 2]);
        x.requiresGrad = true;
        const u = model.forward(x, "eval");
        const [du] = grad(sum(u), [x], { createGraph: true });
        const [dxx] = grad(sum(slice(du, [0, 0], [nIn, 1])), [x], { createGraph: true });
        const [dyy] = grad(sum(slice(du, [0, 1], [nIn, 1])), [x], { createGraph: true });
        const laplacian = add(slice(dxx, [0, 0], [nIn, 1]), slice(dyy, [0, 1], [nIn, 1]));
        const residual = mean(square(add(laplacian, source)));
        const edge = mean(square(model.forward(boundary, "eval")));
        const value = add(residual, mul(edge, 100));
        const grads = grad(value, params);
        optimizer.step(params, grads);
        return read ? value : undefined;
      });
      if (loss) {
        const v = await loss.item();
        loss.dispose();
        if (step % every === 0 || step === pinnSteps) await record(step, v);
        bar.update(done + step, `PINN ${label}: loss ${v.toPrecision(3)}`);
      }
    }
    done += pinnSteps;
    summary.push([`PINN ${label}`, curve.loss.at(-1)!, curve.rank[0].at(-1)!, pinnSteps]);
    params.forEach((p) => p.dispose());
    curves.push(curve);
  }
  const svg = subplots({
    panels: [
      stairPanel(curves, "PINN loss and ε-rank"),
      linePlot({
        series: curves.map((c) => ({ x: c.step, y: c.error, label: c.label, markers: true })),
        xLabel: "step",
        yLabel: "relative L² error",
        yScale: "log",
        width: 760,
        height: 440,
      }),
    ],
    columns: 1,
    titles: ["Loss (right) and last-layer ε-rank (left)", "Error against u = sin πx sin πy"],
    title: "PINN for −Δu = 2π² sin πx sin πy on [0,1]²: Xavier vs UDI",
  });
  return [curves, svg];
}

// ---- Random features: partition of unity (RFM) vs one global set (ELM), by least squares ----------
async function rfmStudy(): Promise<[unknown, Figure]> {
  // Fit f on [−1, 1] (the 1-D target) by least squares on random tanh features.
  const total = quick ? 90 : 900, blocks = 9, perBlock = total / blocks;
  const rows = POINTS;
  const build = (local: boolean) => {
    const d = new Float32Array(rows * total);
    // Random slopes and offsets in (−1, 1), from the one host generator.
    const u = hostRandom(2 * total, { seed: deriveSeed(seed, "random features"), distribution: "uniform" });
    for (let j = 0; j < total; j++) {
      const block = Math.floor(j / perBlock);
      const lo = -1 + (2 * block) / blocks, hi = lo + 2 / blocks, center = (lo + hi) / 2, half = (hi - lo) / 2;
      // Random slopes and offsets (deterministic from the seed); local features are scaled to their subdomain.
      const a = (u[2 * j] * 2 - 1) * (local ? 1 / half : blocks), b = u[2 * j + 1] * 2 - 1;
      for (let i = 0; i < rows; i++) {
        const x = xs[i];
        const inside = !local || (x >= lo && (x < hi || (block === blocks - 1 && x <= hi)));
        d[i * total + j] = inside ? Math.tanh(a * (local ? x - center : x) + b * (local ? 1 : blocks / 2)) : 0;
      }
    }
    return d;
  };
  const out: { method: string; error: number; rank: number }[] = [];
  for (const [method, local] of [["RFM (9 subdomains x 100)", true], ["ELM (900 global)", false]] as const) {
    const d = build(local);
    const dt = Tensor.fromArray(d, [rows, total]);
    const coef = await lstsq(dt, Tensor.fromArray(target, [rows, 1]), { ridge: 1e-10 });
    // The residual in float64 on the host: the ELM's coefficients are large and cancel, so a float32
    // product would add its own rounding error to the fit's.
    const c = await coef.toArray();
    let err = 0, norm = 0;
    for (let i = 0; i < rows; i++) {
      let p = 0;
      for (let j = 0; j < total; j++) p += d[i * total + j] * c[j];
      err += weights1d[i] * (p - target[i]) ** 2;
      norm += weights1d[i] * target[i] ** 2;
    }
    const rank = (await epsilonRank(dt, { weights: weights1d, epsilon })).rank;
    out.push({ method, error: Math.sqrt(err / norm), rank });
    summary.push([`${method} (relative L² error)`, Math.sqrt(err / norm), rank, "least squares"]);
    [dt, coef].forEach((t) => t.dispose());
  }
  bar.update(done += 1, "random features");
  const svg = subplots({
    panels: [
      linePlot({
        series: [{ x: [0, 1], y: out.map((o) => o.error), markers: true, label: "relative L² error" }],
        yScale: "log",
        xLabel: "0 = RFM, 1 = ELM",
        width: 420,
        height: 320,
      }),
      linePlot({
        series: [{ x: [0, 1], y: out.map((o) => o.rank), markers: true, label: "ε-rank" }],
        xLabel: "0 = RFM, 1 = ELM",
        width: 420,
        height: 320,
      }),
    ],
    titles: ["Error", `ε-rank of the ${total} features`],
    title: "Random features by least squares: partition of unity vs global",
  });
  return [out, svg];
}

await writeJson(`${outDir}/figures.json`, Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.data])));
await save("complete");
console.log(`\nε-rank studies (${rt.adapterName}; ε = ${epsilon}, ${steps} steps)\n`);
console.log(table(["run", "final loss", "final ε-rank (last hidden)", "steps"], summary));
console.log(`\nwrote ${outDir}/{results,figures}.json and ${Object.keys(figures).length} SVG figures`);
