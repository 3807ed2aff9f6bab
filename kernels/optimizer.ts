/**
 * Fused in-place optimizer updates (one dispatch per parameter tensor). Per-step scalars (learning rate,
 * bias corrections) travel in a uniform, so the pipeline is compiled once per parameter size.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { defineKernel, type Grid, linearInvocationIndex, runKernel } from "./_kernel.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup. */
export const OPTIMIZER_WORKGROUP = 256;

/** Which update rule. */
export type OptimizerRule = "adam" | "sgd";

/**
 * WGSL for an in-place update.
 *
 * Adam bindings: 0 `p` (read_write), 1 `g` (read), 2 `m` (read_write), 3 `v` (read_write), 4 uniform
 * (lr, β1, β2, ε, weight decay, 1−β1ᵗ, 1−β2ᵗ). SGD bindings: 0 `p`, 1 `g`, 2 `m` (velocity), 3 uniform
 * (lr, momentum, weight decay). Workgroup 256; grid `linearGrid(ceil(size/256))`; one invocation: one entry.
 *
 * @param options Rule and parameter size.
 * @returns Shader source.
 * @example The SGD shader
 * ```ts
 * import assert from "node:assert";
 * import { optimizerWgsl } from "./optimizer.ts";
 * const wgsl = optimizerWgsl({ rule: "sgd", size: 3 });
 * assert.ok(wgsl.startsWith("// sgd update of 3 parameters"));
 * assert.ok(wgsl.includes("@compute @workgroup_size(256)"));
 * ```
 */
export function optimizerWgsl(options: OptimizerKernelOptions): string {
  return optimizerKernel(options).wgsl;
}

/** The options that shape an optimizer kernel. */
export interface OptimizerKernelOptions {
  /** Update rule. */
  rule: OptimizerRule;
  /** Number of parameters updated. */
  size: number;
}

function optimizerSource(options: OptimizerKernelOptions, [gridX]: Grid): string {
  const { size, rule } = options;
  const adam = rule === "adam";
  return `// ${rule} update of ${size} parameters, in place
// bindings: 0 p, 1 g, 2 m${
    adam ? ", 3 v, 4" : ", 3"
  } uniform params; workgroup ${OPTIMIZER_WORKGROUP}; grid linearGrid (x = ${gridX})
// one invocation: one parameter
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
${adam ? "@group(0) @binding(3) var<storage, read_write> v: array<f32>;\n" : ""}@group(0) @binding(${
    adam ? 4 : 3
  }) var<uniform> params: array<vec4<f32>, 2>;

@compute @workgroup_size(${OPTIMIZER_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${linearInvocationIndex(gridX, OPTIMIZER_WORKGROUP)};
  if (i >= ${size}u) { return; }
${
    adam
      ? `  let lr = params[0].x; let b1 = params[0].y; let b2 = params[0].z; let eps = params[0].w;
  let decay = params[1].x; let bc1 = params[1].y; let bc2 = params[1].z;
  let grad = g[i] + decay * p[i];
  let mi = b1 * m[i] + (1.0 - b1) * grad;
  let vi = b2 * v[i] + (1.0 - b2) * grad * grad;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] - lr * (mi / bc1) / (sqrt(vi / bc2) + eps);`
      : `  let lr = params[0].x; let momentum = params[0].y; let decay = params[0].z;
  let grad = g[i] + decay * p[i];
  let vel = momentum * m[i] + grad;
  m[i] = vel;
  p[i] = p[i] - lr * vel;`
  }
}
`;
}

const optimizerKernel = defineKernel<OptimizerKernelOptions>({
  name: "optimizer",
  workgroups: ({ size }) => linearGrid(Math.ceil(size / OPTIMIZER_WORKGROUP)),
  wgsl: optimizerSource,
});

/**
 * Records one in-place update.
 *
 * @param rt Runtime to record on.
 * @param call Rule, size, buffers (`v` for Adam only) and the eight scalar parameters.
 * @example One SGD step without momentum
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchOptimizer } from "./optimizer.ts";
 * const rt = await initGpu();
 * const [p, g, m] = [rt.pool.acquire(8), rt.pool.acquire(8), rt.pool.acquire(8)];
 * rt.write(p, new Float32Array([1, 2]));
 * rt.write(g, new Float32Array([0.5, 1]));
 * rt.write(m, new Float32Array(2));
 * dispatchOptimizer(rt, { rule: "sgd", size: 2, p, g, m, scalars: [0.5, 0, 0] }); // lr, momentum, decay
 * assert.deepEqual([...await rt.read(p, 2)], [0.75, 1.5]);
 * [p, g, m].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchOptimizer(
  rt: Runtime,
  call: {
    rule: OptimizerRule;
    size: number;
    p: GPUBuffer;
    g: GPUBuffer;
    m: GPUBuffer;
    v?: GPUBuffer;
    scalars: number[];
  },
): void {
  const { p, g, m, v, scalars: values, ...options } = call;
  const scalars = new Float32Array(8);
  scalars.set(values);
  runKernel(
    rt,
    optimizerKernel(options),
    options.rule === "adam" ? [p, g, m, v!] : [p, g, m],
    new Uint32Array(scalars.buffer),
  );
}
