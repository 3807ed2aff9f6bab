/**
 * Block one-sided Jacobi for the SVD, on the same column layout as jacobi.ts (batch x n x length, column
 * by column, V accumulated below the matrix rows). Columns are grouped into blocks of
 * {@linkcode JACOBI_BLOCK}; a sweep is a round-robin tournament over block pairs, and a round is three
 * dispatches for every pair of every matrix at once:
 *
 * 1. `gram`: G = Cᵀ C of the pair's 2b columns C (compensated sums over the matrix rows);
 * 2. `eig`: G diagonalised by cyclic two-sided Jacobi inside one invocation (G and V in private memory,
 *    at most {@linkcode BLOCK_EIG_SWEEPS} sweeps), recording the largest relative off-diagonal |g_pq| /
 *    √(g_pp g_qq) the pair had before;
 * 3. `apply`: C ← C·V for every stored row (matrix and V), four rows per invocation.
 *
 * The O(m·n²) work of a sweep is then block products instead of n − 1 dispatches of vector rotations.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";
import { type JacobiOptions, roundRobinPair } from "./jacobi.ts";

/** Columns per block (a pair of blocks is a 16 x 16 Gram matrix). */
export const JACOBI_BLOCK = 8;
/** Most inner Jacobi sweeps per block pair and round (each within the loop budget). */
export const BLOCK_EIG_SWEEPS = 8;
const B2 = 2 * JACOBI_BLOCK;
const WORKGROUP = 64;

/**
 * Blocks, round-robin players (blocks rounded up to even) and block pairs per round of an n-column problem.
 *
 * @example Twenty columns make three blocks
 * ```ts
 * import assert from "node:assert";
 * import { blockPlan } from "./block_jacobi.ts";
 * assert.deepEqual(blockPlan(20), { blocks: 3, players: 4, pairs: 2 });
 * ```
 */
export function blockPlan(n: number): { blocks: number; players: number; pairs: number } {
  const blocks = Math.ceil(n / JACOBI_BLOCK);
  const players = blocks + (blocks % 2);
  return { blocks, players, pairs: players / 2 };
}

type Step = "gram" | "eig" | "apply";
type BlockCall = JacobiOptions & { step: Step };

/** WGSL that sets the blocks `lo` < `hi` of pair `k` in round `params.x`, returning on a bye. */
function pairOf(players: number, blocks: number): string {
  return `${roundRobinPair(players, blocks)}
  let lo = min(p, q); let hi = max(p, q);`;
}

/** WGSL expression: the global column index of local column c (0..2b-1) of the pair (lo, hi). */
const column = (c: string) =>
  `select(hi * ${JACOBI_BLOCK}u + ${c} - ${JACOBI_BLOCK}u, lo * ${JACOBI_BLOCK}u + ${c}, ${c} < ${JACOBI_BLOCK}u)`;

