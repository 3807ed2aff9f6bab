/**
 * The program around every experiment: an experiment is a typed configuration, a list of independent
 * units of work (one point of its sweep each) and a report that turns the units' records into
 * results.json, figures and tables. This module runs it as a command:
 *
 * - `deno run -A experiments/X.ts [flags]` runs every unit, then writes the report.
 * - `deno run -A experiments/X.ts [flags] --shard i/n --out DIR` runs units i, i+n, i+2n, ... and
 *   writes only their records (DIR/results.json), so n machines (a Slurm job array, a Kubernetes
 *   indexed Job) can share a sweep.
 * - `deno run -A experiments/X.ts merge DIR... [--out OUT]` checks that the shards ran the same
 *   configuration and together cover every unit once, then writes the same results.json, figures.json
 *   and SVGs a single run writes. Units draw their seeds from their own identity, so the numbers do
 *   not depend on how the sweep was split.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ProgressBar } from "../cli/mod.ts";
import type { Figure } from "../mod.ts";
import type { Table } from "../plot/mod.ts";
import {
  collectTables,
  denoGpu,
  type FlagSpec,
  type FlagValue,
  parseFlag,
  prepareOut,
  stderrWriter,
  takesSeedList,
  UsageError,
  usageText,
  writeAtomic,
  writeJson,
} from "./_common.ts";

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

interface ShardFile {
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

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index < count)) {
    throw new UsageError(`--shard expects i/n with 0 <= i < n, e.g. 0/4 (got "${text}")`);
  }
  return { index, count };
}

/** A parsed command line of an experiment: what to do, before any work. */
export interface Command<S extends Record<string, FlagSpec>, C> {
  /** The --help text, when asked for. */
  help?: string;
  /** The --differences table, when asked for. */
  differences?: string;
  flags: Flags<S>;
  quick: boolean;
  reproduce: boolean;
  /** Whether any experiment flag was given (the protocol is then "custom"). */
  custom: boolean;
  shard: { index: number; count: number };
  out: string;
  /** The configuration the run would use (checked). */
  config: C;
  usage: string;
}

/**
 * Parses and checks an experiment's command line without running anything. The one rule of
 * `--reproduce`: it runs the original protocol exactly, and only the seed may change, with `--seed N`
 * (for every experiment: where the sweep takes `--seeds`, `--reproduce --seed N` is the single run's seed).
 *
 * @throws {UsageError} For an unknown flag, a bad value, or a flag `--reproduce` does not allow.
 */
export function parseCommand<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  args: string[],
): Command<S, C> {
  const listOfSeeds = takesSeedList(experiment.flags);
  const options = {
    out: { type: "string" as const, default: `out/${experiment.name}` },
    quick: { type: "boolean" as const, default: false },
    shard: { type: "string" as const, default: "0/1" },
    reproduce: { type: "boolean" as const, default: false },
    differences: { type: "boolean" as const, default: false },
    help: { type: "boolean" as const, default: false },
    ...(listOfSeeds ? { seed: { type: "string" as const } } : {}),
    ...Object.fromEntries(Object.keys(experiment.flags).map((k) => [k, { type: "string" as const }])),
  };
  const usage = usageText(experiment.name, experiment.flags);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message, usage);
  }
  const quick = values.quick as boolean, reproduce = values.reproduce as boolean;
  const shard = parseShard(values.shard as string);
  const base = { quick, reproduce, shard, out: values.out as string, usage, config: undefined as C };
  const custom = Object.keys(experiment.flags).some((k) => values[k] !== undefined);
  if (values.help) return { ...base, custom, flags: {} as Flags<S>, help: helpText(experiment, usage) };
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(experiment.flags)) {
    flags[name] = parseFlag(name, (values[name] as string | undefined) ?? spec.default, spec, usage);
  }
  if (reproduce) {
    const given = Object.keys(experiment.flags).filter((k) => k !== "seed" && values[k] !== undefined);
    if (quick || given.length) {
      const extra = [...(quick ? ["--quick"] : []), ...given.map((k) => `--${k}`)].join(", ");
      throw new UsageError(
        `--reproduce runs the original protocol exactly; drop ${extra} (only the seed may change: --seed N)`,
        usage,
      );
    }
    if (listOfSeeds && values.seed !== undefined) {
      flags.seeds = [parseFlag("seed", values.seed as string, { kind: "count", default: "0", help: "" }, usage)];
    }
  } else if (listOfSeeds && values.seed !== undefined) {
    throw new UsageError(`--seed is the seed of --reproduce; this sweep takes a list: --seeds`, usage);
  }
  const command = { ...base, custom, flags: flags as Flags<S> };
  if (values.differences) return { ...command, differences: differencesTable(experiment, flags as Flags<S>) };
  return { ...command, config: configFor(experiment, { ...flags, quick, reproduce }, usage) };
}

