/**
 * The units of a run in turn, with the progress bar (see ./_program.ts): each unit's share of the bar
 * is its weight, and a unit that stops early gives the rest back, so the estimate of the time left stays
 * honest.
 *
 * @module
 */
import { ProgressBar } from "../cli/mod.ts";
import type { Unit, UnitContext } from "./_program_types.ts";

/** How {@linkcode runUnits} runs the units, keeps their records and draws the bar. */
export interface RunUnitsOptions<R> {
  /** Runs one unit (what the experiment's `start` returned). */
  runUnit: (unit: Unit, context: UnitContext<R>) => Promise<R>;
  /** Where each unit's record (or checkpoint) goes, by unit id. */
  records: Record<string, unknown>;
  /** Saves the records so far (after each unit and at each checkpoint). */
  save: () => Promise<void>;
  /** The progress bar's line interval in percent (0: carriage returns). */
  lineEvery: number;
  /** The progress bar's label. */
  label: string;
  /** Where the progress bar writes. */
  write: (text: string) => void;
  /** When the run started (performance.now()), for the closing time. */
  started: number;
}

/**
 * Runs the units of `queue` in turn, each record into `options.records` and saved after each unit, and closes the
 * progress bar with the seconds since `options.started`.
 */
export async function runUnits<R>(queue: Unit[], options: RunUnitsOptions<R>): Promise<void> {
  const { runUnit, records, save } = options;
  let total = queue.reduce((t, u) => t + u.weight, 0);
  const bar = new ProgressBar({ total, lineEvery: options.lineEvery, label: options.label, write: options.write });
  let done = 0;
  for (const unit of queue) {
    const before = done;
    let ticked = false;
    const context: UnitContext<R> = {
      tick: (units, note) => {
        ticked = true;
        bar.update(done = Math.min(before + unit.weight, done + units), `${unit.id}: ${note}`);
      },
      checkpoint: (partial) => {
        records[unit.id] = partial;
        return save();
      },
    };
    records[unit.id] = await runUnit(unit, context);
    // A unit that reported progress and finished early (a threshold reached, early stopping) gives its
    // unused share back; one that reported none counts as done whole.
    if (ticked) total -= before + unit.weight - done;
    else done = before + unit.weight;
    bar.setTotal(total);
    bar.update(done, `${unit.id} done`);
    await save();
  }
  bar.finish(`${((performance.now() - options.started) / 1000).toFixed(0)} s`);
}
