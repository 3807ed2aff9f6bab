/**
 * Gram matrix G = A·Aᵀ of an m x k matrix, computing only the upper triangle of blocks and mirroring.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearWorkgroupIndex, runKernel } from "./_kernel.ts";
import { accumulateBlock, elementType, layoutA, layoutB, TILE_COLS, TILE_ROWS, type TileProduct } from "./_tile.ts";
import { linearGrid } from "./linear_grid.ts";
import {
  type MatmulFamilyVariant,
  matmulShapeClass,
  MAX_INNER_DIMENSION,
  PRODUCT_TUNING_SIZES,
  timeProducts,
} from "./matmul.ts";
import {
  checkInnerDimension,
  SHARED_DECLARATIONS,
  SHARED_WORKGROUP,
  sharedStores,
  sharedTileProduct,
  tiledRunTests,
} from "./matmul_shared.ts";
import { SUBGROUP_ROWS, SUBGROUP_TILE_COLS, subgroupMatmulSource } from "./matmul_subgroup.ts";
import { chooseVariant, type VariantFamily, variantNames } from "./choose_variant.ts";

/** Side of the square block of G owned by one workgroup (8x8 invocations of 8x8 registers). */
export const GRAM_BLOCK = 64;
const WG = GRAM_BLOCK / TILE_ROWS;

/** Geometry of a Gram product. */
export interface GramOptions {
  /** Rows of A (G is m x m). */
  m: number;
  /** Columns of A. */
  k: number;
  /**
   * Kernel variant: "register" (8x8 register blocks, the default) or "shared" (64x64 blocks staged
   * through workgroup memory, as the shared matmul), both computing the upper blocks only and mirroring
   * them; or "subgroup" (the subgroup matmul of A by Aᵀ, every entry computed, each G_ij and G_ji by
   * the same products in the same order; devices with the `subgroups` feature).
   */
  variant?: GramVariant;
}

/** The Gram kernel variants. */
export type GramVariant = "register" | "shared" | "subgroup";

/**
 * WGSL for G = A·Aᵀ over the upper-triangular block pairs.
 *
 * Bindings: 0 `a` (read, m x k row-major), 1 `b` (read, the same buffer bound again as op(B) = Aᵀ),
 * 2 `g` (read_write, m x m). Workgroup 8x8; grid: T(T+1)/2 workgroups (T = ceil(m/64)) laid out
 * by `linearGrid`. One invocation computes an 8x8 block of G and, off the diagonal blocks, its mirror.
 *
 * @param options Gram geometry.
 * @returns Shader source.
 * @example The register-blocked shader
 * ```ts
 * import assert from "node:assert";
 * import { gramWgsl } from "./gram.ts";
 * const wgsl = gramWgsl({ m: 3, k: 2 });
 * assert.ok(wgsl.includes("@compute @workgroup_size(8, 8)"));
 * ```
 */
export function gramWgsl(options: GramOptions): string {
  return gramKernel(options).wgsl;
}

function gramSource(options: GramOptions, [gridX]: Grid): string {
  const { m, k } = options;
  const tiles = Math.ceil(m / GRAM_BLOCK);
  const product: TileProduct = { m, n: m, k, transposeA: false, transposeB: true };
  const stores: string[] = [];
  for (let r = 0; r < TILE_ROWS; r++) {
    for (let c = 0; c < TILE_COLS; c++) {
      const v = `acc_${r}_${c >> 2}.${"xyzw"[c & 3]}`;
      const i = `row + ${r}u`, j = `col + ${c}u`;
      stores.push(
        `if (${i} < ${m}u && ${j} < ${m}u) { g[(${i}) * ${m}u + ${j}] = ${v}; if (!diagonal) { g[(${j}) * ${m}u + ${i}] = ${v}; } }`,
      );
    }
  }
  return `// gram: G = A * A^T, m=${m} k=${k}; blocks (bi <= bj) only, mirrored into the lower triangle
// bindings: 0 a (read), 1 b (read, same buffer as a), 2 g (read_write); workgroup ${WG}x${WG}
// grid: ${(tiles * (tiles + 1)) / 2} workgroups as linearGrid (x = ${gridX}); block pair from the linear index
// one invocation: an ${TILE_ROWS}x${TILE_COLS} block of G inside the workgroup's ${GRAM_BLOCK}x${GRAM_BLOCK} block
@group(0) @binding(0) var<storage, read> a: array<${elementType(layoutA(product))}>;
@group(0) @binding(1) var<storage, read> b: array<${elementType(layoutB(product))}>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = ${linearWorkgroupIndex(gridX)};
  if (t >= ${(tiles * (tiles + 1)) / 2}u) { return; }
${blockPair(tiles)}
  let row = bi * ${GRAM_BLOCK}u + lid.y * ${TILE_ROWS}u;
  let col = bj * ${GRAM_BLOCK}u + lid.x * ${TILE_COLS}u;
  if (row >= ${m}u || col >= ${m}u) { return; }
  let a_off = 0u;
  let b_off = 0u;
${accumulateBlock(product)}
${stores.map((s) => "  " + s).join("\n")}
}
`;
}