/**
 * Runs an experiment as a command (see the module documentation). Usage errors throw
 * {@linkcode UsageError} before any work; {@linkcode main} turns them into exit code 2.
 */
export async function runExperiment<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  args: string[],
  io: ProgramIo = {},
): Promise<void> {
  const log = io.log ?? console.log, progress = io.progress ?? stderrWriter;
  if (args[0] === "merge") return merge(experiment, args.slice(1), log);
  const command = parseCommand(experiment, args);
  if (command.help) return log(command.help);
  if (command.differences) return log(command.differences);
  const { flags, quick, reproduce, shard, config, usage } = command;
  const all = experiment.units(config);
  const mine = all.filter((_, i) => i % shard.count === shard.index);
  const out = command.out;
  prepareOut(out, usage);

  const rt = await denoGpu();
  progress(`adapter: ${rt.adapterName}\n`);
  const file: ShardFile = {
    status: "partial",
    experiment: experiment.name,
    flags: { ...flags, quick, reproduce },
    config: JSON.parse(JSON.stringify(config)),
    ...protocolOf(experiment, flags as Flags<S>, config, {
      quick,
      reproduce,
      custom: command.custom,
    }),
    ...(shard.count > 1 ? { shard } : {}),
    adapters: [rt.adapterName],
    records: {},
    seconds: 0,
  };
  const started = performance.now();
  const save = () => writeJson(`${out}/results.json`, { ...file, seconds: (performance.now() - started) / 1000 });
  const runUnit = await experiment.start(config);
  let total = mine.reduce((t, u) => t + u.weight, 0);
  const bar = new ProgressBar({
    total,
    // A log file gets a line every 5% instead of carriage returns.
    lineEvery: io.progress || Deno.stderr.isTerminal() ? 0 : 5,
    label: shard.count > 1 ? `${experiment.name} ${shard.index}/${shard.count}` : experiment.name,
    write: progress,
  });
  let done = 0;
  for (const unit of mine) {
    const before = done;
    let ticked = false;
    const context: UnitContext<R> = {
      tick: (units, note) => {
        ticked = true;
        bar.update(done = Math.min(before + unit.weight, done + units), `${unit.id}: ${note}`);
      },
      checkpoint: (partial) => {
        file.records[unit.id] = partial;
        return save();
      },
    };
    file.records[unit.id] = await runUnit(unit, context);
    // A unit that reported progress and finished early (a threshold reached, early stopping) gives its
    // unused share back; one that reported none counts as done whole.
    if (ticked) total -= before + unit.weight - done;
    else done = before + unit.weight;
    bar.setTotal(total);
    bar.update(done, `${unit.id} done`);
    await save();
  }
  bar.finish(`${((performance.now() - started) / 1000).toFixed(0)} s`);
  file.status = "complete";
  file.seconds = (performance.now() - started) / 1000;
  if (shard.count > 1) {
    await writeJson(`${out}/results.json`, file);
    log(`shard ${shard.index}/${shard.count}: ${mine.length} of ${all.length} units in ${out}/results.json`);
    log(`join the shards with: deno run -A experiments/${experiment.name}.ts merge DIR... --out OUT`);
    return;
  }
  await writeReport(experiment, config, file, out, log);
}

