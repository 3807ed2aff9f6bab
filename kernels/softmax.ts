/**
 * Softmax and log-softmax along the middle axis of [outer, axis, inner], max-shifted for stability.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearWorkgroupIndex, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import { linearGrid } from "./runtime.ts";

/** Invocations cooperating on one softmax row. */
export const SOFTMAX_WORKGROUP = 64;
/** Longest supported axis: each invocation loops at most LOOP_BUDGET / 4 times in each of its 3 phases. */
export const MAX_SOFTMAX_AXIS: number = SOFTMAX_WORKGROUP * (LOOP_BUDGET / 4);

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
}

/**
 * WGSL for softmax along an axis.
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup 64; grid `linearGrid(outer * inner)`.
 * One workgroup: one row; invocations stride the axis for the max, then the sum of exp(x - max), then
 * write y = exp(x - max) / sum (or x - max - log(sum)).
 *
 * @param options Dimensions.
 * @returns Shader source.
 */
export function softmaxWgsl(options: SoftmaxKernelOptions): string {
  return softmaxKernel(options).wgsl;
}

function softmaxSource(options: SoftmaxKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner } = options;
  const rows = outer * inner;
  const W = SOFTMAX_WORKGROUP;
  const tree = (op: string) =>
    `  for (var s = ${W / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { scratch[lid] = ${op}; }
    workgroupBarrier();
  }`;
  return `// ${options.log ? "log-" : ""}softmax over axis: [${outer}, ${axis}, ${inner}]
// bindings: 0 x (read), 1 y (read_write); workgroup ${W}; grid linearGrid(${rows}) (x = ${gridX})
// one workgroup: one (outer, inner) row; one invocation: axis entries lid, lid + ${W}, ...
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
var<workgroup> scratch: array<f32, ${W}>;

@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = ${linearWorkgroupIndex(gridX)};
  let row = min(t, ${rows - 1}u);
  let base = (row / ${inner}u) * ${axis * inner}u + row % ${inner}u;
  var m = -3.4028234663852886e38;
  for (var a = lid; a < ${axis}u; a += ${W}u) { m = max(m, x[base + a * ${inner}u]); }
  scratch[lid] = m;
  workgroupBarrier();
${tree("max(scratch[lid], scratch[lid + s])")}
  let row_max = scratch[0];
  workgroupBarrier();
  var total = 0.0;
  for (var a = lid; a < ${axis}u; a += ${W}u) { total += exp(x[base + a * ${inner}u] - row_max); }
  scratch[lid] = total;
  workgroupBarrier();
${tree("scratch[lid] + scratch[lid + s]")}
  let sum = scratch[0];
  if (t >= ${rows}u) { return; }
  for (var a = lid; a < ${axis}u; a += ${W}u) {
    let v = x[base + a * ${inner}u] - row_max;
    y[base + a * ${inner}u] = ${options.log ? "v - log(sum)" : "exp(v) / sum"};
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
  workgroups: (o) => linearGrid(o.outer * o.inner),
  wgsl: softmaxSource,
});

/**
 * Records a softmax (or log-softmax) along an axis.
 *
 * @param rt Runtime to record on.
 * @param call Buffers `x`, `y` (same size) and dimensions.
 * @throws {RangeError} When a dimension is not a positive integer or the axis exceeds {@linkcode MAX_SOFTMAX_AXIS}.
 */
export function dispatchSoftmax(rt: Runtime, call: SoftmaxKernelOptions & { x: GPUBuffer; y: GPUBuffer }): void {
  const { x, y, ...options } = call;
  runKernel(rt, softmaxKernel(options), [x, y]);
}
