/**
 * im2col and its adjoint col2im for NHWC convolutions: a convolution becomes one matmul of the patch
 * matrix [N·OH·OW, KH·KW·C] with the filters [KH·KW·C, F].
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup. */
export const IM2COL_WORKGROUP = 256;

/** Geometry of a 2-D sliding window over an NHWC tensor. */
export interface WindowGeometry {
  /** Batch size. */
  n: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Channels. */
  c: number;
  /** Window height. */
  kh: number;
  /** Window width. */
  kw: number;
  /** Vertical stride. */
  strideH: number;
  /** Horizontal stride. */
  strideW: number;
  /** Zero rows added above the input. */
  padTop: number;
  /** Zero columns added left of the input. */
  padLeft: number;
  /** Output height. */
  oh: number;
  /** Output width. */
  ow: number;
}

const header = (g: WindowGeometry) =>
  `n=${g.n} h=${g.h} w=${g.w} c=${g.c} window ${g.kh}x${g.kw} stride ${g.strideH}x${g.strideW} pad ${g.padTop},${g.padLeft} out ${g.oh}x${g.ow}`;

/**
 * WGSL for im2col.
 *
 * Bindings: 0 `x` (read, NHWC), 1 `cols` (read_write, [n·oh·ow, kh·kw·c]). Workgroup 256; grid
 * `linearGrid(ceil(size/256))`. One invocation: one patch entry (zero where the window leaves the input).
 *
 * @param g Window geometry.
 * @returns Shader source.
 * @example The shader of a 1 x 2 window
 * ```ts
 * import assert from "node:assert";
 * import { im2colWgsl } from "./im2col.ts";
 * const g = { n: 1, h: 1, w: 3, c: 1, kh: 1, kw: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, oh: 1, ow: 2 };
 * assert.ok(im2colWgsl(g).includes("@compute @workgroup_size(256)"));
 * ```
 */
export function im2colWgsl(g: WindowGeometry): string {
  return im2colKernel(g).wgsl;
}

function im2colSource(g: WindowGeometry, [gridX]: Grid): string {
  const size = g.n * g.oh * g.ow * g.kh * g.kw * g.c;
  return `// im2col: ${header(g)}
// bindings: 0 x (read), 1 cols (read_write); workgroup ${IM2COL_WORKGROUP}; grid linearGrid (x = ${gridX})
// one invocation: cols[(b, oy, ox), (ky, kx, ch)] = x[b, oy*sh + ky - pt, ox*sw + kx - pl, ch] or 0
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(${IM2COL_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = ${linearInvocationIndex(gridX, IM2COL_WORKGROUP)};
  if (idx >= ${size}u) { return; }
  let ch = idx % ${g.c}u;
  var rest = idx / ${g.c}u;
  let kx = rest % ${g.kw}u; rest = rest / ${g.kw}u;
  let ky = rest % ${g.kh}u; rest = rest / ${g.kh}u;
  let ox = rest % ${g.ow}u; rest = rest / ${g.ow}u;
  let oy = rest % ${g.oh}u;
  let b = rest / ${g.oh}u;
  let iy = i32(oy * ${g.strideH}u + ky) - ${g.padTop};
  let ix = i32(ox * ${g.strideW}u + kx) - ${g.padLeft};
  var v = 0.0;
  if (iy >= 0 && iy < ${g.h} && ix >= 0 && ix < ${g.w}) {
    v = x[((b * ${g.h}u + u32(iy)) * ${g.w}u + u32(ix)) * ${g.c}u + ch];
  }
  cols[idx] = v;
}
`;
}

/**
 * WGSL for col2im, the adjoint of im2col (sums every patch entry back onto its input pixel).
 *
 * Bindings: 0 `cols` (read), 1 `x` (read_write, NHWC). Workgroup 256; grid `linearGrid(ceil(size/256))`.
 * One invocation: one input element, gathering over the kh·kw window offsets that can reach it.
 *
 * @param g Window geometry.
 * @returns Shader source.
 * @example The adjoint shader of a 1 x 2 window
 * ```ts
 * import assert from "node:assert";
 * import { col2imWgsl } from "./im2col.ts";
 * const g = { n: 1, h: 1, w: 3, c: 1, kh: 1, kw: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, oh: 1, ow: 2 };
 * assert.ok(col2imWgsl(g).startsWith("// col2im:"));
 * ```
 */
