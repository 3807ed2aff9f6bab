/**
 * Experiments as programs: a sweep split into shards and joined by `merge` writes the same results.json,
 * figures.json and SVG figures as one run (same seeds, same numbers), and merge refuses shards that do
 * not belong together before writing anything.
 */
import assert from "node:assert";
import { type Experiment, parseShard, runExperiment } from "../experiments/_program.ts";
import { UsageError } from "../experiments/_common.ts";
import { experiment as rgFlow } from "../experiments/rg_flow.ts";
import { experiment as ntkEntropy } from "../experiments/ntk_entropy.ts";
import { experiment as alignment } from "../experiments/alignment.ts";
import { experiment as curvature } from "../experiments/curvature.ts";
import type { FlagSpec } from "../experiments/_common.ts";

const silent = { log: () => {}, progress: () => {} };

/** A JSON value without its timings: every "seconds" key at any depth (a run's, or a unit's own). */
function untimed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untimed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "seconds").map(([k, v]) => [k, untimed(v)]));
}

/** Every output file of a run folder, results.json and records.json without their timings. */
async function outputs(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of Deno.readDirSync(dir)) {
    const text = await Deno.readTextFile(`${dir}/${entry.name}`);
    if (entry.name !== "results.json" && entry.name !== "records.json") files[entry.name] = text;
    else {
      const parsed = JSON.parse(text);
      assert.ok(parsed.seconds >= 0);
      files[entry.name] = JSON.stringify(untimed(parsed));
    }
  }
  return files;
}

async function shardedEqualsSingle<S extends Record<string, FlagSpec>, C, R>(
  experiment: Experiment<S, C, R>,
  shards: number,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "rankscope-shard-" });
  await runExperiment(experiment, ["--quick", "--out", `${root}/single`], silent);
  const dirs = Array.from({ length: shards }, (_, i) => `${root}/shard-${i}`);
  for (const [i, dir] of dirs.entries()) {
    await runExperiment(experiment, ["--quick", "--shard", `${i}/${shards}`, "--out", dir], silent);
    const file = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
    assert.equal(file.status, "complete");
    assert.deepEqual(file.shard, { index: i, count: shards });
    assert.ok(Object.keys(file.records).length >= 1, "each shard ran units");
    assert.ok(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".svg")), "a shard writes no figures");
  }
  // Shards listed in any order.
  await runExperiment(experiment, ["merge", ...dirs.reverse(), "--out", `${root}/merged`], silent);
  const single = await outputs(`${root}/single`), merged = await outputs(`${root}/merged`);
  assert.deepEqual(Object.keys(merged).sort(), Object.keys(single).sort());
  for (const name of Object.keys(single)) assert.equal(merged[name], single[name], `${name} differs`);
  await Deno.remove(root, { recursive: true });
}

Deno.test("rg_flow: two shards merged equal one run, file for file", async () => {
  await shardedEqualsSingle(rgFlow, 2);
});

Deno.test("ntk_entropy: three shards merged equal one run, file for file", async () => {
  await shardedEqualsSingle(ntkEntropy, 3);
});

Deno.test("alignment: two shards (one seed each) merged equal one run, file for file", async () => {
  await shardedEqualsSingle(alignment, 2);
});

Deno.test("curvature: two shards (one learning rate each) merged equal one run, file for file", async () => {
  await shardedEqualsSingle(curvature, 2);
});

