/**
 * Empirical spectral densities of weight layers on log–log axes, each with its fitted power-law tail (the
 * figure WeightWatcher draws per layer).
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { axis, checkPlotOptions, frame, makeScale, PALETTE, plotClip, px, svgDocument } from "./_svg.ts";
import { subplots } from "./subplots.ts";
import { checkArrayLike, checkNumber, describe } from "../check/args.ts";

/** One layer's ESD: its eigenvalues and, optionally, a power law fitted to their tail. */
export interface EsdLayer {
  /** Panel title (e.g. the layer's name). */
  name: string;
  /** The eigenvalues (those ≤ 0 cannot be shown on a log axis and are left out). */
  eigenvalues: ArrayLike<number>;
  /** The fitted power law p(x) ∝ x^(−α) for x ≥ x_min, with its tail size (default: the values ≥ x_min). */
  fit?: { alpha: number; xmin: number; tail?: number } | null;
}

/** Options for {@linkcode esdPlot}. */
export interface EsdPlotOptions {
  /** The layers, one panel each (e.g. the result of `weightSpectra`). */
  layers: readonly EsdLayer[];
  /** Number of logarithmically spaced bins per panel (default 30). */
  bins?: number;
  /** Panels per row (default 2). */
  columns?: number;
  /** Width of each panel in pixels (default 360). */
  width?: number;
  /** Height of each panel in pixels (default 280). */
  height?: number;
  /** Overall title. */
  title?: string;
  /** x-axis title (default "eigenvalue λ of WᵀW/N (weight²)"). */
  xLabel?: string;
}

const ESD_PLOT_OPTION_KEYS: readonly string[] = ["layers", "bins", "columns", "width", "height", "title", "xLabel"];
const CONTEXT = "draw ESD plot";

/** Log-spaced density histogram of the positive values: edges and heights (count / (n · width)). */
function logHistogram(values: number[], bins: number): { edges: number[]; heights: number[] } {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) lo /= 2, hi *= 2;
  const step = Math.log(hi / lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo * Math.exp(i * step)));
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(Math.log(v / lo) / step))]++;
  return { edges, heights: counts.map((c, i) => c / (values.length * (edges[i + 1] - edges[i]))) };
}

/** Checks one layer entry and returns its positive eigenvalues. */
function checkLayerEntry(layer: EsdLayer, i: number): number[] {
  if (typeof layer !== "object" || layer === null) {
    throw new TypeError(`Cannot ${CONTEXT}: options.layers[${i}] must be an object (got ${describe(layer)})`);
  }
  if (typeof layer.name !== "string") {
    throw new TypeError(`Cannot ${CONTEXT}: options.layers[${i}].name must be text (got ${describe(layer.name)})`);
  }
  const given = checkArrayLike(CONTEXT, `options.layers[${i}].eigenvalues`, layer.eigenvalues);
  const values = Array.from(given, (v, k) => checkNumber(CONTEXT, `options.layers[${i}].eigenvalues[${k}]`, v));
  if (layer.fit) {
    checkNumber(CONTEXT, `options.layers[${i}].fit.alpha`, layer.fit.alpha, { above: 1 });
    checkNumber(CONTEXT, `options.layers[${i}].fit.xmin`, layer.fit.xmin, { above: 0 });
    if (layer.fit.tail !== undefined) {
      checkNumber(CONTEXT, `options.layers[${i}].fit.tail`, layer.fit.tail, { integer: true, min: 1 });
    }
  }
  return values.filter((v) => v > 0);
}

