/**
 * The check that rankscope's subgroup kernels work on a device before anything uses them. An adapter
 * can list the `subgroups` feature while its shader compiler rejects what the kernels use (the `enable`
 * directive, the `subgroup_uniformity` diagnostic, a builtin), or computes them wrongly; a shader that
 * failed to compile must never reach a command buffer, because a validation error there makes the whole
 * runtime unusable. So the kernels are compiled first (a failure is caught and the shader evicted), then
 * run on inputs whose answers are exact (each family's `probe`), and the device's subgroups are switched
 * off on any failure.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import type { SubgroupProbe } from "./choose_variant.ts";
import { TUNED_FAMILIES } from "./tuning.ts";

/** The probes of the families with one (matmul, reduce, softmax; Gram reuses the matmul's subgroup source). */
const PROBES: readonly SubgroupProbe[] = TUNED_FAMILIES.flatMap((family) => family.probe ? [family.probe] : []);

/**
 * Checks the subgroup kernels on the runtime's device: compiles the subgroup shader of every family's
 * probe (matmul, reduction, softmax), then runs each on its input with an exact answer.
 *
 * @param rt Runtime whose device has the `subgroups` feature.
 * @param extraShaders More WGSL that must compile (tests use it to force a failure).
 * @returns Null when everything compiled and matched, else why not (the runtime stays usable).
 * @example A shader that does not compile is reported
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { probeSubgroups } from "./subgroup_probe.ts";
 * const rt = await initGpu();
 * const why = await probeSubgroups(rt, ["this is not WGSL"]);
 * assert.ok(why?.startsWith("a subgroup shader did not compile"));
 * ```
 */
export async function probeSubgroups(rt: Runtime, extraShaders: string[] = []): Promise<string | null> {
  const shaders = [...PROBES.map((probe) => probe.wgsl()), ...extraShaders];
  try {
    for (const wgsl of shaders) await rt.pipelines.compile(wgsl);
  } catch (e) {
    return `a subgroup shader did not compile: ${(e as Error).message.split("\n")[0]}`;
  }
  for (const probe of PROBES) {
    const why = await probe.run(rt);
    if (why) return why;
  }
  return null;
}
