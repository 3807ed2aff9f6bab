import assert from "node:assert";
import * as r from "./_all.ts";

Deno.test("tensors beyond the device's binding limit are refused at creation, naming op, shape and limit", async () => {
  const rt = await r.initGpu();
  const limit = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
  // The smallest square output that passes the limit on this adapter (6000 rows on lavapipe's 128 MiB).
  const rows = Math.ceil(Math.sqrt(limit / 4)) + 1;
  const x = r.randomNormal([rows, 1], { seed: 1 });
  const before = r.Tensor.liveCount;
  assert.throws(
    () => r.gram(x),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.startsWith(`Cannot allocate gram output ${rows}x${rows}: `) &&
      e.message.includes(`storage-binding limit of ${limit.toLocaleString("en-US")} bytes`) &&
      e.message.includes("Work in chunks"),
  );
  assert.throws(() => r.randomNormal([rows, rows], { seed: 2 }), /Cannot allocate randomNormal output/);
  assert.equal(r.Tensor.liveCount, before, "nothing was allocated");
  // The runtime is still healthy: a later read returns real values, not zeros.
  const s = await r.sum(r.full([4], 2)).item();
  assert.equal(s, 8);
  x.dispose();
});

Deno.test("pool buckets never pass the binding limit", async () => {
  const rt = await r.initGpu();
  const limit = rt.pool.maxBindableBytes;
  // Just under the limit: the 25% bucket slack would pass it, so the buffer is sized exactly.
  const bytes = limit - 1024;
  const buffer = rt.pool.acquire(bytes);
  assert.ok(buffer.size >= bytes && buffer.size <= limit, `size ${buffer.size}`);
  rt.pool.release(buffer);
  rt.flush();
  rt.pool.trim();
  assert.throws(() => rt.pool.acquire(limit + 4), /exceed the device's binding limit/);
});

Deno.test("a GPU validation failure poisons the runtime: every later call fails loudly", async () => {
  const shared = await r.initGpu();
  await shared.sync();
  // A separate runtime on the same device, so the shared one stays healthy for the other tests.
  const rt = new r.Runtime(shared.device, "poison test");
  const wgsl = `// bindings: 0 x (rw). workgroup 1, grid 1: writes x[0].
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(1) fn main() { x[0] = 1.0; }`;
  const good = rt.pool.acquire(16);
  const destroyed = rt.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  destroyed.destroy();
  rt.dispatch({ wgsl, buffers: [good], workgroups: [1] });
  assert.deepEqual([...await rt.read(good, 1)], [1]);
  rt.dispatch({ wgsl, buffers: [destroyed], workgroups: [1] });
  await assert.rejects(() => rt.read(good, 1), /GPU command failed validation/);
  await assert.rejects(() => rt.read(good, 1), /unusable after an earlier GPU command failed validation/);
  assert.throws(() => rt.dispatch({ wgsl, buffers: [good], workgroups: [1] }), /unusable/);
  // The shared runtime is unaffected.
  assert.equal(await r.sum(r.full([3], 1)).item(), 3);
});
