/**
 * Line plots with several series, a legend, linear or log axes and an optional second y-axis.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
// @ts-types="npm:@types/d3-shape@^3.1.6"
import { line } from "npm:d3-shape@^3.2.0";
import {
  axis,
  checkPlotOptions,
  domainOf,
  esc,
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

/** One curve. */
export interface LineSeries {
  /** x values. */
  x: ArrayLike<number>;
  /** y values (same length; non-finite points break the line). */
  y: ArrayLike<number>;
  /** Legend label. */
  label?: string;
  /** Stroke colour (default: palette by index). */
  color?: string;
  /** Dashed stroke. */
  dashed?: boolean;
  /** Draw point markers too. */
  markers?: boolean;
  /** Draw the connecting line (default true; false for categorical data: markers only). */
  line?: boolean;
  /** Symmetric error bars: y ± errors[i] (e.g. standard errors). */
  errors?: ArrayLike<number>;
  /** Plot against the right-hand y-axis. */
  axis?: "left" | "right";
  /** A short text beside each point (e.g. the epoch, when x is not time); labels that would collide are left out. */
  pointLabels?: readonly string[];
}

/** Options for {@linkcode linePlot}. */
export interface LinePlotOptions extends FigureOptions {
  /** The curves. */
  series: LineSeries[];
  /** x-axis label. */
  xLabel?: string;
  /** Categorical x axis: x values are indices 0..n−1 into these names, drawn as tick labels. */
  xCategories?: readonly string[];
  /** Left y-axis label. */
  yLabel?: string;
  /** Right y-axis label (shown when a series uses it). */
  y2Label?: string;
  /** x scale (default linear). */
  xScale?: ScaleType;
  /** Left y scale (default linear). */
  yScale?: ScaleType;
  /** Right y scale (default linear). */
  y2Scale?: ScaleType;
  /** Fixed left y domain. */
  yDomain?: [number, number];
  /** Fixed right y domain. */
  y2Domain?: [number, number];
  /** Show the legend (default: when any series has a label). */
  legend?: boolean;
}

/** Vertical error bars y ± e with small caps, where both ends are drawable. */
function errorBars(
  s: LineSeries,
  points: [number, number][],
  ok: (x: number, y: number) => boolean,
  sx: (v: number) => number,
  sy: (v: number) => number,
  color: string,
): string {
  if (!s.errors) return "";
  return points.map(([xv, yv], j) => {
    const e = s.errors![j];
    if (!Number.isFinite(e) || !ok(xv, yv - e) || !ok(xv, yv + e)) return "";
    const cx = sx(xv), y0 = px(sy(yv - e)), y1 = px(sy(yv + e));
    return `<path class="error-bar" d="M${px(cx)},${y0}L${px(cx)},${y1}M${px(cx - 3)},${y0}h6M${
      px(cx - 3)
    },${y1}h6" stroke="${color}" fill="none"/>`;
  }).join("");
}

/** The keys of {@linkcode LinePlotOptions}, for the unknown-option check. */
const LINE_PLOT_OPTION_KEYS: readonly string[] = [
  "series",
  "title",
  "xLabel",
  "yLabel",
  "y2Label",
  "xScale",
  "yScale",
  "y2Scale",
  "yDomain",
  "y2Domain",
  "xCategories",
  "legend",
  "width",
  "height",
];

/**
 * Draws line series as an SVG document.
 *
 * @param options Series, axes, labels.
 * @returns The figure (`toSvg()` for the document).
 * @throws {RangeError} When there is no series, x and y lengths differ, or an axis has no usable value.
 * @example Two series, one on a twin axis
 * ```ts
 * import assert from "node:assert";
 * import { linePlot } from "../mod.ts";
 * const svg = linePlot({
 *   series: [{ x: [0, 1, 2], y: [1, 2, 4], label: "entropy" }, { x: [0, 1, 2], y: [0.1, 0.5, 0.9], axis: "right", label: "accuracy" }],
 *   y2Label: "accuracy",
 * }).toSvg();
 * assert.equal(svg.match(/class="series"/g)?.length, 2);
 * ```
 */
export function linePlot(options: LinePlotOptions): Figure {
  checkPlotOptions("draw line plot", options, LINE_PLOT_OPTION_KEYS);
  return draw(options, INSIDE);
}

/**
 * Draws the plot with `space` reserved for the legend (beside the plot area and its twin axis, or below it);
 * when every inside corner of the legend would cover data, it draws again with the legend in that space.
 */
