/**
 * Experiments in memory (see ./_program.ts), for a notebook or another script: every unit of a
 * configuration run in turn, then the report, with nothing written.
 *
 * @module
 */
import type { Figure } from "../mod.ts";
import type { Table } from "../plot/mod.ts";
import { collectTables, denoGpu, type FlagSpec, parseFlag } from "./_common.ts";
import { baseConfig, reportOf } from "./_program_protocol.ts";
import type { Experiment, Flags } from "./_program_types.ts";

/** What {@linkcode runStudy} returns: the run's configuration, results, figures and tables. */
export interface StudyRun<C> {
  config: C;
  /** results.json's numbers. */
  results: Record<string, unknown>;
  /** Each figure by name (a Figure displays inline in Jupyter). */
  figures: Record<string, Figure>;
  /** The tables the command prints, as values (each displays as an HTML table in Jupyter). */
  tables: Table[];
  /** The same tables as the command's plain text. */
  text: string;
}

/** How {@linkcode runStudy} picks its base configuration and reports progress. */
export interface StudyOptions {
  /** Start from the `--quick` configuration. */
  quick?: boolean;
  /** Start from the original study's protocol. */
  reproduce?: boolean;
  /** Where progress notes go (default: nowhere). */
  progress?: (text: string) => void;
}

/** The parsed default value of every flag. */
export function defaultFlags<S extends Record<string, FlagSpec>>(specs: S): Flags<S> {
  return Object.fromEntries(Object.entries(specs).map(([k, spec]) => [k, parseFlag(k, spec.default, spec)])) as Flags<
    S
  >;
}

/**
 * Runs an experiment in memory, for a notebook or another script: the default configuration (the
 * `--quick` one with `quick: true`, the original protocol with `reproduce: true`) with `overrides`
 * applied, every unit, then the report. Nothing is written; progress goes to `progress` (default: none).
 *
 * @example In a notebook cell
 * ```ts ignore
 * import { ntkEntropy } from "./experiments/ntk_entropy.ts";
 * const run = await ntkEntropy({ epochs: 3, subsets: [10, 50] }, { quick: true });
 * run.figures.entropy_vs_epoch; // displays inline
 * ```
 */
export async function runStudy<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  overrides: Partial<C> = {},
  options: StudyOptions = {},
): Promise<StudyRun<C>> {
  const flags = defaultFlags(experiment.flags);
  const base = baseConfig(experiment, flags, options.quick ?? false, options.reproduce ?? false);
  const config = checkOverrides(experiment, base, overrides, options.reproduce ?? false);
  await denoGpu();
  const run = await experiment.start(config);
  const records: Record<string, R> = {};
  for (const unit of experiment.units(config)) {
    records[unit.id] = await run(unit, {
      tick: (_, note) => options.progress?.(`${unit.id}: ${note}`),
      checkpoint: () => Promise.resolve(),
    });
  }
  const { value: report, tables } = collectTables(() => reportOf(experiment, config, records));
  const figures = Object.fromEntries(Object.entries(report.figures).map(([k, f]) => [k, f.svg]));
  return { config, results: report.results, figures, tables, text: report.text };
}

/**
 * Checks a study's overrides before any work, as the command line checks its flags: only keys of the
 * configuration, each of the kind the configuration holds (a key that is also a flag obeys that flag's
 * rule: `{ sizes: [] }` is refused as `--sizes ""` is; other numbers must be finite and >= 0, other lists
 * that are not empty by default stay non-empty), then the experiment's own {@linkcode Experiment.check}.
 * With `reproduce` only the seed may change, as with `--reproduce`.
 *
 * @returns The configuration with the overrides applied.
 * @throws {TypeError} For an unknown key or a value of the wrong kind; {RangeError} for a value out of range.
 */
export function checkOverrides<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  base: C,
  overrides: Partial<C>,
  reproduce: boolean,
): C {
  const context = `run the ${experiment.name} study`;
  const known = base as Record<string, unknown>;
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new TypeError(`Cannot ${context}: overrides must be an object (got ${show(overrides)})`);
  }
  const given = Object.keys(overrides);
  const unknown = given.filter((k) => !Object.hasOwn(known, k));
  if (unknown.length) {
    throw new TypeError(
      `Cannot ${context}: unknown override ${unknown.map((k) => `"${k}"`).join(", ")}; the configuration's keys are ${
        Object.keys(known).join(", ")
      }`,
    );
  }
  const changed = given.filter((k) => k !== "seed" && k !== "seeds");
  if (reproduce && changed.length) {
    throw new RangeError(
      `Cannot ${context}: reproduce runs the original protocol exactly; drop ${
        changed.join(", ")
      } (only the seed may change)`,
    );
  }
  const kind = (v: unknown) => v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
  for (const key of given) {
    const value = (overrides as Record<string, unknown>)[key], was = known[key], name = `overrides.${key}`;
    const spec = (experiment.flags as Record<string, FlagSpec>)[key];
    // A flag of the same name rules the key when it holds the same kind of value (rg_flow's `input` is a
    // distribution, its --input a dimension).
    if (spec && kind(parseFlag(key, spec.default, spec)) === kind(was)) {
      const text = Array.isArray(value) ? value.join(",") : String(value);
      let parsed: unknown;
      try {
        parsed = parseFlag(key, text, spec);
      } catch (e) {
        throw new RangeError(`Cannot ${context}: ${name} ${(e as Error).message.replace(/^--\S+ /, "")}`);
      }
      // parseFlag reads text; the value must also be of the kind it returns (5, not "5"; [5], not 5).
      if (JSON.stringify(parsed) !== JSON.stringify(value)) {
        throw new TypeError(`Cannot ${context}: ${name} must be a value like ${show(parsed)} (got ${show(value)})`);
      }
      continue;
    }
    if (was !== null && kind(value) !== kind(was)) {
      throw new TypeError(`Cannot ${context}: ${name} must be a ${kind(was)} like ${show(was)} (got ${show(value)})`);
    }
    if (typeof value === "number" && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`Cannot ${context}: ${name} must be a finite number >= 0 (got ${value})`);
    }
    // A list the configuration holds non-empty must stay so (a report of nothing cannot be drawn).
    if (Array.isArray(value) && value.length === 0 && (was as unknown[]).length > 0) {
      throw new RangeError(`Cannot ${context}: ${name} must not be empty`);
    }
  }
  const config = { ...base, ...overrides } as C;
  experiment.check?.(config);
  return config;
}

/** A value as an error message shows it. */
function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The in-memory runner of one experiment: `(overrides, options) => runStudy(experiment, overrides, options)`. */
export function studyRunner<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
): (overrides?: Partial<C>, options?: StudyOptions) => Promise<StudyRun<C>> {
  return (overrides = {}, options = {}) => runStudy(experiment, overrides, options);
}