/** Writes the figures, figures.json and the complete results.json of every unit's record; prints the tables. */
async function writeReport<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  config: C,
  file: ShardFile,
  out: string,
  log: (text: string) => void,
): Promise<void> {
  const report = reportOf(experiment, config, file.records);
  for (const [name, f] of Object.entries(report.figures)) await writeAtomic(`${out}/${name}.svg`, f.svg.toSvg());
  await writeJson(
    `${out}/figures.json`,
    Object.fromEntries(Object.entries(report.figures).map(([k, f]) => [k, f.data])),
  );
  // records.json keeps the records as one complete shard (0/1): `merge DIR --out DIR` re-draws the report
  // (after a plotting change, say) without running anything again.
  await writeJson(`${out}/records.json`, { ...file, status: "complete", shard: { index: 0, count: 1 } });
  const { shard: _, records: __, ...rest } = file;
  await writeJson(`${out}/results.json`, { ...rest, status: "complete", ...report.results });
  log(report.text);
  log(
    `\nwrote ${out}/{results,figures,records}.json and ${out}/{${Object.keys(report.figures).join(",")}}.svg ` +
      `(adapter: ${file.adapters.join("; ")}; ${file.seconds.toFixed(0)} s)`,
  );
}

/** `merge DIR... [--out OUT]`: joins the shards' records and writes the report. */
async function merge<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  args: string[],
  log: (text: string) => void,
): Promise<void> {
  const usage =
    `usage: deno run -A experiments/${experiment.name}.ts merge SHARD_DIR... [--out out/${experiment.name}]`;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { out: { type: "string", default: `out/${experiment.name}` } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message, usage);
  }
  const dirs = parsed.positionals, out = parsed.values.out!;
  if (dirs.length === 0) throw new UsageError("merge needs the shard folders", usage);
  const shards = dirs.map((dir) => readShard(experiment.name, dir, usage));
  const first = shards[0];
  const count = first.shard!.count;
  const seen = new Set<number>();
  for (const [k, s] of shards.entries()) {
    if (JSON.stringify(s.flags) !== JSON.stringify(first.flags)) {
      throw new UsageError(`${dirs[k]} ran other flags than ${dirs[0]}: ${JSON.stringify(s.flags)}`, usage);
    }
    if (s.shard!.count !== count || seen.has(s.shard!.index)) {
      throw new UsageError(
        `${dirs[k]} is shard ${s.shard!.index}/${s.shard!.count}: a repeated or foreign shard`,
        usage,
      );
    }
    seen.add(s.shard!.index);
  }
  if (seen.size !== count) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    throw new UsageError(`shards ${missing.map((i) => `${i}/${count}`).join(", ")} are missing`, usage);
  }
  // The config is recomputed from the flags (the configuration a single run with these flags uses).
  const config = configFor(experiment, first.flags, usage);
  if (JSON.stringify(JSON.parse(JSON.stringify(config))) !== JSON.stringify(first.config)) {
    throw new UsageError(`${dirs[0]} was written by another version of ${experiment.name} (its config differs)`, usage);
  }
  const records: Record<string, unknown> = {};
  for (const unit of experiment.units(config)) {
    const owner = shards.find((s) => unit.id in s.records);
    if (!owner) throw new UsageError(`no shard has a record of unit "${unit.id}"`, usage);
    records[unit.id] = owner.records[unit.id];
  }
  prepareOut(out, usage);
  const file: ShardFile = {
    status: "complete",
    experiment: experiment.name,
    flags: first.flags,
    config: first.config,
    protocol: first.protocol,
    differences: first.differences,
    notes: first.notes,
    adapters: [...new Set(shards.flatMap((s) => s.adapters))],
    records,
    seconds: shards.reduce((t, s) => t + s.seconds, 0),
  };
  await writeReport(experiment, config, file, out, log);
}

/** The configuration of parsed flags (plus quick and reproduce); a RangeError becomes a usage error. */
function configFor<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  all: Record<string, unknown>,
  usage: string,
): C {
  const { quick, reproduce, ...flags } = all;
  try {
    return baseConfig(experiment, flags as Flags<S>, quick as boolean, reproduce as boolean);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message, usage);
    throw e;
  }
}

/** The configuration of parsed flags: the original protocol, or the default (or quick) one. */
function baseConfig<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  flags: Flags<S>,
  quick: boolean,
  reproduce: boolean,
): C {
  const config = reproduce ? experiment.original(flags) : experiment.configure(flags, quick);
  experiment.check?.(config);
  return config;
}

