/**
 * Smoke tests: each experiment runs end to end at its --quick size and writes parseable results and
 * SVG figures free of NaN.
 */
import assert from "node:assert";

async function runQuick(script: string): Promise<string> {
  const out = await Deno.makeTempDir({ prefix: "rankscope-" });
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../experiments/${script}`, import.meta.url).pathname, "--quick", "--out", out],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await cmd.output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${script} failed:\n${new TextDecoder().decode(stderr).slice(-2000)}`);
  assert.ok(text.length > 0, "prints tables to stdout");
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.equal(results.status, "complete", "results.json records a finished run");
  assert.equal(results.flags.quick, true, "results.json records the flags");
  return out;
}

async function checkSvgs(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const svg = await Deno.readTextFile(`${dir}/${name}.svg`);
    assert.ok(svg.startsWith("<svg") && svg.endsWith("</svg>"), `${name}.svg is a complete SVG`);
    assert.ok(!/NaN|Infinity/.test(svg), `${name}.svg has no NaN coordinates`);
  }
}

Deno.test("experiments/ntk_entropy.ts --quick writes results and figures", async () => {
  const dir = await runQuick("ntk_entropy.ts");
  const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  assert.equal(results.epochs.length, 3); // epoch 0 (init) + 2 epochs
  assert.equal(results.sizes.length, 2);
  for (const e of results.epochs) {
    assert.ok(e.entropy.every((s: number) => s > 0 && s <= Math.log(10) + 1e-9), `entropies ${e.entropy}`);
  }
  assert.ok(results.epochs.at(-1).testAccuracy > results.epochs[0].testAccuracy, "training helps");
  const figures = JSON.parse(await Deno.readTextFile(`${dir}/figures.json`));
  assert.deepEqual(Object.keys(figures).sort(), [
    "entropy_vs_accuracy",
    "entropy_vs_epoch",
    "entropy_vs_subset",
    "information_transfer",
    "training_size",
  ]);
  await checkSvgs(dir, Object.keys(figures));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiments/srank_evolution.ts --quick writes results and figures", async () => {
  const dir = await runQuick("srank_evolution.ts");
  const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  assert.equal(results.runs.length, 3); // MLP + RFF at two scales
  for (const run of results.runs) {
    assert.equal(run.step.length, run.srank.length);
    assert.ok(run.srank.every((s: number) => s >= 0 && s <= Math.log(20) + 1e-9));
    assert.ok(run.loss.at(-1) < run.loss[0], `${run.kind} loss decreases`);
  }
  const figures = JSON.parse(await Deno.readTextFile(`${dir}/figures.json`));
  assert.deepEqual(Object.keys(figures).sort(), ["fits", "scale_curves", "scale_sweep", "srank_curves", "target"]);
  await checkSvgs(dir, Object.keys(figures));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiments/rg_flow.ts --quick writes results and figures close to theory", async () => {
  const dir = await runQuick("rg_flow.ts");
  const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  for (const layer of results.study1.variants.critical) {
    assert.ok(Math.abs(layer.k / layer.kTheory - 1) < 0.1, `K ${layer.k} vs ${layer.kTheory}`);
  }
  // The ensemble has mean zero by construction: a broken test statistic would reject it.
  assert.ok(results.study1.hotelling.pValue > 0.01, `p = ${results.study1.hotelling.pValue}`);
  assert.equal(results.sweep.length, 2);
  const figures = JSON.parse(await Deno.readTextFile(`${dir}/figures.json`));
  assert.deepEqual(Object.keys(figures).sort(), ["histograms", "kurtosis_depth", "kurtosis_width", "variance"]);
  await checkSvgs(dir, Object.keys(figures));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiments/embedding_restrictions.ts --quick writes results, maps and figures", async () => {
  const dir = await runQuick("embedding_restrictions.ts");
  const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  assert.equal(results.runs.length, 10); // 5 models x 2 datasets x 1 seed
  // Even 30 steps separate the models on circles (fixed seed): the wide net beats the narrow ones.
  const accuracy = (dataset: string, model: string) =>
    results.runs.find((r: { dataset: string; model: string }) => r.dataset === dataset && r.model === model)
      .testAccuracy;
  assert.ok(accuracy("circles", "wide tanh") > 0.6, `wide tanh ${accuracy("circles", "wide tanh")}`);
  assert.ok(accuracy("circles", "wide tanh") > accuracy("circles", "narrow tanh") + 0.05);
  assert.ok(results.checkpoints.length >= 2, "weights recorded at checkpoints");
  const figures = JSON.parse(await Deno.readTextFile(`${dir}/figures.json`));
  // A width-1 bottleneck makes the hidden map rank one: the smallest Jacobian singular value vanishes.
  const bottleneck = figures.circles_jacobian["bottleneck tanh"];
  assert.ok(Math.max(...bottleneck.min) < 1e-3 * Math.max(...bottleneck.max), "rank collapse");
  assert.ok(Math.max(...figures.circles_jacobian["wide tanh"].min) > 1e-3);
  assert.equal(Object.keys(figures).length, 10); // decision, loss, jacobian and gradient per dataset, plus weights
  await checkSvgs(dir, Object.keys(figures));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiments/epsilon_rank.ts --quick runs every study and writes figures", async () => {
  const dir = await runQuick("epsilon_rank.ts");
  const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  assert.deepEqual(Object.keys(results.studies).sort(), [
    "activations",
    "init",
    "layers",
    "pinn",
    "resnet",
    "rfm",
    "staircase",
  ]);
  for (const curve of results.studies.staircase) {
    assert.equal(curve.step.length, curve.loss.length);
    assert.ok(curve.rank[0].every((r: number) => Number.isInteger(r) && r >= 0 && r <= 10));
  }
  assert.equal(results.studies.layers[0].rank.length, 4, "one ε-rank curve per hidden layer");
  // The partition of unity fits the target better than the global features, with a larger ε-rank.
  const [rfm, elm] = results.studies.rfm;
  assert.ok(rfm.error > 0 && rfm.error < elm.error / 2, `RFM ${rfm.error} vs ELM ${elm.error}`);
  assert.ok(rfm.rank > elm.rank);
  const figures = JSON.parse(await Deno.readTextFile(`${dir}/figures.json`));
  await checkSvgs(dir, Object.keys(figures));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiments refuse bad flags before any work: usage on stderr, exit code 2, no stack trace", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["ntk_entropy.ts", ["--quick", "--epochs", "abc"], /--epochs expects an integer >= 1 \(got "abc"\)/],
    ["embedding_restrictions.ts", ["--threshold", "2"], /--threshold expects a number in \(0, 1\) \(got "2"\)/],
    ["embedding_restrictions.ts", ["--grid", "0"], /--grid expects an integer >= 2/],
    ["srank_evolution.ts", ["--steps", "0"], /--steps expects an integer >= 1/],
    ["epsilon_rank.ts", ["--every", "0"], /--every expects an integer >= 1/],
    ["rg_flow.ts", ["--max-depth", "0"], /--max-depth expects an integer >= 1/],
    ["rg_flow.ts", ["--widths", "16.5"], /--widths expects a comma-separated list of integers >= 1/],
    ["rg_flow.ts", ["--bogus", "1"], /Unknown option '--bogus'/],
    ["rg_flow.ts", ["--out", "/proc/rankscope-cannot-write"], /cannot write to --out/],
  ];
  for (const [script, args, message] of cases) {
    await t.step(`${script} ${args.join(" ")}`, async () => {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL(`../experiments/${script}`, import.meta.url).pathname, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 2, err);
      assert.match(err, message);
      assert.match(err, /usage: deno run -A experiments\//);
      assert.ok(!/\n\s+at /.test(err), `no stack trace:\n${err}`);
      assert.equal(new TextDecoder().decode(stdout), "");
    });
  }
});

