/**
 * Scatter plots with points coloured by class.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { axis, domainOf, type FigureOptions, frame, legend, makeScale, PALETTE, px, svgDocument } from "./_svg.ts";

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
): string {
  const r = options.radius ?? 3;
  const circles = Array.from(options.x, (xv, i) => {
    const yv = options.y[i];
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) return "";
    const c = options.classes?.[i] ?? 0;
    return `<circle cx="${px(sx(xv))}" cy="${px(sy(yv))}" r="${r}" fill="${
      PALETTE[c % PALETTE.length]
    }" stroke="white" stroke-width="0.5" data-class="${c}"/>`;
  });
  return `<g class="points">${circles.join("")}</g>`;
}

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
  if (options.x.length !== options.y.length) {
    throw new RangeError(`Cannot draw scatter plot: ${options.x.length} x values but ${options.y.length} y values`);
  }
  const f = frame(options);
  const sx = makeScale("linear", domainOf(Array.from(options.x), "linear", "x"), [f.left, f.right], true);
  const sy = makeScale("linear", domainOf(Array.from(options.y), "linear", "y"), [f.bottom, f.top], true);
  const key = options.classLabels
    ? legend(
      options.classLabels.map((label, c) => ({ label, color: PALETTE[c % PALETTE.length], marker: true })),
      f,
      Array.from(options.x, (xv, i) => [sx(xv), sy(options.y[i])] as [number, number]),
    )
    : "";
  return svgDocument(
    f,
    axis(sx, "bottom", f, options.xLabel) + axis(sy, "left", f, options.yLabel) + scatterMarks(options, sx, sy) + key,
    options.title,
  );
}
