/**
 * Shards of an experiment's sweep (see ./_program.ts): the --shard flag, the report a complete run or a
 * merge writes, and `merge`, which joins the shards' records.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type FlagSpec, prepareOut, UsageError, writeAtomic, writeJson } from "./_common.ts";
import { configFor, reportOf } from "./_program_protocol.ts";
import type { Experiment, ShardFile } from "./_program_types.ts";

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index < count)) {
    throw new UsageError(`--shard expects i/n with 0 <= i < n, e.g. 0/4 (got "${text}")`);
  }
  return { index, count };
}

/** Writes the figures, figures.json and the complete results.json of every unit's record; prints the tables. */
export async function writeReport<S extends Record<string, FlagSpec>, C, R>(
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
export async function merge<S extends Record<string, FlagSpec>, C, R>(
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
