/**
 * Filled heatmaps and contour plots of values on a regular grid, with a colour bar and optional points
 * on top (decision boundaries, singular-value maps).
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { pngDataUri } from "./_png.ts";
// @ts-types="npm:@types/d3-contour@^3.0.6"
import { contours } from "npm:d3-contour@^4.0.2";
// @ts-types="npm:@types/d3-scale@^4.0.8"
import { scaleLinear } from "npm:d3-scale@^4.0.2";
// @ts-types="npm:@types/d3-array@^3.2.1"
import { ticks } from "npm:d3-array@^3.2.4";
import {
  axis,
  checkPlotOptions,
  esc,
  type FigureOptions,
  frame,
  makeScale,
  plotClip,
  px,
  svgDocument,
  VIRIDIS,
} from "./_svg.ts";
import { classStyle, scatterMarks } from "./scatter_plot.ts";

/** Options for {@linkcode heatmap}. */
export interface HeatmapOptions extends FigureOptions {
  /** Values row by row: `values[j * nx + i]` at (x_i, y_j), y increasing with j. */
  values: ArrayLike<number>;
  /** Grid columns. */
  nx: number;
  /** Grid rows. */
  ny: number;
  /** x range covered by the grid. */
  xDomain: [number, number];
  /** y range covered by the grid. */
  yDomain: [number, number];
  /** "filled" cells (default) or filled "contours" with lines. */
  style?: "filled" | "contours";
  /** Contour levels (count or explicit values; default 10). */
  levels?: number | number[];
  /** Colour range (default: the values' extent). */
  colorDomain?: [number, number];
  /** Map log10 of the values to colour (for positive data such as singular values). */
  logColor?: boolean;
  /** Colour-bar label. */
  colorLabel?: string;
  /**
   * Points drawn on top, marked by class so that they stand out from every colour of the field (class 0
   * white, class 1 black, each ringed in the other); `labels` names the classes in a key below the plot.
   */
  points?: { x: ArrayLike<number>; y: ArrayLike<number>; classes?: ArrayLike<number>; labels?: string[] };
  /** Draw this level as a thick black line (e.g. 0.5 for a decision boundary). */
  boundary?: number;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
}

/** The keys of {@linkcode HeatmapOptions}, for the unknown-option check. */
const HEATMAP_OPTION_KEYS: readonly string[] = [
  "nx",
  "ny",
  "values",
  "xDomain",
  "yDomain",
  "colorDomain",
  "logColor",
  "levels",
  "boundary",
  "points",
  "style",
  "title",
  "xLabel",
  "yLabel",
  "colorLabel",
  "width",
  "height",
];

/**
 * Draws a heatmap or contour plot with a colour bar.
 *
 * @param options Grid values, extent, style.
 * @returns The figure (`toSvg()` for the document).
 * @throws {RangeError} When the grid size does not match `values` or no value is finite.
 * @example A 2x2 grid
 * ```ts
 * import assert from "node:assert";
 * import { heatmap } from "../mod.ts";
 * const svg = heatmap({ values: [0, 1, 2, 3], nx: 2, ny: 2, xDomain: [0, 1], yDomain: [0, 1] }).toSvg();
 * assert.ok(svg.includes('class="colorbar"'));
 * ```
 */