Deno.test("a run into an --out holding an earlier run removes that run's outputs and nothing else", async () => {
  const out = await Deno.makeTempDir({ prefix: "rankscope-" });
  await Deno.writeTextFile(`${out}/mine.svg`, "<svg/>"); // the user's own file
  await Deno.writeTextFile(`${out}/old_figure.svg`, "<svg/>"); // a figure of an earlier run
  await Deno.writeTextFile(`${out}/figures.json`, JSON.stringify({ old_figure: {} }));
  await Deno.writeTextFile(`${out}/results.json`, JSON.stringify({ status: "partial" }));
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../experiments/rg_flow.ts", import.meta.url).pathname, "--quick", "--out", out],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.ok(names.includes("mine.svg"), "the user's file stays");
  assert.ok(!names.includes("old_figure.svg"), "the earlier run's figure is gone");
  assert.equal(JSON.parse(await Deno.readTextFile(`${out}/results.json`)).status, "complete");
  await Deno.remove(out, { recursive: true });
});

Deno.test("stdout tables use one number format per column", async () => {
  const { table } = await import("../experiments/_common.ts");
  const text = table(["n", "loss", "acc"], [[1, 0.0012, 0.5], [20, 1.2e-5, 0.75], [300, "-", 1]]);
  const rows = text.split("\n").slice(2).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]), ["1", "20", "300"]);
  assert.deepEqual(rows.map((r) => r[1]), ["1.200e-3", "1.200e-5", "-"]);
  assert.deepEqual(rows.map((r) => r[2]), ["0.5000", "0.7500", "1.0000"]);
});
