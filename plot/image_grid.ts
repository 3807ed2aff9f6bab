/**
 * Image grids: MNIST digits, weight matrices and other small grayscale or diverging images.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { describe } from "../check/args.ts";
import { checkPlotOptions, esc, px, svgDocument } from "./_svg.ts";

/** Options for {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Images, each `height x width` values row by row. */
  images: ArrayLike<number>[];
  /** Image width in pixels of data. */
  imageWidth: number;
  /** Image height in pixels of data. */
  imageHeight: number;
  /** Per-image [width, height] when sizes differ (cells are sized to the largest). */
  sizes?: [number, number][];
  /** Images per row (default 10). */
  columns?: number;
  /** Caption under each image. */
  captions?: string[];
  /** Screen pixels per data pixel (default 3). */
  scale?: number;
  /** "gray" (min→black, max→white, default) or "diverging" (negative blue, zero white, positive red). */
  colormap?: "gray" | "diverging";
  /** Figure title. */
  title?: string;
}

/** The keys of {@linkcode ImageGridOptions}, for the unknown-option check. */
const IMAGE_GRID_OPTION_KEYS: readonly string[] = [
  "images",
  "imageWidth",
  "imageHeight",
  "sizes",
  "columns",
  "scale",
  "colormap",
  "captions",
  "title",
];

/**
 * Draws images in a grid.
 *
 * @param options Images and layout.
 * @returns The figure (`toSvg()` for the document).
 * @throws {RangeError} When an image does not have imageWidth × imageHeight values.
 * @example Two 2x2 images
 * ```ts
 * import assert from "node:assert";
 * import { imageGrid } from "../mod.ts";
 * const svg = imageGrid({ images: [[0, 1, 1, 0], [1, 0, 0, 1]], imageWidth: 2, imageHeight: 2 }).toSvg();
 * assert.equal(svg.match(/class="image"/g)?.length, 2);
 * ```
 */
export function imageGrid(options: ImageGridOptions): Figure {
  checkPlotOptions("draw image grid", options, IMAGE_GRID_OPTION_KEYS);
  const { images } = options;
  if (!Array.isArray(images) || images.length === 0) {
    throw new RangeError(`Cannot draw image grid: options.images must be a non-empty array (got ${describe(images)})`);
  }
  const sizes = images.map((_, i) => options.sizes?.[i] ?? [options.imageWidth, options.imageHeight]);
  images.forEach((img, i) => {
    if (img.length !== sizes[i][0] * sizes[i][1]) {
      throw new RangeError(`Cannot draw image ${i}: ${img.length} values for a ${sizes[i][0]}x${sizes[i][1]} image`);
    }
  });
  const w = Math.max(...sizes.map(([iw]) => iw)), h = Math.max(...sizes.map(([, ih]) => ih));
  const cols = Math.max(1, Math.min(options.columns ?? 10, images.length));
  const rows = Math.ceil(images.length / cols);
  const s = options.scale ?? 3, gap = 6, caption = options.captions ? 14 : 0, top = options.title ? 30 : 6;
  const cellW = w * s + gap, cellH = h * s + gap + caption;
  const width = Math.max(cols * cellW + gap, 120), height = rows * cellH + gap + top;
  const parts = images.map((img, k) => {
    const values = Array.from(img);
    const lo = Math.min(...values), hi = Math.max(...values), big = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const shade = (v: number): string => {
      if (options.colormap === "diverging") {
        const t = Math.max(-1, Math.min(1, v / big));
        const c = Math.round(255 * (1 - Math.abs(t)));
        return t >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
      }
      const g = Math.round((255 * (v - lo)) / (hi - lo || 1));
      return `rgb(${g},${g},${g})`;
    };
    const ox = gap + (k % cols) * cellW, oy = top + Math.floor(k / cols) * cellH;
    const [iw, ih] = sizes[k];
    const pixels: string[] = [];
    for (let r = 0; r < ih; r++) {
      for (let c = 0; c < iw; c++) {
        pixels.push(
          `<rect x="${ox + c * s}" y="${oy + r * s}" width="${s}" height="${s}" fill="${shade(values[r * iw + c])}"/>`,
        );
      }
    }
    const cap = options.captions?.[k]
      ? `<text x="${px(ox + (w * s) / 2)}" y="${oy + h * s + 12}" text-anchor="middle" font-size="10">${
        esc(options.captions[k])
      }</text>`
      : "";
    return `<g class="image">${pixels.join("")}${cap}</g>`;
  });
  return svgDocument(
    { width, height, left: 0, right: width, top, bottom: height },
    `<g shape-rendering="crispEdges">${parts.join("")}</g>`,
    options.title,
  );
}
