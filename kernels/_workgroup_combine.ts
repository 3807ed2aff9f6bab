/**
 * WGSL for combining one value per invocation into one value per workgroup, shared by the reduction and
 * softmax kernels: a tree in workgroup memory, or (where the device has the `subgroups` feature) subgroup
 * operations. Both leave the result in a `let` every invocation of the workgroup can read.
 *
 * @module
 */

/** How a workgroup combines its invocations' values. */
export type WorkgroupCombine = "tree" | "subgroup";

/** A combining operation: WGSL of a binary combine and its identity, and the matching subgroup builtin. */
export interface CombineOp {
  /** WGSL combining two f32 expressions. */
  combine: (a: string, b: string) => string;
  /** WGSL literal of the identity. */
  identity: string;
  /** The subgroup builtin computing the same combine across a subgroup. */
  subgroup: "subgroupAdd" | "subgroupMax" | "subgroupMin";
}

/** The sum, max and min combines. */
export const COMBINE_OPS: Record<"sum" | "max" | "min", CombineOp> = {
  sum: { combine: (a, b) => `${a} + ${b}`, identity: "0.0", subgroup: "subgroupAdd" },
  max: { combine: (a, b) => `max(${a}, ${b})`, identity: "-3.4028234663852886e38", subgroup: "subgroupMax" },
  min: { combine: (a, b) => `min(${a}, ${b})`, identity: "3.4028234663852886e38", subgroup: "subgroupMin" },
};

/** The pieces a kernel splices in: directives, module-scope declarations, entry-point builtins, and the combine. */
export interface WorkgroupCombineWgsl {
  /** Directives for the top of the module (empty for the tree). */
  directives: string;
  /** Module-scope workgroup variables. */
  declarations: string;
  /** Extra entry-point parameters (the subgroup builtins; empty for the tree). */
  builtins: string;
  /**
   * Statements combining `value` over the workgroup into `let result` (every invocation calls it, in
   * uniform control flow; builtin `lid` is the local invocation index).
   */
  combine: (op: CombineOp, value: string, result: string) => string;
}

/**
 * WGSL pieces that combine one f32 per invocation of a 1-D workgroup into one value.
 *
 * The tree halves the active invocations each step (log₂ size barriers). The subgroup form combines each
 * subgroup with one builtin, keeps each subgroup's result in the slot of its first invocation, and lets
 * the subgroup holding invocation 0 combine the slots with a strided loop and one more builtin. It assumes
 * nothing about which invocations form a subgroup (only that subgroup_invocation_id runs over 0..size−1).
 *
 * @param kind "tree" or "subgroup".
 * @param size Invocations per workgroup (a power of two).
 * @returns The pieces.
 */
export function workgroupCombineWgsl(kind: WorkgroupCombine, size: number): WorkgroupCombineWgsl {
  if (kind === "tree") {
    return {
      directives: "",
      declarations: `var<workgroup> scratch: array<f32, ${size}>;`,
      builtins: "",
      combine: (op, value, result) =>
        `  scratch[lid] = ${value};
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { scratch[lid] = ${op.combine("scratch[lid]", "scratch[lid + s]")}; }
    workgroupBarrier();
  }
  let ${result} = scratch[0];
  workgroupBarrier();`,
    };
  }
  return {
    // Subgroup builtins under non-uniform control flow (the subgroup that holds invocation 0) are
    // uniform within that subgroup, which is all they need; WGSL's analysis cannot see that.
    directives: "enable subgroups;\ndiagnostic(off, subgroup_uniformity);",
    declarations: `var<workgroup> scratch: array<f32, ${size}>;\nvar<workgroup> combined: f32;`,
    builtins: ", @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32",
    combine: (op, value, result) =>
      `  scratch[lid] = select(${op.identity}, ${op.subgroup}(${value}), sg_lane == 0u);
  workgroupBarrier();
  if (subgroupAny(lid == 0u)) {
    var slots = ${op.identity};
    for (var j = sg_lane; j < ${size}u; j += sg_size) { slots = ${op.combine("slots", "scratch[j]")}; }
    let all = ${op.subgroup}(slots);
    if (lid == 0u) { combined = all; }
  }
  workgroupBarrier();
  let ${result} = combined;
  workgroupBarrier();`,
  };
}
