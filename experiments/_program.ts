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
 * Its parts, by job: `_program_types.ts` (the experiment, unit and report types), `_program_protocol.ts`
 * (configuration, differences from the original study, --help), `_program_progress.ts` (the units
 * in turn, with the progress bar), `_program_shard.ts` (--shard, merge and
 * the written report), `_program_study.ts` (in-memory runs for notebooks). This module parses the command
 * line, runs the units and re-exports the public names of its parts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  denoGpu,
  type FlagSpec,
  parseFlag,
  prepareOut,
  stderrWriter,
  takesSeedList,
  UsageError,
  usageText,
  writeJson,
} from "./_common.ts";
import { configFor, differencesTable, helpText, protocolOf } from "./_program_protocol.ts";
import { runUnits } from "./_program_progress.ts";
import { merge, parseShard, writeReport } from "./_program_shard.ts";
import type { Experiment, Flags, ProgramIo, ShardFile } from "./_program_types.ts";

export type { Aspect, Difference, Experiment, Flags, ProgramIo, Report, Unit, UnitContext } from "./_program_types.ts";
export { differencesFrom } from "./_program_protocol.ts";
export { parseShard } from "./_program_shard.ts";
export {
  checkOverrides,
  defaultFlags,
  runStudy,
  type StudyOptions,
  type StudyRun,
  studyRunner,
} from "./_program_study.ts";

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
  await runUnits(mine, {
    runUnit,
    records: file.records,
    save,
    // A log file gets a line every 5% instead of carriage returns.
    lineEvery: io.progress || Deno.stderr.isTerminal() ? 0 : 5,
    label: shard.count > 1 ? `${experiment.name} ${shard.index}/${shard.count}` : experiment.name,
    write: progress,
    started,
  });
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
