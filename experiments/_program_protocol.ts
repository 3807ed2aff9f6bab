/**
 * The configuration and protocol of an experiment's run (see ./_program.ts): the configuration of parsed
 * flags, the differences from the original study, the report of the records, and the --help and
 * --differences texts.
 *
 * @module
 */
import { type FlagSpec, UsageError } from "./_common.ts";
import type { Difference, Experiment, Flags, Report } from "./_program_types.ts";

/** The configuration of parsed flags (plus quick and reproduce); a RangeError becomes a usage error. */
export function configFor<S extends Record<string, FlagSpec>, C, R>(
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
export function baseConfig<S extends Record<string, FlagSpec>, C, R>(
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
export function reportOf<S extends Record<string, FlagSpec>, C, R>(
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

/** The protocol name of a run's mode, its differences from the original study and the experiment's notes. */
export function protocolOf<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  flags: Flags<S>,
  config: C,
  mode: { quick: boolean; reproduce: boolean; custom: boolean },
): { protocol: string; differences: Difference[]; notes: string[] } {
  const protocol = mode.reproduce ? "original" : mode.quick ? "quick" : mode.custom ? "custom" : "default";
  return { protocol, differences: differencesFrom(experiment, flags, config), notes: experiment.notes };
}

/** The README's "Differences from the original study" table: the default run against the original. */
export function differencesTable<S extends Record<string, FlagSpec>, C, R>(
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

/** The --help text: the usage lines and one row per flag, the program's own flags included. */
export function helpText<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  usage: string,
): string {
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
