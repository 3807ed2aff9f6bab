import assert from "node:assert";
import {
  bucketSize,
  grad,
  initGpu,
  linearGrid,
  matmul,
  NO_ADAPTER_HELP,
  randomNormal,
  sum,
  tanh,
  Tensor,
  tidy,
  WgslCompileError,
} from "./_all.ts";
import { gpu } from "./_helpers.ts";

Deno.test("a WebGPU adapter is available (CI must fail without one)", async () => {
  const rt = await gpu();
  assert.ok(rt.adapterName.length > 0, "adapter has a name");
  console.log(`adapter: ${rt.adapterName}`);
});

Deno.test("the no-adapter message says how to get one", () => {
  assert.match(NO_ADAPTER_HELP, /mesa-vulkan-drivers/);
});

Deno.test("WGSL compile errors surface with the numbered source", async () => {
  const rt = await initGpu();
  const bad = "@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\n";
  await assert.rejects(() => rt.pipelines.compile(bad), (e: unknown) => {
    assert.ok(e instanceof WgslCompileError);
    assert.match(e.message, /WGSL compilation failed/);
    assert.ok(e.message.includes("   3 |   let x: f32 = 1u;"), e.message);
    return true;
  });
});

Deno.test("a bad shader recorded among ops fails the next read", async () => {
  const rt = await initGpu();
  const y = Tensor.fromArray([1]);
  rt.dispatch({ wgsl: "@compute @workgroup_size(1) fn main() { let q: i32 = 1.5; }", buffers: [], workgroups: [1] });
  await assert.rejects(() => y.toArray(), WgslCompileError);
  y.dispose();
});

Deno.test("dispatch rejects empty and oversized grids", async () => {
  const rt = await initGpu();
  assert.throws(
    () => rt.dispatch({ wgsl: "", buffers: [], workgroups: [0] }),
    (e: unknown) => e instanceof RangeError && /workgroup grid 0x1x1/.test(e.message),
  );
  assert.throws(() => rt.dispatch({ wgsl: "", buffers: [], workgroups: [70000] }), RangeError);
});

Deno.test("linearGrid covers counts beyond one grid dimension", () => {
  for (const n of [1, 65535, 65536, 1_000_000]) {
    const [x, y] = linearGrid(n);
    assert.ok(x <= 65535 && y <= 65535 && x * y >= n, `grid for ${n}`);
  }
});

Deno.test("bucketSize rounds up with bounded slack", () => {
  for (const n of [1, 255, 256, 4097, 1e6, 123456789]) {
    const b = bucketSize(n);
    assert.ok(b >= n && b <= Math.max(256, n * 1.25 + 256), `bucket ${b} for ${n}`);
  }
  assert.throws(() => bucketSize(0), (e: unknown) => e instanceof RangeError && /positive/.test(e.message));
});

Deno.test("tidy keeps GPU memory flat over many iterations", async () => {
  const rt = await initGpu();
  const a = Tensor.fromArray(new Float32Array(64 * 64).fill(0.01), [64, 64]);
  const step = () => tidy(() => matmul(matmul(a, a), a).dispose());
  step();
  await rt.sync();
  const bytes = rt.pool.bytesInUse, live = Tensor.liveCount;
  for (let i = 0; i < 50; i++) step();
  await rt.sync();
  assert.equal(rt.pool.bytesInUse, bytes);
  assert.equal(Tensor.liveCount, live);
  a.dispose();
});

Deno.test("a repeated training step creates no new bind groups or uniform buffers once warm", async () => {
  // The soak benchmark's step. Bind groups hold native memory that only the garbage collector frees, so
  // a loop that kept creating them (about one per two dispatches, before the pool and the uniform lists
  // handed buffers out in a fixed order) grew RSS for ~60,000 steps.
  const rt = await initGpu();
  const x = randomNormal([16, 8], { seed: 1 }), w = randomNormal([8, 4], { seed: 2 });
  w.requiresGrad = true;
  const run = async (steps: number) => {
    for (let s = 1; s <= steps; s++) {
      tidy(() => sum(grad(sum(tanh(matmul(x, w))), [w])[0])).dispose();
      if (s % 50 === 0) await rt.sync();
    }
  };
  await run(200);
  const warm = { ...rt.stats }, warmUniforms = rt.uniforms.created;
  await run(600);
  assert.ok(rt.stats.dispatches - warm.dispatches >= 6000);
  assert.equal(rt.stats.bindGroups, warm.bindGroups, "bind groups created after warm-up");
  assert.equal(rt.uniforms.created, warmUniforms, "uniform buffers created after warm-up");
  x.dispose();
  w.dispose();
});

Deno.test("using a disposed tensor is a clear error", async () => {
  await initGpu();
  const t = Tensor.fromArray([1, 2]);
  t.dispose();
  assert.throws(() => t.buffer, /used after dispose/);
  assert.throws(() => matmul(t.reshape([1, 2]), t), /used after dispose/);
});
