/**
 * The shared runtime: {@linkcode initGpu} creates it once (device, subgroup probe, kernel tuning) and
 * {@linkcode runtime} hands it to ops that record work without awaiting. The module state (the pending
 * promise, the process's tuning store and the current runtime) lives here, apart from the `Runtime` class.
 *
 * @module
 */
import { requestGpuDevice } from "./device.ts";
import { Runtime } from "./runtime.ts";
import { memoryTuningStore, type TuningOptions } from "./tuning_store.ts";
import { tuneKernels } from "./tuning.ts";
import { probeSubgroups } from "./subgroup_probe.ts";
import { checkChoice, checkOptions } from "../check/args.ts";

let shared: Promise<Runtime> | null = null;
/** The default tuning store: in memory, for this process. */
const processStore = memoryTuningStore();
let current: Runtime | null = null;

/**
 * Initialises (once) and returns the shared runtime used by every op. Where the device has subgroups it
 * first checks rankscope's subgroup kernels there (switching them off if they fail to compile or to
 * compute exact answers; `rt.subgroupsOff` says why). By default it then tunes the kernel
 * families that have variants (kernels/tuning.ts): the choices of this adapter are read from `store`, or
 * measured once (about 3 s on a software adapter) and stored. On a CPU (fallback) adapter with no `store`
 * the defaults stand untimed (they win there; timing every fresh process would only cost). Options count
 * on the first call only.
 *
 * @param options `tuning: "off"` keeps every default variant (reproducible timing); `store` persists
 *   choices (default: in memory for this process).
 * @returns The shared runtime.
 * @throws {Error} When no WebGPU adapter is available (the message says how to get one).
 * @example Initialise the GPU
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * const rt = await initGpu();
 * assert.ok(rt.adapterName.length > 0);
 * ```
 */
export function initGpu(options: TuningOptions = {}): Promise<Runtime> {
  checkOptions("initialise the GPU", options, ["tuning", "store"]);
  checkChoice("initialise the GPU", "options.tuning", options.tuning ?? "auto", ["auto", "off"]);
  if (!shared) {
    shared = requestGpuDevice().then(async ({ device, adapterName, adapterIdentity, fallback }) => {
      const rt = new Runtime(device, adapterName, adapterIdentity);
      rt.tuningStore = options.store ?? processStore;
      if (rt.subgroups) {
        const why = await probeSubgroups(rt);
        if (why) rt.disableSubgroups(why);
      }
      // On a CPU (fallback) adapter without a persistent store, timing every fresh process (every test
      // module, every doc example) would cost more than it finds: the register kernels win there (measured
      // 4-5x), so the defaults stand unless a store is given; with a store the choice is measured once.
      const skip = fallback && !options.store;
      if ((options.tuning ?? "auto") === "auto" && !skip) await tuneKernels(rt, rt.tuningStore);
      current = rt;
      return rt;
    });
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

/**
 * Returns the shared runtime synchronously, for ops that record work without awaiting.
 *
 * @returns The runtime created by {@linkcode initGpu}.
 * @throws {Error} When {@linkcode initGpu} has not completed yet.
 * @example The runtime initGpu created
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, runtime } from "./init_gpu.ts";
 * const rt = await initGpu();
 * assert.equal(runtime(), rt);
 * ```
 */
export function runtime(): Runtime {
  if (!current) throw new Error("The GPU is not initialised: call `await initGpu()` first");
  return current;
}