/**
 * WGSL that finds the workgroup's block pair (bi <= bj, row-major) from its linear index `t` (workgroup-
 * uniform) and sets `diagonal`.
 */
function blockPair(tiles: number): string {
  return `  // Row-major enumeration of pairs bi <= bj: find bi with start(bi) <= t < start(bi + 1),
  // start(i) = i*T - i*(i-1)/2. A float estimate, then exact integer correction.
  var bi = u32(max(0.0, floor((f32(${2 * tiles + 1}) - sqrt(f32(${(2 * tiles + 1) ** 2}) - 8.0 * f32(t))) / 2.0)));
  loop {
    if (bi > 0u && bi * ${tiles}u - bi * (bi - 1u) / 2u > t) { bi = bi - 1u; continue; }
    if ((bi + 1u) * ${tiles}u - (bi + 1u) * bi / 2u <= t) { bi = bi + 1u; continue; }
    break;
  }
  let bj = bi + t - (bi * ${tiles}u - bi * (bi - 1u) / 2u);
  let diagonal = bi == bj;`;
}

/** The workgroup-memory Gram: a 16x16 workgroup per 64x64 block pair, as the shared matmul, mirrored. */
function sharedGramSource(options: GramOptions, [gridX]: Grid): string {
  const { m, k } = options;
  const tiles = Math.ceil(m / GRAM_BLOCK);
  const stores = sharedStores(
    m,
    m,
    (row, col, acc) =>
      `c[(${row}) * ${m}u + ${col}] = ${acc}; if (!diagonal) { c[(${col}) * ${m}u + ${row}] = ${acc}; }`,
  );
  return `// gram (workgroup-memory variant): G = A * A^T, m=${m} k=${k}; blocks (bi <= bj), mirrored
// bindings: 0 a (read), 1 b (read, same buffer as a), 2 c = G (read_write); workgroup ${SHARED_WORKGROUP}x${SHARED_WORKGROUP}
// grid: ${(tiles * (tiles + 1)) / 2} workgroups as linearGrid (x = ${gridX})
${SHARED_DECLARATIONS}

@compute @workgroup_size(${SHARED_WORKGROUP}, ${SHARED_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = ${linearWorkgroupIndex(gridX)};
  if (t >= ${(tiles * (tiles + 1)) / 2}u) { return; } // uniform across the workgroup
${blockPair(tiles)}
  let tileRow = bi * ${GRAM_BLOCK}u;
  let tileCol = bj * ${GRAM_BLOCK}u;
  let a_off = 0u;
  let b_off = 0u;
${sharedTileProduct({ m, n: m, k, transposeA: false, transposeB: true })}
  ${stores}
}
`;
}

const VERB = "compute Gram matrix";

