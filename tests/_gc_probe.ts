/**
 * Run by tests/memory_test.ts with `--v8-flags=--expose-gc`: creates tensors in a loop without
 * disposing them, drops every reference, collects, and prints the live count and the pool's bytes in use
 * before and after as JSON.
 *
 * @module
 */
import { initGpu, matmul, randomNormal, tanh, Tensor } from "./_all.ts";

const rt = await initGpu();
const x = randomNormal([64, 64], { seed: 1 });
const before = { live: Tensor.liveCount, bytes: rt.pool.bytesInUse };
// A training-loop-like body with no tidy and no dispose: 15 tensors a step, 200 steps.
for (let step = 0; step < 200; step++) {
  let h = x;
  for (let k = 0; k < 15; k++) h = tanh(matmul(h, x));
  if (step % 50 === 0) await h.toArray();
}
await rt.sync();
const leaked = { live: Tensor.liveCount, bytes: rt.pool.bytesInUse };
for (let i = 0; i < 5; i++) {
  (globalThis as unknown as { gc: () => void }).gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const after = { live: Tensor.liveCount, bytes: rt.pool.bytesInUse };
console.log(JSON.stringify({ before, leaked, after }));
