/**
 * Softmax and log-softmax along the middle axis of [outer, axis, inner], max-shifted for stability, in
 * three variants: a workgroup per row combined by a tree or by subgroup operations, or one invocation per
 * row.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import {
  defineKernel,
  type Grid,
  linearInvocationIndex,
  linearWorkgroupIndex,
  LOOP_BUDGET,
  runKernel,
} from "./_kernel.ts";
import { linearGrid } from "./runtime.ts";
import { COMBINE_OPS, workgroupCombineWgsl } from "./_workgroup_combine.ts";
import { pickVariant, SOFTMAX_VARIANTS, type SoftmaxVariant } from "./_variant.ts";
export { SOFTMAX_VARIANTS, type SoftmaxVariant };

/** Invocations cooperating on one softmax row. */
export const SOFTMAX_WORKGROUP = 64;
/** Longest supported axis: each invocation loops at most LOOP_BUDGET / 4 times in each of its 3 phases. */
export const MAX_SOFTMAX_AXIS: number = SOFTMAX_WORKGROUP * (LOOP_BUDGET / 4);
/** Longest axis of the serial variant (one invocation loops over the row three times). */
export const SERIAL_SOFTMAX_MAX_AXIS: number = LOOP_BUDGET / 4;

/** A softmax over one axis. */
export interface SoftmaxKernelOptions {
  /** Product of the dimensions before the axis. */
  outer: number;
  /** Length of the normalised axis. */
  axis: number;
  /** Product of the dimensions after the axis. */
  inner: number;
  /** Produce log-softmax instead of softmax. */
  log?: boolean;
  /** Kernel variant (default: the tuner's choice for the shape class, else serial up to its axis limit and the tree beyond). */
  variant?: SoftmaxVariant;
}

/**
 * WGSL for softmax along an axis.
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup and grid: one workgroup of 64 per row
 * (`linearGrid(outer * inner)`) for "tree" and "subgroup", one invocation per row
 * (`linearGrid(ceil(outer * inner / 64))`) for "serial". The invocations of a row find its max, then the
 * sum of exp(x − max), then write y = exp(x − max) / sum (or x − max − log(sum)).
 *
 * @param options Dimensions and variant.
 * @returns Shader source.
 */
export function softmaxWgsl(options: SoftmaxKernelOptions): string {
  return softmaxKernel(options).wgsl;
}

/** WGSL of the output of one entry, from v = x − max and the row's sum. */
function outputOf(log: boolean | undefined): string {
  return log ? "v - log(sum)" : "exp(v) / sum";
}

function workgroupSource(options: SoftmaxKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner } = options;
  const rows = outer * inner;
  const W = SOFTMAX_WORKGROUP;
  const kind = options.variant === "subgroup" ? "subgroup" : "tree";
  const wg = workgroupCombineWgsl(kind, W);
  return `${wg.directives}
// ${options.log ? "log-" : ""}softmax (${kind}) over axis: [${outer}, ${axis}, ${inner}]
// bindings: 0 x (read), 1 y (read_write); workgroup ${W}; grid linearGrid(${rows}) (x = ${gridX})
// one workgroup: one (outer, inner) row; one invocation: axis entries lid, lid + ${W}, ...
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
${wg.declarations}

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${wg.builtins}) {
  let t = ${linearWorkgroupIndex(gridX)};
  let row = min(t, ${rows - 1}u);
  let base = (row / ${inner}u) * ${axis * inner}u + row % ${inner}u;
  var m = ${COMBINE_OPS.max.identity};
  for (var a = lid; a < ${axis}u; a += ${W}u) { m = max(m, x[base + a * ${inner}u]); }
${wg.combine(COMBINE_OPS.max, "m", "row_max")}
  var total = 0.0;
  for (var a = lid; a < ${axis}u; a += ${W}u) { total += exp(x[base + a * ${inner}u] - row_max); }
${wg.combine(COMBINE_OPS.sum, "total", "sum")}
  if (t >= ${rows}u) { return; }
  for (var a = lid; a < ${axis}u; a += ${W}u) {
    let v = x[base + a * ${inner}u] - row_max;
    y[base + a * ${inner}u] = ${outputOf(options.log)};
  }
}
`;
}

