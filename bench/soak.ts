/**
 * Soak benchmark: many small autodiff steps inside `tidy`, printing process RSS, the buffer pool's bytes,
 * live tensors and the JS heap at intervals. Memory must stay flat within noise: any per-dispatch native
 * leak shows up here as RSS growing with the step count.
 *
 * Run: `deno run -A bench/soak.ts [--steps 100000] [--every 10000]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { grad, matmul, randomNormal, sum, tanh, Tensor, tidy } from "../mod.ts";
import { denoGpu } from "../experiments/_common.ts";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "100000" }, every: { type: "string", default: "10000" } },
});
const steps = Number(values.steps), every = Number(values.every);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(every) && every > 0)) {
  console.error("usage: deno run -A bench/soak.ts [--steps 100000] [--every 10000] (positive integers)");
  Deno.exit(2);
}
const rt = await denoGpu();
const x = randomNormal([16, 8], { seed: 1 });
const w = randomNormal([8, 4], { seed: 2 });
w.requiresGrad = true;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(`soak: ${steps} steps of tidy(sum(tanh(x·w)) → grad) on ${rt.adapterName}`);
console.log(
  "step      RSS MiB  heap MiB  pool in use  pool idle  live tensors  dispatches  bind groups  uniforms  pipelines",
);
const report = (step: number) => {
  const m = Deno.memoryUsage();
  console.log(
    `${String(step).padEnd(8)}  ${mib(m.rss).padStart(7)}  ${mib(m.heapUsed).padStart(8)}  ${
      String(rt.pool.bytesInUse).padStart(11)
    }  ${String(rt.pool.bytesFree).padStart(9)}  ${String(Tensor.liveCount).padStart(12)}  ${
      String(rt.stats.dispatches).padStart(10)
    }  ${String(rt.stats.bindGroups).padStart(11)}  ${String(rt.uniforms.created).padStart(8)}  ${
      String(rt.pipelines.size).padStart(9)
    }`,
  );
};
const started = performance.now();
report(0);
for (let step = 1; step <= steps; step++) {
  const out = tidy(() => {
    const loss = sum(tanh(matmul(x, w)));
    const [dw] = grad(loss, [w]);
    return sum(dw);
  });
  out.dispose();
  // Read back now and then, as a training loop reading its loss would.
  if (step % 100 === 0) await rt.sync();
  if (step % every === 0) report(step);
}
console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
