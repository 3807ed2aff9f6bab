/**
 * The types of the program around every experiment (see ./_program.ts): an experiment, its units and
 * their records, its report, and the file a run or a shard writes.
 *
 * @module
 */
import type { Figure } from "../mod.ts";
import type { FlagSpec, FlagValue } from "./_common.ts";

/** One independent unit of an experiment's sweep. */
export interface Unit {
  /** Stable name, the key of its record (e.g. "width 64"). */
  id: string;
  /** Its share of the work, in the progress bar's units (about one training step each). */
  weight: number;
}

/** What a running unit may do besides returning its record. */
export interface UnitContext<R> {
  /** Reports `units` more of the unit's weight done, with a note for the progress line. */
  tick(units: number, note: string): void;
  /** Saves the record so far into results.json (status partial), so a crash keeps finished work. */
  checkpoint(partial: R): Promise<void>;
}

/** What an experiment reports once every unit has its record. */
export interface Report {
  /** Results.json's fields besides status, experiment, flags, config, adapters and seconds. */
  results: Record<string, unknown>;
  /** Each figure with the data it shows (figures.json). */
  figures: Record<string, { svg: Figure; data: unknown }>;
  /** The tables printed on stdout. */
  text: string;
}

/** The parsed flags of specs S. */
export type Flags<S extends Record<string, FlagSpec>> = { [K in keyof S]: FlagValue<S[K]> };

/** One aspect of a protocol (data, model, optimiser, ...), rendered as text for comparison. */
export interface Aspect<C> {
  /** What it is, e.g. "batch size". */
  aspect: string;
  /** Its value under a configuration. */
  show(config: C): string;
}

/** An aspect in which a run differs from the original study. */
export interface Difference {
  aspect: string;
  original: string;
  run: string;
}

/** An experiment: flags → typed config → units → records → report. */
export interface Experiment<S extends Record<string, FlagSpec>, C, R> {
  /** Script name (experiments/NAME.ts, default output out/NAME). */
  name: string;
  /** Its flags (the program adds --out, --quick, --reproduce, --differences, --shard and --help). */
  flags: S;
  /** The typed configuration; throws RangeError on inconsistent flags (a usage error). */
  configure(flags: Flags<S>, quick: boolean): C;
  /**
   * The original study's protocol (its notebook in shared/studies/); only the seed is taken from the flags
   * (`seed`, or the first of `seeds`).
   */
  original(flags: Flags<S>): C;
  /**
   * Checks what no single flag can: relations between values (e.g. a batch no larger than the training
   * set). Runs on every configuration, from flags or from a study's overrides, before any work.
   *
   * @throws {RangeError} Naming the values and the limit.
   */
  check?(config: C): void;
  /** Every aspect of the protocol a run can change, compared between a run and the original. */
  aspects: Aspect<C>[];
  /** What holds in every mode: where the original has a bug and the reproduction follows its intent, etc. */
  notes: string[];
  /** Every unit of the sweep, in report order. */
  units(config: C): Unit[];
  /** Prepares what every unit shares (data) and returns the function that runs one unit. */
  start(config: C): Promise<(unit: Unit, context: UnitContext<R>) => Promise<R>>;
  /** The report from every unit's record (JSON round-tripped, as merge reads them). */
  report(config: C, records: Record<string, R>): Report;
}

/** Where the program writes text (tests pass silent writers). */
export interface ProgramIo {
  /** Tables and the closing line (default console.log). */
  log?: (text: string) => void;
  /** Progress line (default stderr). */
  progress?: (text: string) => void;
}

/** The records file a run, a shard or a merge writes (results.json while running, records.json when done). */
export interface ShardFile {
  status: "partial" | "complete";
  experiment: string;
  flags: Record<string, unknown>;
  config: unknown;
  shard?: { index: number; count: number };
  /** "original" (--reproduce), "default", "quick" or "custom" (flags changed). */
  protocol: string;
  /** Every aspect in which the run differs from the original study. */
  differences: Difference[];
  /** What holds in every mode (see {@linkcode Experiment.notes}). */
  notes: string[];
  adapters: string[];
  records: Record<string, unknown>;
  seconds: number;
}
