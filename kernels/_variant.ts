/**
 * How a kernel family with a serial, a tree and a subgroup variant picks the one to run: a named variant
 * is checked and kept; otherwise the tuner's choice for the shape class, when this device can run it;
 * otherwise the family's default.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";

// The variant names live here, in a module that imports nothing at run time: the tuner lists them while
// the kernel modules that define the variants are still loading (runtime.ts ↔ tuning.ts ↔ reduce.ts).

/**
 * Reduction variants: "serial" (one invocation loops over a whole axis; axes up to
 * `SERIAL_REDUCE_MAX_AXIS`), "tree" (a workgroup per output, combined in workgroup memory) and
 * "subgroup" (a workgroup per output, combined by subgroup operations; devices with `subgroups` only).
 */
export type ReduceVariant = "serial" | "tree" | "subgroup";

/** Every reduction variant, for tests and benchmarks that run them all. */
export const REDUCE_VARIANTS: readonly ReduceVariant[] = ["serial", "tree", "subgroup"];

/**
 * Softmax variants: "tree" (a workgroup per row, combined in workgroup memory), "subgroup" (a workgroup
 * per row, combined by subgroup operations; devices with `subgroups` only) and "serial" (one invocation
 * per row; axes up to `SERIAL_SOFTMAX_MAX_AXIS`).
 */
export type SoftmaxVariant = "tree" | "subgroup" | "serial";

/** Every softmax variant, for tests and benchmarks that run them all. */
export const SOFTMAX_VARIANTS: readonly SoftmaxVariant[] = ["tree", "subgroup", "serial"];

/** What a family tells {@linkcode pickVariant}. */
export interface VariantRule<V extends string> {
  /** Family, as in the tuner's keys ("reduce", "softmax"). */
  family: string;
  /** What the family computes, for messages ("reduce", "compute softmax"). */
  verb: string;
  /** Every variant of the family. */
  variants: readonly V[];
  /** The call's shape class. */
  shapeClass: string;
  /** The axis length and the serial variant's limit. */
  axis: number;
  /** Longest axis the serial variant handles. */
  serialMaxAxis: number;
  /** The variant when neither the call nor the tuner names one. */
  fallback: V;
}

/**
 * Whether a serial/tree/subgroup variant can run a row of this length on this device: the serial one up
 * to its axis limit, the subgroup one where the device has subgroups.
 *
 * @param rt Runtime.
 * @param variant Variant name.
 * @param axis Axis length.
 * @param serialMaxAxis The family's serial limit.
 * @returns True when it can run.
 */
export function variantRuns(rt: Runtime, variant: string, axis: number, serialMaxAxis: number): boolean {
  return (variant !== "serial" || axis <= serialMaxAxis) && (variant !== "subgroup" || rt.subgroups);
}

/**
 * The variant to run.
 *
 * @param rt Runtime (its tuning and its subgroups feature).
 * @param rule The family's variants, limits and default, and the call's shape class.
 * @param named The caller's choice, if any.
 * @returns The variant.
 * @throws {RangeError} When a named variant is unknown, or cannot run this axis or on this device.
 */
export function pickVariant<V extends string>(rt: Runtime, rule: VariantRule<V>, named?: V): V {
  const runs = (v: string) => variantRuns(rt, v, rule.axis, rule.serialMaxAxis);
  if (named !== undefined) {
    if (!rule.variants.includes(named)) {
      throw new RangeError(
        `Cannot ${rule.verb}: unknown variant "${named}" (one of ${rule.variants.join(", ")})`,
      );
    }
    if (!runs(named)) {
      throw new RangeError(
        named === "serial"
          ? `Cannot ${rule.verb} serially: axis ${rule.axis} exceeds ${rule.serialMaxAxis}`
          : `Cannot ${rule.verb} with subgroups: the device lacks the "subgroups" feature`,
      );
    }
    return named;
  }
  const tuned = rt.tuning.get(`${rule.family}:${rule.shapeClass}`) as V | undefined;
  return tuned !== undefined && rule.variants.includes(tuned) && runs(tuned) ? tuned : rule.fallback;
}
