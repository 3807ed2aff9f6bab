/**
 * Histograms (as densities) with optional overlaid density curves, e.g. a Gaussian of matching variance.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
// @ts-types="npm:@types/d3-array@^3.2.1"
import { bin } from "npm:d3-array@^3.2.4";
import {
  axis,
  checkPlotOptions,
  domainOf,
  type FigureOptions,
  INSIDE,
  legend,
  legendFrame,
  type LegendSpace,
  makeScale,
  PALETTE,
  placeLegend,
  plotClip,
  px,
  type ScaleType,
  svgDocument,
} from "./_svg.ts";
import { checkNumber, describe } from "../check/args.ts";

/** Bins of a density histogram: edges, heights (count / (n · width)) and the domain they cover. */
export interface HistogramDensity {
  /** [min, max] of the finite values (padded when they are all equal). */
  domain: [number, number];
  /** [x0, x1] of each bin, left to right. */
  bins: [number, number][];
  /** Density of each bin: its heights integrate to one over the bins. */
  heights: number[];
}

/**
 * Bins finite values into a density histogram, Σ heights[i] · (x1 − x0) = 1.
 *
 * @param values Samples (non-finite ones are ignored).
 * @param bins Approximate number of bins (nice thresholds).
 * @returns Edges, heights and domain.
 * @throws {RangeError} When no value is finite.
 * @example Two equal halves
 * ```ts
 * import assert from "node:assert";
 * import { histogramDensity } from "./histogram.ts";
 * const { bins, heights } = histogramDensity([0, 0.25, 0.75, 1], 2);
 * assert.equal(bins.length, 2);
 * assert.equal(heights.reduce((s, h, i) => s + h * (bins[i][1] - bins[i][0]), 0), 1);
 * ```
 */
export function histogramDensity(values: ArrayLike<number>, bins: number): HistogramDensity {
  const finite = Array.from(values).filter(Number.isFinite);
  const domain = domainOf(finite, "linear", "histogram") as [number, number];
  const binned = bin().domain(domain).thresholds(bins)(finite);
  const n = finite.length;
  return {
    domain,
    bins: binned.map((b) => [b.x0!, b.x1!]),
    heights: binned.map((b) => b.length / (n * Math.max(b.x1! - b.x0!, 1e-300))),
  };
}

/** Options for {@linkcode histogram}. */
export interface HistogramOptions extends FigureOptions {
  /** Samples, or bins already computed by {@linkcode histogramDensity} (then `bins` is ignored). */
  values: ArrayLike<number> | HistogramDensity;
  /** Approximate number of bins (default 40). */
  bins?: number;
  /** Density curves drawn over the bars, e.g. `{ label: "N(0, K)", density: (x) => ... }`. */
  curves?: { label: string; density: (x: number) => number; color?: string }[];
  /** Label of the histogram in the legend. */
  label?: string;
  /** x-axis label. */
  xLabel?: string;
  /** Fixed x domain (e.g. one range for histograms drawn side by side); default: the data's. */
  xDomain?: [number, number];
  /**
   * Density axis: "linear" (default) or "log", which shows the tails (heavy tails, kurtosis); on a log
   * axis empty bins are not drawn and the axis starts just below the smallest non-empty bin.
   */
  yScale?: ScaleType;
}

/** The keys of {@linkcode HistogramOptions}, for the unknown-option check. */
const HISTOGRAM_OPTION_KEYS: readonly string[] = [
  "values",
  "bins",
  "xDomain",
  "yScale",
  "curves",
  "label",
  "title",
  "xLabel",
  "width",
  "height",
];

/**
 * Draws a density-normalised histogram with overlaid curves.
 *
 * @param options Samples, bins, curves.
 * @returns The figure (`toSvg()` for the document).
 * @throws {RangeError} When no sample is finite.
 * @example Histogram of a few values with a flat density
 * ```ts
 * import assert from "node:assert";
 * import { histogram } from "../mod.ts";
 * const svg = histogram({ values: [0.1, 0.2, 0.2, 0.9], bins: 4, curves: [{ label: "uniform", density: () => 1 }] }).toSvg();
 * assert.ok(svg.includes('class="bars"') && svg.includes('class="series"'));
 * ```
 */
export function histogram(options: HistogramOptions): Figure {
  checkPlotOptions("draw histogram", options, HISTOGRAM_OPTION_KEYS);
  return draw(options, INSIDE);
}

