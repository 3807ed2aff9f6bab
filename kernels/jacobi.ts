/**
 * One-sided (Hestenes) Jacobi rotations for the SVD, on a batch of matrices stored column by column.
 * A sweep is n'-1 dispatches (n' = n rounded up to even), one per round of a round-robin tournament:
 * every round rotates n'/2 disjoint column pairs of every matrix in parallel, and the host drives the
 * sweeps, so no invocation loops long (lavapipe stops loops silently after 65,535 iterations).
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup (each rotates one column pair). */
export const JACOBI_WORKGROUP = 64;

/** Geometry of a batched one-sided Jacobi problem. */
export interface JacobiOptions {
  /** Number of matrices. */
  batch: number;
  /** Columns per matrix. */
  n: number;
  /** Rows that enter the inner products (the matrix rows), a multiple of 4 (pad with zero rows). */
  m: number;
  /** Stored length of each column, a multiple of 4: m, plus V's rows (padded) when V is accumulated. */
  length: number;
  /** Pairs with |a_p·a_q| <= tol·‖a_p‖‖a_q‖ are left alone. */
  tol: number;
}

/**
 * WGSL that sets the players `p`, `q` of pair `k` in round `params.x` of a round-robin over `players`
 * (circle method: the last player is fixed, the others rotate) and returns when either is a bye (>= real).
 *
 * @param players Players (even).
 * @param real Players that exist (the rest are byes).
 * @returns WGSL statements.
 * @example Four players, one of them a bye
 * ```ts
 * import assert from "node:assert";
 * import { roundRobinPair } from "./jacobi.ts";
 * const wgsl = roundRobinPair(4, 3);
 * assert.ok(wgsl.includes("var p = 3u;"));
 * assert.ok(wgsl.includes("if (p >= 3u || q >= 3u) { return; }"));
 * ```
 */
export function roundRobinPair(players: number, real: number): string {
  return `let r = params.x;
  var p = ${players - 1}u;
  var q = r;
  if (k > 0u) {
    p = (r + k) % ${players - 1}u;
    q = (r + ${players - 1}u - k) % ${players - 1}u;
  }
  if (p >= ${real}u || q >= ${real}u) { return; }`;
}

/**
 * Pairs per round for n columns (odd n gets a bye column).
 *
 * @example An odd column count gets a bye
 * ```ts
 * import assert from "node:assert";
 * import { jacobiPairs } from "./jacobi.ts";
 * assert.equal(jacobiPairs(7), 4);
 * assert.equal(jacobiPairs(8), 4);
 * ```
 */
export function jacobiPairs(n: number): number {
  return Math.ceil(n / 2);
}

/**
 * WGSL for one round of rotations.
 *
 * Bindings: 0 `w` (read_write, batch x n x length, column-major per matrix), 1 `status` (read_write
 * atomic<u32> per matrix: max relative off-diagonal seen this sweep, as f32 bits), 2 uniform `round`.
 * Workgroup 64; grid `linearGrid(ceil(batch * pairs / 64))`. One invocation: the pair (p, q) of round
 * `round` of one matrix — compensated sums of a_p², a_q², a_p·a_q over the first m rows, then the
 * rotation of the whole stored columns (matrix and accumulated V). No workgroup memory or barriers:
 * on CPU adapters barriers cost more than the serial loops (measured ~5x on lavapipe).
 *
 * @param options Geometry and tolerance.
 * @returns Shader source.
 * @example The shader of one round
 * ```ts
 * import assert from "node:assert";
 * import { jacobiRotateWgsl } from "./jacobi.ts";
 * const wgsl = jacobiRotateWgsl({ batch: 1, n: 2, m: 4, length: 4, tol: 1e-6 });
 * assert.ok(wgsl.includes(`@compute @workgroup_size(64)`));
 * ```
 */
export function jacobiRotateWgsl(options: JacobiOptions): string {
  return jacobiKernel(options).wgsl;
}

