/**
 * Fidelity: every experiment's --reproduce configuration is the original study's protocol as its notebook
 * (../shared/studies/) states it, written out here independently; the default run's differences from it
 * are exactly what --differences and results.json list; --reproduce refuses flags that would change it.
 */
import assert from "node:assert";
import {
  checkOverrides,
  differencesFrom,
  type Experiment,
  parseCommand,
  runExperiment,
} from "../experiments/_program.ts";
import { type FlagSpec, UsageError } from "../experiments/_common.ts";
import { experiment as ntk } from "../experiments/ntk_entropy.ts";
import { experiment as srank } from "../experiments/srank_evolution.ts";
import { experiment as rg } from "../experiments/rg_flow.ts";
import { experiment as embedding } from "../experiments/embedding_restrictions.ts";
import { experiment as epsilon } from "../experiments/epsilon_rank.ts";

/** The default flag values of an experiment, parsed. */
function defaults(flags: Record<string, { default: string; kind: string }>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(flags).map(([k, f]) => {
      const v = f.default;
      if (f.kind === "count" || f.kind === "number") return [k, Number(v)];
      if (f.kind === "list" || f.kind === "counts") return [k, v.split(",").map(Number)];
      if (f.kind === "choices") return [k, v.split(",")];
      return [k, v];
    }),
  );
}

Deno.test("--reproduce runs each notebook's protocol", async (t) => {
  await t.step("ntk_entropy (001: znrnd/neural-tangents CNN on MNIST)", () => {
    const c = ntk.original({ ...defaults(ntk.flags), seed: 3 } as never);
    assert.equal(c.epochs, 100); // `for _ in range(100)`, one epoch each
    assert.deepEqual(c.subsets, [5, 10, 15, 20, 25, 30, 35, 40, 50, 100]); // entropy_data's keys
    assert.deepEqual(c.sizes, [10, 20, 30, 50, 100, 200, 500, 800]);
    assert.equal(c.parameterization, "ntk"); // stax: W ~ N(0, 1), σ_w/√fan_in, no bias
    assert.deepEqual([c.batchSize, c.dropRemainder, c.lr], [32, true, 1e-3]);
    assert.equal(c.normalization, "cosine"); // compute_ntk(normalize=True) in the training study
    assert.equal(c.sizeBefore, "raw"); // normalize=False before, True after training
    assert.deepEqual([c.sizeBatch, c.sizeEpochs, c.sizeStepBudget, c.sizePatience, c.sizeProbeCap], [
      10,
      200,
      null,
      null,
      null,
    ]);
    assert.deepEqual([c.train, c.test, c.seed], [1000, 1000, 3]);
  });
  await t.step("srank_evolution (000: RFF vs MLP in PyTorch)", () => {
    const c = srank.original(defaults(srank.flags) as never);
    assert.deepEqual([c.steps, c.every, c.lr], [200, 20, 1e-3]);
    assert.deepEqual(c.scales, [2, 5, 10, 20, 30]);
    assert.deepEqual(c.seeds, [0]);
    assert.deepEqual([c.target, c.init, c.rff, c.loss], ["per-point", "torch", "sine", "smooth-l1"]);
  });
  await t.step("rg_flow (004: 2000 ReLU nets of width 256)", () => {
    const c = rg.original({ ...defaults(rg.flags), seed: 1 } as never);
    assert.deepEqual([c.nets, c.width, c.depth, c.inputDim], [2000, 256, 3, 256]);
    assert.deepEqual(c.variants, ["original"]);
    assert.equal(c.input, "uniform"); // torch.rand, standardised with x.std (unbiased)
    assert.equal(c.quadruples, 1000);
    assert.deepEqual(c.widths, []);
  });
  await t.step("embedding_restrictions (003: narrow nets on XOR)", () => {
    const c = embedding.original(defaults(embedding.flags) as never);
    assert.deepEqual(c.datasets, ["xor"]);
    assert.deepEqual([c.points, c.noise, c.xor, c.standardize], [2000, 0.2, "blobs", false]);
    assert.deepEqual([c.training, c.epochs, c.batch], ["epochs", 300, 128]);
    assert.deepEqual([c.threshold, c.tries, c.triesPerModel], [0.95, 20, { "bottleneck tanh": 10 }]);
    assert.deepEqual([c.init, c.bottleneck, c.wideBatchNorm, c.depth], ["torch", "second-last", true, 15]);
    assert.deepEqual(c.staged.map((s) => [s.model, s.epochs, s.stages]), [
      ["bottleneck tanh", 10, 9],
      ["narrow tanh", 10, 9],
      ["narrow relu", 50, 9],
    ]);
  });
  await t.step("epsilon_rank (002: ε-rank notes)", () => {
    const c = epsilon.original(defaults(epsilon.flags) as never);
    assert.deepEqual(c.staircaseWidths, [25, 50]);
    assert.equal(c.layersWidth, 50);
    assert.deepEqual(c.initNets, [{ depth: 2, width: 30 }, { depth: 4, width: 50 }]);
    assert.deepEqual([c.pinnWidth, c.udi, c.keying, c.features], [50, "random", "g", 900]);
    assert.deepEqual(c.featureActivations, ["tanh", "cos"]);
  });
});

