/**
 * Jupyter display of analysis results: a small HTML table of a result's summary, attached as a
 * non-enumerable `Symbol.for("Jupyter.display")` method, so the plain object, its JSON and its equality
 * are unchanged.
 *
 * @module
 */

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const show = (v: number | string) =>
  typeof v === "string" ? v : Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();

/**
 * Attaches a Jupyter display to a result: a titled two-column table of the given rows.
 *
 * @param result The result object (returned as is).
 * @param title Caption of the table.
 * @param rows [name, value] pairs.
 * @returns The same object.
 */
export function withDisplay<T extends object>(result: T, title: string, rows: [string, number | string][]): T {
  Object.defineProperty(result, Symbol.for("Jupyter.display"), {
    enumerable: false,
    value: () => ({
      "text/html": `<table><caption>${escapeHtml(title)}</caption><tbody>${
        rows.map(([k, v]) =>
          `<tr><th style="text-align:left">${escapeHtml(k)}</th><td>${escapeHtml(show(v))}</td></tr>`
        )
          .join("")
      }</tbody></table>`,
      "text/plain": `${title}\n${rows.map(([k, v]) => `${k}: ${show(v)}`).join("\n")}`,
    }),
  });
  return result;
}
