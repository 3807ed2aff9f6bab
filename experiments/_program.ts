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
import { type Figure, initGpu } from "../mod.ts";
import {
  type FlagSpec,
  type FlagValue,
  parseFlag,
  prepareOut,
  stderrWriter,
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

/** An experiment: flags → typed config → units → records → report. */
export interface Experiment<S extends Record<string, FlagSpec>, C, R> {
  /** Script name (experiments/NAME.ts, default output out/NAME). */
  name: string;
  /** Its flags (the program adds --out, --quick, --shard and --help). */
  flags: S;
  /** The typed configuration; throws RangeError on inconsistent flags (a usage error). */
  configure(flags: Flags<S>, quick: boolean): C;
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
  const options = {
    out: { type: "string" as const, default: `out/${experiment.name}` },
    quick: { type: "boolean" as const, default: false },
    shard: { type: "string" as const, default: "0/1" },
    help: { type: "boolean" as const, default: false },
    ...Object.fromEntries(Object.keys(experiment.flags).map((k) => [k, { type: "string" as const }])),
  };
  const usage = usageText(experiment.name, experiment.flags);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message, usage);
  }
  if (values.help) return log(helpText(experiment, usage));
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(experiment.flags)) {
    flags[name] = parseFlag(name, (values[name] as string | undefined) ?? spec.default, spec, usage);
  }
  const quick = values.quick as boolean;
  const shard = parseShard(values.shard as string);
  let config: C;
  try {
    config = experiment.configure(flags as Flags<S>, quick);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message, usage);
    throw e;
  }
  const all = experiment.units(config);
  const mine = all.filter((_, i) => i % shard.count === shard.index);
  const out = values.out as string;
  prepareOut(out, usage);

  const rt = await initGpu();
  progress(`adapter: ${rt.adapterName}\n`);
  const file: ShardFile = {
    status: "partial",
    experiment: experiment.name,
    flags: { ...flags, quick },
    config: JSON.parse(JSON.stringify(config)),
    ...(shard.count > 1 ? { shard } : {}),
    adapters: [rt.adapterName],
    records: {},
    seconds: 0,
  };
  const started = performance.now();
  const save = () => writeJson(`${out}/results.json`, { ...file, seconds: (performance.now() - started) / 1000 });
  const runUnit = await experiment.start(config);
  const bar = new ProgressBar({
    total: mine.reduce((t, u) => t + u.weight, 0),
    label: shard.count > 1 ? `${experiment.name} ${shard.index}/${shard.count}` : experiment.name,
    write: progress,
  });
  let done = 0;
  for (const unit of mine) {
    const before = done;
    const context: UnitContext<R> = {
      tick: (units, note) => bar.update(done = Math.min(before + unit.weight, done + units), `${unit.id}: ${note}`),
      checkpoint: (partial) => {
        file.records[unit.id] = partial;
        return save();
      },
    };
    file.records[unit.id] = await runUnit(unit, context);
    bar.update(done = before + unit.weight, `${unit.id} done`);
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
  // Records go through JSON as a merge reads them, so a single run and a merge report the same numbers.
  const records = JSON.parse(JSON.stringify(file.records)) as Record<string, R>;
  const report = experiment.report(config, records);
  for (const [name, f] of Object.entries(report.figures)) await writeAtomic(`${out}/${name}.svg`, f.svg.toSvg());
  await writeJson(
    `${out}/figures.json`,
    Object.fromEntries(Object.entries(report.figures).map(([k, f]) => [k, f.data])),
  );
  // The records stay in the shards' files; the report's results hold every number they carry.
  const { shard: _, records: __, ...rest } = file;
  await writeJson(`${out}/results.json`, { ...rest, status: "complete", ...report.results });
  log(report.text);
  log(
    `\nwrote ${out}/{results,figures}.json and ${Object.keys(report.figures).length} SVG figures ` +
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
  const { quick, ...flags } = first.flags;
  const config = experiment.configure(flags as Flags<S>, quick as boolean);
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
    adapters: [...new Set(shards.flatMap((s) => s.adapters))],
    records,
    seconds: shards.reduce((t, s) => t + s.seconds, 0),
  };
  await writeReport(experiment, config, file, out, log);
}

function readShard(name: string, dir: string, usage: string): ShardFile {
  let file: ShardFile;
  try {
    file = JSON.parse(Deno.readTextFileSync(`${dir}/results.json`));
  } catch (e) {
    throw new UsageError(`cannot read ${dir}/results.json: ${(e as Error).message}`, usage);
  }
  if (file.experiment !== name || !file.shard) {
    throw new UsageError(`${dir}/results.json is not a shard of ${name}`, usage);
  }
  if (file.status !== "complete") throw new UsageError(`shard ${dir} has not finished (status ${file.status})`, usage);
  return file;
}

function helpText<S extends Record<string, FlagSpec>, C, R>(experiment: Experiment<S, C, R>, usage: string): string {
  const rows = [
    ...Object.entries(experiment.flags).map(([name, spec]) => [`--${name}`, `${spec.help} (default ${spec.default})`]),
    ["--out", `Output folder; an earlier run's outputs in it are replaced (default out/${experiment.name})`],
    ["--quick", "Tiny sizes for a smoke test; every flag is still checked"],
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
