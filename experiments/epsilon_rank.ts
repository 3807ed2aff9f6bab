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
import { Adam, type Figure, fit, mseLoss, Sgd, Tensor, tidy } from "../mod.ts";
import { table } from "./_common.ts";
import { type Experiment, main, type Report, studyRunner, type Unit, type UnitContext } from "./_program.ts";
import {
  ALL_STUDIES,
  type Curve,
  type EpsilonConfig,
  mlp,
  type MlpSpec,
  type Problem1d,
  problem1d,
  problem1dHost,
  ranksOf,
  type Study,
} from "./_epsilon_models.ts";
import {
  type EpsilonRecord,
  type FeatureFit,
  type PinnCurve,
  pinnRun,
  randomFeatureStudy,
} from "./_epsilon_studies.ts";
import { layersFigure, pinnFigure, rfmFigure, rfmFitFigure, stairPanel, TITLES } from "./_epsilon_figures.ts";

export {
  type Curve,
  type EpsilonConfig,
  mlp,
  type MlpSpec,
  type Problem1d,
  problem1d,
  type Study,
} from "./_epsilon_models.ts";
export { type FeatureFit, type PinnCurve, pinnRun, randomFeatureStudy } from "./_epsilon_studies.ts";

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

const CHAPTER2: Study[] = ["staircase", "layers", "activations"];

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