function source(o: BlockCall, [gridX]: Grid): string {
  const { batch, n, m, length, tol } = o;
  const { blocks, players, pairs } = blockPlan(n);
  const header =
    `// block Jacobi ${o.step}: batch=${batch} n=${n} m=${m} length=${length} tol=${tol} (blocks of ${JACOBI_BLOCK})
@group(0) @binding(0) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(3) var<uniform> params: vec4<u32>;
`;
  // Entry point: every binding referenced (auto layouts drop unused ones; params.y is always 0), then
  // invocation `t` of `total`.
  const entry = (total: number) =>
    `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (params.y == 1u) { w[0] = vec4<f32>(scratch[0]); atomicMax(&status[0], 0u); }
  let t = ${linearInvocationIndex(gridX, WORKGROUP)};
  if (t >= ${total}u) { return; }`;
  if (o.step === "gram") {
    // One invocation per (matrix, pair, i <= j): 136 entries per pair.
    const entries = (B2 * (B2 + 1)) / 2, total = batch * pairs * entries;
    return `${header}
${entry(total)}
  let e = t % ${entries}u; let bk = t / ${entries}u; let k = bk % ${pairs}u; let b = bk / ${pairs}u;
  ${pairOf(players, blocks)}
  // Entry e of the upper triangle, row-major: (i, j) with i <= j.
  var i = 0u; var rest = e;
  loop { if (rest < ${B2}u - i) { break; } rest -= ${B2}u - i; i++; }
  let j = i + rest;
  let gi = ${column("i")}; let gj = ${column("j")};
  var g = 0.0;
  if (gi < ${n}u && gj < ${n}u) {
    let ci = (b * ${n}u + gi) * ${length / 4}u; let cj = (b * ${n}u + gj) * ${length / 4}u;
    var s = vec4<f32>(0.0); var c = vec4<f32>(0.0);
    for (var x = 0u; x < ${m / 4}u; x++) {
      let y = w[ci + x] * w[cj + x] - c; let t2 = s + y; c = (t2 - s) - y; s = t2;
    }
    g = (s.x + s.y) + (s.z + s.w);
  }
  let base = bk * ${B2 * B2}u;
  scratch[base + i * ${B2}u + j] = g;
  scratch[base + j * ${B2}u + i] = g;
}
`;
  }
  if (o.step === "eig") {
    const total = batch * pairs;
    return `${header}
${entry(total)}
  let bk = t;
  let k = bk % ${pairs}u; let b = bk / ${pairs}u;
  ${pairOf(players, blocks)}
  let base = bk * ${B2 * B2}u;
  var g: array<f32, ${B2 * B2}>;
  var v: array<f32, ${B2 * B2}>;
  for (var x = 0u; x < ${B2 * B2}u; x++) { g[x] = scratch[base + x]; v[x] = select(0.0, 1.0, x % ${B2 + 1}u == 0u); }
  // The pair's largest relative inner product before this round (the sweep's convergence measure).
  var off = 0.0;
  for (var i = 0u; i < ${B2}u; i++) {
    for (var j = i + 1u; j < ${B2}u; j++) {
      let d = g[i * ${B2}u + i] * g[j * ${B2}u + j];
      if (d > 0.0) { off = max(off, abs(g[i * ${B2}u + j]) / sqrt(d)); }
    }
  }
  atomicMax(&status[b], bitcast<u32>(off));
  for (var sweep = 0u; sweep < ${BLOCK_EIG_SWEEPS}u; sweep++) {
    var rotated = false;
    for (var i = 0u; i < ${B2 - 1}u; i++) {
      for (var j = i + 1u; j < ${B2}u; j++) {
        let gij = g[i * ${B2}u + j];
        let gii = g[i * ${B2}u + i]; let gjj = g[j * ${B2}u + j];
        if (gij == 0.0 || !(abs(gij) > ${tol.toPrecision(9)} * sqrt(gii * gjj))) { continue; }
        rotated = true;
        // Rutishauser's rotation zeroing g_ij (the same as the scalar kernel's on columns i, j).
        let zeta = (gjj - gii) / (2.0 * gij);
        var tn = 1.0;
        if (abs(zeta) > 1e18) { tn = 0.5 / zeta; } else if (zeta != 0.0) { tn = sign(zeta) / (abs(zeta) + sqrt(1.0 + zeta * zeta)); }
        let c = 1.0 / sqrt(1.0 + tn * tn);
        let s = c * tn;
        for (var x = 0u; x < ${B2}u; x++) {
          let a = g[x * ${B2}u + i]; let d = g[x * ${B2}u + j];
          g[x * ${B2}u + i] = c * a - s * d; g[x * ${B2}u + j] = s * a + c * d;
        }
        for (var x = 0u; x < ${B2}u; x++) {
          let a = g[i * ${B2}u + x]; let d = g[j * ${B2}u + x];
          g[i * ${B2}u + x] = c * a - s * d; g[j * ${B2}u + x] = s * a + c * d;
          let va = v[x * ${B2}u + i]; let vd = v[x * ${B2}u + j];
          v[x * ${B2}u + i] = c * va - s * vd; v[x * ${B2}u + j] = s * va + c * vd;
        }
      }
    }
    if (!rotated) { break; }
  }
  for (var x = 0u; x < ${B2 * B2}u; x++) { scratch[base + x] = v[x]; }
}
`;
  }
  // apply: one invocation per (matrix, pair, four stored rows).
  const quads = length / 4, total = batch * pairs * quads;
  return `${header}
${entry(total)}
  let x = t % ${quads}u; let bk = t / ${quads}u; let k = bk % ${pairs}u; let b = bk / ${pairs}u;
  ${pairOf(players, blocks)}
  let base = bk * ${B2 * B2}u;
  var old: array<vec4<f32>, ${B2}>;
  for (var c = 0u; c < ${B2}u; c++) {
    let gc = ${column("c")};
    old[c] = select(vec4<f32>(0.0), w[(b * ${n}u + min(gc, ${n - 1}u)) * ${quads}u + x], gc < ${n}u);
  }
  for (var c = 0u; c < ${B2}u; c++) {
    let gc = ${column("c")};
    if (gc >= ${n}u) { continue; }
    var acc = vec4<f32>(0.0);
    for (var d = 0u; d < ${B2}u; d++) { acc = fma(old[d], vec4<f32>(scratch[base + d * ${B2}u + c]), acc); }
    w[(b * ${n}u + gc) * ${quads}u + x] = acc;
  }
}
`;
}

