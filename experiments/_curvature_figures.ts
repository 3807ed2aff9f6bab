/**
 * The curvature experiment's report (see ./curvature.ts): the sharpness against 2/η, the top eigenvalues
 * and the trace, the densities with their outlier counts, the figures and the tables.
 *
 * @module
 */
import { linePlot, type LineSeries, spectralDensityPlot, subplots } from "../mod.ts";
import { slqDensityOn } from "../linalg/mod.ts";
import { table } from "./_common.ts";
import type { Report } from "./_program.ts";
import { seriesColor } from "./_palette.ts";
import type { CurvatureConfig, LrRecord } from "./_curvature_study.ts";

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
/** A count as subscript digits (λ₁…λ₁₂). */
const subscript = (n: number) => String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[Number(d)]);

/** How the sharpness of one run compares with 2/η: its peak, and its mean and range over the last third of steps. */
export function edgeOfStability(config: CurvatureConfig, r: LrRecord) {
  const threshold = 2 / r.lr;
  const late = r.sharpness.filter((p) => p.step >= (2 * config.steps) / 3).map((p) => p.sharpness);
  const values = r.sharpness.map((p) => p.sharpness);
  return {
    lr: r.lr,
    threshold,
    initial: values[0],
    peak: Math.max(...values),
    lateMean: mean(late),
    lateMin: Math.min(...late),
    lateMax: Math.max(...late),
    /** The late mean over 2/η: about 1 at the edge of stability. */
    lateRatio: mean(late) / threshold,
    converged: r.sharpness.every((p) => p.converged),
  };
}

/** Products and seconds per product of each operator, and a training step's seconds. */
function costs(config: CurvatureConfig, r: LrRecord) {
  return {
    hessianProducts: r.products.hessian,
    ggnProducts: r.products.ggn,
    secondsPerHessianProduct: r.seconds.hessian / r.products.hessian,
    secondsPerGgnProduct: r.seconds.ggn / r.products.ggn,
    secondsPerStep: r.seconds.training / config.steps,
  };
}

function sharpnessFigure(config: CurvatureConfig, runs: LrRecord[]) {
  const series: LineSeries[] = runs.flatMap((r, i) => [
    {
      x: r.sharpness.map((p) => p.step),
      y: r.sharpness.map((p) => p.sharpness),
      label: `η = ${r.lr}`,
      color: seriesColor(i),
      markers: true,
    },
    {
      x: [0, config.steps],
      y: [2 / r.lr, 2 / r.lr],
      label: `2/η = ${(2 / r.lr).toFixed(0)}`,
      color: seriesColor(i),
      dashed: true,
    },
  ]);
  const loss: LineSeries[] = runs.map((r, i) => ({
    x: r.sharpness.map((p) => p.step),
    y: r.sharpness.map((p) => p.loss),
    label: `η = ${r.lr}`,
    color: seriesColor(i),
    markers: true,
  }));
  const products = runs.reduce((s, r) => s + r.sharpness.reduce((t, p) => t + p.products, 0), 0);
  return subplots({
    title: `Sharpness under full-batch gradient descent, ${config.train} digits (${products} Hessian products)`,
    titles: ["top Hessian eigenvalue (dashed: 2/η)", "training loss"],
    panels: [
      linePlot({ series, xLabel: "gradient-descent step", yLabel: "sharpness λ₁", width: 460, height: 320 }),
      linePlot({
        series: loss,
        xLabel: "gradient-descent step",
        yLabel: "cross-entropy",
        yScale: "log",
        width: 460,
        height: 320,
      }),
    ],
  });
}

function measuresFigure(config: CurvatureConfig, runs: LrRecord[]) {
  const top = (r: LrRecord) =>
    Array.from({ length: config.top }, (_, k) =>
      [
        {
          x: r.measures.map((m) => m.step),
          y: r.measures.map((m) => m.hessianTop[k]),
          color: seriesColor(0),
          markers: true,
          label: k === 0 ? `Hessian λ₁…λ${subscript(config.top)}` : undefined,
        },
        {
          x: r.measures.map((m) => m.step),
          y: r.measures.map((m) => m.ggnTop[k]),
          color: seriesColor(1),
          dashed: true,
          label: k === 0 ? `Gauss–Newton λ₁…λ${subscript(config.top)}` : undefined,
        },
      ] as LineSeries[]).flat();
  // One y range for the eigenvalue panels, so that the learning rates compare.
  const all = runs.flatMap((r) => r.measures.flatMap((m) => [...m.hessianTop, ...m.ggnTop]));
  const yDomain: [number, number] = [Math.max(1e-3, Math.min(...all) * 0.8), Math.max(...all) * 1.25];
  return subplots({
    title: `Top ${config.top} eigenvalues (Hessian solid, Gauss–Newton dashed) and the Hessian trace (Hutch++ ± SE)`,
    titles: [...runs.map((r) => `η = ${r.lr}`), "Hessian trace"],
    panels: [
      ...runs.map((r) =>
        linePlot({
          series: top(r),
          xLabel: "gradient-descent step",
          yLabel: "eigenvalue",
          yScale: "log",
          yDomain,
          width: 380,
          height: 320,
        })
      ),
      linePlot({
        series: runs.map((r, i) => ({
          x: r.measures.map((m) => m.step),
          y: r.measures.map((m) => m.trace),
          errors: r.measures.map((m) => m.traceError),
          label: `η = ${r.lr}`,
          color: seriesColor(i),
          markers: true,
        })),
        xLabel: "gradient-descent step",
        yLabel: "tr H",
        width: 380,
        height: 320,
      }),
    ],
    columns: Math.min(3, runs.length + 1),
  });
}

