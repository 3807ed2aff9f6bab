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
import { meanKeyedWeights, trapezoidWeights } from "../analysis/mod.ts";
import { hostRandom } from "../kernels/mod.ts";
import { table } from "./_common.ts";
import { type Experiment, main, type Report, studyRunner, type Unit, type UnitContext } from "./_program.ts";

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
  /** Width of the layers study's depth-4 networks. */
  layersWidth: number;
  /** The networks (depth, width) of the initialisation study. */
  initNets: { depth: number; width: number }[];
  /** UDI: the deterministic grid of hyperplanes, or the paper's random one (a uniform on the sphere, r ~ U(0, R)). */
  udi: "deterministic" | "random";
  /** Width of the PINN's two hidden layers. */
  pinnWidth: number;
  /** Activations of the random features. */
  featureActivations: ("tanh" | "cos")[];
  /** Quadrature of the chapter-2 studies' ε-rank (staircase, layers, activations): the grid x, or the original's rows keyed by the mean of the previous representation g. */
  keying: "x" | "g";
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

const targetAt = (x: number) =>
  Math.sin(Math.PI * x) + Math.sin(4 * Math.PI * x) / 2 + Math.sin(9 * Math.PI * x) / 3 +
  Math.sin(16 * Math.PI * x) / 4;

