import { checkNumber, describe } from "../check/args.ts";
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
    checkNumber("make figure", "width", width, { above: 0 });
    checkNumber("make figure", "height", height, { above: 0 });
    if (typeof content !== "string") {
      throw new TypeError(`Cannot make figure: content must be SVG text (got ${describe(content)})`);
    }
    this.width = width;
    this.height = height;
    this.content = content;
  }

  /**
   * The id of an element defined by `definition` (a clip path, a panel). It is a hash of the definition,
   * so a figure's SVG never depends on what was drawn before it, and two figures inlined in one page
   * (a notebook) share an id only where they define the same element.
   *
   * @param name Readable stem.
   * @param definition The element's defining markup.
   * @returns `name-<hash>`.
   */
  static contentId(name: string, definition: string): string {
    let h = 0x811c9dc5; // FNV-1a, 32 bits
    for (let i = 0; i < definition.length; i++) h = Math.imul(h ^ definition.charCodeAt(i), 0x01000193);
    return `${name}-${(h >>> 0).toString(36)}`;
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
