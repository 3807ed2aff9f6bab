/**
 * Reductions (sum, mean, max, min) along the middle axis of a tensor viewed as [outer, axis, inner], in
 * three variants: serial (one invocation per output), a workgroup tree, and subgroup operations.
 *
 * @module
 */
import {
  defineKernel,
  type Grid,
  linearInvocationIndex,
  linearWorkgroupIndex,
  LOOP_BUDGET,
  runKernel,
} from "./_kernel.ts";
import type { Runtime } from "./runtime.ts";
import { linearGrid } from "./linear_grid.ts";
import { COMBINE_OPS, type CombineOp, workgroupCombineWgsl } from "./_workgroup_combine.ts";
import { type RowCall, rowRunTests, timeRows } from "./_variant.ts";
import { chooseVariant, type Variant, type VariantFamily, variantNames } from "./choose_variant.ts";
export type { RowCall };

/**
 * Reduction variants: "serial" (one invocation loops over a whole axis; axes up to
 * `SERIAL_REDUCE_MAX_AXIS`), "tree" (a workgroup per output, combined in workgroup memory) and
 * "subgroup" (a workgroup per output, combined by subgroup operations; devices with `subgroups` only).
 */
export type ReduceVariant = "serial" | "tree" | "subgroup";

/** Reduction kinds: "mean" is a sum scaled by 1/axis. */
export type ReduceOp = "sum" | "mean" | "max" | "min";

/** Invocations cooperating on one output element. */
export const REDUCE_WORKGROUP = 64;
/** Iterations one reduction invocation loops over its slice (a sixteenth of the loop budget). */
const REDUCE_ITERATIONS = LOOP_BUDGET / 16;
/** Axis elements one workgroup reduces per pass (each invocation loops at most 1,024 times). */
export const REDUCE_CHUNK: number = REDUCE_WORKGROUP * REDUCE_ITERATIONS;
/** Axes up to this length can be reduced serially, one invocation per output. */
export const SERIAL_REDUCE_MAX_AXIS: number = REDUCE_ITERATIONS;

/** One reduction pass. */
export interface ReduceKernelOptions {
  /** Product of the dimensions before the axis. */
  outer: number;
  /** Length of the reduced axis. */
  axis: number;
  /** Product of the dimensions after the axis. */
  inner: number;
  /** Reduction ("mean" sums then scales by `scale`). */
  op: ReduceOp;
  /** Multiplier applied to each result (1/axis for a mean). */
  scale?: number;
  /** How a workgroup combines its invocations (workgroup kernel only; default "tree"). */
  combine?: "tree" | "subgroup";
}

/**
 * WGSL helpers for max and min that propagate NaN, as numpy and PyTorch do (WGSL's max/min may return
 * either operand, and may assume NaN never occurs, so NaN is tested on the bits).
 */
const NAN_PROPAGATING = `fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn nan_max(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, is_nan(b)), a, is_nan(a)); }
fn nan_min(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, is_nan(b)), a, is_nan(a)); }
// ±Infinity, the identities of max and min, as run-time values (a literal would not compile).
var<private> negative_infinity_bits: u32 = 0xff800000u;
var<private> positive_infinity_bits: u32 = 0x7f800000u;`;

/** Max and min combines that propagate NaN (see {@linkcode NAN_PROPAGATING}). */
const NAN_COMBINE_OPS: Record<"max" | "min", CombineOp> = {
  max: {
    ...COMBINE_OPS.max,
    combine: (a, b) => `nan_max(${a}, ${b})`,
    identity: "bitcast<f32>(negative_infinity_bits)",
  },
  min: {
    ...COMBINE_OPS.min,
    combine: (a, b) => `nan_min(${a}, ${b})`,
    identity: "bitcast<f32>(positive_infinity_bits)",
  },
};

/** The helper functions a reduction kind needs (none for sums). */
function helpersOf(op: ReduceOp): string {
  return op === "max" || op === "min" ? NAN_PROPAGATING : "";
}

/** WGSL of one Kahan step adding `v` to `acc` (compensation `comp`), or a NaN-propagating max/min step. */
function accumulate(op: ReduceOp, indent: string): string {
  if (op === "max" || op === "min") return `${indent}acc = nan_${op}(acc, v);`;
  // Kahan summation: float32 partials over up to 1,024 terms stay accurate.
  return [`let yk = v - comp;`, `let tk = acc + yk;`, `comp = (tk - acc) - yk;`, `acc = tk;`]
    .map((l) => indent + l).join("\n");
}

