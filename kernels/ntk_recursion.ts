/**
 * The spatial phase of the infinite-width NNGP/NTK recursion of a convolutional stack, for a batch of
 * example pairs at once: per pair, K(s, s + Δ) and Θ(s, s + Δ) for every position s and every offset
 * |Δ| ≤ r (the offsets the readout can reach), layer by layer. One invocation computes one entry of one
 * pair (or, for the readout, one pair).
 *
 * Entry layout of a stage of height h, width w and radius r: side = 2r + 1, entry
 * e = ((y·w + x)·side + dy + r)·side + dx + r, E = h·w·side² entries per pair. A stage buffer holds K for
 * the batch's B pairs ([B, E]) followed by Θ ([B, E]). Pairs are (i, j) example indices stored as f32.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, LOOP_BUDGET, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup. */
export const NTK_RECURSION_WORKGROUP = 256;

/** A stage's geometry: positions h x w, offsets up to r along each axis. */
export interface Stage {
  /** Height in positions. */
  h: number;
  /** Width in positions. */
  w: number;
  /** Largest offset tracked along each axis. */
  r: number;
}

/** One step of the spatial recursion. */
export type RecursionStep =
  | { kind: "input"; out: Stage; channels: number }
  | {
    kind: "conv";
    in: Stage;
    out: Stage;
    kh: number;
    kw: number;
    stride: number;
    padTop: number;
    padLeft: number;
    /** σ_w²/(kh·kw). */
    w2: number;
    /** σ_b². */
    b2: number;
  }
  | { kind: "activation"; in: Stage; fn: "relu" | "erf" | "identity"; self: boolean }
  | { kind: "pool"; in: Stage; out: Stage; size: number }
  | { kind: "readout"; in: Stage; n: number };

/** Options of one launch: the step and the batch size B the stage buffers are laid out for. */
export type RecursionCall = RecursionStep & { batch: number };

const entries = (s: Stage) => s.h * s.w * (2 * s.r + 1) ** 2;

/**
 * Loop iterations one invocation of a step runs (channels, a filter window, a pooling window squared, or
 * the readout's positions): a step runs on the device only within the loop budget.
 *
 * @param call The step.
 * @returns Iterations per invocation.
 * @example An input step loops over the channels
 * ```ts
 * import assert from "node:assert";
 * import { loopsPerInvocation } from "./ntk_recursion.ts";
 * assert.equal(loopsPerInvocation({ kind: "input", out: { h: 2, w: 2, r: 1 }, channels: 3 }), 3);
 * ```
 */
export function loopsPerInvocation(call: RecursionStep): number {
  switch (call.kind) {
    case "input":
      return call.channels;
    case "conv":
      return call.kh * call.kw;
    case "pool":
      return call.size ** 4;
    case "readout":
      return call.in.h * call.in.w;
    default:
      return 0;
  }
}

/**
 * Whether a step fits the device kernel's per-invocation loop budget (else the host recursion must run).
 *
 * @param step The step.
 * @returns True when it fits.
 * @example Too many channels for one invocation
 * ```ts
 * import assert from "node:assert";
 * import { recursionStepFits } from "./ntk_recursion.ts";
 * const out = { h: 2, w: 2, r: 1 };
 * assert.equal(recursionStepFits({ kind: "input", out, channels: 3 }), true);
 * assert.equal(recursionStepFits({ kind: "input", out, channels: 100000 }), false);
 * ```
 */
export function recursionStepFits(step: RecursionStep): boolean {
  return loopsPerInvocation(step) <= LOOP_BUDGET;
}

/** Invocations of a launch: one per entry of every pair, or one per pair for the readout. */
function invocations(call: RecursionCall): number {
  if (call.kind === "readout") return call.batch;
  return call.batch * entries(call.kind === "activation" ? call.in : call.out);
}

const f32 = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);

/** WGSL that decodes `e` of stage `s` into y, x, dy, dx and tells whether the second position is inside. */
function decode(s: Stage): string {
  const side = 2 * s.r + 1;
  return `let dx = i32(e % ${side}u) - ${s.r};
  let dy = i32((e / ${side}u) % ${side}u) - ${s.r};
  let x = i32((e / ${side * side}u) % ${s.w}u);
  let y = i32(e / ${side * side * s.w}u);
  let inside = y + dy >= 0 && y + dy < ${s.h} && x + dx >= 0 && x + dx < ${s.w};`;
}

