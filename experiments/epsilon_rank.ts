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
 *       [--steps 1500] [--every 100] [--epsilon 1e-3] [--seed 0] [--out out/epsilon_rank] [--quick]
 *       [--shard i/n]`, and `deno run -A experiments/epsilon_rank.ts merge SHARD_DIR... --out OUT` to join.
 *
 * Units: one per distinct training run (studies that share a run, e.g. depth 2 width 25 tanh with Adam,
 * train it once), one per PINN initialization, and the random-feature least squares.
 *
 * Outputs (in --out): results.json (rewritten after every unit), figures.json and one SVG per study
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
  type Layer,
  linePlot,
  lstsq,
  mean,
  mseLoss,
  mul,
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
import { table } from "./_common.ts";
import { type Experiment, main, type Report, type Unit, type UnitContext } from "./_program.ts";

const ALL_STUDIES = ["staircase", "layers", "activations", "init", "resnet", "pinn", "rfm"] as const;
/** The studies of the experiment. */
export type Study = (typeof ALL_STUDIES)[number];

/** The configuration of a run (flags after --quick). */
export interface EpsilonConfig {
  studies: Study[];
  /** Training steps of every 1-D network; ε-rank every `every` steps. */
  steps: number;
  every: number;
  epsilon: number;
  seed: number;
  /** Grid points of the 1-D problem on [−1, 1]. */
  points: number;
  /** Widths of the staircase study. */
  staircaseWidths: number[];
  /** PINN: collocation points per side, evaluation grid per side, training steps. */
  pinnPoints: number;
  pinnGrid: number;
  pinnSteps: number;
  /** Random features in total (9 subdomains for the RFM). */
  features: number;
}

/** The 1-D fitting problem: grid, target, trapezoid weights. */
export interface Problem1d {
  xs: Float32Array;
  target: Float32Array;
  weights: Float64Array;
  grid: Tensor;
}

/** The 1-D target f(x) = sin(πx) + sin(4πx)/2 + sin(9πx)/3 + sin(16πx)/4 on `points` points of [−1, 1]. */
export function problem1d(points: number): Problem1d {
  const xs = Float32Array.from({ length: points }, (_, i) => -1 + (2 * i) / (points - 1));
  const target = xs.map((x) =>
    Math.sin(Math.PI * x) + Math.sin(4 * Math.PI * x) / 2 + Math.sin(9 * Math.PI * x) / 3 +
    Math.sin(16 * Math.PI * x) / 4
  );
  return { xs, target, weights: trapezoidWeights(xs), grid: Tensor.fromArray(xs, [points, 1]) };
}

/** An MLP of the 1-D studies (tanh and Glorot unless given). */
export interface MlpSpec {
  depth: number;
  width: number;
  activation?: ActivationName;
  init?: "glorot" | "udi";
  residual?: boolean;
}

/** The MLP of a spec, seeded (one stream per layer); UDI replaces the first layer deterministically. */
export function mlp(spec: MlpSpec, modelSeed: number, inputs = 1, domain: [number, number] = [-1, 1]): Sequential {
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
  epsilon: number,
): Promise<number[]> {
  const acts = tidy(() => model.trace(input, "eval"));
  const idx = hiddenOutputs(model);
  const chosen = which === "last" ? [idx[idx.length - 1]] : idx;
  const out: number[] = [];
  for (const i of chosen) out.push((await epsilonRank(acts[i + 1], { weights: w, epsilon })).rank);
  acts.slice(1).forEach((a) => a !== input && a.dispose());
  return out;
}

/** A training curve: loss and ε-ranks every `every` steps. */
export interface Curve {
  label: string;
  step: number[];
  loss: number[];
  /** ε-rank per tracked hidden layer (rows: layers). */
  rank: number[][];
}

/** One training run of the 1-D studies. */
export interface RunSpec {
  spec: MlpSpec;
  optimizer: "adam" | "sgd";
}
/** A study's use of a run: its label and whether every hidden layer's ε-rank is shown. */
interface StudyRun extends RunSpec {
  label: string;
  which: "last" | "all";
}

/** The unit name of a run; studies that use the same run share its unit. */
const runId = ({ spec, optimizer }: RunSpec) =>
  `depth ${spec.depth} width ${spec.width} ${spec.activation ?? "tanh"}${spec.init === "udi" ? " udi" : ""}${
    spec.residual ? " residual" : ""
  } ${optimizer}`;

/** The runs each 1-D study shows, in order. */
function studyRuns(config: EpsilonConfig): Record<Exclude<Study, "pinn" | "rfm">, StudyRun[]> {
  const run = (label: string, spec: MlpSpec, optimizer: "adam" | "sgd" = "adam", which: "last" | "all" = "last") => ({
    label,
    spec,
    optimizer,
    which,
  });
  return {
    staircase: [2, 4].flatMap((depth) =>
      config.staircaseWidths.map((width) => run(`depth ${depth}, width ${width}`, { depth, width }))
    ),
    layers: [run("SGD", { depth: 4, width: 25 }, "sgd", "all"), run("Adam", { depth: 4, width: 25 }, "adam", "all")],
    activations: (["relu", "elu", "cos", "tanh"] as const).map((activation) =>
      run(activation, { depth: 2, width: 25, activation })
    ),
    init: [run("Glorot", { depth: 2, width: 25 }), run("UDI", { depth: 2, width: 25, init: "udi" })],
    resnet: [run("plain MLP", { depth: 4, width: 25 }), run("ResNet", { depth: 4, width: 25, residual: true })],
  };
}

/** Trains one MLP on the 1-D target (full batch, MSE); ε-ranks of every hidden layer every `every` steps. */
export async function trainingRun(
  config: EpsilonConfig,
  problem: Problem1d,
  run: RunSpec,
  context?: Pick<UnitContext<Curve>, "tick">,
): Promise<Curve> {
  const { steps, every, epsilon } = config, { grid, weights, target } = problem, n = target.length;
  const model = mlp(run.spec, config.seed);
  const optimizer = run.optimizer === "adam" ? new Adam({ lr: 1e-3 }) : new Sgd({ lr: 0.05, momentum: 0.9 });
  const curve: Curve = { label: runId(run), step: [], loss: [], rank: [] };
  const record = async (step: number, loss: number) => {
    const ranks = await ranksOf(model, grid, weights, "all", epsilon);
    curve.step.push(step);
    curve.loss.push(loss);
    ranks.forEach((r, l) => (curve.rank[l] ??= []).push(r));
  };
  const initial = tidy(() => mseLoss(model.forward(grid, "eval"), Tensor.fromArray(target, [n, 1])));
  await record(0, await initial.item());
  initial.dispose();
  await fit(model, { x: problem.xs, xShape: [n, 1], y: target, yShape: [n, 1] }, {
    loss: mseLoss,
    optimizer,
    epochs: steps,
    lossEvery: every,
    callbackEvery: every,
    onStep: async ({ step, loss }) => {
      await record(step, loss!);
      context?.tick(every, `loss ${loss!.toPrecision(3)}, ε-rank ${curve.rank.at(-1)!.at(-1)}`);
    },
  });
  model.parameters().forEach((p) => p.dispose());
  return curve;
}

const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"];

/** Loss (log, right axis) and last-layer ε-rank (left axis) per curve. */
function stairPanel(curves: Curve[], title: string, epsilon: number): Figure {
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

/** A PINN curve: a Curve plus the relative L² error against the exact solution. */
export type PinnCurve = Curve & { error: number[] };

/** The PINN's evaluation grid with tensor-product trapezoid weights and the exact solution on it. */
function pinnGrid(g: number, exactAt: (x: number, y: number) => number) {
  const axis = Float32Array.from({ length: g }, (_, i) => i / (g - 1));
  const w1 = trapezoidWeights(axis);
  const points = new Float32Array(g * g * 2), weights = new Float64Array(g * g), exact = new Float32Array(g * g);
  for (let j = 0; j < g; j++) {
    for (let i = 0; i < g; i++) {
      points.set([axis[i], axis[j]], 2 * (j * g + i));
      weights[j * g + i] = w1[i] * w1[j];
      exact[j * g + i] = exactAt(axis[i], axis[j]);
    }
  }
  return { grid: Tensor.fromArray(points, [g * g, 2]), weights, exact };
}

/** The PINN's loss: mean squared residual of −Δu = f plus 100 × the boundary's mean square. */
function pinnLoss(model: Sequential, interior: Tensor, boundary: Tensor, source: Tensor): Tensor {
  const n = interior.shape[0];
  // −Δu via second derivatives through the graph: u_xx + u_yy from the gradient's columns.
  const x = interior.reshape([n, 2]);
  x.requiresGrad = true;
  const u = model.forward(x, "eval");
  const [du] = grad(sum(u), [x], { createGraph: true });
  const [dxx] = grad(sum(slice(du, [0, 0], [n, 1])), [x], { createGraph: true });
  const [dyy] = grad(sum(slice(du, [0, 1], [n, 1])), [x], { createGraph: true });
  const laplacian = add(slice(dxx, [0, 0], [n, 1]), slice(dyy, [0, 1], [n, 1]));
  const residual = mean(square(add(laplacian, source)));
  return add(residual, mul(mean(square(model.forward(boundary, "eval"))), 100));
}

/** PINN for −Δu = 2π² sin πx sin πy on [0,1]², u = 0 on the boundary, from Xavier or UDI initialization. */
export async function pinnRun(
  config: EpsilonConfig,
  init: "glorot" | "udi",
  context?: Pick<UnitContext<PinnCurve>, "tick">,
): Promise<PinnCurve> {
  const { every, epsilon, pinnSteps } = config;
  const problem = poissonProblem({ interior: config.pinnPoints, boundary: config.pinnPoints });
  const nIn = problem.source.length, nB = problem.boundaryValues.length;
  const evaluation = pinnGrid(config.pinnGrid, problem.exact);
  const interior = Tensor.fromArray(problem.interior, [nIn, 2]);
  const boundary = Tensor.fromArray(problem.boundary, [nB, 2]);
  const source = Tensor.fromArray(problem.source, [nIn, 1]);
  const model = mlp({ depth: 2, width: 25, init }, config.seed, 2, [0, 1]);
  const params = model.parameters();
  const optimizer = new Adam({ lr: 1e-3 });
  const curve: PinnCurve = { label: init === "glorot" ? "Xavier" : "UDI", step: [], loss: [], rank: [[]], error: [] };
  const record = async (step: number, loss: number) => {
    const u = tidy(() => model.forward(evaluation.grid, "eval"));
    const values = await u.toArray();
    u.dispose();
    let err = 0, norm = 0;
    for (let k = 0; k < values.length; k++) {
      err += evaluation.weights[k] * (values[k] - evaluation.exact[k]) ** 2;
      norm += evaluation.weights[k] * evaluation.exact[k] ** 2;
    }
    curve.step.push(step);
    curve.loss.push(loss);
    curve.error.push(Math.sqrt(err / norm));
    curve.rank[0].push((await ranksOf(model, evaluation.grid, evaluation.weights, "last", epsilon))[0]);
  };
  let ticked = 0;
  for (let step = 0; step <= pinnSteps; step++) {
    const read = step % Math.max(1, Math.round(every / 4)) === 0 || step === pinnSteps;
    const loss = tidy(() => {
      const value = pinnLoss(model, interior, boundary, source);
      optimizer.step(params, grad(value, params));
      return read ? value : undefined;
    });
    if (loss) {
      const v = await loss.item();
      loss.dispose();
      if (step % every === 0 || step === pinnSteps) await record(step, v);
      context?.tick(step - ticked, `loss ${v.toPrecision(3)}`);
      ticked = step;
    }
  }
  [...params, interior, boundary, source, evaluation.grid].forEach((t) => t.dispose());
  return curve;
}

/** One random-feature fit: its relative L² error and the features' ε-rank. */
export interface FeatureFit {
  method: string;
  error: number;
  rank: number;
}

/** Random tanh features on the grid: 9 local blocks (partition of unity) or one global set. */
function randomFeatures(config: EpsilonConfig, xs: Float32Array, local: boolean): Float32Array {
  const total = config.features, blocks = 9, perBlock = total / blocks, rows = xs.length;
  const d = new Float32Array(rows * total);
  // Random slopes and offsets in (−1, 1), from the one host generator.
  const u = hostRandom(2 * total, { seed: deriveSeed(config.seed, "random features"), distribution: "uniform" });
  for (let j = 0; j < total; j++) {
    const block = Math.floor(j / perBlock);
    const lo = -1 + (2 * block) / blocks, hi = lo + 2 / blocks, center = (lo + hi) / 2, half = (hi - lo) / 2;
    // Local features are scaled to their subdomain.
    const a = (u[2 * j] * 2 - 1) * (local ? 1 / half : blocks), b = u[2 * j + 1] * 2 - 1;
    for (let i = 0; i < rows; i++) {
      const x = xs[i];
      const inside = !local || (x >= lo && (x < hi || (block === blocks - 1 && x <= hi)));
      d[i * total + j] = inside ? Math.tanh(a * (local ? x - center : x) + b * (local ? 1 : blocks / 2)) : 0;
    }
  }
  return d;
}

/** Random features by least squares (ridge 1e-10): partition of unity (RFM) vs one global set (ELM). */
export async function randomFeatureStudy(config: EpsilonConfig, problem: Problem1d): Promise<FeatureFit[]> {
  const { xs, target, weights } = problem, rows = xs.length, total = config.features;
  const out: FeatureFit[] = [];
  for (const [method, local] of [["RFM (9 subdomains x 100)", true], ["ELM (900 global)", false]] as const) {
    const d = randomFeatures(config, xs, local);
    const dt = Tensor.fromArray(d, [rows, total]);
    const coef = await lstsq(dt, Tensor.fromArray(target, [rows, 1]), { ridge: 1e-10 });
    // The residual in float64 on the host: the ELM's coefficients are large and cancel, so a float32
    // product would add its own rounding error to the fit's.
    const c = await coef.toArray();
    let err = 0, norm = 0;
    for (let i = 0; i < rows; i++) {
      let p = 0;
      for (let j = 0; j < total; j++) p += d[i * total + j] * c[j];
      err += weights[i] * (p - target[i]) ** 2;
      norm += weights[i] * target[i] ** 2;
    }
    const rank = (await epsilonRank(dt, { weights, epsilon: config.epsilon })).rank;
    out.push({ method, error: Math.sqrt(err / norm), rank });
    [dt, coef].forEach((t) => t.dispose());
  }
  return out;
}

type EpsilonRecord = Curve | PinnCurve | FeatureFit[];

function pinnFigure(curves: PinnCurve[], epsilon: number): Figure {
  return subplots({
    panels: [
      stairPanel(curves, "PINN loss and ε-rank", epsilon),
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
}

function rfmFigure(out: FeatureFit[], total: number): Figure {
  const panel = (y: number[], label: string, log: boolean) =>
    linePlot({
      series: [{ x: [0, 1], y, markers: true, label }],
      yScale: log ? "log" : "linear",
      xLabel: "0 = RFM, 1 = ELM",
      width: 420,
      height: 320,
    });
  return subplots({
    panels: [panel(out.map((o) => o.error), "relative L² error", true), panel(out.map((o) => o.rank), "ε-rank", false)],
    titles: ["Error", `ε-rank of the ${total} features`],
    title: "Random features by least squares: partition of unity vs global",
  });
}

const TITLES: Record<Exclude<Study, "pinn" | "rfm" | "layers">, string> = {
  staircase: "Staircase: loss and last-layer ε-rank (Adam, tanh)",
  activations: "Activations (depth 2, width 25, Adam)",
  init: "Random (Glorot) vs uniformly distributed deterministic (UDI) initialization",
  resnet: "ResNet vs plain MLP (depth 4, width 25, tanh)",
};

function layersFigure(curves: Curve[]): Figure {
  return subplots({
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
  });
}

function report(config: EpsilonConfig, records: Record<string, EpsilonRecord>): Report {
  const figures: Report["figures"] = {}, studies: Record<string, unknown> = {};
  const summary: (string | number)[][] = [];
  const runs = studyRuns(config);
  for (const study of config.studies) {
    let data: unknown, svg: Figure;
    if (study === "pinn") {
      const curves = (["glorot", "udi"] as const).map((init) => records[`pinn ${init}`] as PinnCurve);
      curves.forEach((c) => summary.push([`PINN ${c.label}`, c.loss.at(-1)!, c.rank[0].at(-1)!, config.pinnSteps]));
      [data, svg] = [curves, pinnFigure(curves, config.epsilon)];
    } else if (study === "rfm") {
      const out = records.rfm as FeatureFit[];
      out.forEach((o) => summary.push([`${o.method} (relative L² error)`, o.error, o.rank, "least squares"]));
      [data, svg] = [out, rfmFigure(out, config.features)];
    } else {
      const curves = runs[study].map((r): Curve => {
        const full = records[runId(r)] as Curve;
        summary.push([r.label, full.loss.at(-1)!, full.rank.at(-1)!.at(-1)!, config.steps]);
        return { ...full, label: r.label, rank: r.which === "all" ? full.rank : [full.rank.at(-1)!] };
      });
      data = curves;
      svg = study === "layers" ? layersFigure(curves) : stairPanel(curves, TITLES[study], config.epsilon);
    }
    figures[study] = { data, svg };
    studies[study] = data;
  }
  const text = [
    `\nε-rank studies (ε = ${config.epsilon}, ${config.steps} steps)\n`,
    table(["run", "final loss", "final ε-rank (last hidden)", "steps"], summary),
  ].join("\n");
  return { results: { studies }, figures, text };
}

function units(config: EpsilonConfig): Unit[] {
  const runs = studyRuns(config), ids = new Set<string>(), out: Unit[] = [];
  for (const study of config.studies) {
    if (study === "pinn") out.push(...["glorot", "udi"].map((i) => ({ id: `pinn ${i}`, weight: config.pinnSteps })));
    else if (study === "rfm") out.push({ id: "rfm", weight: 1 });
    else {
      for (const r of runs[study]) {
        if (!ids.has(runId(r))) out.push({ id: runId(r), weight: config.steps });
        ids.add(runId(r));
      }
    }
  }
  return out;
}

const FLAGS = {
  studies: { default: ALL_STUDIES.join(","), kind: "choices", choices: ALL_STUDIES, help: "Studies to run" },
  steps: { default: "1500", kind: "count", min: 1, help: "Training steps of every network" },
  every: { default: "100", kind: "count", min: 1, help: "Steps between ε-rank measurements" },
  epsilon: { default: "1e-3", kind: "number", min: 0, max: 1, help: "ε of the ε-rank" },
  seed: { default: "0", kind: "count", help: "Seed of every initialisation" },
} as const;

/** The ε-rank experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, EpsilonConfig, EpsilonRecord> = {
  name: "epsilon_rank",
  flags: FLAGS,
  configure(flags, quick) {
    const steps = quick ? 40 : flags.steps;
    return {
      studies: [...new Set(flags.studies as Study[])],
      steps,
      every: quick ? 20 : flags.every,
      epsilon: flags.epsilon,
      seed: flags.seed,
      points: quick ? 101 : 501,
      staircaseWidths: quick ? [10] : [25, 50],
      pinnPoints: quick ? 6 : 12,
      pinnGrid: quick ? 11 : 31,
      pinnSteps: quick ? 10 : Math.round(steps / 4),
      features: quick ? 90 : 900,
    };
  },
  units,
  start(config) {
    const problem = problem1d(config.points);
    const runs = new Map(Object.values(studyRuns(config)).flat().map((r) => [runId(r), r]));
    return Promise.resolve((unit: Unit, context: UnitContext<EpsilonRecord>) => {
      if (unit.id === "rfm") return randomFeatureStudy(config, problem);
      if (unit.id.startsWith("pinn ")) return pinnRun(config, unit.id.slice(5) as "glorot" | "udi", context);
      return trainingRun(config, problem, runs.get(unit.id)!, context);
    });
  },
  report,
};

if (import.meta.main) await main(experiment);
