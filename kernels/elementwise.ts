/**
 * Fused elementwise maps with NumPy-style broadcasting: y = f(x0, x1, ...) for a WGSL expression f.
 *
 * @module
 */
import { defineKernel, type Grid, linearInvocationIndex, runKernel } from "./_kernel.ts";
import type { Runtime } from "./runtime.ts";
import { linearGrid } from "./linear_grid.ts";

/** Invocations per workgroup of elementwise kernels. */
export const ELEMENTWISE_WORKGROUP = 256;
/** Most inputs one map may read (the output takes one more of the device's storage bindings). */
export const MAX_ELEMENTWISE_INPUTS = 8;

/** How one input is read: element `c` of the output reads `x[offset + Σ c_d * strides[d]]`. */
export interface StridedInput {
  /** Element stride per output dimension (0 repeats the input along that dimension). */
  strides: readonly number[];
  /** Element offset of the first value (default 0; may be negative together with `window`). */
  offset?: number;
  /** Read only where begin[d] <= c_d < end[d] for every output dimension d; 0 elsewhere. */
  window?: { begin: readonly number[]; end: readonly number[] };
}

/** A fused elementwise map. */
export interface ElementwiseOptions {
  /** WGSL f32 expression over the inputs `x0`, `x1`, ... (e.g. `max(x0, 0.0) * x1`). */
  expr: string;
  /** Output shape. */
  shape: readonly number[];
  /** How each input is indexed (see {@linkcode broadcastStrides}). */
  inputs: readonly StridedInput[];
  /** Optional WGSL helper functions the expression calls. */
  helpers?: string;
  /**
   * Number of f32 constants the expression reads with {@linkcode elementwiseConstant} (default 0). They
   * travel in a uniform buffer, not as WGSL literals, so ±Infinity and NaN keep their IEEE meaning (a
   * compiler may fold or clamp a literal) and one pipeline serves every value.
   */
  constants?: number;
}

/**
 * WGSL that reads constant `i` of an elementwise map (see {@linkcode ElementwiseOptions.constants}).
 *
 * @param i Index of the constant.
 * @returns The expression.
 * @example Constant 5 is lane 1 of the second vec4
 * ```ts
 * import assert from "node:assert";
 * import { elementwiseConstant } from "./elementwise.ts";
 * assert.equal(elementwiseConstant(5), "constants[1][1]");
 * ```
 */
export function elementwiseConstant(i: number): string {
  return `constants[${i >> 2}][${i & 3}]`;
}

/**
 * Broadcast shape of two shapes (NumPy rules).
 *
 * @param a First shape.
 * @param b Second shape.
 * @returns The broadcast shape.
 * @throws {RangeError} When a dimension pair is neither equal nor contains 1.
 * @example Broadcast a row over a matrix
 * ```ts
 * import assert from "node:assert";
 * import { broadcastShapes } from "./elementwise.ts";
 * assert.deepEqual(broadcastShapes([4, 3], [3]), [4, 3]);
 * assert.throws(() => broadcastShapes([4, 3], [2]), RangeError);
 * ```
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `Cannot broadcast shapes: dimensions differ (a is ${a.join("x")}, b is ${b.join("x")})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Element strides that read a row-major tensor of shape `input` broadcast to `shape`.
 *
 * @param input Shape of the stored tensor.
 * @param shape Output shape it broadcasts to.
 * @returns Strides per output dimension (0 along repeated dimensions).
 * @throws {RangeError} When `input` does not broadcast to `shape`.
 * @example A row repeated down a matrix
 * ```ts
 * import assert from "node:assert";
 * import { broadcastStrides } from "./elementwise.ts";
 * assert.deepEqual(broadcastStrides([3], [4, 3]), [0, 1]);
 * ```
 */
export function broadcastStrides(input: readonly number[], shape: readonly number[]): number[] {
  if (input.length > shape.length || broadcastShapes(input, shape).join() !== shape.join()) {
    throw new RangeError(
      `Cannot broadcast shapes: ${input.join("x") || "scalar"} does not broadcast to ${shape.join("x")}`,
    );
  }
  const strides: number[] = new Array(shape.length).fill(0);
  let s = 1;
  for (let i = input.length - 1; i >= 0; i--) {
    const d = shape.length - input.length + i;
    strides[d] = input[i] === 1 ? 0 : s;
    s *= input[i];
  }
  return strides;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= shape[d];
  }
  return strides;
}

/**
 * WGSL for a fused strided map.
 *
 * Bindings: 0..n-1 inputs `x0_buf..` (read), n `y` (read_write), n + 1 the constants (uniform, when
 * there are any). Workgroup 256; grid
 * `linearGrid(ceil(size/256))`. One invocation computes one output element.
 *
 * @param options Expression, output shape and input views.
 * @returns Shader source.
 * @throws {RangeError} When an input's strides do not match the output rank.
 * @example The shader of a doubling
 * ```ts
 * import assert from "node:assert";
 * import { elementwiseWgsl } from "./elementwise.ts";
 * const wgsl = elementwiseWgsl({ expr: "2.0 * x0", shape: [3], inputs: [{ strides: [1] }] });
 * assert.ok(wgsl.includes("y[idx] = 2.0 * x0;"));
 * assert.ok(wgsl.includes("@compute @workgroup_size(256)"));
 * ```
 */
export function elementwiseWgsl(options: ElementwiseOptions): string {
  return elementwiseKernel(options).wgsl;
}

