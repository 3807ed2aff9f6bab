/**
 * Batched matrix product C = op(A)·op(B) (+ C), with optional transposed operands, on 8x8 register
 * blocks read as vec4.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import {
  checkInnerDimension,
  SHARED_TILE,
  sharedMatmulSource,
  type TiledCall,
  tiledRunTests,
} from "./matmul_shared.ts";
import { SUBGROUP_ROWS, SUBGROUP_TILE_COLS, subgroupMatmulSource } from "./matmul_subgroup.ts";
import {
  accumulateBlock,
  elementType,
  layoutA,
  layoutB,
  type MatmulKernelOptions,
  type MatmulVariant,
  TILE_COLS,
  TILE_ROWS,
  WORKGROUP_X,
  WORKGROUP_Y,
} from "./_tile.ts";
import { chooseVariant, type Variant, type VariantFamily, variantNames } from "./choose_variant.ts";
import { bestSeconds } from "./_timing.ts";
export type { MatmulKernelOptions, MatmulVariant, TileProduct } from "./_tile.ts";

/** Largest inner dimension of one dispatch: each invocation loops k/4 times (vec4 steps), within the budget. */
export const MAX_INNER_DIMENSION: number = 4 * LOOP_BUDGET;

/**
 * WGSL for a batched matmul.
 *
 * Bindings: 0 `a` (read), 1 `b` (read), 2 `c` (read_write). Workgroup 16x8; grid
 * ceil(n/128) x ceil(m/64) x batch. One invocation computes an 8x8 block of one C.
 *
 * @param options Product geometry.
 * @returns Shader source.
 * @example The register-blocked shader
 * ```ts
 * import assert from "node:assert";
 * import { matmulWgsl } from "./matmul.ts";
 * const wgsl = matmulWgsl({ m: 2, n: 2, k: 2, transposeA: false, transposeB: false });
 * assert.ok(wgsl.includes("@compute @workgroup_size(16, 8)"));
 * ```
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

const VERB = "multiply matrices";

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
    if (o.variant !== undefined && !Object.hasOwn(MATMUL_FAMILY.variants, o.variant)) {
      throw new RangeError(`Cannot ${VERB}: unknown variant "${o.variant}" (one of ${MATMUL_VARIANTS.join(", ")})`);
    }
    // The shared and subgroup variants' own k limit (whether the device has subgroups is the chooser's check).
    checkInnerDimension(o.variant, o.k, VERB);
  },
  workgroups: (o) => MATMUL_FAMILY.variants[o.variant ?? "register"].workgroups(o),
  wgsl: (o, grid) => MATMUL_FAMILY.variants[o.variant ?? "register"].wgsl(o, grid),
});

/**
 * Records a batched matmul on the runtime.
 *
 * @param rt Runtime to record on.
 * @param call Buffers and geometry.
 * @throws {RangeError} When a size is not a positive integer, k exceeds {@linkcode MAX_INNER_DIMENSION}
 * (13,104 for a named shared or subgroup variant), the subgroup variant is named on a device without
 * subgroups, or the batch exceeds the grid limit.
 * @example Multiply two 2 x 2 matrices
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchMatmul } from "./matmul.ts";
 * const rt = await initGpu();
 * const [a, b, c] = [rt.pool.acquire(16), rt.pool.acquire(16), rt.pool.acquire(16)];
 * rt.write(a, new Float32Array([1, 2, 3, 4]));
 * rt.write(b, new Float32Array([5, 6, 7, 8]));
 * dispatchMatmul(rt, { a, b, c, m: 2, n: 2, k: 2, transposeA: false, transposeB: false });
 * assert.deepEqual([...await rt.read(c, 4)], [19, 22, 43, 50]);
 * [a, b, c].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchMatmul(rt: Runtime, call: MatmulBuffers & MatmulKernelOptions): void {
  const { a, b, c, ...options } = call;
  // Unless the call names a variant: the tuner's choice for this shape class, else the register kernel.
  options.variant = chooseVariant(rt, MATMUL_FAMILY, options, options.variant);
  runKernel(rt, matmulKernel(options), [a, b, c]);
}

/**
 * Matmul shape classes by work (2·m·n·k): below 2^28 flops "small", else "large".
 *
 * @example Small and large products
 * ```ts
 * import assert from "node:assert";
 * import { matmulShapeClass } from "./matmul.ts";
 * assert.equal(matmulShapeClass(64, 64, 64), "small");
 * assert.equal(matmulShapeClass(512, 512, 512), "large");
 * ```
 */
export function matmulShapeClass(m: number, n: number, k: number): "small" | "large" {
  return 2 * m * n * k < 2 ** 28 ? "small" : "large";
}

/** A matmul or Gram variant: its run test, grid and WGSL. */
export interface MatmulFamilyVariant<O> extends Variant<O> {
  /** The grid, from the options. */
  workgroups(options: O): Grid;
  /** The WGSL, from the options and the grid computed for them. */
  wgsl(options: O, grid: Grid): string;
}

/** The representative square size timed for each shape class of the matmul and Gram families. */
export const PRODUCT_TUNING_SIZES = { small: 256, large: 512 } as const;

