/**
 * Batched matrix product C = op(A)·op(B) (+ C), with optional transposed operands, on 8x8 register
 * blocks read as vec4.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import { SHARED_TILE, sharedMatmulSource, tiledVariant } from "./matmul_shared.ts";
import { SUBGROUP_ROWS, SUBGROUP_TILE_COLS, subgroupMatmulSource } from "./matmul_subgroup.ts";
import {
  accumulateBlock,
  elementType,
  layoutA,
  layoutB,
  TILE_COLS,
  TILE_ROWS,
  WORKGROUP_X,
  WORKGROUP_Y,
} from "./_tile.ts";

/** Geometry of one product, all sizes baked into the shader as constants. */
export interface TileProduct {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** A is stored k x m and used transposed. */
  transposeA: boolean;
  /** B is stored n x k and used transposed. */
  transposeB: boolean;
}

/** Largest inner dimension of one dispatch: each invocation loops k/4 times (vec4 steps), within the budget. */
export const MAX_INNER_DIMENSION: number = 4 * LOOP_BUDGET;

/** Geometry of a batched product; every size is baked into the shader. */
export interface MatmulKernelOptions extends TileProduct {
  /** Number of products (grid z); default 1. */
  batch?: number;
  /** A holds one matrix per batch entry (default true); false broadcasts one A to all. */
  batchedA?: boolean;
  /** B holds one matrix per batch entry (default true); false broadcasts one B to all. */
  batchedB?: boolean;
  /** Add the product to the existing C instead of overwriting it. */
  accumulate?: boolean;
  /**
   * Kernel variant: "register" (8x8 register blocks read as vec4, no workgroup memory; the default, and
   * the fastest on CPU adapters), "shared" (64x64 tiles staged in workgroup memory; see
   * matmul_shared.ts) or "subgroup" (op(A) passed between lanes by subgroup shuffles; devices with the
   * `subgroups` feature; see matmul_subgroup.ts). All compute the same product up to float32 rounding.
   */
  variant?: MatmulVariant;
}

/** The matmul kernel variants. */
export type MatmulVariant = "register" | "shared" | "subgroup";

/** Every matmul variant, for tests and benchmarks that run them all ("subgroup" only where the device has the feature). */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ["register", "shared", "subgroup"];

/**
 * WGSL for a batched matmul.
 *
 * Bindings: 0 `a` (read), 1 `b` (read), 2 `c` (read_write). Workgroup 16x8; grid
 * ceil(n/128) x ceil(m/64) x batch. One invocation computes an 8x8 block of one C.
 *
 * @param options Product geometry.
 * @returns Shader source.
 */
export function matmulWgsl(options: MatmulKernelOptions): string {
  return matmulKernel(options).wgsl;
}

function matmulSource(options: MatmulKernelOptions): string {
  const { m, n, k } = options;
  const batch = options.batch ?? 1;
  const la = layoutA(options), lb = layoutB(options);
  const vecC = n % 4 === 0;
  const aStride = options.batchedA === false ? 0 : (m * k) / (la === "vec4" ? 4 : 1);
  const bStride = options.batchedB === false ? 0 : (k * n) / (lb === "vec4" ? 4 : 1);
  const stores: string[] = [];
  for (let r = 0; r < TILE_ROWS; r++) {
    const row = `row + ${r}u`;
    for (let c = 0; c < TILE_COLS / 4; c++) {
      const acc = `acc_${r}_${c}`;
      if (vecC) {
        const idx = `c_off + (${row}) * ${n / 4}u + col / 4u + ${c}u`;
        const value = options.accumulate ? `c[${idx}] + ${acc}` : acc;
        stores.push(`if (${row} < ${m}u && col + ${4 * c}u < ${n}u) { c[${idx}] = ${value}; }`);
      } else {
        for (let q = 0; q < 4; q++) {
          const idx = `c_off + (${row}) * ${n}u + col + ${4 * c + q}u`;
          const value = options.accumulate ? `c[${idx}] + ${acc}.${"xyzw"[q]}` : `${acc}.${"xyzw"[q]}`;
          stores.push(`if (${row} < ${m}u && col + ${4 * c + q}u < ${n}u) { c[${idx}] = ${value}; }`);
        }
      }
    }
  }
  return `// matmul: C[b] = op(A[b]) * op(B[b])${
    options.accumulate ? " + C[b]" : ""
  }; m=${m} n=${n} k=${k} batch=${batch}
// transposeA=${options.transposeA} transposeB=${options.transposeB}
// bindings: 0 a (read), 1 b (read), 2 c (read_write); workgroup ${WORKGROUP_X}x${WORKGROUP_Y}
// grid: ceil(n/${TILE_COLS * WORKGROUP_X}) x ceil(m/${TILE_ROWS * WORKGROUP_Y}) x batch
// one invocation: the ${TILE_ROWS}x${TILE_COLS} block of C at (8 gid.y, 8 gid.x) in batch gid.z
@group(0) @binding(0) var<storage, read> a: array<${elementType(la)}>;
@group(0) @binding(1) var<storage, read> b: array<${elementType(lb)}>;
@group(0) @binding(2) var<storage, read_write> c: array<${vecC ? "vec4<f32>" : "f32"}>;

@compute @workgroup_size(${WORKGROUP_X}, ${WORKGROUP_Y})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * ${TILE_ROWS}u;
  let col = gid.x * ${TILE_COLS}u;
  if (row >= ${m}u || col >= ${n}u) { return; }
  let a_off = gid.z * ${aStride}u;
  let b_off = gid.z * ${bStride}u;
  let c_off = gid.z * ${(m * n) / (vecC ? 4 : 1)}u;
${accumulateBlock(options)}
${stores.map((s) => "  " + s).join("\n")}
}
`;
}

