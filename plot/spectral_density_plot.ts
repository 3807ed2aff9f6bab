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
  /** Fixed eigenvalue range, e.g. shared by panels that are compared (default: the grids' span). */
  xDomain?: [number, number];
  /** Fixed density range (positive; default: the floor to twice the largest density). */
  yDomain?: [number, number];
}

const KEYS = ["series", "xLabel", "yLabel", "floor", "xDomain", "yDomain", "width", "height", "title"] as const;

function checkDomain(name: string, d: unknown, positive: boolean): [number, number] | undefined {
  if (d === undefined) return undefined;
  if (!Array.isArray(d) || d.length !== 2 || !d.every(Number.isFinite) || !(d[0] < d[1]) || (positive && !(d[0] > 0))) {
    throw new RangeError(
      `Cannot ${CONTEXT}: options.${name} must be [low, high] with low < high${positive ? ", low > 0" : ""} (got ${
        describe(d)
      })`,
    );
  }
  return d as [number, number];
}
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
  const xDomain = checkDomain("xDomain", options.xDomain, false);
  const yDomain = checkDomain("yDomain", options.yDomain, true) ?? [floorRatio * peak, 2 * peak];
  const floor = yDomain[0];
  // A fixed x range: each curve runs at the floor out to both ends (no eigenvalue there).
  const ends = (grid: ArrayLike<number>, density: ArrayLike<number>) => {
    const x = Array.from(grid), y = Array.from(density, (v: number) => Math.max(v, floor));
    if (xDomain && xDomain[0] < x[0]) x.unshift(xDomain[0]), y.unshift(floor);
    if (xDomain && xDomain[1] > x[x.length - 1]) x.push(xDomain[1]), y.push(floor);
    return { x, y };
  };
  const series: LineSeries[] = options.series.map((s) => ({
    ...ends(s.grid, s.density),
    label: s.label,
    ...(s.color ? { color: s.color } : {}),
    ...(s.dashed ? { dashed: true } : {}),
  }));
  return linePlot({
    series,
    xLabel: options.xLabel ?? "eigenvalue λ",
    yLabel: options.yLabel ?? "density (log scale)",
    yScale: "log",
    yDomain,
    ...(options.width ? { width: options.width } : {}),
    ...(options.height ? { height: options.height } : {}),
    ...(options.title ? { title: options.title } : {}),
  });
}
