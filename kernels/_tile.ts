/**
 * Shared WGSL generator for register-blocked products C = op(A)·op(B), used by the matmul and Gram
 * kernel families. One invocation accumulates a TILE_ROWS x TILE_COLS block of C in vec4 registers,
 * reading op(A) and op(B) four k-values at a time (as vec4 where the layout allows, otherwise as
 * bounds-checked scalars). No workgroup memory: on CPU adapters it only adds barriers, and on GPUs
 * neighbouring invocations share the same cache lines. The products' geometry types (`TileProduct`,
 * `MatmulKernelOptions`, `MatmulVariant`) live here, with the generator every variant builds on.
 *
 * @module
 */

/** Rows of C per invocation (8x8 blocks measured fastest on lavapipe: ~2-3x 4x4 blocks). */
export const TILE_ROWS = 8;
/** Columns of C per invocation (a multiple of 4). */
export const TILE_COLS = 8;
/** Workgroup size along x (columns). */
export const WORKGROUP_X = 16;
/** Workgroup size along y (rows). */
export const WORKGROUP_Y = 8;

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

type Layout = "vec4" | "scalar";

/** How op(A) is read: vec4 along k (A row-major m x k, k % 4 == 0) or vec4 along m (A stored k x m). */
export function layoutA(p: TileProduct): Layout {
  return (!p.transposeA && p.k % 4 === 0) || (p.transposeA && p.m % 4 === 0) ? "vec4" : "scalar";
}

/** How op(B) is read: vec4 along n (B row-major k x n) or vec4 along k (B stored n x k). */
export function layoutB(p: TileProduct): Layout {
  return (!p.transposeB && p.n % 4 === 0) || (p.transposeB && p.k % 4 === 0) ? "vec4" : "scalar";
}

/** WGSL type of an operand binding for a layout. */
export function elementType(layout: Layout): string {
  return layout === "vec4" ? "vec4<f32>" : "f32";
}

const COMP = ["x", "y", "z", "w"];

/**
 * WGSL statements that accumulate `acc_r_c` (vec4 over columns 4c..4c+3 of row r of the block) for the
 * block at rows `row`..`row+TILE_ROWS-1`, columns `col`..`col+TILE_COLS-1` (u32 variables that must be in
 * scope, with `a_off`/`b_off` the operand offsets in elements of their bindings `a` and `b`).
 *
 * @param p Product geometry.
 * @returns Declarations of the accumulators followed by the k loop.
 */
export function accumulateBlock(p: TileProduct): string {
  const { k } = p;
  const k4 = Math.ceil(k / 4);
  const la = layoutA(p), lb = layoutB(p);
  const lines: string[] = [];
  for (let r = 0; r < TILE_ROWS; r++) {
    for (let c = 0; c < TILE_COLS / 4; c++) lines.push(`var acc_${r}_${c} = vec4<f32>(0.0);`);
  }
  lines.push(`for (var k4 = 0u; k4 < ${k4}u; k4++) {`);
  // Zero contributions past k so that a ragged last step is exact.
  const kTail = k % 4 !== 0;
  const aval = loadA(p, la, kTail, lines);
  const bvec = loadB(p, lb, kTail, lines);
  for (let j = 0; j < 4; j++) {
    for (let r = 0; r < TILE_ROWS; r++) {
      for (let c = 0; c < TILE_COLS / 4; c++) {
        lines.push(`  acc_${r}_${c} = fma(vec4<f32>(${aval[r][j]}), ${bvec[j][c]}, acc_${r}_${c});`);
      }
    }
  }
  lines.push("}");
  return lines.map((l) => "  " + l).join("\n");
}