Deno.test("the original protocol has no differences from itself; the default's are listed", () => {
  for (const e of [ntk, srank, rg, embedding, epsilon] as const) {
    const flags = defaults(e.flags) as never;
    // deno-lint-ignore no-explicit-any
    const x = e as any;
    assert.deepEqual(differencesFrom(x, flags, x.original(flags)), [], e.name);
    assert.ok(e.notes.length > 0, `${e.name} states its notes`);
  }
  const d = differencesFrom(
    ntk as never,
    defaults(ntk.flags) as never,
    ntk.configure(defaults(ntk.flags) as never, false),
  );
  assert.deepEqual(d.map((x) => x.aspect), [
    "epochs (study 1)",
    "trained network",
    "infinite-width kernel",
    "study 2 schedule",
    "study 2 kernel",
  ]);
});

Deno.test("--reproduce refuses flags that would change the protocol; --differences prints the table", async () => {
  const silent = { log: () => {}, progress: () => {} };
  for (const args of [["--reproduce", "--epochs", "3"], ["--reproduce", "--quick"]]) {
    await assert.rejects(runExperiment(ntk, args, silent), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /--reproduce runs the original protocol exactly; drop --(epochs|quick)/);
      return true;
    });
  }
  let text = "";
  await runExperiment(srank, ["--differences"], { log: (s) => (text += s), progress: () => {} });
  assert.match(text, /^\| aspect \| original study \(`--reproduce`\) \| default run \|/);
  assert.match(text, /\| runs per scale and of the MLP \(seeds\) \| 1 \(0\) \| 3 \(0, 1, 2\) \|/);
});

Deno.test("results.json states the protocol and every difference from the original", async () => {
  const out = await Deno.makeTempDir({ prefix: "rankscope-protocol-" });
  let printed = "";
  await runExperiment(rg, ["--quick", "--out", out], { log: (s) => (printed += s), progress: () => {} });
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  // The closing line names every figure it wrote, and each is there.
  const figures = Object.keys(JSON.parse(await Deno.readTextFile(`${out}/figures.json`)));
  assert.ok(figures.length >= 3);
  assert.ok(printed.trimEnd().endsWith(")"), printed.slice(-200));
  const last = printed.trimEnd().split("\n").at(-1)!;
  assert.ok(last.includes(`${out}/{${figures.join(",")}}.svg`), last);
  for (const f of figures) await Deno.stat(`${out}/${f}.svg`);
  assert.equal(results.protocol, "quick");
  const aspects = results.differences.map((d: { aspect: string }) => d.aspect);
  for (const a of ["networks per ensemble", "width × depth", "ensembles", "input"]) assert.ok(aspects.includes(a), a);
  assert.ok(results.notes.length > 0);
  await Deno.remove(out, { recursive: true });
});

const EXPERIMENTS = [ntk, srank, rg, embedding, epsilon] as unknown as Experiment<
  Record<string, FlagSpec>,
  unknown,
  unknown
>[];
/** The seed a configuration runs with: `seed`, or the first of `seeds`. */
const seedOf = (config: unknown) => {
  const c = config as { seed?: number; seeds?: number[] };
  return c.seed ?? c.seeds![0];
};

