/**
 * Scatter plots with points coloured by class.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { checkArrayLike } from "../check/args.ts";
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
  px,
  svgDocument,
} from "./_svg.ts";

/** Options for {@linkcode scatterPlot}. */
export interface ScatterPlotOptions extends FigureOptions {
  /** x coordinates. */
  x: ArrayLike<number>;
  /** y coordinates. */
  y: ArrayLike<number>;
  /** Class of each point (integers), colouring it; default all 0. */
  classes?: ArrayLike<number>;
  /** Legend label per class. */
  classLabels?: string[];
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
  /** Point radius (default 3). */
  radius?: number;
}

/**
 * The circles of a scatter plot for given scales (also used to overlay points on heatmaps).
 *
 * @param options Points and classes.
 * @param sx x scale.
 * @param sy y scale.
 * @returns SVG group text.
 */
export function scatterMarks(
  options: Pick<ScatterPlotOptions, "x" | "y" | "classes" | "radius">,
  sx: (v: number) => number,
  sy: (v: number) => number,
  style: "palette" | "contrast" = "palette",
): string {
  const r = options.radius ?? 3;
  const circles = Array.from(options.x, (xv, i) => {
    const yv = options.y[i];
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) return "";
    const c = options.classes?.[i] ?? 0;
    return `<circle cx="${px(sx(xv))}" cy="${px(sy(yv))}" r="${r}" ${classStyle(c, style)} data-class="${c}"/>`;
  });
  return `<g class="points">${circles.join("")}</g>`;
}

/**
 * Fill and stroke of a class's points. "contrast" (points over a colour field): class 0 white with a black
 * ring, class 1 black with a white ring, further classes palette colours with a black ring, so every class
 * stands out from every colour of the field.
 */
export function classStyle(c: number, style: "palette" | "contrast"): string {
  if (style === "palette") return `fill="${PALETTE[c % PALETTE.length]}" stroke="white" stroke-width="0.5"`;
  if (c === 0) return `fill="white" stroke="black" stroke-width="1.2"`;
  if (c === 1) return `fill="black" stroke="white" stroke-width="1.2"`;
  return `fill="${PALETTE[c % PALETTE.length]}" stroke="black" stroke-width="1.2"`;
}

/** The keys of {@linkcode ScatterPlotOptions}, for the unknown-option check. */
const SCATTER_OPTION_KEYS: readonly string[] = [
  "x",
  "y",
  "classes",
  "classLabels",
  "radius",
  "title",
  "xLabel",
  "yLabel",
  "width",
  "height",
];

/**
 * Draws a scatter plot.
 *
 * @param options Points, classes, labels.
 * @returns The figure (`toSvg()` for the document).
 * @throws {RangeError} When x and y lengths differ or no point is finite.
 * @example Two classes
 * ```ts
 * import assert from "node:assert";
 * import { scatterPlot } from "../mod.ts";
 * const svg = scatterPlot({ x: [0, 1, 2], y: [1, 0, 1], classes: [0, 1, 1], classLabels: ["a", "b"] }).toSvg();
 * assert.equal(svg.match(/<circle/g)?.length, 3 + 2);
 * ```
 */
export function scatterPlot(options: ScatterPlotOptions): Figure {
  checkPlotOptions("draw scatter plot", options, SCATTER_OPTION_KEYS);
  for (const axis of ["x", "y"] as const) checkArrayLike("draw scatter plot", `options.${axis}`, options[axis]);
  if (options.x.length !== options.y.length) {
    throw new RangeError(`Cannot draw scatter plot: ${options.x.length} x values but ${options.y.length} y values`);
  }
  return draw(options, INSIDE);
}

/** Draws with `space` reserved for the legend, beside or below the plot (when every inside corner covers points). */
function draw(options: ScatterPlotOptions, space: LegendSpace): Figure {
  const f = legendFrame(options, 20, space);
  const sx = makeScale("linear", domainOf(Array.from(options.x), "linear", "x"), [f.left, f.right], true);
  const sy = makeScale("linear", domainOf(Array.from(options.y), "linear", "y"), [f.bottom, f.top], true);
  const items = (options.classLabels ?? []).map((label, c) => ({
    label,
    color: PALETTE[c % PALETTE.length],
    marker: true,
  }));
  const occupied = Array.from(options.x, (xv, i) => [sx(xv), sy(options.y[i])] as [number, number])
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const place = placeLegend(items, f, occupied, space, f.right + 24);
  if (place && "space" in place) return draw(options, place.space);
  return svgDocument(
    f,
    axis(sx, "bottom", f, options.xLabel) + axis(sy, "left", f, options.yLabel) + scatterMarks(options, sx, sy) +
      (place ? legend(items, f, occupied, place.at, place.columns) : ""),
    options.title,
  );
}
