/**
 * What the row families (reductions and softmax) share: the run tests of their serial, tree and subgroup
 * variants, and the tuner's timing of a row shape.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import type { Variant } from "./choose_variant.ts";
import { bestSeconds } from "./_timing.ts";

/** What the row variants' run tests need: the axis length. */
export interface RowCall {
  /** Length of the reduced (or normalised) axis. */
  axis: number;
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
 * The run tests of a row family's variants: "serial" up to its axis limit, "tree" always, "subgroup"
 * where the device has subgroups.
 *
 * @param verb What the family computes, for messages ("reduce", "compute softmax").
 * @param serialMaxAxis Longest axis of the serial variant.
 * @returns One run test per variant.
 */
export function rowRunTests(
  verb: string,
  serialMaxAxis: number,
): Record<"serial" | "tree" | "subgroup", Variant<RowCall>> {
  const test = (variant: string, refusal: (axis: number) => string, subgroups = false): Variant<RowCall> => ({
    ...(subgroups ? { subgroups } : {}),
    runs: (rt, { axis }) => variantRuns(rt, variant, axis, serialMaxAxis),
    refusal: (_, { axis }) => refusal(axis),
  });
  return {
    serial: test("serial", (axis) => `Cannot ${verb} serially: axis ${axis} exceeds ${serialMaxAxis}`),
    tree: test("tree", () => ""),
    subgroup: test("subgroup", () => `Cannot ${verb} with subgroups: the device lacks the "subgroups" feature`, true),
  };
}

/**
 * Seconds per run of each variant this device can run at a row shape: x holds (i mod 97)/97.
 *
 * @param rt Runtime.
 * @param shape `[outer, axis, inner]`.
 * @param outputAxis Entries of the output per (outer, inner) pair (1 for a reduction, axis for softmax).
 * @param variants The family's variants.
 * @param record Records one run of a variant from `x` into `y`.
 * @returns Seconds per runnable variant.
 */
export async function timeRows<V extends string>(
  rt: Runtime,
  shape: readonly [number, number, number],
  outputAxis: number,
  variants: { readonly [K in V]: Variant<RowCall> },
  record: (x: GPUBuffer, y: GPUBuffer, variant: V) => void,
): Promise<Partial<Record<V, number>>> {
  const [outer, axis, inner] = shape;
  const [x, y] = [rt.pool.acquire(outer * axis * inner * 4), rt.pool.acquire(outputAxis * outer * inner * 4)];
  rt.write(x, Float32Array.from({ length: outer * axis * inner }, (_, i) => (i % 97) / 97));
  const out: Partial<Record<V, number>> = {};
  try {
    for (const variant of Object.keys(variants) as V[]) {
      if (!variants[variant].runs(rt, { axis })) continue;
      out[variant] = await bestSeconds(rt, () => record(x, y, variant));
    }
  } finally {
    rt.pool.release(x);
    rt.pool.release(y);
  }
  return out;
}