export function col2imWgsl(g: WindowGeometry): string {
  return col2imKernel(g).wgsl;
}

function col2imSource(g: WindowGeometry, [gridX]: Grid): string {
  const size = g.n * g.h * g.w * g.c;
  return `// col2im: ${header(g)}
// bindings: 0 cols (read), 1 x (read_write); workgroup ${IM2COL_WORKGROUP}; grid linearGrid (x = ${gridX})
// one invocation: x[b, iy, ix, ch] = sum over (ky, kx) with oy = (iy + pt - ky) / sh integral and in range
@group(0) @binding(0) var<storage, read> cols: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(${IM2COL_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = ${linearInvocationIndex(gridX, IM2COL_WORKGROUP)};
  if (idx >= ${size}u) { return; }
  let ch = idx % ${g.c}u;
  var rest = idx / ${g.c}u;
  let ix = i32(rest % ${g.w}u); rest = rest / ${g.w}u;
  let iy = i32(rest % ${g.h}u);
  let b = rest / ${g.h}u;
  var total = 0.0;
  for (var ky = 0; ky < ${g.kh}; ky++) {
    let ty = iy + ${g.padTop} - ky;
    if (ty < 0 || ty % ${g.strideH} != 0 || ty / ${g.strideH} >= ${g.oh}) { continue; }
    for (var kx = 0; kx < ${g.kw}; kx++) {
      let tx = ix + ${g.padLeft} - kx;
      if (tx < 0 || tx % ${g.strideW} != 0 || tx / ${g.strideW} >= ${g.ow}) { continue; }
      let row = (b * ${g.oh}u + u32(ty / ${g.strideH})) * ${g.ow}u + u32(tx / ${g.strideW});
      total += cols[row * ${g.kh * g.kw * g.c}u + (u32(ky) * ${g.kw}u + u32(kx)) * ${g.c}u + ch];
    }
  }
  x[idx] = total;
}
`;
}

const im2colKernel = defineKernel<WindowGeometry>({
  name: "im2col",
  workgroups: (g) => linearGrid(Math.ceil((g.n * g.oh * g.ow * g.kh * g.kw * g.c) / IM2COL_WORKGROUP)),
  wgsl: im2colSource,
});

const col2imKernel = defineKernel<WindowGeometry>({
  name: "col2im",
  workgroups: (g) => linearGrid(Math.ceil((g.n * g.h * g.w * g.c) / IM2COL_WORKGROUP)),
  wgsl: col2imSource,
});

/**
 * Records im2col (`forward`) or col2im (`adjoint`).
 *
 * @param rt Runtime to record on.
 * @param call Direction, buffers and geometry.
 * @example Patches of a 1 x 2 window on a row of three pixels
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchIm2col } from "./im2col.ts";
 * const rt = await initGpu();
 * const [x, cols] = [rt.pool.acquire(12), rt.pool.acquire(16)];
 * rt.write(x, new Float32Array([1, 2, 3]));
 * const g = { n: 1, h: 1, w: 3, c: 1, kh: 1, kw: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, oh: 1, ow: 2 };
 * dispatchIm2col(rt, { ...g, direction: "forward", x, cols });
 * assert.deepEqual([...await rt.read(cols, 4)], [1, 2, 2, 3]);
 * dispatchIm2col(rt, { ...g, direction: "adjoint", x, cols }); // sums the patches back: the middle twice
 * assert.deepEqual([...await rt.read(x, 3)], [1, 4, 3]);
 * [x, cols].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchIm2col(
  rt: Runtime,
  call: WindowGeometry & { direction: "forward" | "adjoint"; x: GPUBuffer; cols: GPUBuffer },
): void {
  const { direction, x, cols, ...g } = call;
  if (direction === "forward") runKernel(rt, im2colKernel(g), [x, cols]);
  else runKernel(rt, col2imKernel(g), [cols, x]);
}