/** Emits the loads of op(A) for one k4 step; returns aval[r][j] = op(A)[row + r, 4 k4 + j]. */
function loadA(p: TileProduct, layout: Layout, kTail: boolean, lines: string[]): string[][] {
  const { m, k } = p;
  // aval(r, j): op(A)[row + r, 4 k4 + j]
  const aval: string[][] = [];
  if (layout === "vec4" && !p.transposeA) {
    for (let r = 0; r < TILE_ROWS; r++) {
      lines.push(`  let a_${r} = a[a_off + min(row + ${r}u, ${m - 1}u) * ${k / 4}u + k4];`);
      aval.push(COMP.map((cc) => `a_${r}.${cc}`));
    }
  } else if (layout === "vec4") {
    // A stored k x m: a vec4 holds four consecutive rows of op(A) at one k.
    for (let j = 0; j < 4; j++) {
      for (let g = 0; g < TILE_ROWS / 4; g++) {
        const kk = `(k4 * 4u + ${j}u)`;
        const load = `a[a_off + min(${kk}, ${k - 1}u) * ${m / 4}u + min(row / 4u + ${g}u, ${m / 4 - 1}u)]`;
        lines.push(`  let a_${j}_${g} = ${kTail ? `select(vec4<f32>(0.0), ${load}, ${kk} < ${k}u)` : load};`);
      }
    }
    for (let r = 0; r < TILE_ROWS; r++) {
      aval.push([0, 1, 2, 3].map((j) => `a_${j}_${r >> 2}.${COMP[r & 3]}`));
    }
  } else {
    for (let r = 0; r < TILE_ROWS; r++) {
      const rowIdx = `min(row + ${r}u, ${m - 1}u)`;
      const vals: string[] = [];
      for (let j = 0; j < 4; j++) {
        const kk = `(k4 * 4u + ${j}u)`;
        const idx = p.transposeA
          ? `min(${kk}, ${k - 1}u) * ${m}u + ${rowIdx}`
          : `${rowIdx} * ${k}u + min(${kk}, ${k - 1}u)`;
        const load = `a[a_off + ${idx}]`;
        lines.push(`  let a_${r}_${j} = ${kTail ? `select(0.0, ${load}, ${kk} < ${k}u)` : load};`);
        vals.push(`a_${r}_${j}`);
      }
      aval.push(vals);
    }
  }
  return aval;
}

/** Emits the loads of op(B) for one k4 step; returns bvec[j][c] = op(B)[4 k4 + j, col + 4c .. + 3] as a vec4. */
function loadB(p: TileProduct, layout: Layout, kTail: boolean, lines: string[]): string[][] {
  const { n, k } = p;
  // bvec(j, c): op(B)[4 k4 + j, col + 4c .. col + 4c + 3] as a vec4
  const bvec: string[][] = [];
  if (layout === "vec4" && !p.transposeB) {
    for (let j = 0; j < 4; j++) {
      const row: string[] = [];
      for (let c = 0; c < TILE_COLS / 4; c++) {
        const kk = `(k4 * 4u + ${j}u)`;
        const load = `b[b_off + min(${kk}, ${k - 1}u) * ${n / 4}u + min(col / 4u + ${c}u, ${n / 4 - 1}u)]`;
        lines.push(`  let b_${j}_${c} = ${kTail ? `select(vec4<f32>(0.0), ${load}, ${kk} < ${k}u)` : load};`);
        row.push(`b_${j}_${c}`);
      }
      bvec.push(row);
    }
  } else if (layout === "vec4") {
    // B stored n x k: a vec4 holds four consecutive k of one column of op(B).
    for (let q = 0; q < TILE_COLS; q++) {
      lines.push(`  let bt_${q} = b[b_off + min(col + ${q}u, ${n - 1}u) * ${k / 4}u + k4];`);
    }
    for (let j = 0; j < 4; j++) {
      const row: string[] = [];
      for (let c = 0; c < TILE_COLS / 4; c++) {
        const parts = [0, 1, 2, 3].map((q) => `bt_${4 * c + q}.${COMP[j]}`).join(", ");
        row.push(`vec4<f32>(${parts})`);
      }
      bvec.push(row);
    }
  } else {
    for (let j = 0; j < 4; j++) {
      const kk = `(k4 * 4u + ${j}u)`;
      const kc = `min(${kk}, ${k - 1}u)`;
      const row: string[] = [];
      for (let c = 0; c < TILE_COLS / 4; c++) {
        const parts = [0, 1, 2, 3].map((q) => {
          const cc = `min(col + ${4 * c + q}u, ${n - 1}u)`;
          return `b[b_off + ${p.transposeB ? `${cc} * ${k}u + ${kc}` : `${kc} * ${n}u + ${cc}`}]`;
        });
        const load = `vec4<f32>(${parts.join(", ")})`;
        lines.push(`  let b_${j}_${c} = ${kTail ? `select(vec4<f32>(0.0), ${load}, ${kk} < ${k}u)` : load};`);
        row.push(`b_${j}_${c}`);
      }
      bvec.push(row);
    }
  }
  return bvec;
}