/** Every density point's Hessian and Gauss–Newton densities on one grid with one smoothing width. */
function sharedDensities(runs: LrRecord[]) {
  const points = runs.flatMap((r) => r.densities.map((d) => ({ lr: r.lr, d })));
  const nodes = points.flatMap(({ d }) => [...d.hessian.nodes.flat(), ...d.ggn.nodes.flat()]);
  const lo = Math.min(...nodes), hi = Math.max(...nodes);
  const sigma = 0.01 * (hi - lo || 1);
  const grid = Array.from({ length: 600 }, (_, i) => lo - 5 * sigma + (i / 599) * (hi - lo + 10 * sigma));
  const smooth = (q: { nodes: number[][]; weights: number[][] }) =>
    Array.from(
      slqDensityOn(
        q.nodes.map((n, i) => ({ nodes: Float64Array.from(n), weights: Float64Array.from(q.weights[i]) })),
        grid,
        sigma,
      ),
    );
  return {
    grid,
    sigma,
    points: points.map(({ lr, d }) => ({ lr, d, hessian: smooth(d.hessian), ggn: smooth(d.ggn) })),
  };
}

function densityFigure(config: CurvatureConfig, shared: ReturnType<typeof sharedDensities>) {
  const peak = Math.max(...shared.points.flatMap((p) => [...p.hessian, ...p.ggn]));
  const probes = `${config.probes} probe${config.probes > 1 ? "s" : ""}`;
  return subplots({
    title: `Hessian and Gauss–Newton eigenvalue densities (SLQ, ${probes} × ${config.slqSteps} steps, σ = ${
      shared.sigma.toPrecision(2)
    })`,
    titles: shared.points.map(({ lr, d }) => `η = ${lr}, step ${d.step}: Gauss–Newton outliers ${d.outliers}`),
    panels: shared.points.map((p) =>
      spectralDensityPlot({
        series: [
          { label: "Hessian", grid: shared.grid, density: p.hessian, color: seriesColor(0) },
          { label: "Gauss–Newton", grid: shared.grid, density: p.ggn, color: seriesColor(1), dashed: true },
        ],
        yDomain: [peak * 1e-6, peak * 2],
        width: 380,
        height: 300,
      })
    ),
    columns: 3,
  });
}

/** The report of the records: results.json's numbers, the figures and the tables. */
export function report(config: CurvatureConfig, records: Record<string, LrRecord>): Report {
  const runs = config.lrs.map((lr) => records[`lr ${lr}`]);
  const eos = runs.map((r) => edgeOfStability(config, r));
  const cost = runs.map((r) => costs(config, r));
  const shared = sharedDensities(runs);
  const outliers = runs.map((r) => ({
    lr: r.lr,
    points: r.densities.map((d) => ({ step: d.step, outliers: d.outliers, gapRatio: d.gapRatio })),
  }));
  return {
    results: { runs: runs.map(({ seconds: _s, ...rest }) => rest), edgeOfStability: eos, outliers },
    figures: {
      sharpness_vs_step: {
        svg: sharpnessFigure(config, runs),
        data: runs.map((r) => ({ lr: r.lr, sharpness: r.sharpness })),
      },
      curvature_vs_step: {
        svg: measuresFigure(config, runs),
        data: runs.map((r) => ({ lr: r.lr, measures: r.measures })),
      },
      density: {
        svg: densityFigure(config, shared),
        data: {
          grid: shared.grid,
          sigma: shared.sigma,
          points: shared.points.map(({ lr, d, hessian, ggn }) => ({ lr, step: d.step, hessian, ggn })),
        },
      },
    },
    text: reportText(config, runs, eos, cost),
  };
}

function reportText(
  config: CurvatureConfig,
  runs: LrRecord[],
  eos: ReturnType<typeof edgeOfStability>[],
  cost: ReturnType<typeof costs>[],
): string {
  const f = (v: number, d = 2) => v.toFixed(d);
  let text = `Edge of stability: full-batch gradient descent on ${config.train} digits, ${config.steps} steps\n` +
    table(
      ["η", "2/η", "sharpness at init", "peak", "mean over last third", "range over last third", "mean / (2/η)"],
      eos.map((
        e,
      ) => [
        e.lr,
        f(e.threshold, 1),
        f(e.initial),
        f(e.peak),
        f(e.lateMean),
        `${f(e.lateMin)}–${f(e.lateMax)}`,
        f(e.lateRatio, 3),
      ]),
    );
  text += "\nGauss–Newton outliers (eigenvalues above the largest ratio gap among the top " +
    `${config.outlierK}; C = 10 classes)\n` +
    table(
      ["η", "step", "outliers", "gap ratio", `top ${config.outlierK} GGN eigenvalues`],
      runs.flatMap((r) =>
        r.densities.map((
          d,
        ) => [r.lr, d.step, d.outliers, f(d.gapRatio), d.ggnTop.map((v) => v.toPrecision(3)).join(" ")])
      ),
    );
  text += "\nCost (products beside each figure; seconds per product on this adapter)\n" +
    table(
      ["η", "Hessian products", "s each", "GGN products", "s each", "training step s", "Hessian product / step"],
      cost.map((c, i) => [
        runs[i].lr,
        c.hessianProducts,
        f(c.secondsPerHessianProduct),
        c.ggnProducts,
        f(c.secondsPerGgnProduct),
        f(c.secondsPerStep),
        f(c.secondsPerHessianProduct / c.secondsPerStep),
      ]),
    );
  return text;
}
