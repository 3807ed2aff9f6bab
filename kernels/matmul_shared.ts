/**
 * The workgroup-memory variant of the batched matmul: a 16x16 workgroup computes a 64x64 tile of C, each
 * invocation a 4x4 block, with 64x16 tiles of op(A) and 16x64 tiles of op(B) staged in workgroup memory
 * per step of k (two barriers per step). On GPUs the staged tiles are reused 64 times from on-chip memory;
 * on CPU adapters the barriers cost more than the cache already gives (the register-blocked kernel in
 * matmul.ts wins there), which is what the tuner measures.
 *
 * @module
 */
import type { MatmulKernelOptions } from "./_tile.ts";
import { LOOP_BUDGET } from "./_kernel.ts";
import type { Variant } from "./choose_variant.ts";

/** Rows and columns of C per workgroup. */
export const SHARED_TILE = 64;
/** k-values staged per step. */
export const SHARED_K = 16;
/** Workgroup edge (invocations along x and along y). */
export const SHARED_WORKGROUP = 16;
/** Values of each staged tile one invocation loads per step of k. */
const LOADS_PER_STEP = (SHARED_TILE * SHARED_K) / (SHARED_WORKGROUP * SHARED_WORKGROUP);

/**
 * Largest inner dimension of the workgroup-memory variants (13,104): an invocation loops k/16 steps of 4
 * staging loads and 16 products, 1.25·k iterations, which must stay within the loop budget (lavapipe
 * silently stops longer loops: at k = 65,536 a product of ones came out 58,255).
 */
export const SHARED_MAX_INNER_DIMENSION: number = Math.floor(LOOP_BUDGET / (1 + LOADS_PER_STEP / SHARED_K) / SHARED_K) *
  SHARED_K;

/** Sizes the tiled variants' run tests need: the inner dimension. */
export interface TiledCall {
  /** Inner dimension. */
  k: number;
}

/** Whether a matmul or Gram variant takes inner dimension `k` (the shared and subgroup ones up to the limit). */
function fitsInner(variant: string, k: number): boolean {
  return !((variant === "shared" || variant === "subgroup") && k > SHARED_MAX_INNER_DIMENSION);
}

/** The message for a named variant that cannot take inner dimension `k`. */
function innerRefusal(variant: string, k: number, verb: string): string {
  return `Cannot ${verb}: the ${variant} variant takes inner dimensions up to ${SHARED_MAX_INNER_DIMENSION} (got ${k}); use the register variant`;
}

/**
 * Throws when a named shared or subgroup variant cannot take the inner dimension (the kernels' own check,
 * made before any WGSL is generated; whether the device has subgroups is the chooser's check).
 *
 * @param variant The named variant, if any.
 * @param k Inner dimension.
 * @param verb What the kernel computes, for messages ("multiply matrices").
 * @throws {RangeError} When the variant takes a shorter inner dimension.
 * @example The shared kernel refuses an inner dimension beyond its loop budget
 * ```ts
 * import assert from "node:assert";
 * import { checkInnerDimension, SHARED_MAX_INNER_DIMENSION } from "./matmul_shared.ts";
 * checkInnerDimension("shared", SHARED_MAX_INNER_DIMENSION, "multiply matrices");
 * assert.throws(() => checkInnerDimension("shared", SHARED_MAX_INNER_DIMENSION + 1, "multiply matrices"), RangeError);
 * checkInnerDimension("register", 10 * SHARED_MAX_INNER_DIMENSION, "multiply matrices");
 * ```
 */
export function checkInnerDimension(variant: string | undefined, k: number, verb: string): void {
  if (variant !== undefined && !fitsInner(variant, k)) throw new RangeError(innerRefusal(variant, k, verb));
}

/**
 * The run tests of the register, shared and subgroup variants of a product family (matmul and Gram): the
 * register kernel runs everything; the shared and subgroup ones take k up to
 * {@linkcode SHARED_MAX_INNER_DIMENSION}; the subgroup one needs the device's `subgroups` feature.
 *
 * @param verb What the family computes, for messages.
 * @returns One run test per variant.
 * @example The register kernel runs any product; the subgroup one needs the feature
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { tiledRunTests } from "./matmul_shared.ts";
 * const rt = await initGpu();
 * const tests = tiledRunTests("multiply matrices");
 * assert.equal(tests.register.runs(rt, { k: 1e6 }), true);
 * assert.equal(tests.subgroup.runs(rt, { k: 8 }), rt.subgroups);
 * ```
 */
