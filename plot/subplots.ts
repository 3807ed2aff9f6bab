/**
 * Subplot grids: several SVG figures laid out in rows and columns, each with an optional title.
 *
 * @module
 */
import { describe } from "../check/args.ts";
import { checkPlotOptions, esc, fittedFontSize } from "./_svg.ts";
import { Figure } from "./figure.ts";

/** Options for {@linkcode subplots}. */
export interface SubplotsOptions {
  /** The panels, as returned by the other plot functions. */
  panels: Figure[];
  /** Panels per row (default 2). */
  columns?: number;
  /** Title above each panel. */
  titles?: string[];
  /** Overall title. */
  title?: string;
}

/**
 * Arranges panels in a grid, each nested as its own `<svg>` at its own size (ids stay unique across
 * figures, so nothing is rewritten).
 *
 * @param options Panels, columns, titles.
 * @returns The composed figure.
 * @throws {RangeError} When there is no panel.
 * @example Two panels side by side
 * ```ts
 * import assert from "node:assert";
 * import { linePlot, subplots } from "../mod.ts";
 * const a = linePlot({ series: [{ x: [0, 1], y: [0, 1] }], width: 200, height: 150 });
 * const figure = subplots({ panels: [a, a], titles: ["left", "right"] });
 * assert.equal(figure.toSvg().match(/class="panel"/g)?.length, 2);
 * assert.equal(figure.width, 400);
 * ```
 */
export function subplots(options: SubplotsOptions): Figure {
  checkPlotOptions("lay out subplots", options, ["panels", "columns", "title", "titles"]);
  const { panels } = options;
  if (!Array.isArray(panels) || !panels.every((p) => p instanceof Figure)) {
    throw new TypeError(
      `Cannot lay out subplots: options.panels must be an array of Figures (got ${describe(panels)})`,
    );
  }
  if (panels.length === 0) throw new RangeError("Cannot lay out subplots: no panels given");
  const cols = Math.max(1, Math.min(options.columns ?? 2, panels.length));
  const cellW = Math.max(...panels.map((p) => p.width)), titleH = options.titles ? 20 : 0;
  const cellH = Math.max(...panels.map((p) => p.height)) + titleH;
  const top = options.title ? 30 : 0;
  // Wide enough for the title (~8 px per character at 15 px bold), panels centred when it is wider.
  const width = Math.max(cols * cellW, options.title ? options.title.length * 8 + 20 : 0);
  const shift = (width - cols * cellW) / 2;
  const height = top + Math.ceil(panels.length / cols) * cellH;
  // A figure placed twice is drawn once and referenced (<use>), so its ids stay unique.
  const placed = new Map<string, { x: number; y: number }>();
  const parts = panels.map((panel, i) => {
    const x = shift + (i % cols) * cellW, y = top + Math.floor(i / cols) * cellH + titleH;
    const title = options.titles?.[i]
      ? `<text x="${x + cellW / 2}" y="${y - titleH + 15}" text-anchor="middle" font-size="${
        fittedFontSize(options.titles[i], cellW, 13)
      }">${esc(options.titles[i])}</text>`
      : "";
    // Panels with the same markup are drawn once and repeated with <use>.
    const id = Figure.contentId("panel", panel.content);
    const first = placed.get(id);
    if (first) return `<g class="panel">${title}<use href="#${id}" x="${x - first.x}" y="${y - first.y}"/></g>`;
    placed.set(id, { x, y });
    const size = `width="${panel.width}" height="${panel.height}" viewBox="0 0 ${panel.width} ${panel.height}"`;
    return `<g class="panel">${title}<svg id="${id}" x="${x}" y="${y}" ${size}>${panel.content}</svg></g>`;
  });
  const heading = options.title
    ? `<text x="${width / 2}" y="20" text-anchor="middle" font-size="${
      fittedFontSize(options.title, width, 15)
    }" font-weight="bold">${esc(options.title)}</text>`
    : "";
  return new Figure(width, height, `<rect width="100%" height="100%" fill="white"/>${heading}${parts.join("")}`);
}
