/**
 * Reductions (sum, mean, max, min) along the middle axis of a tensor viewed as [outer, axis, inner].
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

/** Reduction kinds: "mean" is a sum scaled by 1/axis. */
export type ReduceOp = "sum" | "mean" | "max" | "min";

/** Invocations cooperating on one output element. */
export const REDUCE_WORKGROUP = 64;
/** Iterations one reduction invocation loops over its slice (a sixteenth of the loop budget). */
const REDUCE_ITERATIONS = LOOP_BUDGET / 16;
/** Axis elements one workgroup reduces per pass (each invocation loops at most 1,024 times). */
export const REDUCE_CHUNK: number = REDUCE_WORKGROUP * REDUCE_ITERATIONS;

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
}

/**
 * WGSL for one pass: each workgroup reduces up to {@linkcode REDUCE_CHUNK} axis elements of one
 * (outer, inner) pair; output is [outer, ceil(axis / REDUCE_CHUNK), inner].
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup 64; grid `linearGrid(outer * chunks * inner)`.
 * One invocation: a compensated (Kahan) partial over a strided slice, then a tree in workgroup memory.
 *
 * @param options Dimensions and operation.
 * @returns Shader source.
 */
export function reduceWgsl(options: ReduceKernelOptions): string {
  return reduceKernel(options).wgsl;
}

function reduceSource(options: ReduceKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner, op } = options;
  const chunks = Math.ceil(axis / REDUCE_CHUNK);
  const count = outer * chunks * inner;
  const isSum = op === "sum" || op === "mean";
  const identity = isSum ? "0.0" : op === "max" ? "-3.4028234663852886e38" : "3.4028234663852886e38";
  const combine = (a: string, b: string) => (isSum ? `${a} + ${b}` : `${op}(${a}, ${b})`);
  const scale = options.scale ?? 1;
  return `// reduce ${op}: [${outer}, ${axis}, ${inner}] -> [${outer}, ${chunks}, ${inner}], scale ${scale}
// bindings: 0 x (read), 1 y (read_write); workgroup ${REDUCE_WORKGROUP}; grid linearGrid(${count}) (x = ${gridX})
// one workgroup: one output; one invocation: axis elements lid, lid + ${REDUCE_WORKGROUP}, ... of its chunk
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
var<workgroup> partial: array<f32, ${REDUCE_WORKGROUP}>;

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = ${linearWorkgroupIndex(gridX)};
  let valid = t < ${count}u;
  let i = t % ${inner}u;
  let chunk = (t / ${inner}u) % ${chunks}u;
  let o = t / ${inner * chunks}u;
  let start = chunk * ${REDUCE_CHUNK}u;
  let stop = min(start + ${REDUCE_CHUNK}u, ${axis}u);
  var acc = ${identity};
  var comp = 0.0;
  if (valid) {
    for (var a = start + lid; a < stop; a += ${REDUCE_WORKGROUP}u) {
      let v = x[(o * ${axis}u + a) * ${inner}u + i];
${
    isSum
      ? `      // Kahan summation: float32 partials over up to 1,024 terms stay accurate.
      let yk = v - comp;
      let tk = acc + yk;
      comp = (tk - acc) - yk;
      acc = tk;`
      : `      acc = ${combine("acc", "v")};`
  }
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { partial[lid] = ${combine("partial[lid]", "partial[lid + s]")}; }
    workgroupBarrier();
  }
  if (lid == 0u && valid) { y[t] = partial[0]${scale === 1 ? "" : ` * ${scale.toPrecision(9)}`}; }
}
`;
}

const reduceKernel = defineKernel<ReduceKernelOptions>({
  name: "reduce",
  workgroups: (o) => linearGrid(o.outer * Math.ceil(o.axis / REDUCE_CHUNK) * o.inner),
  wgsl: reduceSource,
});

/** Axes up to this length are reduced serially, one invocation per output (no workgroup tree). */
export const SERIAL_REDUCE_MAX_AXIS: number = REDUCE_ITERATIONS;

