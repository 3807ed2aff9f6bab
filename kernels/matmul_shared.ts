/**
 * The workgroup-memory variant of the batched matmul: a 16x16 workgroup computes a 64x64 tile of C, each
 * invocation a 4x4 block, with 64x16 tiles of op(A) and 16x64 tiles of op(B) staged in workgroup memory
 * per step of k (two barriers per step). On GPUs the staged tiles are reused 64 times from on-chip memory;
 * on CPU adapters the barriers cost more than the cache already gives (the register-blocked kernel in
 * matmul.ts wins there), which is what the tuner measures.
 *
 * @module
 */
import type { MatmulKernelOptions } from "./matmul.ts";

/** Rows and columns of C per workgroup. */
export const SHARED_TILE = 64;
/** k-values staged per step. */
export const SHARED_K = 16;
/** Workgroup edge (invocations along x and along y). */
export const SHARED_WORKGROUP = 16;

/**
 * WGSL of the workgroup-memory matmul: the same bindings and semantics as the register-blocked kernel
 * (0 `a`, 1 `b` read as f32; 2 `c` read_write f32), grid ceil(n/64) x ceil(m/64) x batch.
 *
 * @param o Product geometry.
 * @returns Shader source.
 */
export function sharedMatmulSource(o: MatmulKernelOptions): string {
  const { m, n, k } = o;
  const batch = o.batch ?? 1;
  const aStride = o.batchedA === false ? 0 : m * k, bStride = o.batchedB === false ? 0 : k * n;
  const per = SHARED_TILE / SHARED_WORKGROUP; // 4 rows and 4 columns of C per invocation
  const loads = (SHARED_TILE * SHARED_K) / (SHARED_WORKGROUP * SHARED_WORKGROUP); // 4 values of each tile
  const opA = o.transposeA ? "a[a_off + kk * ${M}u + r]" : "a[a_off + r * ${K}u + kk]";
  const opB = o.transposeB ? "b[b_off + cc * ${K}u + kk]" : "b[b_off + kk * ${N}u + cc]";
  const fill = (s: string) =>
    s.replaceAll("${M}", String(m)).replaceAll("${N}", String(n)).replaceAll("${K}", String(k));
  const accs: string[] = [], fmas: string[] = [], stores: string[] = [];
  for (let i = 0; i < per; i++) {
    for (let j = 0; j < per; j++) {
      accs.push(`var acc_${i}_${j} = 0.0;`);
      fmas.push(`acc_${i}_${j} = fma(av_${i}, bv_${j}, acc_${i}_${j});`);
      const row = `row0 + ${i}u * ${SHARED_WORKGROUP}u`, col = `col0 + ${j}u * ${SHARED_WORKGROUP}u`;
      const idx = `c_off + (${row}) * ${n}u + ${col}`;
      stores.push(
        `if (${row} < ${m}u && ${col} < ${n}u) { c[${idx}] = ${o.accumulate ? `c[${idx}] + ` : ""}acc_${i}_${j}; }`,
      );
    }
  }
  return `// matmul (workgroup-memory variant): C[b] = op(A[b]) * op(B[b])${o.accumulate ? " + C[b]" : ""}
// m=${m} n=${n} k=${k} batch=${batch} transposeA=${o.transposeA} transposeB=${o.transposeB}
// bindings: 0 a (read), 1 b (read), 2 c (read_write); workgroup ${SHARED_WORKGROUP}x${SHARED_WORKGROUP}
// grid: ceil(n/${SHARED_TILE}) x ceil(m/${SHARED_TILE}) x batch; tiles of ${SHARED_TILE}x${SHARED_K} and ${SHARED_K}x${SHARED_TILE} in workgroup memory
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
var<workgroup> tileA: array<f32, ${SHARED_TILE * SHARED_K}>;
var<workgroup> tileB: array<f32, ${SHARED_K * SHARED_TILE}>;

@compute @workgroup_size(${SHARED_WORKGROUP}, ${SHARED_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * ${SHARED_WORKGROUP}u + lid.x;
  let tileRow = wid.y * ${SHARED_TILE}u;
  let tileCol = wid.x * ${SHARED_TILE}u;
  // Invocation (x, y) owns rows tileRow + y + 16 i and columns tileCol + x + 16 j (i, j < 4): strided so
  // that neighbouring invocations read neighbouring workgroup-memory words.
  let row0 = tileRow + lid.y;
  let col0 = tileCol + lid.x;
  let a_off = wid.z * ${aStride}u;
  let b_off = wid.z * ${bStride}u;
  let c_off = wid.z * ${m * n}u;
  ${accs.join("\n  ")}
  for (var k0 = 0u; k0 < ${k}u; k0 += ${SHARED_K}u) {
    // Stage op(A)[tileRow.., k0..] as tileA[r * K + kk] and op(B)[k0.., tileCol..] as tileB[kk * T + cc].
    for (var l = 0u; l < ${loads}u; l++) {
      let e = tid + l * ${SHARED_WORKGROUP * SHARED_WORKGROUP}u;
      let ra = e / ${SHARED_K}u; let ka = e % ${SHARED_K}u;
      let r = tileRow + ra; let kk = k0 + ka;
      var va = 0.0;
      if (r < ${m}u && kk < ${k}u) { va = ${fill(opA)}; }
      tileA[e] = va;
      let kb = e / ${SHARED_TILE}u; let cb = e % ${SHARED_TILE}u;
      let cc = tileCol + cb; let kk2 = k0 + kb;
      var vb = 0.0;
      if (cc < ${n}u && kk2 < ${k}u) { vb = ${fill(opB).replace("kk]", "kk2]").replace("kk *", "kk2 *")}; }
      tileB[e] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${SHARED_K}u; kk++) {
      ${
    Array.from(
      { length: per },
      (_, i) => `let av_${i} = tileA[(lid.y + ${i * SHARED_WORKGROUP}u) * ${SHARED_K}u + kk];`,
    ).join("\n      ")
  }
      ${
    Array.from(
      { length: per },
      (_, j) => `let bv_${j} = tileB[kk * ${SHARED_TILE}u + lid.x + ${j * SHARED_WORKGROUP}u];`,
    ).join("\n      ")
  }
      ${fmas.join("\n      ")}
    }
    workgroupBarrier();
  }
  ${stores.join("\n  ")}
}
`;
}
