/**
 * s-rank of a network during training.
 *
 * Question: does a random-Fourier-feature network fit a high-frequency target better than a plain MLP,
 * and how does the s-rank of its penultimate features (the entropy of the normalised singular values of
 * the feature Gram matrix Z Zᵀ) evolve while it learns, as a function of the RFF frequency scale?
 *
 * Run: `deno run -A experiments/srank_evolution.ts [--steps 1200] [--every 100] [--scales 2,5,10,20,30]
 *       [--seeds 0,1,2] [--lr 0.001] [--out out/srank_evolution] [--quick] [--shard i/n]`, and
 *       `deno run -A experiments/srank_evolution.ts merge SHARD_DIR... --out OUT` to join shards.
 *
 * Units: one training run each (the MLP, then RFF per scale and seed).
 *
 * Outputs (in --out): results.json (rewritten after every run), figures.json, target.svg, fits.svg,
 * srank_curves.svg, scale_sweep.svg; tables on stdout, progress on stderr.
 *
 * Target: f(x) = Σ_{k ∈ 2π·{0..19}} sin(k x + π b_k) on 1001 points of [0, 5] with b_k ~ U(−1, 1) (seeded).
 * RFF net: RFF 1→40 (20 frequencies, B ~ N(0, scale²), frozen), Dense 40→20, ReLU, Dense 20→20, ReLU,
 * Dense 20→1. MLP: Dense 1→40, ReLU, Dense 40→20, ReLU, Dense 20→20, ReLU, Dense 20→1. Full-batch Adam on
 * MSE. s-rank (nats) of the last hidden layer's outputs Z (1001 x 20), exp(s-rank) is its effective rank.
 */
import {
  Activation,
  Adam,
  Dense,
  type Figure,
  fit,
  linePlot,
  mseLoss,
  RFF,
  Sequential,
  sineSumTarget,
  sRank,
  subplots,
  Tensor,
  tidy,
} from "../mod.ts";
import { table } from "./_common.ts";
import { type Experiment, main, type Report, type Unit, type UnitContext } from "./_program.ts";

/** The configuration of a run (flags after --quick). */
export interface SrankConfig {
  /** Full-batch Adam steps of every run. */
  steps: number;
  /** Steps between s-rank measurements. */
  every: number;
  /** RFF frequency scales and seeds of the sweep. */
  scales: number[];
  seeds: number[];
  lr: number;
}

/** Which network a run trains. */
export type Kind = "rff" | "mlp";

/** The RFF network or the MLP of the study, seeded. */
export function build(kind: Kind, scale: number, seed: number): Sequential {
  const hidden = (stream: number, inputs: number) => new Dense(inputs, 20, { seed, stream });
  return kind === "rff"
    ? new Sequential([
      new RFF(1, 20, { scale, seed, stream: 0 }),
      hidden(1, 40),
      new Activation("relu"),
      hidden(2, 20),
      new Activation("relu"),
      new Dense(20, 1, { seed, stream: 3 }),
    ])
    : new Sequential([
      new Dense(1, 40, { seed, stream: 0 }),
      new Activation("relu"),
      hidden(1, 40),
      new Activation("relu"),
      hidden(2, 20),
      new Activation("relu"),
      new Dense(20, 1, { seed, stream: 3 }),
    ]);
}

/** One training run: loss and s-rank every `every` steps, and the final fit. */
export interface Run {
  kind: Kind;
  scale: number | null;
  seed: number;
  /** Steps at which loss and s-rank were recorded (0 = initialisation). */
  step: number[];
  loss: number[];
  srank: number[];
  /** Final prediction on the grid. */
  fit: number[];
}

/** Penultimate features Z and the model's prediction, on the grid. */
async function probe(model: Sequential, xs: Tensor): Promise<{ srank: number; prediction: Float32Array }> {
  const acts = tidy(() => {
    const all = model.trace(xs, "eval");
    return [all[all.length - 2], all[all.length - 1]];
  });
  const srank = await sRank(acts[0]);
  const prediction = await acts[1].toArray();
  acts.forEach((a) => a.dispose());
  return { srank, prediction };
}