function elementwiseSource(options: ElementwiseOptions, [gridX]: Grid): string {
  const { shape, inputs, expr } = options;
  const size = shape.reduce((p, d) => p * d, 1);
  const decls = inputs.map((_, i) => `@group(0) @binding(${i}) var<storage, read> x${i}_buf: array<f32>;`);
  const contiguous = contiguousStrides(shape).join();
  const loads: string[] = [];
  let needCoords = false;
  inputs.forEach((input, i) => {
    if (input.strides.length !== shape.length) {
      throw new RangeError(
        `Cannot map: input ${i} has ${input.strides.length} strides for a rank-${shape.length} output`,
      );
    }
    const offset = input.offset ?? 0;
    if (input.window) {
      needCoords = true;
      const { begin, end } = input.window;
      const inside = shape.map((_, d) => `c${d} >= ${begin[d]}u && c${d} < ${end[d]}u`).join(" && ");
      const terms = input.strides.map((st, d) => (st === 0 ? "" : `i32(c${d}) * ${st}`)).filter((t) => t);
      terms.push(`${offset}`);
      loads.push(`  let x${i} = select(0.0, x${i}_buf[u32(max(${terms.join(" + ")}, 0))], ${inside});`);
    } else if (input.strides.join() === contiguous) {
      loads.push(`  let x${i} = x${i}_buf[idx${offset ? ` + ${offset}u` : ""}];`);
    } else {
      const terms = input.strides.map((st, d) => (st === 0 ? "" : `c${d} * ${st}u`)).filter((t) => t);
      if (terms.length > 0) needCoords = true;
      if (offset) terms.push(`${offset}u`);
      loads.push(`  let x${i} = x${i}_buf[${terms.join(" + ") || "0u"}];`);
    }
  });
  const coordLines: string[] = [];
  if (needCoords) {
    coordLines.push("  var rest = idx;");
    for (let d = shape.length - 1; d >= 0; d--) {
      coordLines.push(`  let c${d} = rest % ${shape[d]}u;`);
      if (d > 0) coordLines.push(`  rest = rest / ${shape[d]}u;`);
    }
  }
  const views = inputs.map((v) =>
    `[${v.strides.join(",")}]${v.offset ? `+${v.offset}` : ""}${
      v.window ? ` in [${v.window.begin}..${v.window.end})` : ""
    }`
  );
  return `// elementwise: y = ${expr}; shape ${shape.join("x") || "scalar"}; input strides ${views.join(" ")}
// bindings: 0..${inputs.length - 1} inputs (read), ${inputs.length} y (read_write)${
    options.constants ? `, ${inputs.length + 1} ${options.constants} constants (uniform)` : ""
  }; workgroup ${ELEMENTWISE_WORKGROUP}
// grid: linearGrid(ceil(${size}/${ELEMENTWISE_WORKGROUP})) (x = ${gridX}); one invocation: one output element
${decls.join("\n")}
@group(0) @binding(${inputs.length}) var<storage, read_write> y: array<f32>;${
    options.constants
      ? `\n@group(0) @binding(${inputs.length + 1}) var<uniform> constants: array<vec4<f32>, ${
        Math.ceil(options.constants / 4)
      }>;`
      : ""
  }
${options.helpers ?? ""}
@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = ${linearInvocationIndex(gridX, ELEMENTWISE_WORKGROUP)};
  if (idx >= ${size}u) { return; }
${coordLines.join("\n")}
${loads.join("\n")}
  y[idx] = ${expr};
}
`;
}

const elementwiseKernel = defineKernel<ElementwiseOptions>({
  name: "elementwise",
  validate: ({ inputs }) => {
    if (inputs.length > MAX_ELEMENTWISE_INPUTS) {
      throw new RangeError(
        `Cannot map: ${inputs.length} inputs exceed the limit of ${MAX_ELEMENTWISE_INPUTS} per kernel`,
      );
    }
  },
  workgroups: ({ shape }) => linearGrid(Math.ceil(shape.reduce((p, d) => p * d, 1) / ELEMENTWISE_WORKGROUP)),
  wgsl: elementwiseSource,
});

/**
 * Records a fused map into `out`.
 *
 * @param rt Runtime to record on.
 * @param call Expression, shapes, input buffers, the output buffer, and the values of the constants.
 * @throws {RangeError} When the number of buffers and input views differ.
 * @example A ReLU of three values
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { dispatchElementwise } from "./elementwise.ts";
 * const rt = await initGpu();
 * const [x, y] = [rt.pool.acquire(12), rt.pool.acquire(12)];
 * rt.write(x, new Float32Array([-1, 2, -3]));
 * dispatchElementwise(rt, { expr: "max(x0, 0.0)", shape: [3], inputs: [{ strides: [1] }], buffers: [x], out: y });
 * assert.deepEqual([...await rt.read(y, 3)], [0, 2, 0]);
 * [x, y].forEach((buffer) => rt.pool.release(buffer));
 * ```
 */
export function dispatchElementwise(
  rt: Runtime,
  call: Omit<ElementwiseOptions, "constants"> & { buffers: GPUBuffer[]; out: GPUBuffer; values?: readonly number[] },
): void {
  const { buffers, out, values = [], ...options } = call;
  if (buffers.length !== options.inputs.length) {
    throw new RangeError(`Cannot map: ${buffers.length} buffers given for ${options.inputs.length} input views`);
  }
  if (values.length === 0) {
    runKernel(rt, elementwiseKernel(options), [...buffers, out]);
    return;
  }
  const words = new Float32Array(Math.ceil(values.length / 4) * 4);
  words.set(values);
  runKernel(
    rt,
    elementwiseKernel({ ...options, constants: values.length }),
    [...buffers, out],
    new Uint32Array(words.buffer),
  );
}