/** WGSL expression of the entry index of (y, x, dy, dx) in stage s. */
function at(s: Stage, y: string, x: string, dy: string, dx: string): string {
  const side = 2 * s.r + 1;
  return `(u32((${y}) * ${s.w} + (${x})) * ${side}u + u32((${dy}) + ${s.r})) * ${side}u + u32((${dx}) + ${s.r})`;
}

function body(call: RecursionCall): string {
  switch (call.kind) {
    case "input":
      return inputBody(call);
    case "conv":
      return convBody(call);
    case "activation":
      return activationBody(call);
    case "pool":
      return poolBody(call);
    case "readout":
      return readoutBody(call);
  }
}

function inputBody(call: Extract<RecursionCall, { kind: "input" }>): string {
  const B = call.batch;
  const s = call.out, E = entries(s), c = call.channels;
  return `let p = idx / ${E}u; let e = idx % ${E}u;
${decode(s)}
let i = u32(pairs[2u * p]); let j = u32(pairs[2u * p + 1u]);
var k = 0.0;
if (inside) {
  for (var ch = 0u; ch < ${c}u; ch++) {
    k += src[((i * ${s.h}u + u32(y)) * ${s.w}u + u32(x)) * ${c}u + ch] *
      src[((j * ${s.h}u + u32(y + dy)) * ${s.w}u + u32(x + dx)) * ${c}u + ch];
  }
}
dst[p * ${E}u + e] = k / ${f32(c)};
dst[${B * E}u + p * ${E}u + e] = 0.0;`;
}

function convBody(call: Extract<RecursionCall, { kind: "conv" }>): string {
  const B = call.batch;
  const { in: si, out: so } = call, Ei = entries(si), Eo = entries(so), st = call.stride;
  return `let p = idx / ${Eo}u; let e = idx % ${Eo}u;
${decode(so)}
var sk = 0.0; var sth = 0.0;
if (inside) {
  for (var u = 0; u < ${call.kh}; u++) {
    let iy = y * ${st} - ${call.padTop} + u; let iy2 = iy + dy * ${st};
    if (iy < 0 || iy >= ${si.h} || iy2 < 0 || iy2 >= ${si.h}) { continue; }
    for (var v = 0; v < ${call.kw}; v++) {
      let ix = x * ${st} - ${call.padLeft} + v; let ix2 = ix + dx * ${st};
      if (ix < 0 || ix >= ${si.w} || ix2 < 0 || ix2 >= ${si.w}) { continue; }
      let q = p * ${Ei}u + ${at(si, "iy", "ix", `dy * ${st}`, `dx * ${st}`)};
      sk += src[q]; sth += src[${B * Ei}u + q];
    }
  }
}
let k = select(0.0, ${f32(call.w2)} * sk + ${f32(call.b2)}, inside);
dst[p * ${Eo}u + e] = k;
dst[${B * Eo}u + p * ${Eo}u + e] = select(0.0, k + ${f32(call.w2)} * sth, inside);`;
}

function activationBody(call: Extract<RecursionCall, { kind: "activation" }>): string {
  const B = call.batch;
  const s = call.in, E = entries(s), hw = s.h * s.w;
  const diagOf = call.self
    ? (y: string, x: string) => `src[p * ${E}u + ${at(s, y, x, "0", "0")}]`
    : (y: string, x: string, who: string) => `diag[${who} * ${hw}u + u32((${y}) * ${s.w} + (${x}))]`;
  return `let p = idx / ${E}u; let e = idx % ${E}u;
${decode(s)}
let i = u32(pairs[2u * p]); let j = u32(pairs[2u * p + 1u]);
var e1 = 0.0; var e2 = 0.0;
if (inside) {
  let a = ${diagOf("y", "x", "i")};
  let b = ${diagOf("y + dy", "x + dx", "j")};
  let c = src[p * ${E}u + e];
  ${expectations(call.fn)}
}
${call.self ? `if (inside && dy == 0 && dx == 0) { diag[i * ${hw}u + u32(y * ${s.w} + x)] = src[p * ${E}u + e]; }` : ""}
dst[p * ${E}u + e] = e1;
dst[${B * E}u + p * ${E}u + e] = e2 * src[${B * E}u + p * ${E}u + e];`;
}