const gramKernel = defineKernel<GramOptions>({
  name: "gram",
  validate: (o) => {
    const { m, k } = o;
    for (const [name, v] of [["m", m], ["k", k]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Cannot compute Gram matrix: ${name} must be a positive integer (got ${v})`);
      }
    }
    if (k > MAX_INNER_DIMENSION) {
      throw new RangeError(`Cannot compute Gram matrix: k = ${k} exceeds ${MAX_INNER_DIMENSION}`);
    }
    if (o.variant !== undefined && !Object.hasOwn(GRAM_FAMILY.variants, o.variant)) {
      throw new RangeError(`Cannot ${VERB}: unknown variant "${o.variant}" (one of ${GRAM_VARIANTS.join(", ")})`);
    }
    // The shared and subgroup variants' own k limit (whether the device has subgroups is the chooser's check).
    checkInnerDimension(o.variant, k, VERB);
  },
  workgroups: (o) => GRAM_FAMILY.variants[o.variant ?? "register"].workgroups(o),
  wgsl: (o, grid) => GRAM_FAMILY.variants[o.variant ?? "register"].wgsl(o, grid),
});

/**
 * Records G = A·Aᵀ.
 *
 * @param rt Runtime to record on.
 * @param call `a` (m x k), `g` (m x m output) and the geometry.
 * @throws {RangeError} When a size is not a positive integer or k exceeds the inner-dimension limit
 * (13,104 for a named shared or subgroup variant), or the subgroup variant is named on a device without
 * subgroups.
 * @example The Gram matrix of a 2 x 2 matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchGram } from "./gram.ts";
 * const rt = await initGpu();
 * const [a, g] = [rt.pool.acquire(16), rt.pool.acquire(16)];
 * rt.write(a, new Float32Array([1, 2, 3, 4]));
 * dispatchGram(rt, { a, g, m: 2, k: 2 });
 * assert.deepEqual([...await rt.read(g, 4)], [5, 11, 11, 25]);
 * [a, g].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchGram(rt: Runtime, call: GramOptions & { a: GPUBuffer; g: GPUBuffer }): void {
  const { a, g, ...options } = call;
  // Unless the call names a variant: the tuner's choice for this shape class, else the register kernel.
  options.variant = chooseVariant(rt, GRAM_FAMILY, options, options.variant);
  // A is bound twice: once as op(A), once as op(B) = Aᵀ.
  runKernel(rt, gramKernel(options), [a, a, g]);
}

/** One workgroup per 64x64 block pair (the register and shared variants). */
function blockPairGrid({ m }: GramOptions): Grid {
  const tiles = Math.ceil(m / GRAM_BLOCK);
  return linearGrid((tiles * (tiles + 1)) / 2);
}

const TILED = tiledRunTests(VERB);

/**
 * The Gram family: the matmul family's variant names and run tests ("register" the fallback), shape
 * classes by the work of the full product m x m x k, timed on n x n for n = 256 ("small") and 512
 * ("large"). No probe of its own: its subgroup kernel is the matmul's subgroup source, which the matmul
 * probe checks.
 */
export const GRAM_FAMILY: VariantFamily<GramOptions, GramVariant, "small" | "large", MatmulFamilyVariant<GramOptions>> =
  {
    name: "gram",
    verb: VERB,
    variants: {
      register: { ...TILED.register, workgroups: blockPairGrid, wgsl: gramSource },
      shared: { ...TILED.shared, workgroups: blockPairGrid, wgsl: sharedGramSource },
      subgroup: {
        ...TILED.subgroup,
        workgroups: ({ m }) => [Math.ceil(m / SUBGROUP_TILE_COLS), Math.ceil(m / SUBGROUP_ROWS), 1],
        wgsl: (o) => subgroupMatmulSource({ m: o.m, n: o.m, k: o.k, transposeA: false, transposeB: true }),
      },
    },
    shapeClasses: ["small", "large"],
    shapeClass: ({ m, k }) => matmulShapeClass(m, m, k),
    fallback: () => "register",
    time: (rt, shapeClass) => {
      const n = PRODUCT_TUNING_SIZES[shapeClass];
      return timeProducts(
        rt,
        n,
        GRAM_FAMILY.variants,
        (a, c, variant) => dispatchGram(rt, { a, g: c, m: n, k: n, variant }),
      );
    },
  };

/** Every Gram variant, for tests and benchmarks that run them all ("subgroup" only where the device has the feature). */
export const GRAM_VARIANTS: readonly GramVariant[] = variantNames(GRAM_FAMILY);