/** The combine of a reduction kind ("mean" sums). */
function combineOf(op: ReduceOp): CombineOp {
  return op === "max" || op === "min" ? NAN_COMBINE_OPS[op] : COMBINE_OPS.sum;
}

/** WGSL of the final scaling (none when the scale is 1). */
function scaled(expr: string, scale = 1): string {
  return scale === 1 ? expr : `${expr} * ${scale.toPrecision(9)}`;
}

/**
 * WGSL for one workgroup pass: each workgroup reduces up to {@linkcode REDUCE_CHUNK} axis elements of one
 * (outer, inner) pair; output is [outer, ceil(axis / REDUCE_CHUNK), inner].
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup 64; grid `linearGrid(outer * chunks * inner)`.
 * One invocation: a compensated (Kahan) partial over a strided slice, then the workgroup combine (a tree
 * in workgroup memory, or subgroup operations).
 *
 * @param options Dimensions and operation.
 * @returns Shader source.
 * @example A tree-combined sum over 1,000 elements, compiled
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { reduceWgsl } from "./reduce.ts";
 * const rt = await initGpu();
 * const wgsl = reduceWgsl({ outer: 2, axis: 1000, inner: 3, op: "sum" });
 * assert.match(wgsl, /@workgroup_size\(64\)/);
 * await rt.pipelines.compile(wgsl);
 * ```
 */
export function reduceWgsl(options: ReduceKernelOptions): string {
  return reduceKernel(options).wgsl;
}

function reduceSource(options: ReduceKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner, op } = options;
  const chunks = Math.ceil(axis / REDUCE_CHUNK);
  const count = outer * chunks * inner;
  const combineKind = options.combine ?? "tree";
  const wg = workgroupCombineWgsl(combineKind, REDUCE_WORKGROUP);
  const combine = combineOf(op);
  return `${wg.directives}
// reduce ${op} (${combineKind}): [${outer}, ${axis}, ${inner}] -> [${outer}, ${chunks}, ${inner}], scale ${
    options.scale ?? 1
  }
// bindings: 0 x (read), 1 y (read_write); workgroup ${REDUCE_WORKGROUP}; grid linearGrid(${count}) (x = ${gridX})
// one workgroup: one output; one invocation: axis elements lid, lid + ${REDUCE_WORKGROUP}, ... of its chunk
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
${wg.declarations}
${helpersOf(op)}

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${wg.builtins}) {
  let t = ${linearWorkgroupIndex(gridX)};
  let valid = t < ${count}u;
  let i = t % ${inner}u;
  let chunk = (t / ${inner}u) % ${chunks}u;
  let o = t / ${inner * chunks}u;
  let start = chunk * ${REDUCE_CHUNK}u;
  let stop = min(start + ${REDUCE_CHUNK}u, ${axis}u);
  var acc = ${combine.identity};
  var comp = 0.0;
  if (valid) {
    for (var a = start + lid; a < stop; a += ${REDUCE_WORKGROUP}u) {
      let v = x[(o * ${axis}u + a) * ${inner}u + i];
${accumulate(op, "      ")}
    }
  }
${wg.combine(combine, "acc", "total")}
  if (lid == 0u && valid) { y[t] = ${scaled("total", options.scale)}; }
}
`;
}

const reduceKernel = defineKernel<ReduceKernelOptions>({
  name: "reduce",
  workgroups: (o) => linearGrid(o.outer * Math.ceil(o.axis / REDUCE_CHUNK) * o.inner),
  wgsl: reduceSource,
});

/**
 * WGSL for a serial reduction of a short axis: one invocation per output loops over the axis (Kahan
 * summation for sums). Far faster than a workgroup per output when there are many short rows (pooling
 * windows, bias gradients), at least on CPU adapters.
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup 64; grid `linearGrid(ceil(outer·inner/64))`.
 *
 * @param options Dimensions and operation (axis <= {@linkcode SERIAL_REDUCE_MAX_AXIS}).
 * @returns Shader source.
 * @example A row maximum, one invocation per row
 * ```ts
 * import assert from "node:assert";
 * import { serialReduceWgsl } from "./reduce.ts";
 * const wgsl = serialReduceWgsl({ outer: 8, axis: 16, inner: 1, op: "max" });
 * assert.match(wgsl, /@compute/);
 * assert.match(wgsl, /max\(/);
 * ```
 */
export function serialReduceWgsl(options: ReduceKernelOptions): string {
  return serialReduceKernel(options).wgsl;
}

