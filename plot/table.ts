/**
 * Tables as values: a header and rows that print as aligned plain text and display in Jupyter (Deno's
 * kernel) as an HTML table. Numbers get one format per column.
 *
 * @module
 */
import { esc } from "./_svg.ts";

/** A cell: a number (formatted per column) or text. */
export type Cell = string | number;

/**
 * Formats a column's numbers alike: integers as they are when the whole column is integral; else four
 * decimals, or 4 significant digits in exponent form for the whole column when any value is ≥ 1e4 or
 * nonzero below 1e-3 in magnitude (a column never mixes 0.0012 with 1.2e-5, nor 3 with 4.5000).
 *
 * @param values The column's cells.
 * @returns The formatter of that column's numbers.
 */
function columnFormat(values: readonly Cell[]): (v: number) => string {
  const numbers = values.filter((v): v is number => typeof v === "number");
  if (numbers.every((v) => Number.isInteger(v))) return (v) => String(v);
  const exponent = numbers.some((v) => v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3));
  return exponent ? (v) => v.toExponential(3).replace("e+", "e") : (v) => v.toFixed(4);
}

/**
 * A table of numbers and text.
 *
 * @example Plain text, one format per column
 * ```ts
 * import assert from "node:assert";
 * import { Table } from "./table.ts";
 * const t = new Table(["n", "loss"], [[1, 0.5], [20, 0.25]]);
 * assert.equal(String(t), " n    loss\n--  ------\n 1  0.5000\n20  0.2500");
 * ```
 */
export class Table {
  /** Column names. */
  readonly header: readonly string[];
  /** Rows of cells, one per header column. */
  readonly rows: readonly (readonly Cell[])[];
  /** Optional caption. */
  readonly title?: string;

  /**
   * Makes a table.
   *
   * @param header Column names.
   * @param rows Rows with one cell per column.
   * @param title Optional caption (shown above the HTML table).
   * @throws {RangeError} When a row's length differs from the header's.
   */
  constructor(header: readonly string[], rows: readonly (readonly Cell[])[], title?: string) {
    rows.forEach((r, i) => {
      if (r.length !== header.length) {
        throw new RangeError(`Cannot make table: row ${i} has ${r.length} cells for ${header.length} columns`);
      }
    });
    this.header = header;
    this.rows = rows;
    this.title = title;
  }

  /** Every cell as text, numbers formatted per column. */
  #cells(): string[][] {
    const formats = this.header.map((_, i) => columnFormat(this.rows.map((r) => r[i])));
    return this.rows.map((r) => r.map((c, i) => (typeof c === "number" ? formats[i](c) : c)));
  }

  /**
   * The table as aligned plain text (right-aligned columns, a rule under the header).
   *
   * @returns The text.
   */
  toString(): string {
    const cells = [[...this.header], ...this.#cells()];
    const widths = this.header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join("  ");
    return [line(cells[0]), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
  }

  /**
   * Deno's Jupyter display protocol: an HTML table, with the plain text as fallback.
   *
   * @returns The MIME bundle.
   */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    const td = (c: string, tag: string) => `<${tag} style="text-align:right">${esc(c)}</${tag}>`;
    const html = `<table>${this.title ? `<caption>${esc(this.title)}</caption>` : ""}<thead><tr>${
      this.header.map((h) => td(h, "th")).join("")
    }</tr></thead><tbody>${
      this.#cells().map((r) => `<tr>${r.map((c) => td(c, "td")).join("")}</tr>`).join("")
    }</tbody></table>`;
    return { "text/html": html, "text/plain": this.toString() };
  }
}
