/**
 * The subgroup variant of the batched matmul (devices with the `subgroups` feature): a workgroup of 64
 * computes an 8-row x 256-column tile of C, each invocation an 8 x 4 block. Every invocation of a
 * workgroup shares the same 8 rows, so each subgroup, whichever invocations form it, holds one row block:
 * its lanes read a stretch of op(A)'s rows along k once (lane l the k-value k0 + l, side by side in
 * memory), and pass the values to each other with `subgroupShuffle` instead of every lane reading them,
 * while each lane reads its own four columns of op(B). Nothing is staged in workgroup memory and nothing
 * depends on the subgroup size (4 to 128) or on which invocations form a subgroup.
 *
 * @module
 */
import type { MatmulKernelOptions } from "./_tile.ts";

/** Rows of C per workgroup (and per invocation). */
export const SUBGROUP_ROWS = 8;
/** Columns of C per invocation. */
export const SUBGROUP_COLS = 4;
/** Invocations per workgroup (1-D). */
export const SUBGROUP_WORKGROUP = 64;
/** Columns of C per workgroup. */
export const SUBGROUP_TILE_COLS: number = SUBGROUP_WORKGROUP * SUBGROUP_COLS;

/**
 * WGSL of the subgroup matmul: the same bindings and semantics as the register-blocked kernel (0 `a`,
 * 1 `b` read as f32; 2 `c` read_write f32), workgroup 64, grid ceil(n/256) x ceil(m/8) x batch. An
 * invocation loops k/s + k times for subgroup size s (≤ 1.25·k), so k is capped as for the shared variant.
 *
 * @param o Product geometry.
 * @returns Shader source.
 * @example The subgroup shader
 * ```ts
 * import assert from "node:assert";
 * import { subgroupMatmulSource } from "./matmul_subgroup.ts";
 * const wgsl = subgroupMatmulSource({ m: 8, n: 8, k: 8, transposeA: false, transposeB: false });
 * assert.ok(wgsl.startsWith("enable subgroups;"));
 * assert.ok(wgsl.includes("@compute @workgroup_size(64)"));
 * ```
 */
export function subgroupMatmulSource(o: MatmulKernelOptions): string {
  const { m, n, k } = o;
  const batch = o.batch ?? 1;
  const R = SUBGROUP_ROWS, C = SUBGROUP_COLS;
  const aStride = o.batchedA === false ? 0 : m * k, bStride = o.batchedB === false ? 0 : k * n;
  const opA = (
    row: string,
    kk: string,
  ) => (o.transposeA ? `a[a_off + (${kk}) * ${m}u + ${row}]` : `a[a_off + (${row}) * ${k}u + ${kk}]`);
  const opB = (
    kk: string,
    col: string,
  ) => (o.transposeB ? `b[b_off + (${col}) * ${k}u + ${kk}]` : `b[b_off + (${kk}) * ${n}u + ${col}]`);
  const rows = Array.from({ length: R }, (_, r) => r), cols = Array.from({ length: C }, (_, c) => c);
  const lines: string[] = [];
  for (const r of rows) lines.push(`var a_${r} = 0.0;`);
  for (const r of rows) for (const c of cols) lines.push(`var acc_${r}_${c} = 0.0;`);
  const body = `  for (var k0 = 0u; k0 < ${k}u; k0 += sg_size) {
    // Lane l holds op(A)[row0 + r, k0 + l] (zero past m or k).
    let kl = k0 + sg_lane;
${
    rows.map((r) =>
      `    a_${r} = select(0.0, ${
        opA(`min(row0 + ${r}u, ${m - 1}u)`, `min(kl, ${k - 1}u)`)
      }, row0 + ${r}u < ${m}u && kl < ${k}u);`
    ).join("\n")
  }
    let steps = min(sg_size, ${k}u - k0);
    for (var j = 0u; j < steps; j++) {
      let kk = k0 + j;
${
    cols.map((c) =>
      `      let b_${c} = select(0.0, ${opB("kk", `min(col0 + ${c}u, ${n - 1}u)`)}, col0 + ${c}u < ${n}u);`
    ).join("\n")
  }
${
    rows.map((r) =>
      `      let s_${r} = subgroupShuffle(a_${r}, j);\n${
        cols.map((c) => `      acc_${r}_${c} = fma(s_${r}, b_${c}, acc_${r}_${c});`).join("\n")
      }`
    ).join("\n")
  }
    }
  }`;
  const stores = rows.flatMap((r) =>
    cols.map((c) => {
      const idx = `c_off + (row0 + ${r}u) * ${n}u + col0 + ${c}u`;
      return `  if (row0 + ${r}u < ${m}u && col0 + ${c}u < ${n}u) { c[${idx}] = ${
        o.accumulate ? `c[${idx}] + ` : ""
      }acc_${r}_${c}; }`;
    })
  );
  return `enable subgroups;
// Shuffles under loops bounded by k0 and the subgroup size: uniform across each subgroup, which is all
// subgroupShuffle needs; WGSL's uniformity analysis cannot see that.
diagnostic(off, subgroup_uniformity);
// matmul (subgroup variant): C[b] = op(A[b]) * op(B[b])${o.accumulate ? " + C[b]" : ""}
// m=${m} n=${n} k=${k} batch=${batch} transposeA=${o.transposeA} transposeB=${o.transposeB}
// bindings: 0 a (read), 1 b (read), 2 c (read_write); workgroup ${SUBGROUP_WORKGROUP}
// grid: ceil(n/${SUBGROUP_TILE_COLS}) x ceil(m/${R}) x batch; one invocation: rows 8 wid.y.., columns 256 wid.x + 4 lid..
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(${SUBGROUP_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32) {
  // No early return: every lane takes part in the shuffles; out-of-range rows and columns read zeros.
  let row0 = wid.y * ${R}u;
  let col0 = wid.x * ${SUBGROUP_TILE_COLS}u + lid * ${C}u;
  let a_off = wid.z * ${aStride}u;
  let b_off = wid.z * ${bStride}u;
  let c_off = wid.z * ${m * n}u;
  ${lines.join("\n  ")}
${body}
${stores.join("\n")}
}
`;
}