function serialReduceSource(options: ReduceKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner, op } = options;
  const count = outer * inner;
  return `// serial reduce ${op}: [${outer}, ${axis}, ${inner}] -> [${outer}, ${inner}], scale ${options.scale ?? 1}
// bindings: 0 x (read), 1 y (read_write); workgroup 64; grid linearGrid(${Math.ceil(count / 64)}) (x = ${gridX})
// one invocation: one output, looping over the ${axis} axis entries
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
${helpersOf(op)}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = ${linearInvocationIndex(gridX, 64)};
  if (t >= ${count}u) { return; }
  let i = t % ${inner}u;
  let base = (t / ${inner}u) * ${axis * inner}u + i;
  var acc = ${combineOf(op).identity};
  var comp = 0.0;
  for (var a = 0u; a < ${axis}u; a++) {
    let v = x[base + a * ${inner}u];
${accumulate(op, "    ")}
  }
  y[t] = ${scaled("acc", options.scale)};
}
`;
}

const serialReduceKernel = defineKernel<ReduceKernelOptions>({
  name: "serial reduce",
  workgroups: (o) => linearGrid(Math.ceil((o.outer * o.inner) / 64)),
  wgsl: serialReduceSource,
});

/**
 * Reduction shape classes by axis length: up to 64 "short", up to {@linkcode SERIAL_REDUCE_MAX_AXIS} "medium", else "long".
 *
 * @param axis Axis length.
 * @returns The shape class.
 * @example The three classes
 * ```ts
 * import assert from "node:assert";
 * import { reduceShapeClass, SERIAL_REDUCE_MAX_AXIS } from "./reduce.ts";
 * assert.equal(reduceShapeClass(64), "short");
 * assert.equal(reduceShapeClass(SERIAL_REDUCE_MAX_AXIS), "medium");
 * assert.equal(reduceShapeClass(SERIAL_REDUCE_MAX_AXIS + 1), "long");
 * ```
 */
export function reduceShapeClass(axis: number): "short" | "medium" | "long" {
  return axis <= 64 ? "short" : axis <= SERIAL_REDUCE_MAX_AXIS ? "medium" : "long";
}

/** A reduction call: buffers, dimensions and optionally the variant. */
export interface ReduceCall extends Omit<ReduceKernelOptions, "scale" | "combine"> {
  /** Input, outer x axis x inner. */
  x: GPUBuffer;
  /** Output, outer x inner. */
  y: GPUBuffer;
  /** Kernel variant (default: the tuner's choice for the shape class, else serial up to the serial limit and the tree beyond). */
  variant?: ReduceVariant;
}

/**
 * Records a full reduction along the axis, with as many passes as the axis length needs.
 *
 * @param rt Runtime to record on.
 * @param call Input buffer `x`, output buffer `y` (outer x inner), the dimensions and optionally the variant.
 * @throws {RangeError} When a dimension is not a positive integer, or a named variant cannot run.
 * @example Row sums of a 2 x 3 matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchReduce } from "./reduce.ts";
 * const rt = await initGpu();
 * const [x, y] = [rt.pool.acquire(24), rt.pool.acquire(8)];
 * rt.write(x, Float32Array.from([1, 2, 3, 4, 5, 6]));
 * dispatchReduce(rt, { x, y, outer: 2, axis: 3, inner: 1, op: "sum" });
 * assert.deepEqual([...await rt.read(y, 2)], [6, 15]);
 * [x, y].forEach((b) => rt.pool.release(b));
 * ```
 */
