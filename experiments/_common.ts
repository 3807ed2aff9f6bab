/**
 * Helpers shared by the experiment scripts: atomic output files, a stderr progress writer, list flags
 * and plain-text tables. (Experiments import the library only through ../mod.ts.)
 *
 * @module
 */

import { parseArgs } from "node:util";

const encoder = new TextEncoder();

/** Writes text to stderr without a newline (for the progress bar). */
export function stderrWriter(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * Writes a file atomically: to a temporary name in the same folder, then rename, so a crash never leaves
 * a half-written result.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Writes JSON atomically (pretty-printed). */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeAtomic(path, JSON.stringify(value, null, 1) + "\n");
}

/** Parses "5,10,20" into numbers, failing clearly on anything else. */
export function parseList(text: string, flag: string): number[] {
  const values = text.split(",").map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new RangeError(`--${flag} expects a comma-separated list of positive numbers (got "${text}")`);
  }
  return values;
}

/** Parses a positive integer flag. */
export function parseCount(text: string, flag: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`--${flag} expects a non-negative integer (got "${text}")`);
  return v;
}

/** Formats rows as an aligned plain-text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? format(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join("  ");
  return [line(cells[0]), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

function format(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toFixed(4);
}

/** Trapezoid area under y(x). */
export function trapezoidArea(x: number[], y: number[]): number {
  let a = 0;
  for (let i = 0; i + 1 < x.length; i++) a += ((x[i + 1] - x[i]) * (y[i] + y[i + 1])) / 2;
  return a;
}

/**
 * Parses an experiment's string flags plus the common `--out`, `--quick` and `--help` (which prints the
 * usage and exits). Unknown flags are an error.
 */
export function experimentFlags<K extends string>(
  script: string,
  defaults: Record<K, string>,
): { flags: Record<K, string>; quick: boolean; out: string } {
  const options: Record<string, { type: "string"; default: string } | { type: "boolean"; default: boolean }> = {
    out: { type: "string", default: `out/${script}` },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  };
  for (const [name, value] of Object.entries(defaults)) options[name] = { type: "string", default: value as string };
  const { values } = parseArgs({ options });
  if (values.help) {
    const usage = Object.entries(defaults).map(([name, value]) => `[--${name} ${value}]`).join(" ");
    console.log(`deno run -A experiments/${script}.ts ${usage} [--out out/${script}] [--quick]`);
    Deno.exit(0);
  }
  return { flags: values as unknown as Record<K, string>, quick: values.quick as boolean, out: values.out as string };
}
