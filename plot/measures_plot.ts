/**
 * Measures tracked through training (the rows of `track`): one panel per measure against the step, a
 * line per layer on a sequential colour scale.
 *
 * @module
 */
import { scaleLinear } from "npm:d3-scale@^4.0.2";
import { checkArrayLike, checkOptions, describe } from "../check/args.ts";
import type { Figure } from "./figure.ts";
import { linePlot } from "./line_plot.ts";
import { subplots } from "./subplots.ts";

/** One tracked value: the shape of `track`'s rows. */
export interface MeasureRow {
  /** Step or epoch. */
  step: number;
  /** Layer index, or −1 for a model-level measure. */
  layer: number;
  /** Measure name. */
  measure: string;
  /** Value. */
  value: number;
}

/** Options for {@linkcode measuresPlot}. */
export interface MeasuresPlotOptions {
  /** x-axis label (default "step"). */
  xLabel?: string;
  /** Panels per row (default 2). */
  columns?: number;
}

/** Layer colours from light to dark blue (early layers light, late ones dark), as d3 interpolates them. */
const LAYER_COLORS = scaleLinear<string>().domain([0, 1]).range(["#9ecae1", "#08306b"]);

/** Colour `i` of `count` layers. */
const sequentialColor = (i: number, count: number) => LAYER_COLORS(count <= 1 ? 1 : i / (count - 1));

/**
 * Draws tracked measures: one panel per measure (its name on the y axis) against the step, a line per
 * layer from light (first) to dark blue (last), model-level measures (layer −1) in black.
 *
 * @param rows The rows (e.g. `tracker.rows`).
 * @param options Axis label and layout.
 * @returns The figure (`toSvg()` for the document).
 * @throws {TypeError} When rows is not an array of rows, or an option is unknown.
 * @throws {RangeError} When there are no rows.
 * @example Two layers' RankMe over three epochs
 * ```ts
 * import assert from "node:assert";
 * import { measuresPlot } from "../mod.ts";
 * const rows = [0, 1, 2].flatMap((step) => [1, 2].map((layer) => ({ step, layer, measure: "rankMe", value: step + layer })));
 * assert.ok(measuresPlot(rows, { xLabel: "epoch" }).toSvg().includes("rankMe"));
 * ```
 */
export function measuresPlot(rows: readonly MeasureRow[], options: MeasuresPlotOptions = {}): Figure {
  const what = "draw tracked measures";
  checkArrayLike(what, "rows", rows);
  checkOptions(what, options, ["xLabel", "columns"]);
  for (const [i, r] of rows.entries()) {
    const ok = r !== null && typeof r === "object" && typeof r.measure === "string" &&
      [r.step, r.layer, r.value].every((v) => typeof v === "number");
    if (!ok) throw new TypeError(`Cannot ${what}: rows[${i}] is ${describe(r)} (need { step, layer, measure, value })`);
  }
  if (rows.length === 0) throw new RangeError(`Cannot ${what}: rows is empty (record something first)`);
  const measures = [...new Set(rows.map((r) => r.measure))];
  const allLayers = [...new Set(rows.filter((r) => r.layer >= 0).map((r) => r.layer))].sort((a, b) => a - b);
  const panels = measures.map((measure) => {
    const own = rows.filter((r) => r.measure === measure);
    const layers = [...new Set(own.map((r) => r.layer))].sort((a, b) => a - b);
    const series = layers.map((layer) => {
      const points = own.filter((r) => r.layer === layer).sort((a, b) => a.step - b.step);
      return {
        x: points.map((r) => r.step),
        y: points.map((r) => r.value),
        label: layer < 0 ? "model" : `layer ${layer}`,
        color: layer < 0 ? "#000000" : sequentialColor(allLayers.indexOf(layer), allLayers.length),
        markers: points.length < 30,
      };
    });
    return linePlot({ series, xLabel: options.xLabel ?? "step", yLabel: measure, legend: series.length > 1 });
  });
  return panels.length === 1 ? panels[0] : subplots({ panels, columns: options.columns ?? 2 });
}
