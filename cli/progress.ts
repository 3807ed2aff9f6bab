/**
 * A one-line progress bar with ETA for long runs. It writes through a function you pass (in Deno:
 * `(s) => Deno.stderr.writeSync(new TextEncoder().encode(s))`), so the library itself stays
 * runtime-neutral.
 *
 * @module
 */

/** Options for {@linkcode ProgressBar}. */
export interface ProgressBarOptions {
  /** Total units of work. */
  total: number;
  /** Text before the bar. */
  label?: string;
  /** Where to write (default: nowhere). */
  write?: (text: string) => void;
  /** Bar width in characters (default 24). */
  width?: number;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
  /**
   * Print a full line every `step` percent instead of rewriting one line with carriage returns (for logs
   * and other non-terminal streams; default 0: rewrite in place).
   */
  lineEvery?: number;
}

/**
 * Formats seconds as m:ss or h:mm:ss.
 *
 * @param seconds Duration.
 * @returns The formatted duration.
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { formatDuration } from "./progress.ts";
 * assert.equal(formatDuration(75), "1:15");
 * assert.equal(formatDuration(3725), "1:02:05");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?:??";
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/** A single-line progress bar that rewrites itself with `\r`. */
export class ProgressBar {
  #options: Required<Omit<ProgressBarOptions, "write">> & { write?: (text: string) => void };
  #start: number;
  #done = 0;
  #lastLine = -1;

  /**
   * Starts the clock.
   *
   * @param options Total, label, writer.
   */
  constructor(options: ProgressBarOptions) {
    this.#options = {
      label: "",
      width: 24,
      now: () => performance.now(),
      lineEvery: 0,
      ...options,
    };
    this.#start = this.#options.now();
  }

  /**
   * The bar's current text (without the leading carriage return).
   *
   * @param suffix Extra text, e.g. the current loss.
   * @returns The rendered line.
   */
  render(suffix = ""): string {
    const { total, width, label } = this.#options;
    const fraction = total > 0 ? Math.min(1, this.#done / total) : 1;
    const filled = Math.round(fraction * width);
    const elapsed = (this.#options.now() - this.#start) / 1000;
    const eta = this.#done > 0 ? (elapsed * (total - this.#done)) / this.#done : NaN;
    return `${label ? `${label} ` : ""}[${"#".repeat(filled)}${".".repeat(width - filled)}] ${
      Math.round(fraction * 100)
    }% ${this.#done}/${total} ${formatDuration(elapsed)} ETA ${formatDuration(eta)}${suffix ? ` ${suffix}` : ""}`;
  }

  /**
   * Changes the total, e.g. when a unit of work finished early and its remaining share will never be
   * done: dropping it keeps the ETA a rate of work actually done (counting it as done would not).
   *
   * @param total New total units of work.
   */
  setTotal(total: number): void {
    this.#options.total = total;
  }

  /**
   * Sets progress and redraws.
   *
   * @param done Units completed so far.
   * @param suffix Extra text.
   */
  update(done: number, suffix = ""): void {
    this.#done = done;
    const { lineEvery, total } = this.#options;
    if (lineEvery <= 0) return this.#options.write?.(`\r${this.render(suffix)}\x1b[K`);
    const step = Math.floor((100 * Math.min(done, total)) / Math.max(total, 1) / lineEvery);
    if (step > this.#lastLine) {
      this.#lastLine = step;
      this.#options.write?.(`${this.render(suffix)}\n`);
    }
  }

  /**
   * Completes the line.
   *
   * @param suffix Extra text.
   */
  finish(suffix = ""): void {
    if (this.#options.lineEvery > 0) {
      this.#done = this.#options.total;
      this.#options.write?.(`${this.render(suffix)}\n`);
      return;
    }
    this.update(this.#options.total, suffix);
    this.#options.write?.("\n");
  }
}
