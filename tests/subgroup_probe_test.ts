import assert from "node:assert";
import { initGpu, Runtime, Tensor } from "./_all.ts";
import { dispatchReduce, probeSubgroups } from "../kernels/mod.ts";

/** The runtime's device, except that it claims the `subgroups` feature (lavapipe lacks it in Deno). */
function claimingSubgroups(device: GPUDevice): GPUDevice {
  return new Proxy(device, {
    get(target, property) {
      if (property === "features") return new Set([...target.features, "subgroups"]);
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("a device that lists subgroups but rejects the subgroup shaders gets them switched off and stays usable", async () => {
  const rt = await initGpu();
  if (rt.subgroups) {
    // A device with working subgroups passes the probe (initGpu has run it already).
    assert.equal(await probeSubgroups(rt), null);
    return;
  }
  const fake = new Runtime(claimingSubgroups(rt.device), "claims subgroups");
  assert.equal(fake.subgroups, true, "the claimed feature counts until the probe says otherwise");
  const why = await probeSubgroups(fake);
  assert.ok(why !== null && /did not compile/.test(why), `the probe reports the compile failure: ${why}`);
  fake.disableSubgroups(why);
  assert.equal(fake.subgroups, false);
  assert.equal(fake.subgroupsOff, why);
  // No failed command reached the queue: the runtime still computes, and a tuned subgroup choice falls back.
  fake.tuning.set({ family: "reduce", shapeClass: "medium" }, "subgroup");
  const x = Tensor.fromArray(new Float32Array(300).fill(2), [300], { runtime: fake });
  const y = Tensor.empty([1], "sum", fake);
  dispatchReduce(fake, { x: x.buffer, y: y.buffer, outer: 1, axis: 300, inner: 1, op: "sum" });
  assert.deepEqual([...await fake.read(y.buffer, 1)], [600]);
  [x, y].forEach((t) => t.dispose());
});