/** The 1-D target f(x) = sin(πx) + sin(4πx)/2 + sin(9πx)/3 + sin(16πx)/4 on `points` points of [−1, 1]. */
export function problem1d(points: number): Problem1d {
  const { xs, target } = problem1dHost(points);
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

/** The MLP of a spec, seeded (one stream per layer, zero biases); UDI replaces the first layer. */
export function mlp(
  spec: MlpSpec,
  modelSeed: number,
  inputs = 1,
  domain: [number, number] = [-1, 1],
  udi: "deterministic" | "random" = "deterministic",
): Sequential {
  const act = spec.activation ?? "tanh";
  const layers: Layer[] = [];
  const first = new Dense(inputs, spec.width, { seed: modelSeed, stream: 0, init: "glorot" });
  if (spec.init === "udi") {
    const { weights, bias } = udiInit(inputs, spec.width, domain, { variant: udi, seed: modelSeed });
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

/**
 * ε-ranks of the chosen hidden outputs on the grid with weights `w`, and (when `byG`) with the original
 * chapter-2 weights keyed by the previous representation (the input for the first hidden layer).
 */
async function ranksOf(
  model: Sequential,
  input: Tensor,
  w: ArrayLike<number>,
  which: "last" | "all",
  epsilon: number,
  byG = false,
): Promise<{ rank: number[]; rankByG: number[] }> {
  const acts = tidy(() => model.trace(input, "eval"));
  const idx = hiddenOutputs(model);
  const chosen = which === "last" ? [idx[idx.length - 1]] : idx;
  const rank: number[] = [], rankByG: number[] = [];
  for (const i of chosen) {
    rank.push((await epsilonRank(acts[i + 1], { weights: w, epsilon })).rank);
    if (!byG) continue;
    const pos = idx.indexOf(i), g = pos > 0 ? acts[idx[pos - 1] + 1] : input;
    const keyed = meanKeyedWeights(await g.toArray(), g.shape[1]);
    rankByG.push((await epsilonRank(acts[i + 1], { weights: keyed, epsilon })).rank);
  }
  acts.slice(1).forEach((a) => a !== input && a.dispose());
  return { rank, rankByG };
}

/** A training curve: loss and ε-ranks every `every` steps. */
export interface Curve {
  label: string;
  step: number[];
  loss: number[];
  /** ε-rank per tracked hidden layer (rows: layers). */
  rank: number[][];
  /** The same keyed by the previous representation g (recorded when the run's keying is "g"). */
  rankByG?: number[][];
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
    layers: [
      run("SGD", { depth: 4, width: config.layersWidth }, "sgd", "all"),
      run("Adam", { depth: 4, width: config.layersWidth }, "adam", "all"),
    ],
    activations: (["relu", "elu", "cos", "tanh"] as const).map((activation) =>
      run(activation, { depth: 2, width: 25, activation })
    ),
    init: config.initNets.flatMap(({ depth, width }) => {
      const suffix = config.initNets.length > 1 ? ` (L = ${depth}, n = ${width})` : "";
      return [run(`Glorot${suffix}`, { depth, width }), run(`UDI${suffix}`, { depth, width, init: "udi" })];
    }),
    resnet: [
      run("plain MLP", { depth: 4, width: 25 }, "adam", "all"),
      run("ResNet", { depth: 4, width: 25, residual: true }, "adam", "all"),
    ],
  };
}

/** SGD's learning rate (0.05 diverges at depth 4, width 50). */
const SGD_LR = 0.01;

/** Trains one MLP on the 1-D target (full batch, MSE); ε-ranks of every hidden layer every `every` steps. */
export async function trainingRun(
  config: EpsilonConfig,
  problem: Problem1d,
  run: RunSpec,
  context?: Pick<UnitContext<Curve>, "tick">,
): Promise<Curve> {
  const { steps, every, epsilon } = config, { grid, weights, target } = problem, n = target.length;
  const model = mlp(run.spec, config.seed, 1, [-1, 1], config.udi);
  const optimizer = run.optimizer === "adam" ? new Adam({ lr: 1e-3 }) : new Sgd({ lr: SGD_LR, momentum: 0.9 });
  const byG = config.keying === "g";
  const curve: Curve = { label: runId(run), step: [], loss: [], rank: [], ...(byG ? { rankByG: [] } : {}) };
  const record = async (step: number, loss: number) => {
    if (!Number.isFinite(loss)) {
      throw new RangeError(
        `Training ${
          runId(run)
        } diverged at step ${step} (loss ${loss}); its learning rate is too large for this network`,
      );
    }
    const ranks = await ranksOf(model, grid, weights, "all", epsilon, byG);
    curve.step.push(step);
    curve.loss.push(loss);
    ranks.rank.forEach((r, l) => (curve.rank[l] ??= []).push(r));
    ranks.rankByG.forEach((r, l) => (curve.rankByG![l] ??= []).push(r));
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
  const model = mlp({ depth: 2, width: config.pinnWidth, init }, config.seed, 2, [0, 1], config.udi);
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
    curve.rank[0].push((await ranksOf(model, evaluation.grid, evaluation.weights, "last", epsilon)).rank[0]);
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

/** One random-feature fit: its relative L² error, the features' ε-rank and the fit on the grid. */
export interface FeatureFit {
  method: string;
  activation: "tanh" | "cos";
  error: number;
  rank: number;
  prediction: number[];
}

/** Random features on the grid: 9 local blocks (partition of unity) or one global set. */
function randomFeatures(
  config: EpsilonConfig,
  xs: Float32Array,
  local: boolean,
  activation: "tanh" | "cos",
): Float32Array {
  const act = activation === "tanh" ? Math.tanh : Math.cos;
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
      d[i * total + j] = inside ? act(a * (local ? x - center : x) + b * (local ? 1 : blocks / 2)) : 0;
    }
  }
  return d;
}

/** Random features by least squares (ridge 1e-10): partition of unity (RFM) vs one global set (ELM). */
export async function randomFeatureStudy(
  config: EpsilonConfig,
  problem: Problem1d,
  context?: Pick<UnitContext<EpsilonRecord>, "tick">,
): Promise<FeatureFit[]> {
  const { xs, target, weights } = problem, rows = xs.length, total = config.features;
  const out: FeatureFit[] = [];
  const methods = config.featureActivations.flatMap((activation) =>
    [["RFM", true], ["ELM", false]].map(([name, local]) => ({
      name: name as string,
      local: local as boolean,
      activation,
    }))
  );
  for (const { name, local, activation } of methods) {
    const method = `${name} ${activation} (${local ? `9 subdomains x ${total / 9}` : `${total} global`})`;
    const d = randomFeatures(config, xs, local, activation);
    const dt = Tensor.fromArray(d, [rows, total]);
    const coef = await lstsq(dt, Tensor.fromArray(target, [rows, 1]), { ridge: 1e-10 });
    // The residual in float64 on the host: the ELM's coefficients are large and cancel, so a float32
    // product would add its own rounding error to the fit's.
    const c = await coef.toArray();
    let err = 0, norm = 0;
    const prediction: number[] = [];
    for (let i = 0; i < rows; i++) {
      let p = 0;
      for (let j = 0; j < total; j++) p += d[i * total + j] * c[j];
      prediction.push(p);
      err += weights[i] * (p - target[i]) ** 2;
      norm += weights[i] * target[i] ** 2;
    }
    const rank = (await epsilonRank(dt, { weights, epsilon: config.epsilon })).rank;
    out.push({ method, activation, error: Math.sqrt(err / norm), rank, prediction });
    [dt, coef].forEach((t) => t.dispose());
    context?.tick(config.steps, `${method}: ${out.length}/${methods.length} fits`);
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
  const categories = out.map((o) => o.method.split(" (")[0]);
  const panel = (y: number[], yLabel: string, log: boolean) =>
    linePlot({
      series: [{ x: out.map((_, i) => i), y, line: false }],
      xCategories: categories,
      yScale: log ? "log" : "linear",
      yLabel,
      width: 460,
      height: 320,
    });
  return subplots({
    panels: [panel(out.map((o) => o.error), "relative L² error", true), panel(out.map((o) => o.rank), "ε-rank", false)],
    titles: ["Error", `ε-rank of the ${total} features`],
    title: "Random features by least squares: partition of unity (RFM, 9 subdomains) vs global (ELM)",
  });
}

/** The fits and their pointwise errors |u − f| on the grid. */
function rfmFitFigure(out: FeatureFit[], problem: { xs: Float32Array; target: Float32Array }): Figure {
  const xs = Array.from(problem.xs);
  return subplots({
    panels: [
      linePlot({
        series: [
          { x: xs, y: Array.from(problem.target), label: "target", color: "#999" },
          ...out.map((o) => ({
            x: xs,
            y: o.prediction,
            label: o.method.split(" (")[0],
            dashed: o.method.startsWith("ELM"),
          })),
        ],
        xLabel: "x",
        yLabel: "u(x)",
        width: 520,
        height: 360,
      }),
      linePlot({
        series: out.map((o) => ({
          x: xs,
          y: o.prediction.map((p, i) => Math.max(Math.abs(p - problem.target[i]), 1e-12)),
          label: o.method.split(" (")[0],
        })),
        xLabel: "x",
        yLabel: "pointwise error |u − f| (floor 1e-12)",
        yScale: "log",
        width: 520,
        height: 360,
      }),
    ],
    titles: ["Fits", "Pointwise error"],
    title: "Random-feature least squares on the 1-D target",
  });
}

const CHAPTER2: Study[] = ["staircase", "layers", "activations"];

/** The grid and target on the host (the report needs no GPU). */
function problem1dHost(points: number): { xs: Float32Array; target: Float32Array } {
  const xs = Float32Array.from({ length: points }, (_, i) => -1 + (2 * i) / (points - 1));
  return { xs, target: xs.map(targetAt) };
}

const TITLES: Record<Exclude<Study, "pinn" | "rfm" | "layers">, string> = {
  staircase: "Staircase: loss and last-layer ε-rank (Adam, tanh)",
  activations: "Activations (depth 2, width 25, Adam)",
  init: "Random (Glorot) vs uniformly distributed deterministic (UDI) initialization",
  resnet: "ResNet vs plain MLP (depth 4, width 25, tanh)",
};

function layersFigure(curves: Curve[], title = "ε-rank of every hidden layer (depth 4, width 25, tanh)"): Figure {
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
    title,
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
      figures.rfm_fit = {
        data: out.map((o) => ({ method: o.method, prediction: o.prediction })),
        svg: rfmFitFigure(out, problem1dHost(config.points)),
      };
    } else {
      // The chapter-2 studies use the run's keying; chapter 4 (init, resnet) always the grid x.
      const byG = config.keying === "g" && CHAPTER2.includes(study);
      const curves = runs[study].map((r): Curve => {
        const { rankByG, ...full } = records[runId(r)] as Curve;
        const rank = byG ? rankByG! : full.rank;
        summary.push([r.label, full.loss.at(-1)!, rank.at(-1)!.at(-1)!, config.steps]);
        return { ...full, label: r.label, rank: r.which === "all" ? rank : [rank.at(-1)!] };
      });
      data = curves;
      svg = study === "layers"
        ? layersFigure(curves, `ε-rank of every hidden layer (depth 4, width ${config.layersWidth}, tanh)`)
        : stairPanel(curves, TITLES[study], config.epsilon);
      if (study === "resnet") {
        figures.resnet_layers = {
          data: curves,
          svg: layersFigure(curves, "ε-rank of every hidden layer: plain MLP vs ResNet"),
        };
      }
    }
    figures[study] = { data, svg };
    studies[study] = data;
  }
  const layers = studies.layers as Curve[] | undefined;
  const text = [
    `\nε-rank studies (ε = ${config.epsilon}, ${config.steps} steps)\n`,
    table(["run", "final loss", "final ε-rank (last hidden)", "steps"], summary),
    ...(layers
      ? [
        "\nFinal ε-rank of every hidden layer (layers study)\n",
        table(
          ["optimizer", ...layers[0].rank.map((_, l) => `layer ${l + 1}`)],
          layers.map((c) => [c.label, ...c.rank.map((r) => r.at(-1)!)]),
        ),
      ]
      : []),
  ].join("\n");
  return { results: { studies }, figures, text };
}

function units(config: EpsilonConfig): Unit[] {
  const runs = studyRuns(config), ids = new Set<string>(), out: Unit[] = [];
  for (const study of config.studies) {
    if (study === "pinn") out.push(...["glorot", "udi"].map((i) => ({ id: `pinn ${i}`, weight: config.pinnSteps })));
    // Each least-squares fit and its ε-rank weighs as much as one training run (15–20 s each on the
    // software adapter), so the ETA stays honest through this study.
    else if (study === "rfm") out.push({ id: "rfm", weight: 2 * config.featureActivations.length * config.steps });
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
  udi: {
    default: "deterministic",
    kind: "choice",
    choices: ["deterministic", "random"],
    help: "UDI: an even deterministic grid of hyperplanes, or the paper's random draw (a on the sphere, r ~ U(0, R))",
  },
  keying: {
    default: "x",
    kind: "choice",
    choices: ["x", "g"],
    help: "Chapter-2 ε-rank quadrature: trapezoid on the grid x, or the original's rows keyed by the mean of g",
  },
} as const;

const nets = (c: EpsilonConfig) => c.initNets.map((n) => `L = ${n.depth}, n = ${n.width}`).join("; ");

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
      layersWidth: quick ? 10 : 50,
      initNets: quick ? [{ depth: 2, width: 10 }] : [{ depth: 2, width: 30 }, { depth: 4, width: 50 }],
      udi: flags.udi,
      pinnWidth: quick ? 10 : 50,
      featureActivations: ["tanh", "cos"],
      keying: flags.keying,
      pinnPoints: quick ? 6 : 12,
      pinnGrid: quick ? 11 : 31,
      pinnSteps: quick ? 10 : Math.round(steps / 4),
      features: quick ? 90 : 900,
    };
  },
  original: (flags) => ({
    studies: [...ALL_STUDIES],
    steps: 1500,
    every: 100,
    epsilon: 1e-3,
    seed: flags.seed,
    points: 501,
    staircaseWidths: [25, 50],
    layersWidth: 50,
    initNets: [{ depth: 2, width: 30 }, { depth: 4, width: 50 }],
    udi: "random",
    pinnWidth: 50,
    featureActivations: ["tanh", "cos"],
    keying: "g",
    pinnPoints: 12,
    pinnGrid: 31,
    pinnSteps: 375,
    features: 900,
  }),
  aspects: [
    { aspect: "studies", show: (c) => c.studies.join(", ") },
    { aspect: "training steps (ε-rank every)", show: (c) => `${c.steps} (${c.every})` },
    { aspect: "ε", show: (c) => String(c.epsilon) },
    { aspect: "grid points on [−1, 1]", show: (c) => String(c.points) },
    { aspect: "staircase widths (depths 2 and 4)", show: (c) => c.staircaseWidths.join(", ") },
    { aspect: "layers study (depth 4) width", show: (c) => String(c.layersWidth) },
    { aspect: "initialisation study networks", show: nets },
    {
      aspect: "UDI",
      show: (c) =>
        c.udi === "random"
          ? "random: a_j uniform on the sphere, r_j ~ U(0, R), γ = 1"
          : "deterministic: evenly spaced hyperplanes, ±1 normals in 1-D",
    },
    { aspect: "PINN hidden layers", show: (c) => `2 × ${c.pinnWidth}` },
    {
      aspect: "PINN collocation / evaluation grid / steps",
      show: (c) => `${c.pinnPoints}² / ${c.pinnGrid}² / ${c.pinnSteps}`,
    },
    { aspect: "random-feature activations", show: (c) => c.featureActivations.join(", ") },
    { aspect: "random features (RFM: 9 subdomains)", show: (c) => String(c.features) },
    {
      aspect: "ε-rank quadrature, staircase/layers/activations",
      show: (c) =>
        c.keying === "g"
          ? "rows keyed by the mean of the previous representation g, uniform dx from its range"
          : "trapezoid weights of the grid x",
    },
  ],
  notes: [
    "The study is a set of notes with figures, not runnable code: it does not give training steps, learning rates " +
    "(rankscope: Adam 1e-3; SGD 0.01 with momentum 0.9 where the notes say they switched to SGD), the activation " +
    "study's width (25 here), the PINN's collocation points and loss weights (12² interior and 12 per edge, boundary " +
    "× 100), nor the bias initialisation. rankscope uses Glorot weights with zero biases, so every tanh neuron of " +
    "the first layer is odd and the initial ε-rank is about 1.",
    "The notes' ε-rank code keys the rows by the mean of an intermediate representation g without naming the layer; " +
    "--keying g takes the previous hidden layer's output (the input x for the first hidden layer). M = Dᵀ W D does " +
    "not depend on the row order, so the keying changes the ε-rank only through its spacing dx.",
    "Weights come from rankscope's seeded Philox streams, not PyTorch's generator.",
  ],
  units,
  start(config) {
    const problem = problem1d(config.points);
    const runs = new Map(Object.values(studyRuns(config)).flat().map((r) => [runId(r), r]));
    return Promise.resolve((unit: Unit, context: UnitContext<EpsilonRecord>) => {
      if (unit.id === "rfm") return randomFeatureStudy(config, problem, context);
      if (unit.id.startsWith("pinn ")) return pinnRun(config, unit.id.slice(5) as "glorot" | "udi", context);
      return trainingRun(config, problem, runs.get(unit.id)!, context);
    });
  },
  report,
};

/**
 * Runs the ε-rank studies in memory (for a notebook): the default configuration, or the quick or original one,
 * with `overrides`; returns the results, the figures and the tables. See {@linkcode runStudy}.
 */
export const epsilonRankStudies = studyRunner(experiment);

if (import.meta.main) await main(experiment);
