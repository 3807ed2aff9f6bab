/**
 * The real-GPU figures that issues 19 (scale) and 21 (tuned kernels) still need, in one command: each
 * benchmark at the sizes its goal names, in its own process, with the goal printed beside the table it is
 * read from. Results go to out/gpu_report.json (kept across runs, so steps can be run one at a time on a
 * machine that limits each command) and out/gpu_report.md, both written atomically after every step.
 *
 * Run: `deno run -A bench/gpu_report.ts [--only kernels,train,linalg,eigen4096,scale,experiment] [--quick]
 * [--out out/gpu_report]`. `--quick` runs every step at toy sizes (a smoke test on any adapter).
 */
import { parseArgs } from "node:util";

/** One benchmark step: its command line (full and quick) and the goals read from its output. */
interface Step {
  args: string[];
  quick: string[];
  goals: string[];
}

const STEPS: Record<string, Step> = {
  kernels: {
    args: ["bench/kernels.ts", "--sizes", "256,512,1024,2048,4096", "--gram", "1000x4096,4096x4096"],
    quick: ["bench/kernels.ts", "--sizes", "64", "--gram", "64x64", "--trials", "1"],
    goals: [
      "matmul 4096³ ≥ 15 TFLOP/s (15,000 GFLOP/s), matmul 1024³ ≥ 6 TFLOP/s (issue 21)",
      "Gram 4096×4096 ≥ 10 TFLOP/s counted as 2m²k (issue 21)",
      "which variant the tuner picks per class, and what the subgroup reductions and softmax give (issue 21)",
    ],
  },
  train: {
    args: ["bench/train.ts", "--steps", "2000"],
    quick: ["bench/train.ts", "--steps", "20"],
    goals: ["MLP step ≥ 1,000 steps/s at batch 128, loss read every 10 steps (issue 21)"],
  },
  linalg: {
    args: ["bench/linalg.ts", "--sizes", "512,1024", "--eig", "1000"],
    quick: ["bench/linalg.ts", "--sizes", "32", "--eig", "32"],
    goals: ["Jacobi against Householder at n ≤ 1000 with float64 errors: where the GPU path pays (issue 19)"],
  },
  eigen4096: {
    args: ["bench/linalg.ts", "--sizes", "4096", "--eig", "4096", "--methods", "auto,jacobi"],
    quick: ["bench/linalg.ts", "--sizes", "64", "--eig", "64", "--methods", "auto,jacobi"],
    goals: ["eigvalsh and svdvals at n = 4096 ≤ 0.5 s (issue 19; errors are not checked above n = 1000)"],
  },
  scale: {
    args: ["bench/scale.ts", "--sizes", "1000,4000", "--eigen", "1000,4000", "--jacobi-max", "1000"],
    quick: ["bench/scale.ts", "--sizes", "20", "--eigen", "32", "--jacobi-max", "32"],
    goals: ["traced NTK + von Neumann entropy of the seed CNN at N = 4000 ≤ 20 s (issue 19)"],
  },
  experiment: {
    args: ["experiments/ntk_entropy.ts"],
    quick: ["experiments/ntk_entropy.ts", "--quick"],
    goals: ["the main experiment's default run ≤ 30 s (issue 21)"],
  },
};

/** What one step produced. */
interface StepResult {
  command: string;
  seconds: number;
  exitCode: number;
  stdout: string;
  finished: string;
}

const { values } = parseArgs({
  options: {
    only: { type: "string", default: Object.keys(STEPS).join(",") },
    quick: { type: "boolean", default: false },
    out: { type: "string", default: "out/gpu_report" },
  },
});
const chosen = values.only.split(",").filter((s) => s !== "");
const unknown = chosen.filter((s) => !(s in STEPS));
if (unknown.length > 0 || chosen.length === 0) {
  console.error(
    `--only: unknown step(s) ${unknown.join(", ") || "(none given)"}; steps: ${Object.keys(STEPS).join(", ")}`,
  );
  Deno.exit(2);
}

const jsonPath = `${values.out}.json`;
const results: Record<string, StepResult> = await Deno.readTextFile(jsonPath).then(JSON.parse).catch(() => ({}));

/** Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, path);
}

function markdown(): string {
  const lines = [
    "# rankscope on this GPU",
    "",
    `Written by \`deno run -A bench/gpu_report.ts\` (Deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}).`,
    "Each step's adapter line names the adapter; a quick run (`--quick`) is a smoke test, not a measurement.",
  ];
  for (const [name, step] of Object.entries(STEPS)) {
    const r = results[name];
    lines.push("", `## ${name}`, "", ...step.goals.map((g) => `- Goal: ${g}`), "");
    if (!r) {
      lines.push(`Not run yet: \`deno run -A bench/gpu_report.ts --only ${name}\`.`);
      continue;
    }
    lines.push(
      `\`deno run -A ${r.command}\`: ${r.exitCode === 0 ? "ok" : `FAILED (exit ${r.exitCode})`} in ${
        r.seconds.toFixed(1)
      } s, finished ${r.finished}.`,
      "",
      "```",
      r.stdout.trimEnd(),
      "```",
    );
  }
  return lines.join("\n") + "\n";
}

for (const [i, name] of chosen.entries()) {
  const args = values.quick ? STEPS[name].quick : STEPS[name].args;
  const scratch = name === "experiment" ? await Deno.makeTempDir({ prefix: "rankscope-gpu-report-" }) : null;
  const full = scratch ? [...args, "--out", scratch] : args;
  console.error(`gpu report: step ${i + 1}/${chosen.length} (${name}): deno run -A ${full.join(" ")}`);
  const started = performance.now();
  // The step's progress (stderr) passes through; its tables (stdout) are kept for the report.
  const child = new Deno.Command(Deno.execPath(), { args: ["run", "-A", ...full], stdout: "piped", stderr: "inherit" })
    .spawn();
  const { code, stdout } = await child.output();
  const seconds = (performance.now() - started) / 1000;
  if (scratch) await Deno.remove(scratch, { recursive: true }).catch(() => {});
  const text = new TextDecoder().decode(stdout);
  results[name] = {
    command: args.join(" "),
    seconds,
    exitCode: code,
    stdout: name === "experiment" ? text.split("\n").slice(-40).join("\n") : text,
    finished: new Date().toISOString(),
  };
  await writeAtomically(jsonPath, JSON.stringify(results, null, 2));
  await writeAtomically(`${values.out}.md`, markdown());
  console.error(`gpu report: ${name} ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s`);
}
console.log(markdown());
