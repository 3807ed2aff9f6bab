/**
 * Types and colours shared by every plot function.
 *
 * @module
 */

/** Axis scale type. */
export type ScaleType = "linear" | "log";

/** Ten distinguishable colours (Tableau 10). */
export const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Viridis colour stops, for heatmaps. */
export const VIRIDIS: readonly string[] = [
  "#440154",
  "#482878",
  "#3e4989",
  "#31688e",
  "#26828e",
  "#1f9e89",
  "#35b779",
  "#6ece58",
  "#b5de2b",
  "#fde725",
];

/** Common layout options of every plot. */
export interface FigureOptions {
  /** Figure width in pixels (default 640). */
  width?: number;
  /** Figure height in pixels (default 400). */
  height?: number;
  /** Title above the plot. */
  title?: string;
}

let nextFigureId = 0;

/**
 * A figure as a value: its size and its SVG markup. `toSvg()` gives the standalone document;
 * {@linkcode subplots} composes figures by their sizes. Ids inside a figure are unique across figures,
 * so composing never rewrites markup. In Jupyter (Deno's kernel) a figure displays as its SVG.
 */
export class Figure {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Everything inside the root `<svg>` element (background, title, content). */
  readonly content: string;

  /**
   * Wraps markup.
   *
   * @param width Width in pixels.
   * @param height Height in pixels.
   * @param content Markup inside the root element.
   */
  constructor(width: number, height: number, content: string) {
    this.width = width;
    this.height = height;
    this.content = content;
  }

  /**
   * A fresh id for an element of a new figure (clip paths), unique in this process.
   *
   * @param name Readable stem.
   * @returns `name-N`.
   */
  static uniqueId(name: string): string {
    return `${name}-${++nextFigureId}`;
  }

  /**
   * The standalone SVG document.
   *
   * @returns SVG text.
   */
  toSvg(): string {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="sans-serif">${this.content}</svg>`;
  }

  /**
   * The same as {@linkcode Figure.toSvg}, so a figure reads as its SVG in template strings.
   *
   * @returns SVG text.
   */
  toString(): string {
    return this.toSvg();
  }

  /**
   * Deno's Jupyter display protocol: the figure shows inline as SVG.
   *
   * @returns The MIME bundle.
   */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return { "image/svg+xml": this.toSvg() };
  }
}