function poolBody(call: Extract<RecursionCall, { kind: "pool" }>): string {
  const B = call.batch;
  const { in: si, out: so, size: q } = call, Ei = entries(si), Eo = entries(so);
  return `let p = idx / ${Eo}u; let e = idx % ${Eo}u;
${decode(so)}
var sk = 0.0; var sth = 0.0;
if (inside) {
  for (var a = 0; a < ${q}; a++) { for (var b = 0; b < ${q}; b++) {
    for (var a2 = 0; a2 < ${q}; a2++) { for (var b2 = 0; b2 < ${q}; b2++) {
      let r = p * ${Ei}u + ${at(si, `${q} * y + a`, `${q} * x + b`, `${q} * dy + a2 - a`, `${q} * dx + b2 - b`)};
      sk += src[r]; sth += src[${B * Ei}u + r];
    } }
  } }
}
dst[p * ${Eo}u + e] = sk / ${f32(q ** 4)};
dst[${B * Eo}u + p * ${Eo}u + e] = sth / ${f32(q ** 4)};`;
}

function readoutBody(call: Extract<RecursionCall, { kind: "readout" }>): string {
  const B = call.batch;
  const s = call.in, E = entries(s), n = call.n;
  return `let p = idx;
let i = u32(pairs[2u * p]); let j = u32(pairs[2u * p + 1u]);
var k = 0.0; var t = 0.0;
for (var y = 0; y < ${s.h}; y++) { for (var x = 0; x < ${s.w}; x++) {
  let q = p * ${E}u + ${at(s, "y", "x", "0", "0")};
  k += src[q]; t += src[${B * E}u + q];
} }
k = k / ${f32(s.h * s.w)}; t = t / ${f32(s.h * s.w)};
dst[i * ${n}u + j] = k; dst[j * ${n}u + i] = k;
diag[i * ${n}u + j] = t; diag[j * ${n}u + i] = t;`;
}

/**
 * E[φ(u)φ(v)] (e1) and E[φ'(u)φ'(v)] (e2) for (u, v) ~ N(0, [[a, c], [c, b]]). ReLU's arc-cosine forms
 * take θ = atan2(√((1 − ρ)(1 + ρ)), ρ), which keeps float32 accuracy as ρ → 1 (acos and √(1 − ρ²) lose it).
 */
function expectations(fn: "relu" | "erf" | "identity"): string {
  if (fn === "identity") return "e1 = c; e2 = 1.0;";
  if (fn === "erf") {
    return `let d = (1.0 + 2.0 * a) * (1.0 + 2.0 * b);
    e1 = 0.63661977236758134 * asin(clamp(2.0 * c / sqrt(d), -1.0, 1.0));
    e2 = 1.2732395447351628 / sqrt(max(d - 4.0 * c * c, 1e-30));`;
  }
  return `let norm = sqrt(max(a, 0.0) * max(b, 0.0));
    if (norm > 0.0) {
      let rho = clamp(c / norm, -1.0, 1.0);
      let s = sqrt((1.0 - rho) * (1.0 + rho));
      let theta = atan2(s, rho);
      e1 = norm * 0.15915494309189535 * (s + (3.14159265358979 - theta) * rho);
      e2 = (3.14159265358979 - theta) * 0.15915494309189535;
    } else { e1 = 0.0; e2 = 0.5; }`;
}

function source(call: RecursionCall, [gridX]: Grid): string {
  const diagAccess = call.kind === "activation" && !call.self ? "read" : "read_write";
  return `// ntk recursion: ${call.kind} (batch ${call.batch})
// bindings: 0 pairs (read), 1 src (read), 2 dst (read_write), 3 diag (${diagAccess}), 4 params (uniform: pair count)
@group(0) @binding(0) var<storage, read> pairs: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, ${diagAccess}> diag: array<f32>;
@group(0) @binding(4) var<uniform> params: vec4<u32>;

@compute @workgroup_size(${NTK_RECURSION_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = ${linearInvocationIndex(gridX, NTK_RECURSION_WORKGROUP)};
  // Every binding is referenced (auto layouts drop unused ones); params.y is always 0.
  if (params.y == 1u) { dst[0] = pairs[0] + src[0] + diag[0]; }
  if (idx >= ${invocations(call)}u) { return; }
  let perPair = ${call.kind === "readout" ? 1 : Math.floor(invocations(call) / call.batch)}u;
  if (idx / perPair >= params.x) { return; }
  ${body(call)}
}
`;
}