function jacobiSource(options: JacobiOptions, [gridX]: Grid): string {
  const { batch, n, m, length, tol } = options;
  const players = n + (n % 2);
  const pairs = players / 2;
  const total = batch * pairs;
  return `// one-sided Jacobi round: batch=${batch} n=${n} m=${m} length=${length} tol=${tol}
// bindings: 0 w (read_write, column-major), 1 status (atomic max of |a_p.a_q|/(|a_p||a_q|) per matrix), 2 round
// workgroup ${JACOBI_WORKGROUP}; grid linearGrid(${Math.ceil(total / JACOBI_WORKGROUP)}) (x = ${gridX})
// one invocation: one column pair of one matrix (${m / 4} + ${length / 4} loop iterations over vec4)
@group(0) @binding(0) var<storage, read_write> w: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: vec4<u32>;

@compute @workgroup_size(${JACOBI_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = ${linearInvocationIndex(gridX, JACOBI_WORKGROUP)};
  if (t >= ${total}u) { return; }
  let b = t / ${pairs}u;
  let k = t % ${pairs}u;
  ${roundRobinPair(players, n)}
  let base = b * ${(n * length) / 4}u;
  let cp = base + min(p, q) * ${length / 4}u;
  let cq = base + max(p, q) * ${length / 4}u;
  // Compensated (Kahan) sums, four lanes at a time: the inner products decide the rotation.
  var sa = vec4<f32>(0.0); var ca = vec4<f32>(0.0);
  var sb = vec4<f32>(0.0); var cb = vec4<f32>(0.0);
  var sg = vec4<f32>(0.0); var cg = vec4<f32>(0.0);
  for (var i = 0u; i < ${m / 4}u; i++) {
    let x = w[cp + i];
    let y = w[cq + i];
    let y1 = x * x - ca; let t1 = sa + y1; ca = (t1 - sa) - y1; sa = t1;
    let y2 = y * y - cb; let t2 = sb + y2; cb = (t2 - sb) - y2; sb = t2;
    let y3 = x * y - cg; let t3 = sg + y3; cg = (t3 - sg) - y3; sg = t3;
  }
  let alpha = (sa.x + sa.y) + (sa.z + sa.w);
  let beta = (sb.x + sb.y) + (sb.z + sb.w);
  let gamma = (sg.x + sg.y) + (sg.z + sg.w);
  if (gamma == 0.0) { return; }
  let off = abs(gamma) / (sqrt(alpha) * sqrt(beta));
  atomicMax(&status[b], bitcast<u32>(off));
  if (!(off > ${tol.toPrecision(9)})) { return; }
  // Rutishauser's stable rotation that zeroes the (p, q) inner product.
  let zeta = (beta - alpha) / (2.0 * gamma);
  var tn = 1.0;
  if (abs(zeta) > 1e18) { tn = 0.5 / zeta; } else if (zeta != 0.0) { tn = sign(zeta) / (abs(zeta) + sqrt(1.0 + zeta * zeta)); }
  let c = 1.0 / sqrt(1.0 + tn * tn);
  let sn = c * tn;
  for (var i = 0u; i < ${length / 4}u; i++) {
    let x = w[cp + i];
    let y = w[cq + i];
    w[cp + i] = c * x - sn * y;
    w[cq + i] = sn * x + c * y;
  }
}
`;
}

const jacobiKernel = defineKernel<JacobiOptions>({
  name: "jacobi",
  validate: (o) => {
    if (o.m % 4 !== 0 || o.length % 4 !== 0 || o.length < o.m) {
      throw new RangeError(
        `Cannot run Jacobi sweep: rows (${o.m}) and stored length (${o.length}) must be multiples of 4, length >= rows`,
      );
    }
    // One invocation loops m/4 times for the inner products and length/4 times for the rotation.
    if ((o.m + o.length) / 4 > LOOP_BUDGET) {
      throw new RangeError(
        `Cannot run Jacobi sweep: columns of ${o.m} rows (${o.length} stored) exceed the per-invocation loop budget`,
      );
    }
    for (const [name, v] of [["batch", o.batch], ["n", o.n], ["m", o.m]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Cannot run Jacobi sweep: ${name} must be a positive integer (got ${v})`);
      }
    }
  },
  workgroups: (o) => linearGrid(Math.ceil((o.batch * jacobiPairs(o.n)) / JACOBI_WORKGROUP)),
  wgsl: jacobiSource,
});

/**
 * Records one full sweep (all rounds) of rotations.
 *
 * @param rt Runtime to record on.
 * @param call Column buffer `w`, status buffer (one u32 per matrix) and geometry.
 * @throws {RangeError} When a dimension is not a positive integer or the columns exceed the loop budget.
 * @example Two equal columns rotate into one
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchJacobiSweep } from "./jacobi.ts";
 * const rt = await initGpu();
 * const [w, status] = [rt.pool.acquire(32), rt.pool.acquire(4)];
 * rt.write(w, new Float32Array(8).fill(1)); // two columns of four ones
 * rt.write(status, new Uint32Array(1));
 * dispatchJacobiSweep(rt, { batch: 1, n: 2, m: 4, length: 4, tol: 1e-6, w, status });
 * assert.equal((await rt.read(status, 1))[0], 1); // |cos| of the angle between them
 * assert.deepEqual([...await rt.read(w, 4)], [0, 0, 0, 0]); // the rotation folds column 0 into column 1
 * [w, status].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchJacobiSweep(rt: Runtime, call: JacobiOptions & { w: GPUBuffer; status: GPUBuffer }): void {
  const { w, status, ...options } = call;
  const kernel = jacobiKernel(options);
  const players = options.n + (options.n % 2);
  for (let round = 0; round < Math.max(1, players - 1); round++) {
    runKernel(rt, kernel, [w, status], new Uint32Array([round, 0, 0, 0]));
  }
}
