/**
 * Fidelity measurement for ntk_entropy's --reproduce: the test accuracy of the first study's network
 * after epochs 1–3 of the original protocol, for several seeds, against the original's printed values
 * (17.8%, 42.4%, 62.7%). Prints one line per seed and the range.
 *
 * Run: `deno run -A bench/ntk_early_epochs.ts [--seeds 0,1,2,3,4] [--epochs 3]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { experiment as ntk } from "../experiments/ntk_entropy.ts";
import { defaultFlags } from "../experiments/_program.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: { seeds: { type: "string", default: "0,1,2,3,4" }, epochs: { type: "string", default: "3" } },
});
const seeds = values.seeds.split(",").map(Number), epochs = Number(values.epochs);
if (!seeds.every((s) => Number.isInteger(s) && s >= 0) || !(Number.isInteger(epochs) && epochs >= 1)) {
  console.error("usage: deno run -A bench/ntk_early_epochs.ts [--seeds 0,1,2] [--epochs 3] (whole numbers)");
  Deno.exit(2);
}
await denoGpu();
const original = [0.178, 0.424, 0.627, 0.73, 0.78];
console.log(
  `test accuracy after epochs 1..${epochs} (--reproduce protocol); the original: ${original.slice(0, epochs)}`,
);
const byEpoch: number[][] = Array.from({ length: epochs }, () => []);
for (const seed of seeds) {
  const config = { ...ntk.original({ ...defaultFlags(ntk.flags), seed }), epochs };
  const run = await ntk.start(config);
  const record = await run({ id: "training", weight: 1 }, { tick: () => {}, checkpoint: () => Promise.resolve() });
  const accuracy = (record as { epochs: { testAccuracy: number }[] }).epochs.slice(1).map((e) => e.testAccuracy);
  accuracy.forEach((a, i) => byEpoch[i].push(a));
  console.log(`seed ${seed}: ${accuracy.map((a) => a.toFixed(3)).join("  ")}`);
}
byEpoch.forEach((v, i) =>
  console.log(`epoch ${i + 1}: ${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)} (original ${original[i]})`)
);
