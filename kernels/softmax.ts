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
import { linearGrid } from "./linear_grid.ts";
import { COMBINE_OPS, workgroupCombineWgsl } from "./_workgroup_combine.ts";
import { type RowCall, rowRunTests, timeRows } from "./_variant.ts";
import { chooseVariant, type Variant, type VariantFamily, variantNames } from "./choose_variant.ts";

/**
 * Softmax variants: "tree" (a workgroup per row, combined in workgroup memory), "subgroup" (a workgroup
 * per row, combined by subgroup operations; devices with `subgroups` only) and "serial" (one invocation
 * per row; axes up to `SERIAL_SOFTMAX_MAX_AXIS`).
 */
export type SoftmaxVariant = "tree" | "subgroup" | "serial";

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
 * @example A log-softmax over rows of 10, compiled
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { softmaxWgsl } from "./softmax.ts";
 * const rt = await initGpu();
 * const wgsl = softmaxWgsl({ outer: 4, axis: 10, inner: 1, log: true, variant: "tree" });
 * assert.match(wgsl, /@compute/);
 * await rt.pipelines.compile(wgsl);
 * ```
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
    if (o.variant !== undefined && !Object.hasOwn(SOFTMAX_FAMILY.variants, o.variant)) {
      throw new RangeError(
        `Cannot compute softmax: unknown variant "${o.variant}" (one of ${SOFTMAX_VARIANTS.join(", ")})`,
      );
    }
  },
  workgroups: (o) => SOFTMAX_FAMILY.variants[o.variant ?? "tree"].workgroups(o),
  wgsl: (o, grid) => SOFTMAX_FAMILY.variants[o.variant ?? "tree"].wgsl(o, grid),
});

/**
 * Softmax shape classes by axis length: up to 64 "short", else "long".
 *
 * @param axis Axis length.
 * @returns The shape class.
 * @example Ten classes are short, a thousand long
 * ```ts
 * import assert from "node:assert";
 * import { softmaxShapeClass } from "./softmax.ts";
 * assert.equal(softmaxShapeClass(10), "short");
 * assert.equal(softmaxShapeClass(1000), "long");
 * ```
 */
export function softmaxShapeClass(axis: number): "short" | "long" {
  return axis <= 64 ? "short" : "long";
}

/**
 * Records a softmax (or log-softmax) along an axis.
 *
 * @param rt Runtime to record on.
 * @param call Buffers `x`, `y` (same size), dimensions and optionally the variant.
 * @throws {RangeError} When a dimension is not a positive integer, the axis exceeds
 * {@linkcode MAX_SOFTMAX_AXIS}, or a named variant cannot run.
 * @example Equal logits give equal probabilities
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchSoftmax } from "./softmax.ts";
 * const rt = await initGpu();
 * const [x, y] = [rt.pool.acquire(16), rt.pool.acquire(16)];
 * rt.write(x, Float32Array.from([0, 0, 5, 5]));
 * dispatchSoftmax(rt, { x, y, outer: 2, axis: 2, inner: 1 });
 * assert.deepEqual([...await rt.read(y, 4)], [0.5, 0.5, 0.5, 0.5]);
 * [x, y].forEach((b) => rt.pool.release(b));
 * ```
 */
export function dispatchSoftmax(rt: Runtime, call: SoftmaxKernelOptions & { x: GPUBuffer; y: GPUBuffer }): void {
  const { x, y, ...options } = call;
  options.variant = chooseVariant(rt, SOFTMAX_FAMILY, { axis: options.axis }, options.variant);
  runKernel(rt, softmaxKernel(options), [x, y]);
}

/** A softmax variant: its run test, grid and WGSL. */
export interface SoftmaxFamilyVariant extends Variant<RowCall> {
  /** The grid, from the options. */
  workgroups(options: SoftmaxKernelOptions): Grid;
  /** The WGSL, from the options and the grid computed for them. */
  wgsl(options: SoftmaxKernelOptions, grid: Grid): string;
}

/** Representative [outer, axis, inner] per softmax shape class (about 1M entries each). */
export const SOFTMAX_TUNING_SHAPES = { short: [16384, 10, 1], long: [256, 1024, 1] } as const;

/** The probe's softmax: equal logits, so every probability is 1/axis. */
const PROBE = { outer: 5, axis: 70, inner: 1 } as const;

/** Runs the subgroup softmax on equal logits: every probability must be 1/70. */
async function probeRows(rt: Runtime): Promise<string | null> {
  const size = PROBE.outer * PROBE.axis;
  const [logits, probabilities] = [rt.pool.acquire(size * 4), rt.pool.acquire(size * 4)];
  try {
    rt.write(logits, new Float32Array(size));
    dispatchSoftmax(rt, { x: logits, y: probabilities, ...PROBE, variant: "subgroup" });
    const got = await rt.read(probabilities, size);
    return got.every((p) => Math.abs(p - 1 / PROBE.axis) <= 1e-6) ? null : "the subgroup softmax missed 1/70";
  } finally {
    rt.pool.release(logits);
    rt.pool.release(probabilities);
  }
}

const ROWS = rowRunTests("compute softmax", SERIAL_SOFTMAX_MAX_AXIS);
/** One workgroup per row. */
const perRow = (o: SoftmaxKernelOptions): Grid => linearGrid(o.outer * o.inner);

/**
 * The softmax family: "tree", "subgroup" and "serial"; shape classes by axis length
 * ({@linkcode softmaxShapeClass}); the fallback serial up to {@linkcode SERIAL_SOFTMAX_MAX_AXIS} and the
 * tree beyond; timed at {@linkcode SOFTMAX_TUNING_SHAPES}.
 */
export const SOFTMAX_FAMILY: VariantFamily<RowCall, SoftmaxVariant, "short" | "long", SoftmaxFamilyVariant> = {
  name: "softmax",
  verb: "compute softmax",
  variants: {
    tree: { ...ROWS.tree, workgroups: perRow, wgsl: workgroupSource },
    subgroup: { ...ROWS.subgroup, workgroups: perRow, wgsl: workgroupSource },
    serial: {
      ...ROWS.serial,
      workgroups: (o) => linearGrid(Math.ceil((o.outer * o.inner) / 64)),
      wgsl: serialSource,
    },
  },
  shapeClasses: ["short", "long"],
  shapeClass: ({ axis }) => softmaxShapeClass(axis),
  fallback: ({ axis }) => (axis <= SERIAL_SOFTMAX_MAX_AXIS ? "serial" : "tree"),
  time: (rt, shapeClass) => {
    const [outer, axis, inner] = SOFTMAX_TUNING_SHAPES[shapeClass];
    return timeRows(
      rt,
      SOFTMAX_TUNING_SHAPES[shapeClass],
      axis,
      SOFTMAX_FAMILY.variants,
      (x, y, variant) => dispatchSoftmax(rt, { x, y, outer, axis, inner, variant }),
    );
  },
  probe: { wgsl: () => softmaxWgsl({ ...PROBE, variant: "subgroup" }), run: probeRows },
};

/** Every softmax variant, for tests and benchmarks that run them all. */
export const SOFTMAX_VARIANTS: readonly SoftmaxVariant[] = variantNames(SOFTMAX_FAMILY);