const kernel = defineKernel<RecursionCall>({
  name: "ntkRecursion",
  validate: (call) => {
    if (!(Number.isInteger(call.batch) && call.batch >= 1)) {
      throw new RangeError(`Cannot run NTK recursion: batch ${call.batch} is not an integer >= 1`);
    }
    // Each invocation loops over channels, a filter window, a pooling window squared, or the readout's
    // positions; past the loop budget lavapipe would stop it silently.
    const loops = loopsPerInvocation(call);
    if (loops > LOOP_BUDGET) {
      throw new RangeError(
        `Cannot run the ${call.kind} step of the infinite-width recursion on the device: ${loops} iterations per ` +
          `invocation exceed ${LOOP_BUDGET}; use infiniteNtk (host) for this network`,
      );
    }
  },
  workgroups: (call) => linearGrid(Math.ceil(invocations(call) / NTK_RECURSION_WORKGROUP)),
  wgsl: source,
});

/**
 * WGSL of one recursion step.
 *
 * @param call The step and the batch size.
 * @returns Shader source.
 * @example The shader of an input step
 * ```ts
 * import assert from "node:assert";
 * import { ntkRecursionWgsl } from "./ntk_recursion.ts";
 * const wgsl = ntkRecursionWgsl({ kind: "input", out: { h: 1, w: 1, r: 0 }, channels: 2, batch: 1 });
 * assert.ok(wgsl.startsWith("// ntk recursion: input (batch 1)"));
 * assert.ok(wgsl.includes("@compute @workgroup_size(256)"));
 * ```
 */
export function ntkRecursionWgsl(call: RecursionCall): string {
  return kernel(call).wgsl;
}

/**
 * Entries per pair of a stage: h·w·(2r + 1)².
 *
 * @example A 2 x 3 stage of radius 1
 * ```ts
 * import assert from "node:assert";
 * import { stageEntries } from "./ntk_recursion.ts";
 * assert.equal(stageEntries({ h: 2, w: 3, r: 1 }), 54);
 * ```
 */
export function stageEntries(s: Stage): number {
  return entries(s);
}

/**
 * Records one recursion step for the first `count` pairs of the batch. `src` is the images (input step)
 * or the previous stage; `dst` the next stage, or for the readout the N x N K matrix, with Θ going to
 * `diag`. `diag` is the per-example diagonal K(s, s) of an activation (written in self mode, read
 * otherwise); steps that use none bind any buffer there.
 *
 * @param rt Runtime to record on.
 * @param call The step, batch size and buffers.
 * @example The input step of one pair of 1 x 1 images
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchNtkRecursion } from "./ntk_recursion.ts";
 * const rt = await initGpu();
 * const [pairs, src, dst, diag] = [2, 4, 2, 1].map((n) => rt.pool.acquire(n * 4));
 * rt.write(pairs, new Float32Array([0, 1])); // the pair (example 0, example 1)
 * rt.write(src, new Float32Array([1, 2, 3, 4])); // two 1 x 1 images of two channels
 * const out = { h: 1, w: 1, r: 0 };
 * dispatchNtkRecursion(rt, { kind: "input", out, channels: 2, batch: 1, count: 1, pairs, src, dst, diag });
 * assert.deepEqual([...await rt.read(dst, 2)], [5.5, 0]); // K = (1 * 3 + 2 * 4) / 2, then Θ = 0
 * [pairs, src, dst, diag].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchNtkRecursion(
  rt: Runtime,
  call: RecursionCall & { count: number; pairs: GPUBuffer; src: GPUBuffer; dst: GPUBuffer; diag: GPUBuffer },
): void {
  const { count, pairs, src, dst, diag, ...options } = call;
  runKernel(rt, kernel(options as RecursionCall), [pairs, src, dst, diag], new Uint32Array([count, 0, 0, 0]));
}
