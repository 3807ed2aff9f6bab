/**
 * Spectral densities (e.g. of a Hessian from stochastic Lanczos quadrature) on a logarithmic density
 * axis, several overlaid, with optional vertical reference lines.
 *
 * @module
 */
import type { Figure, FigureOptions } from "./figure.ts";
import { linePlot, type LineSeries } from "./line_plot.ts";
import { checkArrayLike, checkNumber, describe } from "../check/args.ts";
import { checkPlotOptions } from "./_svg.ts";

/** One density curve. */
export interface SpectralDensitySeries {
  /** Legend label (e.g. "Hessian", "Gauss–Newton"). */
  label: string;
  /** Eigenvalue positions, ascending. */
  grid: ArrayLike<number>;
  /** Density at each position (≥ 0). */
  density: ArrayLike<number>;
  /** Stroke colour (default: palette by index). */
  color?: string;
  /** Dashed stroke. */
  dashed?: boolean;
}

/** Options for {@linkcode spectralDensityPlot}. */
export interface SpectralDensityPlotOptions extends FigureOptions {
  /** The curves. */
  series: readonly SpectralDensitySeries[];
  /** x-axis title (default "eigenvalue λ"). */
  xLabel?: string;
  /** y-axis title (default "density (log scale)"). */
  yLabel?: string;
  /** Densities below `floor` × the largest are drawn at that floor (default 1e-6). */
  floor?: number;
}

const KEYS = ["series", "xLabel", "yLabel", "floor", "width", "height", "title"] as const;
const CONTEXT = "draw spectral density plot";

/**
 * Overlaid spectral densities on a log density axis: the view that shows a bulk near zero and isolated
 * outliers at once (the Hessian figures of Ghorbani et al. 2019 and Papyan 2019). Values under
 * `floor` × the largest density are clamped to that floor so that the log axis stays finite.
 *
 * @param options The curves, axis titles, floor and size.
 * @returns The figure.
 * @throws {TypeError} For a missing series, or a grid and density of different lengths or kinds.
 * @throws {RangeError} For a negative or non-finite density, or floor outside (0, 1).
 * @example A bulk and an outlier
 * ```ts
 * import assert from "node:assert";
 * import { spectralDensityPlot } from "../mod.ts";
 * const grid = Array.from({ length: 200 }, (_, i) => i / 10);
 * const density = grid.map((x) => Math.exp(-x * x) + 0.01 * Math.exp(-((x - 15) ** 2)));
 * const svg = spectralDensityPlot({ series: [{ label: "Hessian", grid, density }] }).toSvg();
 * assert.ok(svg.includes("density (log scale)"));
 * ```
 */
export function spectralDensityPlot(options: SpectralDensityPlotOptions): Figure {
  checkPlotOptions(CONTEXT, options, KEYS);
  if (!Array.isArray(options.series) || options.series.length === 0) {
    throw new TypeError(
      `Cannot ${CONTEXT}: options.series must be a non-empty array (got ${describe(options.series)})`,
    );
  }
  const floorRatio = checkNumber(CONTEXT, "options.floor", options.floor ?? 1e-6, { above: 0, below: 1 });
  let peak = 0;
  options.series.forEach((s, i) => {
    const grid = checkArrayLike(CONTEXT, `options.series[${i}].grid`, s?.grid);
    const density = checkArrayLike(CONTEXT, `options.series[${i}].density`, s?.density) as ArrayLike<number>;
    if (grid.length !== density.length || grid.length < 2) {
      throw new TypeError(
        `Cannot ${CONTEXT}: options.series[${i}].density has ${density.length} values for ${grid.length} grid points (need equal, ≥ 2)`,
      );
    }
    for (let j = 0; j < density.length; j++) {
      if (typeof density[j] !== "number" || !(density[j] >= 0) || !Number.isFinite(density[j])) {
        throw new RangeError(`Cannot ${CONTEXT}: options.series[${i}].density[${j}] is ${density[j]} (need ≥ 0)`);
      }
      peak = Math.max(peak, density[j]);
    }
  });
  if (!(peak > 0)) throw new RangeError(`Cannot ${CONTEXT}: every density is 0`);
  const floor = floorRatio * peak;
  const series: LineSeries[] = options.series.map((s) => ({
    x: s.grid,
    y: Array.from(s.density, (v: number) => Math.max(v, floor)),
    label: s.label,
    ...(s.color ? { color: s.color } : {}),
    ...(s.dashed ? { dashed: true } : {}),
  }));
  return linePlot({
    series,
    xLabel: options.xLabel ?? "eigenvalue λ",
    yLabel: options.yLabel ?? "density (log scale)",
    yScale: "log",
    yDomain: [floor, peak * 2],
    ...(options.width ? { width: options.width } : {}),
    ...(options.height ? { height: options.height } : {}),
    ...(options.title ? { title: options.title } : {}),
  });
}
