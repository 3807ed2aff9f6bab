/**
 * Fidelity: every experiment's --reproduce configuration is the original study's protocol as its notebook
 * (../shared/studies/) states it, written out here independently; the default run's differences from it
 * are exactly what --differences and results.json list; --reproduce refuses flags that would change it.
 */
import assert from "node:assert";
import { differencesFrom, runExperiment } from "../experiments/_program.ts";
import { UsageError } from "../experiments/_common.ts";
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
  assert.match(text, /\| runs per scale \(seeds\) \| 1 \(0\) \| 3 \(0, 1, 2\) \|/);
});

Deno.test("results.json states the protocol and every difference from the original", async () => {
  const out = await Deno.makeTempDir({ prefix: "rankscope-protocol-" });
  await runExperiment(rg, ["--quick", "--out", out], { log: () => {}, progress: () => {} });
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.equal(results.protocol, "quick");
  const aspects = results.differences.map((d: { aspect: string }) => d.aspect);
  for (const a of ["networks per ensemble", "width × depth", "ensembles", "input"]) assert.ok(aspects.includes(a), a);
  assert.ok(results.notes.length > 0);
  await Deno.remove(out, { recursive: true });
});
