/**
 * The s-rank study's figures and tables (see srank_evolution.ts).
 *
 * @module
 */
import { type Figure, linePlot, type sineSumTarget, subplots } from "../mod.ts";
import { table } from "./_common.ts";
import { PALETTE } from "./_palette.ts";
import type { Report } from "./_program.ts";
import type { Run, SrankConfig } from "./_srank_types.ts";

/** The target's grid values and phases. */
type Target = ReturnType<typeof sineSumTarget>;
/** A figure's record in the report. */
type FigureRecord = Report["figures"][string];

/** Names of the training losses in labels. */
export const LOSS_NAMES = { "smooth-l1": "smooth L1 loss", mse: "MSE" } as const;

/** target − fit, point by point. */
function residual(target: ArrayLike<number>, fit: ArrayLike<number>): number[] {
  return Array.from(fit, (f, i) => target[i] - f);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) =>
  v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)) : 0;

/** The target on its grid. */
export function targetFigure(config: SrankConfig, target: Target): FigureRecord {
  return {
    data: { x: Array.from(target.x), y: Array.from(target.y) },
    svg: linePlot({
      title: config.target === "per-point"
        ? "Target: Σₖ sin(2πk x + π b(x)), b(x) = 2x/5 − 1, k = 0..19"
        : "Target: Σₖ sin(2πk x + π bₖ), bₖ ~ U(−1, 1), k = 0..19",
      series: [{ x: target.x, y: target.y }],
      xLabel: "x",
      yLabel: "f(x)",
    }),
  };
}

/** The reference RFF net's and the MLP's fits and residuals. */
export function fitsFigure(target: Target, reference: Run, mlp: Run): FigureRecord {
  return {
    data: {
      x: Array.from(target.x),
      target: Array.from(target.y),
      rff: reference.fit,
      mlp: mlp.fit,
      rffScale: reference.scale,
    },
    svg: subplots({
      title: `Fits after training (RFF scale ${reference.scale}, seed ${reference.seed}; MLP seed ${mlp.seed})`,
      columns: 1,
      titles: ["fit", "residual: target − fit"],
      panels: [
        linePlot({
          series: [
            { x: target.x, y: target.y, label: "target", color: "#999" },
            { x: target.x, y: reference.fit, label: `RFF (scale ${reference.scale})`, color: PALETTE[1] },
            { x: target.x, y: mlp.fit, label: "MLP", dashed: true, color: PALETTE[2] },
          ],
          xLabel: "x",
          yLabel: "f(x)",
          width: 900,
          height: 340,
        }),
        linePlot({
          series: [
            {
              x: target.x,
              y: residual(target.y, reference.fit),
              label: `RFF (scale ${reference.scale})`,
              color: PALETTE[1],
            },
            { x: target.x, y: residual(target.y, mlp.fit), label: "MLP", dashed: true, color: PALETTE[2] },
          ],
          xLabel: "x",
          yLabel: "target − fit",
          width: 900,
          height: 300,
        }),
      ],
    }),
  };
}

/** s-rank and loss during training, reference RFF net and MLP. */
export function srankCurvesFigure(config: SrankConfig, reference: Run, mlp: Run): FigureRecord {
  return {
    data: {
      rff: { step: reference.step, srank: reference.srank, loss: reference.loss },
      mlp: { step: mlp.step, srank: mlp.srank, loss: mlp.loss },
    },
    svg: linePlot({
      title:
        `s-rank of the penultimate features during training (RFF scale ${reference.scale}, seed ${reference.seed})`,
      series: [
        { x: reference.step, y: reference.srank, label: `RFF s-rank`, markers: true },
        { x: mlp.step, y: mlp.srank, label: "MLP s-rank", markers: true },
        { x: reference.step, y: reference.loss, label: "RFF loss", axis: "right", dashed: true },
        { x: mlp.step, y: mlp.loss, label: "MLP loss", axis: "right", dashed: true },
      ],
      xLabel: "step",
      yLabel: "s-rank (nats)",
      y2Label: LOSS_NAMES[config.loss],
      y2Scale: "log",
    }),
  };
}

/** The final loss and s-rank of every RFF run, per scale (seeds in order). */
function sweepOf(config: SrankConfig, runs: Run[]) {
  const final = (scale: number) => runs.filter((r) => r.kind === "rff" && r.scale === scale);
  return config.scales.map((s) => ({
    scale: s,
    loss: final(s).map((r) => r.loss.at(-1)!),
    srank: final(s).map((r) => r.srank.at(-1)!),
  }));
}

/** Per RFF scale: the fits and s-rank curves of the first seed, and the sweep's final s-rank and loss. */
export function scaleFigures(config: SrankConfig, runs: Run[], target: Target): Report["figures"] {
  const { scales, seeds } = config;
  const sweep = sweepOf(config, runs);
  const figures: Report["figures"] = {};
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
  const firstSeed = scales.map((sc) => runs.find((r) => r.kind === "rff" && r.scale === sc && r.seed === seeds[0])!);
  figures.scale_curves = {
    data: firstSeed.map((r) => ({ scale: r.scale, step: r.step, srank: r.srank, fit: r.fit })),
    svg: subplots({
      panels: [
        linePlot({
          series: [
            { x: target.x, y: target.y, label: "target", color: "#999" },
            ...firstSeed.map((r) => ({ x: target.x, y: r.fit, label: `scale ${r.scale}` })),
          ],
          xLabel: "x",
          yLabel: "f(x)",
          width: 560,
          height: 360,
        }),
        linePlot({
          series: firstSeed.map((r) => ({ x: r.step, y: r.srank, label: `scale ${r.scale}`, markers: true })),
          xLabel: "step",
          yLabel: "s-rank (nats)",
          width: 440,
          height: 360,
        }),
      ],
      titles: ["Fits after training", "s-rank during training"],
      title: `Per RFF scale (seed ${seeds[0]})`,
    }),
  };
  figures.scale_sweep = {
    data: sweep,
    svg: subplots({
      panels: [
        sweepPanel("srank", "final s-rank (nats)", "linear"),
        sweepPanel("loss", `final ${LOSS_NAMES[config.loss]}`, "log"),
      ],
      titles: ["Final s-rank", "Final loss"],
      title: `RFF scale sweep (${seeds.length} seed${seeds.length > 1 ? "s" : ""})`,
    }),
  };
  return figures;
}

/** The tables: every run, the MLP over seeds, and the scale sweep. */
export function summaryText(config: SrankConfig, runs: Run[]): string {
  const mlps = runs.filter((r) => r.kind === "mlp" && r.scale === null);
  const sweep = sweepOf(config, runs);
  return [
    `\ns-rank during training (${config.steps} full-batch Adam steps on ${LOSS_NAMES[config.loss]}, lr ${config.lr})\n`,
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
    `\nMLP over ${mlps.length} seed${mlps.length > 1 ? "s" : ""}: initial s-rank ${
      mean(mlps.map((r) => r.srank[0])).toFixed(3)
    } ± ${sd(mlps.map((r) => r.srank[0])).toFixed(3)}, final ${mean(mlps.map((r) => r.srank.at(-1)!)).toFixed(3)} ± ${
      sd(mlps.map((r) => r.srank.at(-1)!)).toFixed(3)
    } nats (mean ± sd)`,
    "\nRFF scale sweep (the figure's numbers): mean ± sd over seeds\n",
    table(
      ["scale", "seeds", "final loss", "± sd", "final s-rank", "± sd"],
      sweep.map((w) => [w.scale, w.loss.length, mean(w.loss), sd(w.loss), mean(w.srank), sd(w.srank)]),
    ),
  ].join("\n");
}