function serialSource(options: SoftmaxKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner } = options;
  const rows = outer * inner;
  return `// ${options.log ? "log-" : ""}softmax (serial) over axis: [${outer}, ${axis}, ${inner}]
// bindings: 0 x (read), 1 y (read_write); workgroup 64; grid linearGrid(${Math.ceil(rows / 64)}) (x = ${gridX})
// one invocation: one (outer, inner) row, read three times (max, sum, output)
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = ${linearInvocationIndex(gridX, 64)};
  if (t >= ${rows}u) { return; }
  let base = (t / ${inner}u) * ${axis * inner}u + t % ${inner}u;
  var row_max = ${COMBINE_OPS.max.identity};
  for (var a = 0u; a < ${axis}u; a++) { row_max = max(row_max, x[base + a * ${inner}u]); }
  var sum = 0.0;
  for (var a = 0u; a < ${axis}u; a++) { sum += exp(x[base + a * ${inner}u] - row_max); }
  for (var a = 0u; a < ${axis}u; a++) {
    let v = x[base + a * ${inner}u] - row_max;
    y[base + a * ${inner}u] = ${outputOf(options.log)};
  }
}
`;
}

const softmaxKernel = defineKernel<SoftmaxKernelOptions>({
  name: "softmax",
  validate: (o) => {
    for (const [name, v] of [["outer", o.outer], ["axis", o.axis], ["inner", o.inner]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Cannot compute softmax: ${name} must be a positive integer (got ${v})`);
      }
    }
    if (o.axis > MAX_SOFTMAX_AXIS) {
      throw new RangeError(`Cannot compute softmax: axis length ${o.axis} exceeds ${MAX_SOFTMAX_AXIS}`);
    }
  },
  workgroups: (o) => linearGrid(o.variant === "serial" ? Math.ceil((o.outer * o.inner) / 64) : o.outer * o.inner),
  wgsl: (o, grid) => (o.variant === "serial" ? serialSource(o, grid) : workgroupSource(o, grid)),
});

/** Softmax shape classes by axis length: up to 64 "short", else "long". */
export function softmaxShapeClass(axis: number): "short" | "long" {
  return axis <= 64 ? "short" : "long";
}

/**
 * The variant a softmax runs: the named one (checked), else the tuner's choice for the shape class when
 * this device can run it, else serial up to {@linkcode SERIAL_SOFTMAX_MAX_AXIS} and the tree beyond (the
 * faster on CPU adapters, measured 28x at 10 classes on lavapipe).
 *
 * @param rt Runtime.
 * @param axis Axis length.
 * @param variant The caller's choice, if any.
 * @returns The variant.
 * @throws {RangeError} When a named variant cannot run this axis or on this device.
 */
export function softmaxVariant(rt: Runtime, axis: number, variant?: SoftmaxVariant): SoftmaxVariant {
  return pickVariant(rt, {
    family: "softmax",
    verb: "compute softmax",
    variants: SOFTMAX_VARIANTS,
    shapeClass: softmaxShapeClass(axis),
    axis,
    serialMaxAxis: SERIAL_SOFTMAX_MAX_AXIS,
    fallback: axis <= SERIAL_SOFTMAX_MAX_AXIS ? "serial" : "tree",
  }, variant);
}

/**
 * Records a softmax (or log-softmax) along an axis.
 *
 * @param rt Runtime to record on.
 * @param call Buffers `x`, `y` (same size), dimensions and optionally the variant.
 * @throws {RangeError} When a dimension is not a positive integer, the axis exceeds
 * {@linkcode MAX_SOFTMAX_AXIS}, or a named variant cannot run.
 */
export function dispatchSoftmax(rt: Runtime, call: SoftmaxKernelOptions & { x: GPUBuffer; y: GPUBuffer }): void {
  const { x, y, ...options } = call;
  options.variant = softmaxVariant(rt, options.axis, options.variant);
  runKernel(rt, softmaxKernel(options), [x, y]);
}