/** The target's grid data, shared by every run. */
function targetData() {
  const target = sineSumTarget({ seed: 0 });
  const n = target.x.length;
  return { target, n, data: { x: target.x, xShape: [n, 1], y: target.y, yShape: [n, 1] } };
}

/** One training run: full-batch Adam on MSE, s-rank of the penultimate features every `every` steps. */
export async function trainingRun(
  config: SrankConfig,
  plan: { kind: Kind; scale: number | null; seed: number },
  context?: Pick<UnitContext<Run>, "tick">,
): Promise<Run> {
  const { target, n, data } = targetData();
  const xs = Tensor.fromArray(target.x, [n, 1]);
  const model = build(plan.kind, plan.scale ?? 0, plan.seed);
  const run: Run = { ...plan, step: [], loss: [], srank: [], fit: [] };
  const record = async (step: number, loss: number) => {
    const { srank, prediction } = await probe(model, xs);
    run.step.push(step);
    run.loss.push(loss);
    run.srank.push(srank);
    run.fit = Array.from(prediction);
  };
  const initial = tidy(() => mseLoss(model.forward(xs, "eval"), Tensor.fromArray(target.y, [n, 1])));
  await record(0, await initial.item());
  initial.dispose();
  await fit(model, data, {
    loss: mseLoss,
    optimizer: new Adam({ lr: config.lr }),
    epochs: config.steps,
    lossEvery: config.every,
    callbackEvery: config.every,
    onStep: async ({ step, loss }) => {
      await record(step, loss!);
      context?.tick(config.every, `loss ${loss!.toPrecision(3)}`);
    },
  });
  model.parameters().forEach((t) => t.dispose());
  xs.dispose();
  return run;
}

function plan(config: SrankConfig): { kind: Kind; scale: number | null; seed: number }[] {
  const runs: { kind: Kind; scale: number | null; seed: number }[] = [
    { kind: "mlp", scale: null, seed: config.seeds[0] },
  ];
  for (const scale of config.scales) for (const seed of config.seeds) runs.push({ kind: "rff", scale, seed });
  return runs;
}
const unitId = (p: { kind: Kind; scale: number | null; seed: number }) =>
  p.kind === "mlp" ? `mlp seed ${p.seed}` : `rff scale ${p.scale} seed ${p.seed}`;