/** Draws with `space` reserved for the legend, beside or below the plot (when every inside corner covers data). */
function draw(options: HistogramOptions, space: LegendSpace): Figure {
  const given = options.values;
  const isDensity = typeof given === "object" && given !== null && "heights" in given;
  if (!isDensity && !(typeof given === "object" && given !== null && typeof given.length === "number")) {
    throw new TypeError(`Cannot draw histogram: options.values must be samples or a density (got ${describe(given)})`);
  }
  const bins = checkNumber("draw histogram", "options.bins", options.bins ?? 40, { integer: true, min: 1 });
  const { domain, bins: edges, heights } = "heights" in given ? given : histogramDensity(given, bins);
  const log = options.yScale === "log";
  const f = legendFrame(options, 20, space);
  const sx = makeScale("linear", options.xDomain ?? domain, [f.left, f.right]);
  const [g0, g1] = options.xDomain ?? domain;
  const grid = Array.from({ length: 200 }, (_, i) => g0 + ((g1 - g0) * i) / 199);
  const curveValues = (options.curves ?? []).map((c) => grid.map(c.density));
  const top = Math.max(...heights, ...curveValues.flat().filter(Number.isFinite));
  const positive = heights.filter((h) => h > 0);
  // A log axis reaches half a step below the smallest non-empty bin; curves below it leave the plot.
  const floor = log ? Math.min(...positive) / 2 : 0;
  const sy = log
    ? makeScale("log", [floor, top > floor ? top : floor * 10], [f.bottom, f.top], true)
    : makeScale("linear", [0, top > 0 ? top : 1], [f.bottom, f.top]);
  const base = log ? f.bottom : sy(0);
  const drawn = heights.map((h) => (log ? h > 0 : true));
  // Bars keep their true width (their areas are the density's mass); a thin outline separates them.
  const bars = edges.map(([x0, x1], i) =>
    drawn[i]
      ? `<rect x="${px(sx(x0))}" y="${px(sy(heights[i]))}" width="${px(Math.max(0, sx(x1) - sx(x0)))}" height="${
        px(Math.max(0, base - sy(heights[i])))
      }" fill="${PALETTE[0]}" fill-opacity="0.6" stroke="#ffffff" stroke-width="0.5"/>`
      : ""
  );
  // Curves are drawn where they lie on the axis: a log axis ends at its floor, so a Gaussian's far tails
  // (below it) break the path instead of running off the plot.
  const visible = (y: number) => Number.isFinite(y) && y >= floor && y <= sy.domain()[1];
  const curves = (options.curves ?? []).map((c, k) => {
    let d = "", open = false;
    grid.forEach((x, i) => {
      const y = curveValues[k][i];
      if (!visible(y)) return void (open = false);
      d += `${open ? "L" : "M"}${px(sx(x))},${px(sy(y))}`;
      open = true;
    });
    return `<g class="series"><path d="${d}" fill="none" stroke="${
      c.color ?? PALETTE[(k + 1) % PALETTE.length]
    }" stroke-width="2"/></g>`;
  });
  const items = [
    ...(options.label ? [{ label: options.label, color: PALETTE[0], marker: true }] : []),
    ...(options.curves ?? []).map((c, k) => ({ label: c.label, color: c.color ?? PALETTE[(k + 1) % PALETTE.length] })),
  ];
  // Bars fill everything below their tops: their area and the curves steer the legend to the emptiest corner.
  const occupied: [number, number][] = edges.flatMap(([a, b], i) => {
    if (!drawn[i]) return [];
    const x0 = sx(a), x1 = sx(b), barTop = sy(heights[i]);
    const pts: [number, number][] = [];
    for (let y = barTop; y <= base; y += 6) pts.push([x0, y], [(x0 + x1) / 2, y], [x1, y]);
    return pts;
  });
  curveValues.forEach((v) =>
    grid.forEach((x, i) => {
      if (visible(v[i])) occupied.push([sx(x), sy(v[i])]);
    })
  );
  const place = placeLegend(items, f, occupied, space, f.right + 24);
  if (place && "space" in place) return draw(options, place.space);
  const clip = plotClip(f, "histogram-area");
  return svgDocument(
    f,
    axis(sx, "bottom", f, options.xLabel) + axis(sy, "left", f, "density") +
      `${clip.defs}<g ${clip.attribute}><g class="bars">${bars.join("")}</g>${curves.join("")}</g>` +
      (place ? legend(items, f, occupied, place.at, place.columns) : ""),
    options.title,
  );
}
