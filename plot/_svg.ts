/**
 * Shared SVG building blocks for the plot functions: scales, axes, frames, colours, escaping.
 *
 * @module
 */
// @ts-types="npm:@types/d3-scale@^4.0.8"
import { scaleLinear, scaleLog } from "npm:d3-scale@^4.0.2";
// @ts-types="npm:@types/d3-array@^3.2.1"
import { extent } from "npm:d3-array@^3.2.4";
import type { FigureOptions, ScaleType } from "./figure.ts";
import { Figure, PALETTE, VIRIDIS } from "./figure.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";

export { type FigureOptions, PALETTE, type ScaleType, VIRIDIS };

/** A numeric scale mapping data to pixels, with ticks. */
export interface Scale {
  (v: number): number;
  ticks(count?: number): number[];
  tickFormat(count?: number, specifier?: string): (v: number) => string;
  domain(): number[];
}

/** Escapes text for SVG content and attributes. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Formats a pixel coordinate (finite, 2 decimals). */
export function px(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`Cannot draw a non-finite coordinate (${v})`);
  return String(Math.round(v * 100) / 100);
}

/**
 * Checks a plot's options object before any drawing: it is required, every key is known, `width` and
 * `height` are at least 100 pixels, the title is text and every `*Scale` is "linear" or "log". Each plot
 * checks its own data after this.
 *
 * @throws {TypeError} When options are missing, have an unknown key, or a title that is not text;
 *   {RangeError} for a size or scale out of range.
 */
export function checkPlotOptions<T extends object>(context: string, options: T, known: readonly string[]): T {
  if (options === undefined) throw new TypeError(`Cannot ${context}: options are required (the data to draw)`);
  const o = checkOptions(context, options, known) as Record<string, unknown>;
  for (const size of ["width", "height"]) {
    if (o[size] !== undefined) checkNumber(context, `options.${size}`, o[size], { min: 100 });
  }
  for (const text of ["title", "xLabel", "yLabel", "y2Label", "colorLabel", "label"]) {
    if (o[text] !== undefined && typeof o[text] !== "string") {
      throw new TypeError(`Cannot ${context}: options.${text} must be text (got ${describe(o[text])})`);
    }
  }
  for (const scale of ["xScale", "yScale", "y2Scale"]) {
    if (o[scale] !== undefined) checkChoice(context, `options.${scale}`, o[scale], ["linear", "log"]);
  }
  return options;
}

/** Plot area inside the figure. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Builds the frame from options and extra right margin. */
export function frame(options: FigureOptions, rightMargin = 20): Frame {
  const width = options.width ?? 640, height = options.height ?? 400;
  return { width, height, left: 64, right: width - rightMargin, top: options.title ? 34 : 14, bottom: height - 46 };
}

/**
 * Extent of finite values (positive only for log scales), padded when degenerate.
 *
 * @throws {RangeError} When no usable value exists.
 */
export function domainOf(values: Iterable<number>, type: ScaleType, what: string): [number, number] {
  const usable = [...values].filter((v) => Number.isFinite(v) && (type === "linear" || v > 0));
  const [lo, hi] = extent(usable) as [number | undefined, number | undefined];
  if (lo === undefined || hi === undefined) {
    throw new RangeError(`Cannot plot ${what}: no finite${type === "log" ? " positive" : ""} values`);
  }
  if (lo === hi) return type === "log" ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  return [lo, hi];
}

/** Whether a scale is logarithmic (d3 log scales expose `base`). */
function isLog(scale: Scale): boolean {
  return typeof (scale as unknown as { base?: unknown }).base === "function";
}

/**
 * A d3 scale of the given type over a domain onto a pixel range. With `pad` (data-driven axes of marks),
 * the domain gets a margin so that no mark at a data extreme is clipped by the frame: a linear domain is
 * niced and then widened by 3% of its span at an end where the data sit on the boundary; a log domain is
 * widened by 3% of its decades (at least ×1.05) at both ends.
 */
export function makeScale(
  type: ScaleType,
  domain: [number, number],
  range: [number, number],
  pad = false,
): Scale {
  if (type === "log") {
    const [lo, hi] = domain;
    const factor = pad ? Math.max(1.05, 10 ** (0.03 * Math.log10(hi / lo))) : 1;
    return scaleLog().domain([lo / factor, hi * factor]).range(range) as unknown as Scale;
  }
  const niced = scaleLinear().domain(domain).nice().domain() as [number, number];
  if (pad) {
    const span = niced[1] - niced[0];
    if (domain[0] - niced[0] < 0.02 * span) niced[0] -= 0.03 * span;
    if (niced[1] - domain[1] < 0.02 * span) niced[1] += 0.03 * span;
  }
  return scaleLinear().domain(niced).range(range) as unknown as Scale;
}

