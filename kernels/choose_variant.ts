/**
 * The one rule that picks a kernel variant, and the shape of the value every kernel family with variants
 * exports (`MATMUL_FAMILY`, `GRAM_FAMILY`, `JACOBI_FAMILY`, `REDUCE_FAMILY`, `SOFTMAX_FAMILY`): its
 * variants, each with a test of whether it can run a call here; its shape classes and how a call maps to
 * one; its fallback; how the tuner times it; and, where it has a subgroup variant, the subgroup probe's
 * input with its exact answer. Dispatch, the tuner, the subgroup probe and the benchmarks all choose
 * through {@linkcode chooseVariant}.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";

/** One variant of a kernel family: whether it can run a call, and why not. */
export interface Variant<C> {
  /** It needs the device's `subgroups` feature (a stored choice of it is void on a device without them). */
  readonly subgroups?: boolean;
  /** Whether it can run `call` on this runtime's device. */
  runs(rt: Runtime, call: C): boolean;
  /** The error message for a caller who named it where {@linkcode Variant.runs} is false. */
  refusal(rt: Runtime, call: C): string;
}

/** The subgroup check of a family (kernels/subgroup_probe.ts): a call with an exact answer. */
export interface SubgroupProbe {
  /** The subgroup variant's WGSL for the probe's call (compiled before anything runs). */
  wgsl(): string;
  /**
   * Runs the subgroup variant on the probe's input (one read-back).
   *
   * @returns Null when the answer was exact, else what came out.
   */
  run(rt: Runtime): Promise<string | null>;
}

/**
 * A kernel family with variants.
 *
 * @typeParam C What a call tells the rule (sizes, not buffers).
 * @typeParam V Variant names.
 * @typeParam S Shape-class names.
 * @typeParam X The family's variant records (with how each builds its WGSL or records its dispatches).
 */
export interface VariantFamily<C, V extends string, S extends string, X extends Variant<C> = Variant<C>> {
  /** The family's name: the tuner's record and `rt.tuning`'s family. */
  readonly name: string;
  /** What it computes, for messages ("multiply matrices"). */
  readonly verb: string;
  /** Every variant, in listing order (also the tuner's tie-break order). */
  readonly variants: { readonly [K in V]: X };
  /** Every shape class (one tuned choice each). */
  readonly shapeClasses: readonly S[];
  /** The shape class of a call. */
  shapeClass(call: C): S;
  /** The variant when neither the caller nor the tuner names one that runs. */
  fallback(call: C): V;
  /**
   * Seconds per run of each variant this device can run at a shape class's representative shape (the
   * tuner's measurement).
   */
  time(rt: Runtime, shapeClass: S): Promise<Partial<Record<V, number>>>;
  /** The subgroup probe, where the family has a subgroup variant of its own. */
  readonly probe?: SubgroupProbe;
}

/**
 * The variant names of a family, in listing order.
 *
 * @param family The family.
 * @returns Its variant names.
 * @example The matmul variants
 * ```ts
 * import assert from "node:assert";
 * import { variantNames } from "./choose_variant.ts";
 * import { MATMUL_FAMILY } from "./matmul.ts";
 * assert.deepEqual(variantNames(MATMUL_FAMILY), ["register", "shared", "subgroup"]);
 * ```
 */
export function variantNames<V extends string>(family: { readonly variants: { readonly [K in V]: unknown } }): V[] {
  return Object.keys(family.variants) as V[];
}

/**
 * The variant that runs a call: a named variant is checked (known, and able to run this call on this
 * device) and kept; otherwise the tuner's choice for the call's shape class where it can run; otherwise
 * the family's fallback.
 *
 * @param rt Runtime (its tuning and its device).
 * @param family The kernel family.
 * @param call The call's sizes.
 * @param named The caller's choice, if any.
 * @returns The variant.
 * @throws {RangeError} When a named variant is unknown or cannot run this call on this device.
 * @example A named variant is checked and kept
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { chooseVariant } from "./choose_variant.ts";
 * import { REDUCE_FAMILY } from "./reduce.ts";
 * const rt = await initGpu();
 * assert.equal(chooseVariant(rt, REDUCE_FAMILY, { axis: 10 }, "tree"), "tree");
 * ```
 */
export function chooseVariant<C, V extends string, S extends string, X extends Variant<C>>(
  rt: Runtime,
  family: VariantFamily<C, V, S, X>,
  call: C,
  named?: V,
): V {
  if (named !== undefined) {
    if (!Object.hasOwn(family.variants, named)) {
      throw new RangeError(
        `Cannot ${family.verb}: unknown variant "${named}" (one of ${variantNames(family).join(", ")})`,
      );
    }
    const variant: Variant<C> = family.variants[named];
    if (!variant.runs(rt, call)) throw new RangeError(variant.refusal(rt, call));
    return named;
  }
  const tuned = rt.tuning.get({ family: family.name, shapeClass: family.shapeClass(call) });
  if (tuned !== undefined && Object.hasOwn(family.variants, tuned)) {
    if ((family.variants[tuned as V] as Variant<C>).runs(rt, call)) return tuned as V;
  }
  return family.fallback(call);
}

/**
 * Whether a stored choice can stand on this device: a variant of the family, and not a subgroup one on a
 * device without subgroups (a choice stored for the same adapter by a device with them).
 *
 * @param rt Runtime.
 * @param family The kernel family.
 * @param variant The stored name.
 * @returns True when the choice can stand.
 * @example Known and unknown stored names
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { storableChoice } from "./choose_variant.ts";
 * import { MATMUL_FAMILY } from "./matmul.ts";
 * const rt = await initGpu();
 * assert.equal(storableChoice(rt, MATMUL_FAMILY, "register"), true);
 * assert.equal(storableChoice(rt, MATMUL_FAMILY, "fastest"), false);
 * assert.equal(storableChoice(rt, MATMUL_FAMILY, "subgroup"), rt.subgroups);
 * ```
 */
export function storableChoice<C, V extends string, S extends string, X extends Variant<C>>(
  rt: Runtime,
  family: VariantFamily<C, V, S, X>,
  variant: string | undefined,
): boolean {
  if (variant === undefined || !Object.hasOwn(family.variants, variant)) return false;
  return !(family.variants[variant as V] as Variant<C>).subgroups || rt.subgroups;
}