export function tiledRunTests(verb: string): Record<"register" | "shared" | "subgroup", Variant<TiledCall>> {
  return {
    register: { runs: () => true, refusal: () => "" },
    shared: { runs: (_, { k }) => fitsInner("shared", k), refusal: (_, { k }) => innerRefusal("shared", k, verb) },
    subgroup: {
      subgroups: true,
      runs: (rt, { k }) => fitsInner("subgroup", k) && rt.subgroups,
      refusal: (_, { k }) =>
        fitsInner("subgroup", k)
          ? `Cannot ${verb} with the subgroup variant: the device lacks the "subgroups" feature`
          : innerRefusal("subgroup", k, verb),
    },
  };
}

/**
 * WGSL of the workgroup-memory matmul: the same bindings and semantics as the register-blocked kernel
 * (0 `a`, 1 `b` read as f32; 2 `c` read_write f32), grid ceil(n/64) x ceil(m/64) x batch.
 *
 * @param o Product geometry.
 * @returns Shader source.
 * @example The shared kernel's source stages tiles in workgroup memory
 * ```ts
 * import assert from "node:assert";
 * import { sharedMatmulSource } from "./matmul_shared.ts";
 * const wgsl = sharedMatmulSource({ m: 64, n: 64, k: 32, transposeA: false, transposeB: false });
 * assert.match(wgsl, /var<workgroup>/);
 * assert.match(wgsl, /workgroupBarrier\(\)/);
 * ```
 */
export function sharedMatmulSource(o: MatmulKernelOptions): string {
  const { m, n, k } = o;
  const batch = o.batch ?? 1;
  const aStride = o.batchedA === false ? 0 : m * k, bStride = o.batchedB === false ? 0 : k * n;
  const stores = sharedStores(m, n, (row, col, acc) => {
    const idx = `c_off + (${row}) * ${n}u + ${col}`;
    return `c[${idx}] = ${o.accumulate ? `c[${idx}] + ` : ""}${acc};`;
  });
  return `// matmul (workgroup-memory variant): C[b] = op(A[b]) * op(B[b])${o.accumulate ? " + C[b]" : ""}
// m=${m} n=${n} k=${k} batch=${batch} transposeA=${o.transposeA} transposeB=${o.transposeB}
// bindings: 0 a (read), 1 b (read), 2 c (read_write); workgroup ${SHARED_WORKGROUP}x${SHARED_WORKGROUP}
// grid: ceil(n/${SHARED_TILE}) x ceil(m/${SHARED_TILE}) x batch; tiles of ${SHARED_TILE}x${SHARED_K} and ${SHARED_K}x${SHARED_TILE} in workgroup memory
${SHARED_DECLARATIONS}

@compute @workgroup_size(${SHARED_WORKGROUP}, ${SHARED_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tileRow = wid.y * ${SHARED_TILE}u;
  let tileCol = wid.x * ${SHARED_TILE}u;
  let a_off = wid.z * ${aStride}u;
  let b_off = wid.z * ${bStride}u;
  let c_off = wid.z * ${m * n}u;
${sharedTileProduct(o)}
  ${stores}
}
`;
}

/** Bindings (0 a, 1 b read as f32; 2 c read_write) and the workgroup tiles of the shared variants. */
export const SHARED_DECLARATIONS = `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
var<workgroup> tileA: array<f32, ${SHARED_TILE * SHARED_K}>;
var<workgroup> tileB: array<f32, ${SHARED_K * SHARED_TILE}>;`;

const PER = SHARED_TILE / SHARED_WORKGROUP; // 4 rows and 4 columns of C per invocation

/**
 * WGSL that accumulates `acc_i_j` = C[row0 + 16 i, col0 + 16 j] (i, j < 4) for the 64x64 tile at
 * (tileRow, tileCol), staging op(A) and op(B) through workgroup memory (needs `tileRow`, `tileCol`,
 * `a_off`, `b_off`, `lid` in scope; declares `row0`, `col0`). Every invocation of the workgroup
 * must reach it (it has barriers): no early return before it.
 *
 * @param o Product geometry (sizes and transposes).
 * @returns WGSL statements.
 * @example Sixteen accumulators per invocation
 * ```ts
 * import assert from "node:assert";
 * import { sharedTileProduct } from "./matmul_shared.ts";
 * const body = sharedTileProduct({ m: 64, n: 64, k: 32, transposeA: false, transposeB: true });
 * assert.match(body, /acc_3_3/);
 * assert.doesNotMatch(body, /acc_4_0/);
 * ```
 */