function report(config: SrankConfig, records: Record<string, Run>): Report {
  const runs = plan(config).map((p) => records[unitId(p)]);
  const mlp = runs[0];
  const { scales, seeds } = config;
  const target = sineSumTarget({ seed: 0 });
  const reference = runs.find((r) => r.kind === "rff" && r.scale === (scales.includes(10) ? 10 : scales[0]))!;
  const figures: Report["figures"] = {};
  figures.target = {
    data: { x: Array.from(target.x), y: Array.from(target.y) },
    svg: linePlot({
      title: "Target: Σ_k sin(2πk x + π b_k), k = 0..19",
      series: [{ x: target.x, y: target.y }],
      xLabel: "x",
      yLabel: "f(x)",
    }),
  };
  figures.fits = {
    data: {
      x: Array.from(target.x),
      target: Array.from(target.y),
      rff: reference.fit,
      mlp: mlp.fit,
      rffScale: reference.scale,
    },
    svg: linePlot({
      title: "Fits after training",
      series: [
        { x: target.x, y: target.y, label: "target", color: "#999" },
        { x: target.x, y: reference.fit, label: `RFF (scale ${reference.scale})` },
        { x: target.x, y: mlp.fit, label: "MLP", dashed: true },
      ],
      xLabel: "x",
      yLabel: "f(x)",
      width: 900,
    }),
  };
  figures.srank_curves = {
    data: {
      rff: { step: reference.step, srank: reference.srank, loss: reference.loss },
      mlp: { step: mlp.step, srank: mlp.srank, loss: mlp.loss },
    },
    svg: linePlot({
      title: "s-rank of the penultimate features during training",
      series: [
        { x: reference.step, y: reference.srank, label: `RFF s-rank`, markers: true },
        { x: mlp.step, y: mlp.srank, label: "MLP s-rank", markers: true },
        { x: reference.step, y: reference.loss, label: "RFF loss", axis: "right", dashed: true },
        { x: mlp.step, y: mlp.loss, label: "MLP loss", axis: "right", dashed: true },
      ],
      xLabel: "step",
      yLabel: "s-rank (nats)",
      y2Label: "MSE",
      y2Scale: "log",
    }),
  };
  const final = (kind: Kind, scale: number | null) => runs.filter((r) => r.kind === kind && r.scale === scale);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const sweep = scales.map((s) => ({
    scale: s,
    loss: final("rff", s).map((r) => r.loss.at(-1)!),
    srank: final("rff", s).map((r) => r.srank.at(-1)!),
  }));
  /** One panel of the sweep: the mean over seeds, and each seed dashed. */
  function sweepPanel(metric: "srank" | "loss", yLabel: string, yScale: "linear" | "log"): Figure {
    return linePlot({
      series: [
        { x: scales, y: sweep.map((s) => mean(s[metric])), label: "mean over seeds", markers: true },
        ...seeds.map((seed, k) => ({
          x: scales,
          y: sweep.map((s) => s[metric][k]),
          label: `seed ${seed}`,
          dashed: true,
        })),
      ],
      xLabel: "RFF scale",
      yLabel,
      yScale,
      width: 440,
      height: 320,
    });
  }
  figures.scale_sweep = {
    data: sweep,
    svg: subplots({
      panels: [sweepPanel("srank", "final s-rank (nats)", "linear"), sweepPanel("loss", "final MSE", "log")],
      titles: ["Final s-rank", "Final loss"],
      title: `RFF scale sweep (${seeds.length} seed${seeds.length > 1 ? "s" : ""})`,
    }),
  };
  const text = [
    `\ns-rank during training (${config.steps} full-batch Adam steps, lr ${config.lr})\n`,
    table(
      ["model", "scale", "seed", "initial loss", "final loss", "initial s-rank", "final s-rank", "exp(s-rank)"],
      runs.map((r) => [
        r.kind.toUpperCase(),
        r.scale ?? "-",
        r.seed,
        r.loss[0],
        r.loss.at(-1)!,
        r.srank[0],
        r.srank.at(-1)!,
        Math.exp(r.srank.at(-1)!),
      ]),
    ),
  ].join("\n");
  return { results: { phases: Array.from(target.phases), runs }, figures, text };
}

const FLAGS = {
  steps: { default: "1200", kind: "count", min: 1, help: "Full-batch Adam steps of every run" },
  every: { default: "100", kind: "count", min: 1, help: "Steps between s-rank measurements" },
  scales: { default: "2,5,10,20,30", kind: "list", help: "RFF frequency scales of the sweep" },
  seeds: { default: "0,1,2", kind: "counts", help: "Seeds of the sweep, one run per scale and seed" },
  lr: { default: "0.001", kind: "number", min: 0, max: 10, help: "Adam learning rate" },
} as const;

/** The s-rank experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, SrankConfig, Run> = {
  name: "srank_evolution",
  flags: FLAGS,
  configure(flags, quick) {
    const config: SrankConfig = {
      steps: quick ? 60 : flags.steps,
      every: quick ? 20 : flags.every,
      scales: quick ? [5, 10] : flags.scales,
      seeds: quick ? [0] : flags.seeds,
      lr: flags.lr,
    };
    if (!(config.every >= 1 && config.steps >= config.every)) {
      throw new RangeError(`--every (${config.every}) must be between 1 and --steps (${config.steps})`);
    }
    return config;
  },
  units: (config): Unit[] => plan(config).map((p) => ({ id: unitId(p), weight: config.steps })),
  start(config) {
    const byId = new Map(plan(config).map((p) => [unitId(p), p]));
    return Promise.resolve((unit: Unit, context: UnitContext<Run>) => trainingRun(config, byId.get(unit.id)!, context));
  },
  report,
};

if (import.meta.main) await main(experiment);