const kernel = defineKernel<BlockCall>({
  name: "blockJacobi",
  validate: (o) => {
    if (o.m % 4 !== 0 || o.length % 4 !== 0 || o.length < o.m || o.m / 4 > LOOP_BUDGET) {
      throw new RangeError(
        `Cannot run block Jacobi: rows ${o.m} and length ${o.length} must be multiples of 4 in budget`,
      );
    }
  },
  workgroups: (o) => {
    const { pairs } = blockPlan(o.n);
    const per = o.step === "gram" ? (B2 * (B2 + 1)) / 2 : o.step === "eig" ? 1 : o.length / 4;
    return linearGrid(Math.ceil((o.batch * pairs * per) / WORKGROUP));
  },
  wgsl: source,
});

/**
 * WGSL of one step of a block-Jacobi round.
 *
 * @param options Geometry, tolerance and the step.
 * @returns Shader source.
 * @example The shader of the eig step
 * ```ts
 * import assert from "node:assert";
 * import { blockJacobiWgsl } from "./block_jacobi.ts";
 * const wgsl = blockJacobiWgsl({ batch: 1, n: 16, m: 4, length: 4, tol: 1e-6, step: "eig" });
 * assert.ok(wgsl.includes("@compute @workgroup_size(64)"));
 * ```
 */
export function blockJacobiWgsl(options: JacobiOptions & { step: "gram" | "eig" | "apply" }): string {
  return kernel(options).wgsl;
}

/**
 * Records one full sweep of block rotations: every round's three steps. `scratch` holds 256 floats per
 * block pair of every matrix (G, then V).
 *
 * @param rt Runtime to record on.
 * @param call Columns `w`, `status` (one u32 per matrix, the atomic max relative off-diagonal), `scratch`
 *   (batch · pairs · 256 floats) and the geometry.
 * @example Two equal columns are found parallel
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchBlockJacobiSweep } from "./block_jacobi.ts";
 * const rt = await initGpu();
 * const [w, status, scratch] = [64, 1, 256].map((n) => rt.pool.acquire(n * 4));
 * rt.write(w, new Float32Array(64).fill(1, 0, 8)); // 16 columns of 4 rows: columns 0 and 1 all ones
 * rt.write(status, new Uint32Array(1));
 * dispatchBlockJacobiSweep(rt, { batch: 1, n: 16, m: 4, length: 4, tol: 1e-6, w, status, scratch });
 * assert.equal((await rt.read(status, 1))[0], 1); // |cos| of the angle between columns 0 and 1
 * [w, status, scratch].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchBlockJacobiSweep(
  rt: Runtime,
  call: JacobiOptions & { w: GPUBuffer; status: GPUBuffer; scratch: GPUBuffer },
): void {
  const { w, status, scratch, ...options } = call;
  const { players } = blockPlan(options.n);
  const steps = (["gram", "eig", "apply"] as const).map((step) => kernel({ ...options, step }));
  for (let round = 0; round < Math.max(1, players - 1); round++) {
    const uniforms = new Uint32Array([round, 0, 0, 0]);
    for (const k of steps) runKernel(rt, k, [w, status, scratch], uniforms);
  }
}