export function sharedTileProduct(
  o: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean },
): string {
  const { m, n, k } = o;
  const loads = (SHARED_TILE * SHARED_K) / (SHARED_WORKGROUP * SHARED_WORKGROUP); // 4 values of each tile
  const opA = o.transposeA ? `a[a_off + kk * ${m}u + r]` : `a[a_off + r * ${k}u + kk]`;
  const opB = o.transposeB ? `b[b_off + cc * ${k}u + kk2]` : `b[b_off + kk2 * ${n}u + cc]`;
  const accs: string[] = [], fmas: string[] = [];
  for (let i = 0; i < PER; i++) {
    for (let j = 0; j < PER; j++) {
      accs.push(`var acc_${i}_${j} = 0.0;`);
      fmas.push(`acc_${i}_${j} = fma(av_${i}, bv_${j}, acc_${i}_${j});`);
    }
  }
  return `  let tid = lid.y * ${SHARED_WORKGROUP}u + lid.x;
  // Invocation (x, y) owns rows tileRow + y + 16 i and columns tileCol + x + 16 j (i, j < 4): strided so
  // that neighbouring invocations read neighbouring workgroup-memory words.
  let row0 = tileRow + lid.y;
  let col0 = tileCol + lid.x;
  ${accs.join("\n  ")}
  for (var k0 = 0u; k0 < ${k}u; k0 += ${SHARED_K}u) {
    // Stage op(A)[tileRow.., k0..] as tileA[r * K + kk] and op(B)[k0.., tileCol..] as tileB[kk * T + cc].
    for (var l = 0u; l < ${loads}u; l++) {
      let e = tid + l * ${SHARED_WORKGROUP * SHARED_WORKGROUP}u;
      let r = tileRow + e / ${SHARED_K}u; let kk = k0 + e % ${SHARED_K}u;
      var va = 0.0;
      if (r < ${m}u && kk < ${k}u) { va = ${opA}; }
      tileA[e] = va;
      let cc = tileCol + e % ${SHARED_TILE}u; let kk2 = k0 + e / ${SHARED_TILE}u;
      var vb = 0.0;
      if (cc < ${n}u && kk2 < ${k}u) { vb = ${opB}; }
      tileB[e] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${SHARED_K}u; kk++) {
      ${
    Array.from(
      { length: PER },
      (_, i) => `let av_${i} = tileA[(lid.y + ${i * SHARED_WORKGROUP}u) * ${SHARED_K}u + kk];`,
    ).join("\n      ")
  }
      ${
    Array.from(
      { length: PER },
      (_, j) => `let bv_${j} = tileB[kk * ${SHARED_TILE}u + lid.x + ${j * SHARED_WORKGROUP}u];`,
    ).join("\n      ")
  }
      ${fmas.join("\n      ")}
    }
    workgroupBarrier();
  }`;
}

/**
 * Bounds-checked stores of every accumulator: `store(row, col, acc)` gives the WGSL of one.
 *
 * @param m Rows of C.
 * @param n Columns of C.
 * @param store The WGSL statement that stores one accumulator.
 * @returns WGSL statements.
 * @example Every accumulator stored behind a bounds check
 * ```ts
 * import assert from "node:assert";
 * import { sharedStores } from "./matmul_shared.ts";
 * const wgsl = sharedStores(100, 70, (row, col, acc) => `c[${row} * 70u + ${col}] = ${acc};`);
 * assert.equal(wgsl.match(/= acc_/g)?.length, 16);
 * assert.match(wgsl, /< 100u/);
 * ```
 */
export function sharedStores(m: number, n: number, store: (row: string, col: string, acc: string) => string): string {
  const out: string[] = [];
  for (let i = 0; i < PER; i++) {
    for (let j = 0; j < PER; j++) {
      const row = `row0 + ${i * SHARED_WORKGROUP}u`, col = `col0 + ${j * SHARED_WORKGROUP}u`;
      out.push(`if (${row} < ${m}u && ${col} < ${n}u) { ${store(row, col, `acc_${i}_${j}`)} }`);
    }
  }
  return out.join("\n  ");
}