/** Buffers of one matmul dispatch. */
export interface MatmulBuffers {
  /** op(A) source: batch x m x k (or k x m when transposed). */
  a: GPUBuffer;
  /** op(B) source: batch x k x n (or n x k when transposed). */
  b: GPUBuffer;
  /** Output: batch x m x n. */
  c: GPUBuffer;
}

const matmulKernel = defineKernel<MatmulKernelOptions>({
  name: "matmul",
  validate: (o) => {
    for (const [name, v] of [["m", o.m], ["n", o.n], ["k", o.k], ["batch", o.batch ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Cannot multiply matrices: ${name} must be a positive integer (got ${v})`);
      }
    }
    if (o.k > MAX_INNER_DIMENSION) {
      throw new RangeError(
        `Cannot multiply matrices: inner dimension ${o.k} exceeds ${MAX_INNER_DIMENSION} (split the product along k)`,
      );
    }
    // The shared and subgroup variants' own k limit (whether the device has subgroups is the dispatcher's check).
    tiledVariant(undefined, { k: o.k, named: o.variant, subgroups: true }, "multiply matrices");
  },
  workgroups: (o) =>
    o.variant === "shared"
      ? [Math.ceil(o.n / SHARED_TILE), Math.ceil(o.m / SHARED_TILE), o.batch ?? 1]
      : o.variant === "subgroup"
      ? [Math.ceil(o.n / SUBGROUP_TILE_COLS), Math.ceil(o.m / SUBGROUP_ROWS), o.batch ?? 1]
      : [Math.ceil(o.n / (TILE_COLS * WORKGROUP_X)), Math.ceil(o.m / (TILE_ROWS * WORKGROUP_Y)), o.batch ?? 1],
  wgsl: (o) =>
    o.variant === "shared"
      ? sharedMatmulSource(o)
      : o.variant === "subgroup"
      ? subgroupMatmulSource(o)
      : matmulSource(o),
});

/**
 * Records a batched matmul on the runtime.
 *
 * @param rt Runtime to record on.
 * @param call Buffers and geometry.
 * @throws {RangeError} When a size is not a positive integer, k exceeds {@linkcode MAX_INNER_DIMENSION}
 * (13,104 for a named shared or subgroup variant), the subgroup variant is named on a device without
 * subgroups, or the batch exceeds the grid limit.
 */
export function dispatchMatmul(rt: Runtime, call: MatmulBuffers & MatmulKernelOptions): void {
  const { a, b, c, ...options } = call;
  // Unless the call names a variant: the tuner's choice for this shape class, else the register kernel.
  const tuned = rt.tuning.get(`matmul:${matmulShapeClass(options.m, options.n, options.k)}`);
  options.variant = tiledVariant(
    tuned,
    { k: options.k, named: options.variant, subgroups: rt.subgroups },
    "multiply matrices",
  );
  runKernel(rt, matmulKernel(options), [a, b, c]);
}

/** Matmul shape classes by work (2·m·n·k): below 2^28 flops "small", else "large". */
export function matmulShapeClass(m: number, n: number, k: number): "small" | "large" {
  return 2 * m * n * k < 2 ** 28 ? "small" : "large";
}