/**
 * The report of every unit's record, after a JSON round trip (as merge reads records), so a single run,
 * a merge and an in-memory run report the same numbers.
 */
function reportOf<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  config: C,
  records: Record<string, unknown>,
): Report {
  return experiment.report(config, JSON.parse(JSON.stringify(records)) as Record<string, R>);
}

/** Every aspect in which `config` differs from the original protocol. */
export function differencesFrom<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  flags: Flags<S>,
  config: C,
): Difference[] {
  const original = experiment.original(flags);
  return experiment.aspects
    .map((a) => ({ aspect: a.aspect, original: a.show(original), run: a.show(config) }))
    .filter((d) => d.original !== d.run);
}

function protocolOf<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  flags: Flags<S>,
  config: C,
  mode: { quick: boolean; reproduce: boolean; custom: boolean },
): { protocol: string; differences: Difference[]; notes: string[] } {
  const protocol = mode.reproduce ? "original" : mode.quick ? "quick" : mode.custom ? "custom" : "default";
  return { protocol, differences: differencesFrom(experiment, flags, config), notes: experiment.notes };
}

/** The README's "Differences from the original study" table: the default run against the original. */
function differencesTable<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  flags: Flags<S>,
): string {
  const rows = differencesFrom(experiment, flags, experiment.configure(flags, false));
  const cell = (t: string) => t.replaceAll("|", "\\|");
  return [
    "| aspect | original study (`--reproduce`) | default run |",
    "| --- | --- | --- |",
    ...rows.map((d) => `| ${cell(d.aspect)} | ${cell(d.original)} | ${cell(d.run)} |`),
    ...(experiment.notes.length ? ["", ...experiment.notes.map((n) => `- ${n}`)] : []),
  ].join("\n");
}

/** A shard's file: records.json of a finished run or merge (shard 0/1), else a shard's results.json. */
function readShard(name: string, dir: string, usage: string): ShardFile {
  let file: ShardFile, path = `${dir}/records.json`;
  try {
    try {
      file = JSON.parse(Deno.readTextFileSync(path));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      path = `${dir}/results.json`;
      file = JSON.parse(Deno.readTextFileSync(path));
    }
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`, usage);
  }
  if (file.experiment !== name || !file.shard) {
    throw new UsageError(`${path} is not a shard of ${name}`, usage);
  }
  if (file.status !== "complete") throw new UsageError(`shard ${dir} has not finished (status ${file.status})`, usage);
  return file;
}

function helpText<S extends Record<string, FlagSpec>, C, R>(experiment: Experiment<S, C, R>, usage: string): string {
  const rows = [
    ...Object.entries(experiment.flags).map(([name, spec]) => {
      // A choice flag names its allowed values, as its error for a bad value does.
      const values = spec.kind === "choice"
        ? ` ${spec.choices.join("|")}`
        : spec.kind === "choices"
        ? ` ${spec.choices.join(",")} (any of)`
        : "";
      return [`--${name}${values}`, `${spec.help} (default ${spec.default})`];
    }),
    ["--out", `Output folder; an earlier run's outputs in it are replaced (default out/${experiment.name})`],
    ["--quick", "Tiny sizes for a smoke test; every flag is still checked"],
    ["--reproduce", "Run the original study's protocol exactly; only the seed may change, with --seed N"],
    ["--differences", "Print how the default run differs from the original study (a Markdown table) and exit"],
    ["--shard i/n", "Run only units i, i+n, ... of the sweep; join the n folders with `merge` (default 0/1)"],
    ["--help", "Print this description and exit"],
  ];
  const width = Math.max(...rows.map(([f]) => f.length));
  return `${usage}\n       deno run -A experiments/${experiment.name}.ts merge SHARD_DIR... [--out OUT]\n\n` +
    rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join("\n");
}

/**
 * The entry point of an experiment script: runs it with Deno.args; a usage error prints the message
 * and the usage line on stderr and exits with code 2 (no stack trace).
 */
export async function main<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  args: string[] = Deno.args,
): Promise<void> {
  try {
    await runExperiment(experiment, args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}${e.usage ? `\n${e.usage}` : ""}`);
    Deno.exit(2);
  }
}

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