export function heatmap(options: HeatmapOptions): Figure {
  checkPlotOptions("draw heatmap", options, HEATMAP_OPTION_KEYS);
  const { nx, ny } = options;
  if (!(nx >= 2 && ny >= 2) || options.values.length !== nx * ny) {
    throw new RangeError(
      `Cannot draw heatmap: ${options.values.length} values for a ${nx}x${ny} grid (need at least 2x2)`,
    );
  }
  const raw = Float64Array.from(options.values);
  const mapped = options.logColor ? raw.map((v) => (v > 0 ? Math.log10(v) : NaN)) : raw;
  const finite = mapped.filter(Number.isFinite);
  if (finite.length === 0) throw new RangeError("Cannot draw heatmap: no finite values");
  const domain: [number, number] = options.colorDomain
    ? (options.logColor
      ? [Math.log10(options.colorDomain[0]), Math.log10(options.colorDomain[1])]
      : options.colorDomain)
    : [Math.min(...finite), Math.max(...finite)];
  if (domain[0] === domain[1]) domain[1] = domain[0] + 1;
  const stops = VIRIDIS.map((_, i) => domain[0] + ((domain[1] - domain[0]) * i) / (VIRIDIS.length - 1));
  const color = scaleLinear<string>().domain(stops).range([...VIRIDIS]).clamp(true);
  const f = frame(options, 90);
  const keyed = options.points?.labels?.length ? options.points.labels : null;
  if (keyed) f.bottom -= 18; // room for the class key under the x-axis label
  const [x0, x1] = options.xDomain, [y0, y1] = options.yDomain;
  const dx = (x1 - x0) / (nx - 1), dy = (y1 - y0) / (ny - 1);
  // The axes show every cell whole, and reach far enough that no overlaid point is cut by the frame.
  const sx = makeScale("linear", padded(x0 - dx / 2, x1 + dx / 2, options.points?.x, f.right - f.left), [
    f.left,
    f.right,
  ]);
  const sy = makeScale("linear", padded(y0 - dy / 2, y1 + dy / 2, options.points?.y, f.bottom - f.top), [
    f.bottom,
    f.top,
  ]);
  let body = "";
  if ((options.style ?? "filled") === "filled") {
    const { indices, palette } = cellRaster(mapped, nx, ny, domain, color);
    const xa = sx(x0 - 0.5 * dx), xb = sx(x1 + 0.5 * dx), ya = sy(y1 + 0.5 * dy), yb = sy(y0 - 0.5 * dy);
    body = `<g class="cells"><image x="${px(xa)}" y="${px(ya)}" width="${px(xb - xa)}" height="${
      px(yb - ya)
    }" preserveAspectRatio="none" style="image-rendering:pixelated" href="${
      pngDataUri(nx, ny, indices, palette)
    }"/></g>`;
  } else {
    const levels = Array.isArray(options.levels) ? options.levels : ticks(domain[0], domain[1], options.levels ?? 10);
    const filled = Array.from(mapped, (v) => (Number.isFinite(v) ? v : domain[0]));
    const polys = contours().size([nx, ny]).thresholds(levels)(filled);
    // Below the lowest level d3-contour draws nothing: paint that colour underneath.
    const base = `<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="${
      color(domain[0])
    }"/>`;
    body = `<g class="contours">${base}${
      polys.map((p) =>
        `<path d="${geoPath(p.coordinates, sx, sy, x0, y0, dx, dy)}" fill="${
          color(p.value)
        }" stroke="#333" stroke-width="0.4" stroke-opacity="0.5"/>`
      ).join("")
    }</g>`;
  }
  if (options.boundary !== undefined) {
    const level = options.logColor ? Math.log10(options.boundary) : options.boundary;
    const filled = Array.from(mapped, (v) => (Number.isFinite(v) ? v : domain[0]));
    const [poly] = contours().size([nx, ny]).thresholds([level])(filled);
    body += `<path class="boundary" d="${
      levelPath(poly.coordinates, nx, ny, (gx, gy) => `${px(sx(x0 + (gx - 0.5) * dx))},${px(sy(y0 + (gy - 0.5) * dy))}`)
    }" fill="none" stroke="black" stroke-width="2"/>`;
  }
  if (options.points) body += scatterMarks({ ...options.points, radius: 3 }, sx, sy, "contrast");
  const clip = plotClip(f, "heat-area");
  return svgDocument(
    f,
    `${clip.defs}<g ${clip.attribute}>${body}</g>` + axis(sx, "bottom", f, options.xLabel) +
      axis(sy, "left", f, options.yLabel) + colorBar(domain, color, f, options) + (keyed ? classKey(keyed, f) : ""),
    options.title,
  );
}

/** Converts d3-contour MultiPolygon grid coordinates to a pixel path. */
function geoPath(
  coordinates: number[][][][],
  sx: (v: number) => number,
  sy: (v: number) => number,
  x0: number,
  y0: number,
  dx: number,
  dy: number,
): string {
  // d3-contour puts grid point (i, j) at (i + 0.5, j + 0.5).
  return coordinates.map((polygon) =>
    polygon.map((ring) =>
      "M" + ring.map(([gx, gy]) => `${px(sx(x0 + (gx - 0.5) * dx))},${px(sy(y0 + (gy - 0.5) * dy))}`).join("L") + "Z"
    ).join("")
  ).join("");
}

function colorBar(
  domain: [number, number],
  color: (v: number) => string,
  f: { right: number; top: number; bottom: number },
  options: HeatmapOptions,
): string {
  const x = f.right + 14, w = 14, steps = 40;
  const scale = makeScale("linear", domain, [f.bottom, f.top]);
  const rects = Array.from({ length: steps }, (_, i) => {
    const v0 = domain[0] + ((domain[1] - domain[0]) * i) / steps;
    const ya = scale(v0 + (domain[1] - domain[0]) / steps), yb = scale(v0);
    return `<rect x="${x}" y="${px(ya)}" width="${w}" height="${px(yb - ya + 0.5)}" fill="${
      color(v0 + (domain[1] - domain[0]) / (2 * steps))
    }"/>`;
  });
  let ticksAt = scale.ticks(5).filter((t) => t >= domain[0] && t <= domain[1]);
  // Log colour: label whole decades as 1e{k} when the range spans any, else the plain values.
  const decades = ticksAt.filter((t) => Number.isInteger(t));
  if (options.logColor && decades.length >= 2) ticksAt = decades;
  const text = (t: number) =>
    options.logColor ? (Number.isInteger(t) ? `1e${t}` : (10 ** t).toPrecision(2)) : scale.tickFormat(5)(t);
  const labels = ticksAt.map((t) => `<text x="${x + w + 4}" y="${px(scale(t))}" dy="0.32em">${esc(text(t))}</text>`);
  const label = options.colorLabel
    ? `<text transform="translate(${f.right + 84},${px((f.top + f.bottom) / 2)}) rotate(-90)" text-anchor="middle">${
      esc(options.colorLabel)
    }</text>`
    : "";
  return `<g class="colorbar" font-size="10">${rects.join("")}${labels.join("")}${label}</g>`;
}