/** Smallest distance in pixels between an added end label and its neighbours (labels are 11 px). */
const MIN_LABEL_GAP = 14;

/** Options for {@linkcode axis}. */
export interface AxisOptions {
  /** Only integer ticks (the data are counts or indices). */
  integer?: boolean;
  /** Categorical axis: tick i (at value i) is labelled categories[i]. */
  categories?: readonly string[];
  /** The axis runs horizontally: labels need their width, not their height, between them. */
  horizontal?: boolean;
}

/**
 * Tick values and labels of an axis. Log axes: every decade in the domain and the outermost 1-2-5 values
 * (so the data extremes are covered) are labelled, in one format: plain numbers when every label lies in
 * [1e-3, 1e4], else `1e-7`-style with no plus sign. Linear axes: d3's ticks, integers only when asked.
 */
export function axisTicks(scale: Scale, count: number, options: AxisOptions = {}): { value: number; label: string }[] {
  const [d0, d1] = scale.domain() as [number, number];
  const lo = Math.min(d0, d1), hi = Math.max(d0, d1);
  if (options.categories) return options.categories.map((label, value) => ({ value, label }));
  if (isLog(scale)) {
    const values = new Set<number>();
    const nice: number[] = [];
    for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)) + 1; k++) {
      for (const m of [1, 2, 5]) {
        const v = Number((m * 10 ** k).toPrecision(12));
        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) {
          nice.push(v);
          if (m === 1) values.add(v);
        }
      }
    }
    // Decades closer than a label's height: every decade keeps its tick, every step-th its label.
    const decades = [...values].sort((a, b) => a - b);
    const perDecade = decades.length >= 2 ? Math.abs(scale(decades[1]) - scale(decades[0])) : Infinity;
    // A label needs its height on a vertical axis and its width (6.5 px a character) on a horizontal one.
    const plainDecades = decades.every((v) => v >= 1e-3 && v <= 1e4);
    const chars = Math.max(
      ...decades.map((v) => (plainDecades ? String(v) : v.toExponential().replace("e+", "e")).length),
      1,
    );
    const gap = options.horizontal ? 6.5 * chars + 8 : MIN_LABEL_GAP;
    const step = [1, 2, 3, 5, 10, 20, 50, 100].find((k) => k * perDecade >= gap) ?? 100;
    const unlabelled = new Set(decades.filter((v) => Math.round(Math.log10(v)) % step !== 0));
    // The outermost 1-2-5 values cover the data's ends, where they do not crowd a decade's label.
    const pixelsFrom = (v: number) =>
      Math.min(...[...values].filter((w) => !unlabelled.has(w)).map((w) => Math.abs(scale(v) - scale(w))));
    for (const end of [nice[0], nice[nice.length - 1]]) {
      if (end !== undefined && (values.size === 0 || pixelsFrom(end) >= gap)) values.add(end);
    }
    // Two or fewer labels for a short range: add the 1-2-5 values inside it, and where even those are
    // fewer than two (a range within one 1-2-5 step), the log scale's own in-decade ticks (0.7, 0.8, ...).
    if (values.size < 3) nice.forEach((v) => values.add(v));
    if (values.size < 2) {
      scale.ticks(count).forEach((v) => v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12) && values.add(v));
    }
    const sorted = [...values].sort((a, b) => a - b);
    const plain = sorted.every((v) => v >= 1e-3 && v <= 1e4);
    const label = (v: number) => (plain ? String(Number(v.toPrecision(6))) : v.toExponential().replace("e+", "e"));
    return sorted.map((value) => ({ value, label: unlabelled.has(value) ? "" : label(value) }));
  }
  let ticks = scale.ticks(count);
  if (options.integer) {
    ticks = ticks.filter((t) => Number.isInteger(t));
    if (ticks.length < 2) ticks = [Math.ceil(lo), Math.floor(hi)].filter((v, i, a) => a.indexOf(v) === i);
    return ticks.map((value) => ({ value, label: String(value) }));
  }
  // Very large or very small values read as 2e8 or 5e-9 (never 200,000,000 or 0.000000005).
  const largest = Math.max(...ticks.map(Math.abs));
  if (largest >= 1e5 || (largest > 0 && largest < 1e-3)) {
    return ticks.map((value) => ({ value, label: exponential(value) }));
  }
  const format = scale.tickFormat(count);
  return ticks.map((value) => ({ value, label: format(value) }));
}