/** One panel: bars of the log-binned density and the fitted power law from x_min to the largest value. */
function panel(layer: EsdLayer, values: number[], options: EsdPlotOptions, bins: number): Figure {
  const f = frame({ width: options.width ?? 360, height: options.height ?? 280 });
  const xLabel = options.xLabel ?? "eigenvalue λ of WᵀW/N (weight²)";
  if (values.length === 0) {
    return svgDocument(
      f,
      `<text x="${px((f.left + f.right) / 2)}" y="${
        px((f.top + f.bottom) / 2)
      }" text-anchor="middle" font-size="12">no positive eigenvalues</text>`,
    );
  }
  const { edges, heights } = logHistogram(values, bins);
  const fit = layer.fit, xmax = Math.max(...values);
  // The power law's density over all values: the tail's share times (α − 1)/x_min · (x/x_min)^(−α).
  const share = fit ? (fit.tail ?? values.filter((v) => v >= fit.xmin).length) / values.length : 0;
  const law = (x: number) => fit ? share * ((fit.alpha - 1) / fit.xmin) * (x / fit.xmin) ** -fit.alpha : 0;
  const shown = fit && fit.xmin < xmax ? [law(fit.xmin), law(xmax)] : [];
  const positive = heights.filter((h) => h > 0);
  const sx = makeScale("log", [edges[0], edges[edges.length - 1]], [f.left, f.right], true);
  const sy = makeScale("log", [Math.min(...positive, ...shown) / 2, Math.max(...positive, ...shown)], [
    f.bottom,
    f.top,
  ], true);
  const bars = heights.map((h, i) =>
    h > 0
      ? `<rect x="${px(sx(edges[i]))}" y="${px(sy(h))}" width="${
        px(Math.max(0.5, sx(edges[i + 1]) - sx(edges[i])))
      }" height="${px(Math.max(0, f.bottom - sy(h)))}" fill="${
        PALETTE[0]
      }" fill-opacity="0.6" stroke="#ffffff" stroke-width="0.5"/>`
      : ""
  ).join("");
  // On log–log axes a power law is a straight line: two points draw it exactly.
  const line = shown.length
    ? `<g class="series"><line x1="${px(sx(fit!.xmin))}" y1="${px(sy(shown[0]))}" x2="${px(sx(xmax))}" y2="${
      px(sy(shown[1]))
    }" stroke="${PALETTE[1]}" stroke-width="2"/><line x1="${px(sx(fit!.xmin))}" x2="${
      px(sx(fit!.xmin))
    }" y1="${f.top}" y2="${f.bottom}" stroke="#555" stroke-width="1" stroke-dasharray="4 3"/></g>`
    : "";
  const clip = plotClip(f, "esd-area");
  return svgDocument(
    f,
    axis(sx, "bottom", f, xLabel) + axis(sy, "left", f, "density (1/weight²)") +
      `${clip.defs}<g ${clip.attribute}><g class="bars">${bars}</g>${line}</g>`,
  );
}

/** The panel title: the layer's name and, when fitted, α and x_min. */
function panelTitle(layer: EsdLayer): string {
  const g = (v: number) => Number(v.toPrecision(3)).toString();
  return layer.fit ? `${layer.name}: α = ${g(layer.fit.alpha)}, x_min = ${g(layer.fit.xmin)}` : `${layer.name}: no fit`;
}

/**
 * Draws each layer's empirical spectral density as a histogram with logarithmic bins on log–log axes, with
 * the fitted power law over its tail as a line (from x_min, marked by a dashed line, to the largest
 * eigenvalue) and α in the panel's title. The density is count / (n · bin width) over the n positive
 * eigenvalues, and the line is the tail's share of them times (α − 1)/x_min · (x/x_min)^(−α), so both
 * integrate to the same mass over the tail.
 *
 * @param options The layers (e.g. `weightSpectra`'s result), bins, layout.
 * @returns The figure (`toSvg()` for the document).
 * @throws {TypeError} When `options.layers` is not an array of layers, or an option is unknown.
 * @throws {RangeError} When there is no layer, an eigenvalue is not finite, or a fit has α ≤ 1 or
 *   x_min ≤ 0.
 * @example A Pareto sample with its fit
 * ```ts
 * import assert from "node:assert";
 * import { esdPlot } from "./esd_plot.ts";
 * const eigenvalues = Array.from({ length: 500 }, (_, i) => (1 - (i + 0.5) / 500) ** -0.5);
 * const svg = esdPlot({ layers: [{ name: "dense", eigenvalues, fit: { alpha: 3, xmin: 1 } }] }).toSvg();
 * assert.ok(svg.includes('class="bars"') && svg.includes("α = 3"));
 * ```
 */
export function esdPlot(options: EsdPlotOptions): Figure {
  checkPlotOptions(CONTEXT, options, ESD_PLOT_OPTION_KEYS);
  const layers = options.layers;
  if (!Array.isArray(layers)) {
    throw new TypeError(`Cannot ${CONTEXT}: options.layers must be an array of layers (got ${describe(layers)})`);
  }
  if (layers.length === 0) throw new RangeError(`Cannot ${CONTEXT}: options.layers is empty`);
  // null is refused, not read as "not given".
  const count = (name: "bins" | "columns", fallback: number) =>
    checkNumber(CONTEXT, `options.${name}`, options[name] === undefined ? fallback : options[name], {
      integer: true,
      min: 1,
    });
  const bins = count("bins", 30), columns = count("columns", 2);
  const values = layers.map(checkLayerEntry);
  const panels = layers.map((layer, i) => panel(layer, values[i], options, bins));
  return subplots({
    panels,
    columns,
    titles: layers.map(panelTitle),
    ...(options.title !== undefined ? { title: options.title } : {}),
  });
}