Deno.test("one rule for every experiment: --reproduce runs the original protocol and only --seed N may change", async (t) => {
  for (const e of EXPERIMENTS) {
    await t.step(e.name, () => {
      const command = parseCommand(e, ["--reproduce", "--seed", "3"]);
      assert.equal(seedOf(command.config), 3);
      assert.equal(command.reproduce, true);
      // Nothing but the seed differs from the original protocol at that seed.
      assert.deepEqual(differencesFrom(e, command.flags, command.config), []);
      assert.equal(seedOf(parseCommand(e, ["--reproduce"]).config), 0);
      // Any other flag is refused, naming it.
      const other = Object.keys(e.flags).find((k) => k !== "seed")!;
      const value = e.flags[other].default;
      assert.throws(() => parseCommand(e, ["--reproduce", `--${other}`, value]), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, new RegExp(`drop --${other} \\(only the seed may change: --seed N\\)`));
        return true;
      });
      if ("seeds" in e.flags) {
        // A sweep over seeds: --seeds is its list, --seed the seed of --reproduce only.
        assert.throws(() => parseCommand(e, ["--reproduce", "--seeds", "1,2"]), /drop --seeds/);
        assert.throws(() => parseCommand(e, ["--seed", "1"]), /--seed is the seed of --reproduce; .* --seeds/);
      }
    });
  }
});

Deno.test("--help names the allowed values of every choice flag", () => {
  let choiceFlags = 0;
  for (const e of EXPERIMENTS) {
    const help = parseCommand(e, ["--help"]).help!;
    for (const [name, spec] of Object.entries(e.flags)) {
      if (spec.kind === "choice") {
        choiceFlags++;
        assert.ok(help.includes(`--${name} ${spec.choices.join("|")} `), `${e.name} --help: --${name}`);
      } else if (spec.kind === "choices") {
        choiceFlags++;
        assert.ok(help.includes(`--${name} ${spec.choices.join(",")} (any of)`), `${e.name} --help: --${name}`);
      }
    }
    assert.match(
      help,
      /--reproduce +Run the original study's protocol exactly; only the seed may change, with --seed N/,
    );
  }
  assert.ok(choiceFlags >= 8, `${choiceFlags} choice flags`);
});

Deno.test("a study's overrides are checked like flags, before any work", async (t) => {
  for (const e of EXPERIMENTS) {
    await t.step(e.name, () => {
      const base = parseCommand(e, []).config as Record<string, unknown>;
      const original = parseCommand(e, ["--reproduce"]).config;
      const check = (overrides: Record<string, unknown>, reproduce = false) =>
        checkOverrides(e, reproduce ? original : base, overrides, reproduce);
      // Every list of the configuration refuses to be empty (a report of nothing cannot be drawn).
      const lists = Object.keys(base).filter((k) => Array.isArray(base[k]) && (base[k] as unknown[]).length > 0);
      assert.ok(lists.length > 0, `${e.name} has list settings`);
      for (const key of lists) {
        assert.throws(() => check({ [key]: [] }), RangeError, `${e.name}: ${key}: []`);
      }
      // A count flag's rule holds for the override of the same name.
      const count = Object.keys(e.flags).find((k) => e.flags[k].kind === "count" && k in base);
      if (count) {
        assert.throws(() => check({ [count]: -1 }), (err: Error) => {
          assert.ok(err instanceof RangeError);
          assert.match(err.message, new RegExp(`overrides\\.${count} expects an integer >= \\d`));
          return true;
        });
        assert.throws(() => check({ [count]: String(base[count]) }), TypeError, `${e.name}: "${base[count]}"`);
      }
      assert.throws(() => check({ notASetting: 1 }), /unknown override "notASetting"/);
      assert.throws(() => check(null as never), TypeError);
      // The original protocol takes the seed only.
      const other = Object.keys(base).find((k) => k !== "seed" && k !== "seeds")!;
      assert.throws(() => check({ [other]: base[other] }, true), /reproduce runs the original protocol exactly; drop/);
      const seeded = check("seeds" in base ? { seeds: [4] } : { seed: 4 }, true);
      assert.equal(seedOf(seeded), 4);
      // Unchanged values pass, and give the base back.
      assert.deepEqual(check({ ...base }), base);
    });
  }
  // The relations the experiment itself checks (ntk: probe subsets within the training set).
  assert.throws(
    () => checkOverrides(ntk as never, parseCommand(ntk as never, []).config, { subsets: [5000] } as never, false),
    /must not exceed --train/,
  );
  // Through the study API itself: refused before the GPU or any unit starts.
  const { ntkEntropy } = await import("../experiments/ntk_entropy.ts");
  await assert.rejects(ntkEntropy({ sizes: [] }, { reproduce: true }), /drop sizes/);
  await assert.rejects(ntkEntropy({ sizes: [] }), /overrides\.sizes expects a comma-separated list/);
  await assert.rejects(ntkEntropy({ epochs: 5 }, { reproduce: true }), /drop epochs/);
});