/**
 * WGSL for a serial reduction of a short axis: one invocation per output loops over the axis (Kahan
 * summation for sums). Far faster than a workgroup tree when there are many short rows (pooling windows,
 * bias gradients).
 *
 * Bindings: 0 `x` (read), 1 `y` (read_write). Workgroup 64; grid `linearGrid(ceil(outer·inner/64))`.
 *
 * @param options Dimensions and operation (axis <= {@linkcode SERIAL_REDUCE_MAX_AXIS}).
 * @returns Shader source.
 */
export function serialReduceWgsl(options: ReduceKernelOptions): string {
  return serialReduceKernel(options).wgsl;
}

function serialReduceSource(options: ReduceKernelOptions, [gridX]: Grid): string {
  const { outer, axis, inner, op } = options;
  const count = outer * inner;
  const isSum = op === "sum" || op === "mean";
  const scale = options.scale ?? 1;
  const identity = isSum ? "0.0" : op === "max" ? "-3.4028234663852886e38" : "3.4028234663852886e38";
  return `// serial reduce ${op}: [${outer}, ${axis}, ${inner}] -> [${outer}, ${inner}], scale ${scale}
// bindings: 0 x (read), 1 y (read_write); workgroup 64; grid linearGrid(${Math.ceil(count / 64)}) (x = ${gridX})
// one invocation: one output, looping over the ${axis} axis entries
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = ${linearInvocationIndex(gridX, 64)};
  if (t >= ${count}u) { return; }
  let i = t % ${inner}u;
  let base = (t / ${inner}u) * ${axis * inner}u + i;
  var acc = ${identity};
  var comp = 0.0;
  for (var a = 0u; a < ${axis}u; a++) {
    let v = x[base + a * ${inner}u];
${
    isSum
      ? `    let yk = v - comp;
    let tk = acc + yk;
    comp = (tk - acc) - yk;
    acc = tk;`
      : `    acc = ${op}(acc, v);`
  }
  }
  y[t] = acc${scale === 1 ? "" : ` * ${scale.toPrecision(9)}`};
}
`;
}

const serialReduceKernel = defineKernel<ReduceKernelOptions>({
  name: "serial reduce",
  workgroups: (o) => linearGrid(Math.ceil((o.outer * o.inner) / 64)),
  wgsl: serialReduceSource,
});

/**
 * Records a full reduction along the axis, with as many passes as the axis length needs.
 *
 * @param rt Runtime to record on.
 * @param call Input buffer `x`, output buffer `y` (outer x inner) and the dimensions.
 * @throws {RangeError} When a dimension is not a positive integer.
 */
export function dispatchReduce(
  rt: Runtime,
  call: Omit<ReduceKernelOptions, "scale"> & { x: GPUBuffer; y: GPUBuffer },
): void {
  const { outer, inner, op } = call;
  for (const [name, v] of [["outer", outer], ["axis", call.axis], ["inner", inner]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot reduce: ${name} must be a positive integer (got ${v})`);
    }
  }
  if (call.axis <= SERIAL_REDUCE_MAX_AXIS) {
    const options: ReduceKernelOptions = { outer, axis: call.axis, inner, op: op === "mean" ? "sum" : op };
    if (op === "mean") options.scale = 1 / call.axis;
    runKernel(rt, serialReduceKernel(options), [call.x, call.y]);
    return;
  }
  let axis = call.axis;
  let source = call.x;
  const temps: GPUBuffer[] = [];
  const passOp: ReduceOp = op === "mean" ? "sum" : op;
  while (true) {
    const chunks = Math.ceil(axis / REDUCE_CHUNK);
    const last = chunks === 1;
    const target = last ? call.y : rt.pool.acquire(outer * chunks * inner * 4);
    if (!last) temps.push(target);
    const options: ReduceKernelOptions = { outer, axis, inner, op: passOp };
    if (last && op === "mean") options.scale = 1 / call.axis;
    runKernel(rt, reduceKernel(options), [source, target]);
    if (last) break;
    source = target;
    axis = chunks;
  }
  for (const t of temps) rt.pool.release(t);
}
