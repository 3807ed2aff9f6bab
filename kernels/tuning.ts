/**
 * The kernel autotuner: for every kernel family with variants ({@linkcode TUNED_FAMILIES}: matmul and
 * Gram: register-blocked, workgroup-memory tiled, or subgroup shuffles where the device has them; the
 * Jacobi SVD: scalar rounds or block rotations; reductions and softmax: serial, workgroup tree, or
 * subgroup operations where the device has them), it times each variant the device can run at every shape
 * class's representative shape (the family's own `time`), keeps the fastest, and remembers the choice per
 * adapter identity and tuning version in a store (kernels/tuning_store.ts). Variants compute the same
 * result up to float32 rounding, so tuning changes speed, never answers.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { storableChoice, type Variant, type VariantFamily, variantNames } from "./choose_variant.ts";
import { tuningKey, type TuningStore } from "./tuning_store.ts";
import { MATMUL_FAMILY } from "./matmul.ts";
import { GRAM_FAMILY } from "./gram.ts";
import { JACOBI_FAMILY } from "./jacobi_family.ts";
import { REDUCE_FAMILY } from "./reduce.ts";
import { SOFTMAX_FAMILY } from "./softmax.ts";

/** Any kernel family, as the tuner iterates them. */
export type TunedFamily = VariantFamily<never, string, string, Variant<never>>;

/** Every kernel family with variants: what the tuner times (in this order) and the subgroup probe checks. */
export const TUNED_FAMILIES: readonly TunedFamily[] = [
  MATMUL_FAMILY,
  GRAM_FAMILY,
  JACOBI_FAMILY,
  REDUCE_FAMILY,
  SOFTMAX_FAMILY,
];

/** Variant names per family (the listing order of each family's variants). */
export const VARIANTS: Record<string, readonly string[]> = Object.fromEntries(
  TUNED_FAMILIES.map((family) => [family.name, variantNames(family)]),
);

/** Tuned choices, `family → shapeClass → variant` (e.g. `{ matmul: { small: "register", large: "shared" } }`). */
export type TuningChoices = Record<string, Record<string, string>>;

/** The fastest entry of a record of seconds (the first listed on a tie). */
function fastest(seconds: Record<string, number>): string {
  return Object.keys(seconds).reduce((a, b) => (seconds[b] < seconds[a] ? b : a));
}

/**
 * Loads the runtime's tuning choices from the store, or measures them (and stores them) when the store
 * lacks a usable choice for any family's shape class at this adapter and version. Sets `rt.tuning`.
 *
 * @param rt Runtime.
 * @param store Where choices persist.
 * @returns The choices, `family → shapeClass → variant`.
 * @example Choices already in the store are read, not timed again
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { Runtime } from "./runtime.ts";
 * import { memoryTuningStore } from "./tuning_store.ts";
 * import { tuneKernels } from "./tuning.ts";
 * const shared = await initGpu({ tuning: "off" });
 * const rt = new Runtime(shared.device, shared.adapterName, "doc example adapter");
 * const store = memoryTuningStore();
 * const first = await tuneKernels(rt, store); // times every family once (a few seconds here)
 * const again = new Runtime(shared.device, shared.adapterName, "doc example adapter");
 * assert.deepEqual(await tuneKernels(again, store), first);
 * assert.equal(again.stats.dispatches, 0);
 * assert.equal(again.tuning.get({ family: "matmul", shapeClass: "small" }), first.matmul.small);
 * ```
 */
export async function tuneKernels(rt: Runtime, store: TuningStore): Promise<TuningChoices> {
  const stored: TuningChoices = {};
  for (const family of TUNED_FAMILIES) {
    const record = await store.read(tuningKey(rt, family.name));
    if (record) stored[family.name] = record;
  }
  // A stored record must name, for every shape class, a variant of the family this device can run.
  const valid = TUNED_FAMILIES.every((family) =>
    family.shapeClasses.every((shapeClass) => storableChoice(rt, family, stored[family.name]?.[shapeClass]))
  );
  const choices: TuningChoices = {};
  for (const family of TUNED_FAMILIES) {
    choices[family.name] = {};
    for (const shapeClass of family.shapeClasses) {
      choices[family.name][shapeClass] = valid
        ? stored[family.name][shapeClass]
        : fastest(await family.time(rt, shapeClass) as Record<string, number>);
    }
  }
  if (!valid) {
    for (const family of TUNED_FAMILIES) await store.write(tuningKey(rt, family.name), choices[family.name]);
  }
  rt.tuning.clear();
  for (const [family, classes] of Object.entries(choices)) {
    for (const [shapeClass, variant] of Object.entries(classes)) rt.tuning.set({ family, shapeClass }, variant);
  }
  return choices;
}