export function dispatchReduce(rt: Runtime, call: ReduceCall): void {
  const { outer, inner } = call;
  for (const [name, v] of [["outer", outer], ["axis", call.axis], ["inner", inner]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot reduce: ${name} must be a positive integer (got ${v})`);
    }
  }
  REDUCE_FAMILY.variants[chooseVariant(rt, REDUCE_FAMILY, { axis: call.axis }, call.variant)].record(rt, call);
}

/** The pass's op and final scale of a call ("mean" sums, then scales by 1/axis). */
function passOf(call: ReduceCall): { passOp: ReduceOp; scale: { scale?: number } } {
  return { passOp: call.op === "mean" ? "sum" : call.op, scale: call.op === "mean" ? { scale: 1 / call.axis } : {} };
}

/** Records the serial reduction: one pass, one invocation per output. */
function recordSerial(rt: Runtime, call: ReduceCall): void {
  const { outer, inner } = call;
  const { passOp, scale } = passOf(call);
  runKernel(rt, serialReduceKernel({ outer, axis: call.axis, inner, op: passOp, ...scale }), [call.x, call.y]);
}

/** Records the workgroup reduction, combining by `kind`: as many passes as the axis needs. */
function recordWorkgroup(rt: Runtime, call: ReduceCall, kind: "tree" | "subgroup"): void {
  const { outer, inner } = call;
  const { passOp, scale } = passOf(call);
  // subgroupMax/Min may drop NaN, so max and min combine with the (NaN-propagating) tree.
  const combine = kind === "subgroup" && passOp === "sum" ? "subgroup" : "tree";
  let axis = call.axis;
  let source = call.x;
  const temps: GPUBuffer[] = [];
  while (true) {
    const chunks = Math.ceil(axis / REDUCE_CHUNK);
    const last = chunks === 1;
    const target = last ? call.y : rt.pool.acquire(outer * chunks * inner * 4);
    if (!last) temps.push(target);
    const options: ReduceKernelOptions = { outer, axis, inner, op: passOp, combine, ...(last ? scale : {}) };
    runKernel(rt, reduceKernel(options), [source, target]);
    if (last) break;
    source = target;
    axis = chunks;
  }
  for (const t of temps) rt.pool.release(t);
}

/** A reduction variant: its run test and how it records a call. */
export interface ReduceFamilyVariant extends Variant<RowCall> {
  /** Records the reduction (dimensions already checked). */
  record(rt: Runtime, call: ReduceCall): void;
}

/** Representative [outer, axis, inner] per reduction shape class (about 1M entries each). */
export const REDUCE_TUNING_SHAPES = {
  short: [8192, 16, 8],
  medium: [64, 1024, 16],
  long: [1, 1 << 20, 1],
} as const;

/** The probe's reduction: sums of ones over a multi-pass-free axis. */
const PROBE = { outer: 3, axis: 1000, inner: 2 } as const;

/** Sums ones with the subgroup variant: every sum must be the axis length. */
async function probeSums(rt: Runtime): Promise<string | null> {
  const { outer, axis, inner } = PROBE;
  const [ones, sums] = [rt.pool.acquire(outer * axis * inner * 4), rt.pool.acquire(outer * inner * 4)];
  try {
    rt.write(ones, new Float32Array(outer * axis * inner).fill(1));
    dispatchReduce(rt, { x: ones, y: sums, ...PROBE, op: "sum", variant: "subgroup" });
    const got = await rt.read(sums, outer * inner);
    return got.every((v) => v === axis) ? null : `subgroup sums came out ${got.slice(0, 3)}, not ${axis}`;
  } finally {
    rt.pool.release(ones);
    rt.pool.release(sums);
  }
}

const ROWS = rowRunTests("reduce", SERIAL_REDUCE_MAX_AXIS);

/**
 * The reduction family: "serial", "tree" and "subgroup" (sums only; max and min combine by the tree);
 * shape classes by axis length ({@linkcode reduceShapeClass}); the fallback serial up to
 * {@linkcode SERIAL_REDUCE_MAX_AXIS} and the tree beyond; timed on sums at {@linkcode REDUCE_TUNING_SHAPES}.
 */
export const REDUCE_FAMILY: VariantFamily<RowCall, ReduceVariant, "short" | "medium" | "long", ReduceFamilyVariant> = {
  name: "reduce",
  verb: "reduce",
  variants: {
    serial: { ...ROWS.serial, record: recordSerial },
    tree: { ...ROWS.tree, record: (rt, call) => recordWorkgroup(rt, call, "tree") },
    subgroup: { ...ROWS.subgroup, record: (rt, call) => recordWorkgroup(rt, call, "subgroup") },
  },
  shapeClasses: ["short", "medium", "long"],
  shapeClass: ({ axis }) => reduceShapeClass(axis),
  fallback: ({ axis }) => (axis <= SERIAL_REDUCE_MAX_AXIS ? "serial" : "tree"),
  time: (rt, shapeClass) => {
    const [outer, axis, inner] = REDUCE_TUNING_SHAPES[shapeClass];
    return timeRows(
      rt,
      REDUCE_TUNING_SHAPES[shapeClass],
      1,
      REDUCE_FAMILY.variants,
      (x, y, variant) => dispatchReduce(rt, { x, y, outer, axis, inner, op: "sum", variant }),
    );
  },
  probe: { wgsl: () => reduceWgsl({ ...PROBE, op: "sum", combine: "subgroup" }), run: probeSums },
};

/** Every reduction variant, for tests and benchmarks that run them all. */
export const REDUCE_VARIANTS: readonly ReduceVariant[] = variantNames(REDUCE_FAMILY);
