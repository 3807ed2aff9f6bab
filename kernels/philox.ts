/**
 * Counter-based random numbers (Philox4x32-10, Salmon et al. 2011) generated on the GPU: uniform in
 * (0, 1) and normal by Box–Muller. Element e of a stream with seed s is a pure function of (s, stream, e),
 * so results do not depend on the adapter, the dispatch size or what else ran before.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup; each invocation produces four values. */
export const PHILOX_WORKGROUP = 64;

/** Distribution of generated values. */
export type RandomDistribution = "uniform" | "normal";

/** A random fill. */
export interface PhiloxOptions {
  /** Number of values. */
  size: number;
  /** Distribution: uniform in (0, 1) or standard normal. */
  distribution: RandomDistribution;
  /** Values are `offset + scale * z`. */
  scale?: number;
  /** Added after scaling. */
  offset?: number;
}

/** WGSL implementation of Philox4x32-10 (`philox(counter, key) -> vec4<u32>`). */
export const PHILOX_WGSL = `
// 32x32 -> 64-bit product as (hi, lo) with 16-bit limbs: WGSL has no u64.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu; let a_hi = a >> 16u;
  let b_lo = b & 0xffffu; let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo; let hi_lo = a_hi * b_lo; let lo_hi = a_lo * b_hi; let hi_hi = a_hi * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + lo_hi;
  return vec2<u32>(hi_hi + (hi_lo >> 16u) + (cross >> 16u), (cross << 16u) | (lo_lo & 0xffffu));
}
fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
// 24 random bits -> (0, 1), never 0 (safe for log) and never 1.
fn to_unit(v: u32) -> f32 { return (f32(v >> 8u) + 0.5) * 5.9604644775390625e-8; }
`;

/**
 * WGSL for a random fill.
 *
 * Bindings: 0 `y` (read_write), 1 uniform `params` (seed lo, seed hi, stream, unused).
 * Workgroup 64; grid `linearGrid(ceil(size / 256))`. One invocation: counter (i, stream, 0, 0) →
 * values 4i..4i+3 (normals in Box–Muller pairs from (u0, u1) and (u2, u3)).
 *
 * @param options Size and distribution.
 * @returns Shader source.
 * @example The shader of a uniform fill
 * ```ts
 * import assert from "node:assert";
 * import { philoxWgsl } from "./philox.ts";
 * const wgsl = philoxWgsl({ size: 8, distribution: "uniform" });
 * assert.ok(wgsl.includes("fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>"));
 * assert.ok(wgsl.includes("@compute @workgroup_size(64)"));
 * ```
 */
export function philoxWgsl(options: PhiloxOptions): string {
  return philoxKernel(options).wgsl;
}

function philoxSource(options: PhiloxOptions, [gridX]: Grid): string {
  const groups = Math.ceil(options.size / 4);
  const scale = (options.scale ?? 1).toPrecision(9), offset = (options.offset ?? 0).toPrecision(9);
  const values = options.distribution === "uniform"
    ? "vec4<f32>(to_unit(bits.x), to_unit(bits.y), to_unit(bits.z), to_unit(bits.w))"
    : `box_muller(bits)`;
  return `// philox ${options.distribution}: ${options.size} values, y = ${offset} + ${scale} * z
// bindings: 0 y (read_write), 1 params (uniform: seed_lo, seed_hi, stream, 0); workgroup ${PHILOX_WORKGROUP}
// grid: linearGrid(${Math.ceil(groups / PHILOX_WORKGROUP)}) (x = ${gridX}); one invocation: four values
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> params: vec4<u32>;
${PHILOX_WGSL}
fn box_muller(bits: vec4<u32>) -> vec4<f32> {
  let r0 = sqrt(-2.0 * log(to_unit(bits.x)));
  let t0 = 6.283185307179586 * to_unit(bits.y);
  let r1 = sqrt(-2.0 * log(to_unit(bits.z)));
  let t1 = 6.283185307179586 * to_unit(bits.w);
  return vec4<f32>(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
}
@compute @workgroup_size(${PHILOX_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = ${linearInvocationIndex(gridX, PHILOX_WORKGROUP)};
  if (g >= ${groups}u) { return; }
  let bits = philox(vec4<u32>(g, params.z, 0u, 0u), params.xy);
  let v = ${offset} + ${scale} * ${values};
  for (var q = 0u; q < 4u; q++) {
    if (4u * g + q < ${options.size}u) { y[4u * g + q] = v[q]; }
  }
}
`;
}

const philoxKernel = defineKernel<PhiloxOptions>({
  name: "philox",
  validate: (o) => {
    if (!Number.isInteger(o.size) || o.size < 1) {
      throw new RangeError(`Cannot generate random values: size must be a positive integer (got ${o.size})`);
    }
    if (!Number.isFinite(o.scale ?? 1) || !Number.isFinite(o.offset ?? 0)) {
      throw new RangeError(
        `Cannot generate random values: scale and offset must be finite (got ${o.scale}, ${o.offset})`,
      );
    }
  },
  workgroups: ({ size }) => linearGrid(Math.ceil(Math.ceil(size / 4) / PHILOX_WORKGROUP)),
  wgsl: philoxSource,
});

/**
 * Records a random fill of `y`.
 *
 * @param rt Runtime to record on.
 * @param call Output buffer, size, distribution and the 64-bit seed as two u32 words plus a stream id.
 * @throws {RangeError} When size is not a positive integer or seed words are not u32.
 * @example The same seed gives the same values
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchPhilox } from "./philox.ts";
 * const rt = await initGpu();
 * const y = rt.pool.acquire(16);
 * dispatchPhilox(rt, { y, size: 4, distribution: "uniform", seed: [1, 2] });
 * const first = await rt.read(y, 4);
 * assert.ok(first.every((v) => v > 0 && v < 1));
 * dispatchPhilox(rt, { y, size: 4, distribution: "uniform", seed: [1, 2] });
 * assert.deepEqual(await rt.read(y, 4), first);
 * rt.pool.release(y);
 * ```
 */
export function dispatchPhilox(
  rt: Runtime,
  call: PhiloxOptions & { y: GPUBuffer; seed: readonly [number, number]; stream?: number },
): void {
  const { y, seed, stream, ...options } = call;
  const words = [seed[0], seed[1], stream ?? 0];
  for (const w of words) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      throw new RangeError(`Cannot generate random values: seed words must be u32 (got ${words.join(", ")})`);
    }
  }
  runKernel(rt, philoxKernel(options), [y], new Uint32Array([...words, 0]));
}