function draw(options: LinePlotOptions, space: LegendSpace): Figure {
  const { series } = options;
  checkSeries(series);
  const twin = series.some((s) => s.axis === "right");
  const f = legendFrame(options, twin ? 64 : 20, space);
  const xType = options.xScale ?? "linear";
  const xs = series.flatMap((s) => Array.from(s.x));
  const categories = options.xCategories;
  // Categories sit at 0..n−1 with half a slot of room on each side.
  const x = categories
    ? makeScale("linear", [-0.5, categories.length - 0.5], [f.left, f.right])
    : makeScale(xType, domainOf(xs, xType, "x"), [f.left, f.right], true);
  // Counts and indices (epochs, layers, ranks) get integer ticks only.
  const integral = (values: number[]) => values.every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const yFor = (side: "left" | "right") => {
    const members = series.filter((s) => (s.axis ?? "left") === side);
    if (members.length === 0) return null;
    const type = (side === "left" ? options.yScale : options.y2Scale) ?? "linear";
    const fixed = side === "left" ? options.yDomain : options.y2Domain;
    const extents = members.flatMap((s) =>
      Array.from(s.y, (v, j) => (s.errors ? [v - s.errors[j], v + s.errors[j]] : [v])).flat()
    );
    const domain = fixed ?? domainOf(extents, type, `${side} y`);
    return { scale: makeScale(type, domain, [f.bottom, f.top], !fixed), type, integer: integral(extents) };
  };
  const left = yFor("left"), right = yFor("right");
  const paths = series.map((s, i) =>
    seriesMarkup(s, s.color ?? PALETTE[i % PALETTE.length], x, xType, (s.axis === "right" ? right : left)!)
  );
  const labelled = series.map((s, i) => ({ s, i })).filter(({ s }) => s.label);
  // Pixel positions of the data (and of points interpolated along each segment) steer the legend.
  const occupied = occupiedPixels(series, (s, xv, yv) => {
    const y = (s.axis === "right" ? right : left)!;
    const drawable = Number.isFinite(xv) && Number.isFinite(yv) && !(xType === "log" && xv <= 0) &&
      !(y.type === "log" && yv <= 0);
    return drawable ? [x(xv), y.scale(yv)] : null;
  });
  const items = labelled.map(({ s, i }) => ({
    label: s.label! + (twin ? (s.axis === "right" ? " (right)" : " (left)") : ""),
    color: s.color ?? PALETTE[i % PALETTE.length],
    dash: s.dashed,
    marker: s.line === false,
  }));
  // Inside, in the corner covering no marks; beside the plot when every corner covers some.
  const place = options.legend === false
    ? null
    : placeLegend(items, f, occupied, space, f.right + (twin ? 64 : 20) + 4);
  if (place && "space" in place) return draw(options, place.space);
  const key = place ? legend(items, f, occupied, place.at, place.columns) : "";
  const axes = axis(x, "bottom", f, options.xLabel, { integer: integral(xs), categories }) +
    (left ? axis(left.scale, "left", f, options.yLabel, left) : "") +
    (right ? axis(right.scale, "right", f, options.y2Label, right) : "");
  const clip = plotClip(f, "plot-area");
  return svgDocument(
    f,
    `${clip.defs}${axes}<g ${clip.attribute}>${paths.join("")}</g>${key}`,
    options.title,
  );
}

/** Pixels of every drawable point, of nine points along each segment between them, and along error bars. */
function occupiedPixels(
  series: readonly LineSeries[],
  project: (s: LineSeries, xv: number, yv: number) => [number, number] | null,
): [number, number][] {
  const occupied: [number, number][] = [];
  for (const s of series) {
    let prev: [number, number] | null = null;
    for (let j = 0; j < s.x.length; j++) {
      const p = project(s, s.x[j], s.y[j]);
      if (p && prev) {
        for (let t = 0.1; t < 1; t += 0.1) {
          occupied.push([prev[0] + t * (p[0] - prev[0]), prev[1] + t * (p[1] - prev[1])]);
        }
      }
      if (p) occupied.push(p);
      prev = p;
      // Error bars occupy their whole extent.
      const e = s.errors?.[j];
      if (p && e !== undefined && Number.isFinite(e) && e > 0) {
        for (let t = -1; t <= 1; t += 0.25) {
          const q = project(s, s.x[j], s.y[j] + t * e);
          if (q) occupied.push(q);
        }
      }
    }
  }
  return occupied;
}

/** Refuses an empty plot and series whose x and y lengths differ. */
function checkSeries(series: readonly LineSeries[]): void {
  if (series.length === 0) throw new RangeError("Cannot draw line plot: no series given");
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new RangeError(
        `Cannot draw series ${i}${s.label ? ` (${s.label})` : ""}: ${s.x.length} x values but ${s.y.length} y values`,
      );
    }
  });
}

/** One series' line (or dots), markers and error bars. */
function seriesMarkup(
  s: LineSeries,
  color: string,
  x: (v: number) => number,
  xType: ScaleType,
  y: { scale: (v: number) => number; type: ScaleType },
): string {
  const ok = (xv: number, yv: number) =>
    Number.isFinite(xv) && Number.isFinite(yv) && (xType === "linear" || xv > 0) && (y.type === "linear" || yv > 0);
  const points = Array.from(s.x, (xv, j) => [xv, s.y[j]] as [number, number]);
  const d = line<[number, number]>().defined(([xv, yv]) => ok(xv, yv))
    .x(([xv]) => Number(px(x(xv)))).y(([, yv]) => Number(px(y.scale(yv))))(points) ?? "";
  const dots = s.line === false;
  const markers = s.markers || dots
    ? points.filter(([xv, yv]) => ok(xv, yv))
      .map(([xv, yv]) => `<circle cx="${px(x(xv))}" cy="${px(y.scale(yv))}" r="${dots ? 4 : 2.5}" fill="${color}"/>`)
      .join("")
    : "";
  const stroke = dots
    ? ""
    : `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ""}/>`;
  // Point labels in dark grey; a label that would touch one already placed is left out.
  const placed: [number, number][] = [];
  const texts = s.pointLabels
    ? `<g class="point-labels" font-size="9" fill="#333">${
      points.map(([xv, yv], j) => {
        const text = s.pointLabels![j];
        if (!ok(xv, yv) || !text) return "";
        const lx = x(xv) + 4, ly = y.scale(yv) - 4;
        if (placed.some(([a, b]) => Math.abs(a - lx) < 6 * text.length + 2 && Math.abs(b - ly) < 10)) return "";
        placed.push([lx, ly]);
        return `<text x="${px(lx)}" y="${px(ly)}">${esc(text)}</text>`;
      }).join("")
    }</g>`
    : "";
  return `<g class="series"${s.label ? ` data-label="${esc(s.label)}"` : ""}>${stroke}${markers}${
    errorBars(s, points, ok, x, y.scale, color)
  }${texts}</g>`;
}
