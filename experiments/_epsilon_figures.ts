/**
 * The ε-rank study's figures (see epsilon_rank.ts).
 *
 * @module
 */
import { type Figure, linePlot, subplots } from "../mod.ts";
import { seriesColor } from "./_palette.ts";
import type { Curve, Study } from "./_epsilon_models.ts";
import type { FeatureFit, PinnCurve } from "./_epsilon_studies.ts";

/** Loss (log, right axis) and last-layer ε-rank (left axis) per curve. */
export function stairPanel(curves: Curve[], title: string, epsilon: number): Figure {
  return linePlot({
    title,
    series: curves.flatMap((c, i) => [
      { x: c.step, y: c.rank.at(-1)!, label: `${c.label} ε-rank`, markers: true, color: seriesColor(i) },
      {
        x: c.step,
        y: c.loss,
        label: `${c.label} loss`,
        axis: "right" as const,
        dashed: true,
        color: seriesColor(i),
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

/** The PINN's loss, ε-rank and error against the exact solution. */
export function pinnFigure(curves: PinnCurve[], epsilon: number): Figure {
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

/** Error and ε-rank of each random-feature fit. */
export function rfmFigure(out: FeatureFit[], total: number): Figure {
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
export function rfmFitFigure(out: FeatureFit[], problem: { xs: Float32Array; target: Float32Array }): Figure {
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

/** Titles of the studies drawn by {@linkcode stairPanel}. */
export const TITLES: Record<Exclude<Study, "pinn" | "rfm" | "layers">, string> = {
  staircase: "Staircase: loss and last-layer ε-rank (Adam, tanh)",
  activations: "Activations (depth 2, width 25, Adam)",
  init: "Random (Glorot) vs uniformly distributed deterministic (UDI) initialization",
  resnet: "ResNet vs plain MLP (depth 4, width 25, tanh)",
};

/** The ε-rank of every hidden layer, one panel per curve. */
export function layersFigure(
  curves: Curve[],
  title = "ε-rank of every hidden layer (depth 4, width 25, tanh)",
): Figure {
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