/**
 * Seconds per run of each variant of a product family this device can run, on n x n ones (best of two
 * timed runs after a warm-up, one sync each).
 *
 * @param rt Runtime.
 * @param n Size.
 * @param variants The family's variant names with their run tests.
 * @param record Records one run of a variant on `a` (n x n) into `c` (n x n).
 * @returns Seconds per variant.
 * @example Time one variant on 8 x 8 ones
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchMatmul, timeProducts } from "./matmul.ts";
 * const rt = await initGpu();
 * const variants = { register: { runs: () => true, refusal: () => "" } };
 * const seconds = await timeProducts(rt, 8, variants, (a, c) =>
 *   dispatchMatmul(rt, { a, b: a, c, m: 8, n: 8, k: 8, transposeA: false, transposeB: false }));
 * assert.ok(Number.isFinite(seconds.register));
 * ```
 */
export async function timeProducts<V extends string>(
  rt: Runtime,
  n: number,
  variants: { readonly [K in V]: Variant<TiledCall> },
  record: (a: GPUBuffer, c: GPUBuffer, variant: V) => void,
): Promise<Partial<Record<V, number>>> {
  const bytes = n * n * 4;
  const [a, c] = [rt.pool.acquire(bytes), rt.pool.acquire(bytes)];
  rt.write(a, new Float32Array(n * n).fill(1));
  const out: Partial<Record<V, number>> = {};
  try {
    for (const variant of Object.keys(variants) as V[]) {
      if (!variants[variant].runs(rt, { k: n })) continue;
      out[variant] = await bestSeconds(rt, () => record(a, c, variant));
    }
  } finally {
    rt.pool.release(a);
    rt.pool.release(c);
  }
  return out;
}

/** The probe's product: small integers, so that float32 gives the exact answer. */
const PROBE = { m: 9, n: 70, k: 33, transposeA: false, transposeB: false } as const;

/** Runs the subgroup matmul on small integers and compares every entry with the exact product. */
async function probeProduct(rt: Runtime): Promise<string | null> {
  const { m, n, k } = PROBE;
  const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
  const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) for (let q = 0; q < k; q++) want[i * n + j] += a[i * k + q] * b[q * n + j];
  }
  const buffers = [a.length, b.length, m * n].map((s) => rt.pool.acquire(s * 4));
  const [ba, bb, bc] = buffers;
  try {
    rt.write(ba, a);
    rt.write(bb, b);
    dispatchMatmul(rt, { a: ba, b: bb, c: bc, ...PROBE, variant: "subgroup" });
    const got = await rt.read(bc, m * n);
    return got.every((v, i) => v === want[i]) ? null : "the subgroup matmul missed an exact product";
  } finally {
    buffers.forEach((buffer) => rt.pool.release(buffer));
  }
}

const TILED = tiledRunTests(VERB);

/**
 * The matmul family: "register" (8x8 register blocks, the fallback), "shared" (workgroup-memory tiles;
 * matmul_shared.ts) and "subgroup" (subgroup shuffles; matmul_subgroup.ts); shape classes by work
 * ({@linkcode matmulShapeClass}); timed at n x n x n for n = 256 ("small") and 512 ("large").
 */
export const MATMUL_FAMILY: VariantFamily<
  MatmulKernelOptions,
  MatmulVariant,
  "small" | "large",
  MatmulFamilyVariant<MatmulKernelOptions>
> = {
  name: "matmul",
  verb: VERB,
  variants: {
    register: {
      ...TILED.register,
      workgroups: (o) => [
        Math.ceil(o.n / (TILE_COLS * WORKGROUP_X)),
        Math.ceil(o.m / (TILE_ROWS * WORKGROUP_Y)),
        o.batch ?? 1,
      ],
      wgsl: (o) => matmulSource(o),
    },
    shared: {
      ...TILED.shared,
      workgroups: (o) => [Math.ceil(o.n / SHARED_TILE), Math.ceil(o.m / SHARED_TILE), o.batch ?? 1],
      wgsl: (o) => sharedMatmulSource(o),
    },
    subgroup: {
      ...TILED.subgroup,
      workgroups: (o) => [Math.ceil(o.n / SUBGROUP_TILE_COLS), Math.ceil(o.m / SUBGROUP_ROWS), o.batch ?? 1],
      wgsl: (o) => subgroupMatmulSource(o),
    },
  },
  shapeClasses: ["small", "large"],
  shapeClass: ({ m, n, k }) => matmulShapeClass(m, n, k),
  fallback: () => "register",
  time: (rt, shapeClass) => {
    const n = PRODUCT_TUNING_SIZES[shapeClass];
    return timeProducts(
      rt,
      n,
      MATMUL_FAMILY.variants,
      (a, c, variant) =>
        dispatchMatmul(rt, { a, b: a, c, m: n, n, k: n, transposeA: false, transposeB: false, variant }),
    );
  },
  probe: {
    wgsl: () => matmulWgsl({ ...PROBE, variant: "subgroup" }),
    run: probeProduct,
  },
};

/** Every matmul variant, for tests and benchmarks that run them all ("subgroup" only where the device has the feature). */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = variantNames(MATMUL_FAMILY);
