/**
 * Subplot grids: several SVG figures laid out in rows and columns, each with an optional title.
 *
 * @module
 */
import { esc } from "./_svg.ts";

/** Options for {@linkcode subplots}. */
export interface SubplotsOptions {
  /** Complete SVG documents (as produced by the other plot functions). */
  panels: string[];
  /** Panels per row (default 2). */
  columns?: number;
  /** Title above each panel. */
  titles?: string[];
  /** Overall title. */
  title?: string;
}

function sizeOf(svg: string, i: number): [number, number] {
  const m = svg.match(/^<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/);
  if (!m) throw new RangeError(`Cannot place panel ${i}: it is not an SVG document with width and height`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * Arranges panels in a grid (each nested as its own `<svg>`).
 *
 * @param options Panels, columns, titles.
 * @returns SVG text.
 * @throws {RangeError} When there is no panel or a panel is not an SVG document.
 * @example Two panels side by side
 * ```ts
 * import assert from "node:assert";
 * import { linePlot, subplots } from "../mod.ts";
 * const a = linePlot({ series: [{ x: [0, 1], y: [0, 1] }], width: 200, height: 150 });
 * const svg = subplots({ panels: [a, a], titles: ["left", "right"] });
 * assert.equal(svg.match(/class="panel"/g)?.length, 2);
 * ```
 */
export function subplots(options: SubplotsOptions): string {
  const { panels } = options;
  if (panels.length === 0) throw new RangeError("Cannot lay out subplots: no panels given");
  const sizes = panels.map(sizeOf);
  const cols = Math.max(1, Math.min(options.columns ?? 2, panels.length));
  const cellW = Math.max(...sizes.map(([w]) => w)), titleH = options.titles ? 20 : 0;
  const cellH = Math.max(...sizes.map(([, h]) => h)) + titleH;
  const top = options.title ? 30 : 0;
  // Wide enough for the title (~8 px per character at 15 px bold), panels centred when it is wider.
  const width = Math.max(cols * cellW, options.title ? options.title.length * 8 + 20 : 0);
  const shift = (width - cols * cellW) / 2;
  const height = top + Math.ceil(panels.length / cols) * cellH;
  const parts = panels.map((svg, i) => {
    const x = shift + (i % cols) * cellW, y = top + Math.floor(i / cols) * cellH;
    const title = options.titles?.[i]
      ? `<text x="${x + cellW / 2}" y="${y + 15}" text-anchor="middle" font-size="13">${esc(options.titles[i])}</text>`
      : "";
    // Each panel keeps its own ids; prefix them so clip paths do not collide.
    const scoped = svg.replace(/id="([^"]+)"/g, `id="p${i}-$1"`).replace(/url\(#([^)]+)\)/g, `url(#p${i}-$1)`);
    return `<g class="panel">${title}<svg x="${x}" y="${y + titleH}"${scoped.slice(4)}</g>`;
  });
  const heading = options.title
    ? `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(options.title)
    }</text>`
    : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${heading}${
    parts.join("")
  }</svg>`;
}