/** The shortest `2.5e-9`-style label that reads back as the value (to 9 significant digits). */
function exponential(v: number): string {
  if (v === 0) return "0";
  for (let digits = 0; digits < 9; digits++) {
    const text = v.toExponential(digits);
    if (Math.abs(Number(text) - v) <= 1e-9 * Math.abs(v)) return text.replace("e+", "e");
  }
  return v.toExponential(8).replace("e+", "e");
}

/** An axis with ticks, tick labels and a label, along one side of the frame. */
export function axis(
  scale: Scale,
  side: "bottom" | "left" | "right",
  f: Frame,
  label = "",
  options: AxisOptions = {},
): string {
  const count = side === "bottom" ? 6 : 5;
  const ticks = axisTicks(scale, count, { ...options, horizontal: side === "bottom" });
  const parts: string[] = [];
  if (side === "bottom") {
    parts.push(`<line x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}" stroke="#333"/>`);
    for (const t of ticks) {
      const x = px(scale(t.value));
      parts.push(`<line x1="${x}" x2="${x}" y1="${f.bottom}" y2="${f.bottom + (t.label ? 5 : 3)}" stroke="#333"/>`);
      if (t.label) parts.push(`<text x="${x}" y="${f.bottom + 18}" text-anchor="middle">${esc(t.label)}</text>`);
    }
    if (label) {
      parts.push(
        `<text class="axis-title" x="${px((f.left + f.right) / 2)}" y="${f.bottom + 38}" text-anchor="middle">${
          esc(label)
        }</text>`,
      );
    }
  } else {
    const x0 = side === "left" ? f.left : f.right, dir = side === "left" ? -1 : 1;
    parts.push(`<line x1="${x0}" x2="${x0}" y1="${f.top}" y2="${f.bottom}" stroke="#333"/>`);
    for (const t of ticks) {
      const y = px(scale(t.value));
      parts.push(`<line x1="${x0}" x2="${x0 + (t.label ? 5 : 3) * dir}" y1="${y}" y2="${y}" stroke="#333"/>`);
      if (!t.label) continue;
      parts.push(
        `<text x="${x0 + 8 * dir}" y="${y}" dy="0.32em" text-anchor="${side === "left" ? "end" : "start"}">${
          esc(t.label)
        }</text>`,
      );
    }
    if (label) {
      const lx = side === "left" ? 16 : f.right + 54, ly = (f.top + f.bottom) / 2;
      parts.push(`<text transform="translate(${lx},${px(ly)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
    }
  }
  return `<g class="axis axis-${side}" font-size="11">${parts.join("")}</g>`;
}

/**
 * The font size (at most `size`, at least 8) at which a bold title fits the width with 10 px to spare,
 * estimating a bold sans-serif character at 0.62 em.
 */
export function fittedFontSize(text: string, width: number, size: number): number {
  const fits = Math.floor((width - 20) / (0.62 * Math.max(1, [...text].length)));
  return Math.max(8, Math.min(size, fits));
}

/** Wraps content in a standalone SVG document with a white background and an optional title. */
export function svgDocument(f: Frame, content: string, title?: string): Figure {
  const heading = title
    ? `<text class="title" x="${px(f.width / 2)}" y="20" text-anchor="middle" font-size="${
      fittedFontSize(title, f.width, 14)
    }" font-weight="bold">${esc(title)}</text>`
    : "";
  return new Figure(f.width, f.height, `<rect width="100%" height="100%" fill="white"/>${heading}${content}`);
}

/** A clip path to the plot area of a frame (its id a hash of the rectangle): its `<defs>` and the attribute. */
export function plotClip(f: Frame, name: string): { defs: string; attribute: string } {
  const rect = `<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}"/>`;
  const id = Figure.contentId(name, rect);
  return { defs: `<defs><clipPath id="${id}">${rect}</clipPath></defs>`, attribute: `clip-path="url(#${id})"` };
}

/** Size of the legend box of these items, laid out in `columns` columns. */
export function legendSize(items: { label: string }[], columns = 1): { width: number; height: number } {
  const column = Math.max(...items.map((i) => i.label.length)) * 6.5 + 34;
  return { width: column * columns, height: Math.ceil(items.length / columns) * 16 + 8 };
}

/** How many of the pixel points a box at [x, y] of the given size covers (with a 4-pixel margin). */
function coveredBy([x, y]: [number, number], size: { width: number; height: number }, points: [number, number][]) {
  return points.filter(([px, py]) =>
    px >= x - 4 && px <= x + size.width + 4 && py >= y - 4 && py <= y + size.height + 4
  )
    .length;
}

/** The inside corner of the frame whose legend box covers the fewest points, and how many it covers. */
export function legendCorner(
  items: { label: string }[],
  f: Frame,
  points: [number, number][],
): { at: [number, number]; covered: number } {
  const size = legendSize(items);
  const corners: [number, number][] = [
    [f.right - size.width - 8, f.top + 8],
    [f.left + 8, f.top + 8],
    [f.right - size.width - 8, f.bottom - size.height - 8],
    [f.left + 8, f.bottom - size.height - 8],
  ];
  const counts = corners.map((c) => coveredBy(c, size, points));
  const best = counts.indexOf(Math.min(...counts));
  return { at: corners[best], covered: counts[best] };
}

/** Room reserved outside the plot area for a legend: to the right of it, or below the x-axis label. */
export interface LegendSpace {
  right: number;
  below: number;
}

/** No room reserved: the legend goes inside the plot area. */
export const INSIDE: LegendSpace = { right: 0, below: 0 };

/** The frame with `space` reserved for the legend (beside or below the plot area). */
export function legendFrame(options: FigureOptions, rightMargin: number, space: LegendSpace): Frame {
  const f = frame(options, rightMargin + space.right);
  return { ...f, bottom: f.bottom - space.below };
}

/**
 * Where a legend goes. Drawn with no reserved space, it sits in the inside corner that covers no data;
 * when every corner covers some, the caller draws again with the returned space reserved, beside the
 * plot (at `besideX`) when that leaves the plot area at least 60% of its width, else below the x-axis
 * label in as many columns as fit. Returns null when there is nothing to list.
 */
export function placeLegend(
  items: { label: string }[],
  f: Frame,
  points: [number, number][],
  space: LegendSpace,
  besideX: number,
): { at: [number, number]; columns: number } | { space: LegendSpace } | null {
  if (items.length === 0) return null;
  if (space.right > 0) return { at: [besideX, f.top + 8], columns: 1 };
  const columns = belowColumns(items, f);
  if (space.below > 0) return { at: [f.left, f.bottom + 46], columns };
  const corner = legendCorner(items, f, points);
  if (corner.covered === 0) return { at: corner.at, columns: 1 };
  const width = legendSize(items).width + 12;
  return width <= 0.4 * (f.right - f.left)
    ? { space: { right: width, below: 0 } }
    : { space: { right: 0, below: legendSize(items, columns).height + 4 } };
}

/** Columns of a legend laid out below the plot: as many as fit the figure's width. */
function belowColumns(items: { label: string }[], f: Frame): number {
  const column = legendSize(items).width;
  return Math.max(1, Math.min(items.length, Math.floor((f.width - f.left - 8) / column)));
}

/**
 * A legend box listing labelled swatches: at `at` when given (e.g. outside the plot area), else in the
 * corner of the frame that covers the fewest of the given pixel points (top-right when none are given).
 */
export function legend(
  items: { label: string; color: string; dash?: boolean; marker?: boolean }[],
  f: Frame,
  points: [number, number][] = [],
  at?: [number, number],
  columns = 1,
): string {
  if (items.length === 0) return "";
  const { width, height } = legendSize(items, columns);
  const column = width / columns, perColumn = Math.ceil(items.length / columns);
  const [x0, y] = at ?? legendCorner(items, f, points).at;
  const rows = items.map((item, i) => {
    const x = x0 + Math.floor(i / perColumn) * column;
    const cy = y + 12 + (i % perColumn) * 16;
    const swatch = item.marker
      ? `<circle cx="${x + 14}" cy="${cy}" r="4" fill="${item.color}"/>`
      : `<line x1="${x + 6}" x2="${x + 22}" y1="${cy}" y2="${cy}" stroke="${item.color}" stroke-width="2"${
        item.dash ? ' stroke-dasharray="4 3"' : ""
      }/>`;
    return `${swatch}<text x="${x + 28}" y="${cy}" dy="0.32em">${esc(item.label)}</text>`;
  });
  return `<g class="legend" font-size="11"><rect x="${x0}" y="${y}" width="${
    px(width)
  }" height="${height}" fill="white" fill-opacity="0.85" stroke="#999"/>${rows.join("")}</g>`;
}