/** [lo, hi] widened so that points (radius 3 plus a pixel) at their extremes lie inside `pixels` of axis. */
function padded(lo: number, hi: number, points: ArrayLike<number> | undefined, pixels: number): [number, number] {
  const finite = Array.from(points ?? [], Number).filter(Number.isFinite);
  if (finite.length === 0) return [lo, hi];
  const min = Math.min(...finite), max = Math.max(...finite);
  // Units per pixel of the widened axis (solved so the margin holds after widening).
  const unit = (Math.max(hi, max) - Math.min(lo, min)) / (pixels - 10);
  return [Math.min(lo, min - 5 * unit), Math.max(hi, max + 5 * unit)];
}

/** One row under the plot naming each class of the overlaid points with its marker. */
function classKey(labels: string[], f: { left: number; right: number; bottom: number }): string {
  const widths = labels.map((l) => l.length * 6 + 30);
  let x = (f.left + f.right) / 2 - widths.reduce((a, b) => a + b, 0) / 2;
  const y = f.bottom + 56;
  const items = labels.map((label, c) => {
    const item = `<circle cx="${px(x + 6)}" cy="${y}" r="4" ${classStyle(c, "contrast")}/><text x="${
      px(x + 14)
    }" y="${y}" dy="0.32em">${esc(label)}</text>`;
    x += widths[c];
    return item;
  });
  return `<g class="point-key" font-size="11">${items.join("")}</g>`;
}

/** [r, g, b] bytes of a "#rrggbb" or "rgb(r, g, b)" colour (what d3's interpolators return). */
function rgb24(c: string): [number, number, number] {
  if (c.startsWith("#")) return [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)) as [number, number, number];
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c);
  if (!m) throw new RangeError(`Cannot parse colour ${c}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * The level set of a contour polygon as open lines: the edges d3-contour adds along the grid's border to
 * close a region are skipped, so a boundary never traces the frame.
 */
function levelPath(
  coordinates: number[][][][],
  nx: number,
  ny: number,
  point: (gx: number, gy: number) => string,
): string {
  // d3-contour closes regions with edges whose both ends lie on the border (x ∈ {0, nx} or y ∈ {0, ny}).
  const onBorder = ([x, y]: number[]) => x === 0 || x === nx || y === 0 || y === ny;
  const sameBorder = (a: number[], b: number[]) => onBorder(a) && onBorder(b);
  let d = "";
  for (const ring of coordinates.flat()) {
    let down = false;
    for (let k = 0; k + 1 < ring.length; k++) {
      if (sameBorder(ring[k], ring[k + 1])) {
        down = false;
        continue;
      }
      if (!down) d += `M${point(ring[k][0], ring[k][1])}`;
      d += `L${point(ring[k + 1][0], ring[k + 1][1])}`;
      down = true;
    }
  }
  return d;
}

/**
 * One pixel per cell, top row first: indices into 255 colours of the colour scale (index 0 is the grey
 * of missing values), for a raster stretched over the cells' extent.
 */
function cellRaster(
  mapped: Float64Array,
  nx: number,
  ny: number,
  domain: [number, number],
  color: (v: number) => string,
): { indices: Uint8Array; palette: Uint8Array } {
  const levels = 255, palette = new Uint8Array(3 * (levels + 1));
  palette.set(rgb24("#cccccc"), 0);
  for (let k = 0; k < levels; k++) {
    palette.set(rgb24(color(domain[0] + ((domain[1] - domain[0]) * k) / (levels - 1))), 3 * (k + 1));
  }
  const indices = new Uint8Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = mapped[j * nx + i];
      const t = Math.min(1, Math.max(0, (v - domain[0]) / (domain[1] - domain[0])));
      indices[(ny - 1 - j) * nx + i] = Number.isFinite(v) ? 1 + Math.round(t * (levels - 1)) : 0;
    }
  }
  return { indices, palette };
}