Deno.test("merge of one finished run re-draws its report from records.json, in place", async () => {
  const root = await Deno.makeTempDir({ prefix: "rankscope-shard-" });
  await runExperiment(rgFlow, ["--quick", "--out", `${root}/run`], silent);
  const before = await outputs(`${root}/run`);
  await Deno.remove(`${root}/run/variance.svg`);
  await runExperiment(rgFlow, ["merge", `${root}/run`, "--out", `${root}/run`], silent);
  assert.deepEqual(await outputs(`${root}/run`), before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("merge refuses missing, repeated, unfinished or foreign shards before writing", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "rankscope-shard-" });
  await runExperiment(rgFlow, ["--quick", "--shard", "0/2", "--out", `${root}/a`], silent);
  await runExperiment(rgFlow, ["--quick", "--shard", "1/2", "--out", `${root}/b`], silent);
  await runExperiment(rgFlow, ["--quick", "--seed", "1", "--shard", "1/2", "--out", `${root}/c`], silent);
  const refuse = async (args: string[], message: RegExp) => {
    await assert.rejects(runExperiment(rgFlow, ["merge", ...args, "--out", `${root}/out`], silent), (e: Error) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, message);
      return true;
    });
    assert.throws(() => Deno.statSync(`${root}/out/results.json`), Deno.errors.NotFound);
  };
  await t.step("missing", () => refuse([`${root}/a`], /shards 1\/2 are missing/));
  await t.step("repeated", () => refuse([`${root}/a`, `${root}/a`], /repeated or foreign shard/));
  await t.step("other flags", () => refuse([`${root}/a`, `${root}/c`], /ran other flags/));
  await t.step("no shards", () => refuse([], /merge needs the shard folders/));
  await t.step("not a shard", () => refuse([`${root}/nowhere`], /cannot read/));
  const partial = JSON.parse(await Deno.readTextFile(`${root}/b/results.json`));
  await Deno.writeTextFile(`${root}/b/results.json`, JSON.stringify({ ...partial, status: "partial" }));
  await t.step("unfinished", () => refuse([`${root}/a`, `${root}/b`], /has not finished/));
  await Deno.remove(root, { recursive: true });
});

Deno.test("--shard accepts i/n with 0 <= i < n only", () => {
  assert.deepEqual(parseShard("2/5"), { index: 2, count: 5 });
  for (const bad of ["5/5", "0/0", "1", "-1/2", "a/b", "1/2/3"]) assert.throws(() => parseShard(bad), UsageError);
});

Deno.test("an experiment's ETA drops the share of a unit that finished early instead of counting it done", async () => {
  const lines: string[] = [];
  const out = await Deno.makeTempDir({ prefix: "rankscope-eta-" });
  // Two units of weight 100; the first stops after 10 units of work.
  await runExperiment(
    {
      name: "eta",
      flags: {},
      configure: () => ({}),
      original: () => ({}),
      aspects: [],
      notes: [],
      units: () => [{ id: "a", weight: 100 }, { id: "b", weight: 100 }, { id: "c", weight: 50 }],
      start: () =>
        Promise.resolve(async (unit, context) => {
          // c reports nothing while it works: it counts as done whole.
          if (unit.id !== "c") context.tick(unit.id === "a" ? 10 : 100, "working");
          await Promise.resolve();
          return {};
        }),
      report: () => ({ results: {}, figures: {}, text: "" }),
    },
    ["--out", out],
    { log: () => {}, progress: (s) => lines.push(s) },
  );
  assert.ok(lines.some((l) => l.includes(" 10/250 ")), "a's ten units");
  assert.ok(lines.some((l) => l.includes(" 10/160 ") && l.includes("a done")), "a gives back its unused 90");
  assert.ok(lines.some((l) => l.includes(" 160/160 ") && l.includes("c done")), "c counts whole");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a study runs in memory for a notebook: results and Figure values, nothing written", async () => {
  const { rgFlow } = await import("../experiments/rg_flow.ts");
  const cwd = [...Deno.readDirSync(".")].map((e) => e.name).sort();
  const run = await rgFlow({ nets: 200, widths: [16] }, { quick: true });
  assert.equal(run.config.nets, 200, "overrides apply on top of the quick configuration");
  assert.deepEqual(Object.keys(run.figures).sort(), ["histograms", "kurtosis_depth", "kurtosis_width", "variance"]);
  assert.ok(run.figures.variance.toSvg().startsWith("<svg"));
  assert.ok((run.results.sweep as unknown[]).length === 1 && run.text.includes("Excess kurtosis"));
  assert.equal(run.tables.length, 3, "one Table per printed table: the two ensembles and the sweep");
  assert.deepEqual([...Deno.readDirSync(".")].map((e) => e.name).sort(), cwd, "no files written");
});
