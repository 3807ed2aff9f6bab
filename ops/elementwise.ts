/**
 * Elementwise math with its derivative rules (exp, log, the activations, trigonometry, erf), `map` for
 * any WGSL expression over broadcast inputs, and `full`. The broadcasting arithmetic (add, mul, ...)
 * lives in arithmetic.ts. Scalars given as numbers travel to the shader as data (a uniform), so
 * ±Infinity, NaN and division by zero behave as with tensors.
 *
 * @module
 */
import { type CreateOptions, Tensor } from "./tensor.ts";
import { checkConstant, mapInternal, type TensorLike, unaryOp } from "./_map.ts";
import { div, mul, neg, sub } from "./arithmetic.ts";
import { checkOptions, describe, FLOAT32_MAX } from "../check/args.ts";
import { dispatchElementwise, elementwiseConstant } from "../kernels/elementwise.ts";

export type { TensorLike } from "./_map.ts";

/**
 * Applies a WGSL expression elementwise over broadcast inputs (not differentiable; ops build on it).
 *
 * @param inputs Tensors (named `x0`, `x1`, ... in the expression) or numbers (constants, read as `xi`
 *   too; any value float32 holds, ±Infinity and NaN included).
 * @param expr WGSL f32 expression. Its numeric literals are read as constants (data, not WGSL literals),
 *   so `x0 / 0.0` gives ±Infinity or NaN; write integer-typed literals with a suffix (`3u`, `3i`).
 * @returns The result, with the broadcast shape of the tensor inputs.
 * @throws {RangeError} When the shapes do not broadcast, or a constant overflows float32.
 * @throws {TypeError} When an input is neither a Tensor nor a number.
 * @example A fused multiply-add
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, map, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3]);
 * const y = map([x, 2], "x0 * x1 + 1.0");
 * assert.deepEqual([...await y.toArray()], [3, 5, 7]);
 * ```
 */
export function map(inputs: readonly TensorLike[], expr: string): Tensor {
  if (!Array.isArray(inputs as unknown)) {
    throw new TypeError(`Cannot map: inputs must be an array of Tensors and numbers (got ${describe(inputs)})`);
  }
  if (typeof expr !== "string") {
    throw new TypeError(`Cannot map: expr must be a WGSL expression (got ${describe(expr)})`);
  }
  for (const [name, d] of expr.matchAll(/\bx(\d+)\b/g)) {
    if (Number(d) >= inputs.length) {
      throw new RangeError(`Cannot map: expression uses ${name} but only ${inputs.length} inputs were given`);
    }
  }
  // Numeric literals travel as constants too, so `x0 / 0.0` is IEEE (±Infinity, NaN) like a tensor divisor.
  const literals: number[] = [];
  const hoisted = expr.replace(/(?<![\w.])(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.])/g, (text) => {
    const v = Number(text);
    if (Math.abs(v) > FLOAT32_MAX) throw new RangeError(`Cannot map: the literal ${text} is beyond float32's range`);
    return `x${inputs.length + literals.push(v) - 1}`;
  });
  return mapInternal("map", [...inputs, ...literals], hoisted);
}

/**
 * eˣ. @param x Input. @returns exp(x).
 * @example e⁰ = 1
 * ```ts
 * import assert from "node:assert";
 * import { exp, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await exp(Tensor.fromArray([0])).toArray()], [1]);
 * ```
 */
export function exp(x: Tensor): Tensor {
  return unaryOp("exp", x, "exp(x0)", (g, y) => mul(g, y));
}

/**
 * Natural logarithm.
 *
 * @param x Input (> 0).
 * @returns ln(x).
 * @example ln e = 1 and ln 1 = 0
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, log, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await log(Tensor.fromArray([Math.E, 1])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [1, 0][i]) < 1e-6, `${v}`));
 * ```
 */
export function log(x: Tensor): Tensor {
  return unaryOp("log", x, "log(x0)", (g) => div(g, x));
}

/**
 * max(x, 0).
 *
 * @param x Input.
 * @returns relu(x).
 * @example Negative inputs become 0
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, relu, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await relu(Tensor.fromArray([-2, 0, 3])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0, 0, 3][i]) < 1e-6, `${v}`));
 * ```
 */
export function relu(x: Tensor): Tensor {
  return unaryOp("relu", x, "max(x0, 0.0)", (g) => maskPositive(g, x));
}

/** g where x > 0, else 0, in one kernel; linear in g (the step has zero derivative almost everywhere). */
function maskPositive(g: Tensor, x: Tensor): Tensor {
  const out = mapInternal("relu", [g, x], "select(0.0, x0, x1 > 0.0)");
  return Tensor.record(out, "maskPositive", [g], (h) => [maskPositive(h, x)]);
}

/**
 * Hyperbolic tangent.
 *
 * @param x Input.
 * @returns tanh(x).
 * @example tanh 0 = 0 and tanh(−x) = −tanh x
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, tanh, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await tanh(Tensor.fromArray([0, 0.5, -0.5])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0, Math.tanh(0.5), -Math.tanh(0.5)][i]) < 1e-6, `${v}`));
 * ```
 */
export function tanh(x: Tensor): Tensor {
  return unaryOp("tanh", x, "tanh(x0)", (g, y) => mul(g, sub(1, mul(y, y))));
}

/**
 * Logistic sigmoid 1/(1+e⁻ˣ).
 *
 * @param x Input.
 * @returns σ(x).
 * @example σ(0) = 1/2
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sigmoid, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await sigmoid(Tensor.fromArray([0, 2])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0.5, 1 / (1 + Math.exp(-2))][i]) < 1e-6, `${v}`));
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp("sigmoid", x, "1.0 / (1.0 + exp(-x0))", (g, y) => mul(g, mul(y, sub(1, y))));
}

/**
 * ELU with α = 1: x for x > 0, eˣ − 1 otherwise.
 *
 * @param x Input.
 * @returns elu(x).
 * @example x above 0, eˣ − 1 below
 * ```ts
 * import assert from "node:assert";
 * import { elu, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await elu(Tensor.fromArray([2, -1])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [2, Math.exp(-1) - 1][i]) < 1e-6, `${v}`));
 * ```
 */
export function elu(x: Tensor): Tensor {
  // elu'(x) = exp(min(x, 0)) = exp(-relu(-x)), composed of differentiable ops for higher derivatives.
  return unaryOp("elu", x, "select(exp(x0) - 1.0, x0, x0 > 0.0)", (g) => mul(g, exp(neg(relu(neg(x))))));
}

/**
 * Sine.
 *
 * @param x Input.
 * @returns sin(x).
 * @example sin 0 = 0, sin π/2 = 1
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sin, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await sin(Tensor.fromArray([0, Math.PI / 2])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0, 1][i]) < 1e-6, `${v}`));
 * ```
 */
export function sin(x: Tensor): Tensor {
  return unaryOp("sin", x, "sin(x0)", (g) => mul(g, cos(x)));
}

/**
 * Cosine.
 *
 * @param x Input.
 * @returns cos(x).
 * @example cos 0 = 1, cos π = −1
 * ```ts
 * import assert from "node:assert";
 * import { cos, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await cos(Tensor.fromArray([0, Math.PI])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [1, -1][i]) < 1e-6, `${v}`));
 * ```
 */
export function cos(x: Tensor): Tensor {
  return unaryOp("cos", x, "cos(x0)", (g) => neg(mul(g, sin(x))));
}

/**
 * x².
 *
 * @param x Input.
 * @returns x².
 * @example Squares of signed values
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, square, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await square(Tensor.fromArray([-3, 0.5])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [9, 0.25][i]) < 1e-6, `${v}`));
 * ```
 */
export function square(x: Tensor): Tensor {
  return unaryOp("square", x, "x0 * x0", (g) => mul(g, mul(x, 2)));
}

/**
 * √x.
 *
 * @param x Input (>= 0).
 * @returns √x.
 * @example Square roots of perfect squares
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, sqrt, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await sqrt(Tensor.fromArray([0, 4, 9])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0, 2, 3][i]) < 1e-6, `${v}`));
 * ```
 */
export function sqrt(x: Tensor): Tensor {
  return unaryOp("sqrt", x, "sqrt(x0)", (g, y) => div(g, mul(y, 2)));
}

/**
 * |x| (derivative sign(x)).
 *
 * @param x Input.
 * @returns |x|.
 * @example Magnitudes
 * ```ts
 * import assert from "node:assert";
 * import { abs, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await abs(Tensor.fromArray([-2.5, 0, 3])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [2.5, 0, 3][i]) < 1e-6, `${v}`));
 * ```
 */
export function abs(x: Tensor): Tensor {
  return unaryOp("abs", x, "abs(x0)", (g) => mul(g, mapInternal("abs", [x], "sign(x0)")));
}

/** WGSL erf: Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7, below f32 resolution near 1). */
export const ERF_WGSL: string =
  "sign(x0) * (1.0 - (((((1.061405429 * (1.0 / (1.0 + 0.3275911 * abs(x0))) - 1.453152027) * " +
  "(1.0 / (1.0 + 0.3275911 * abs(x0))) + 1.421413741) * (1.0 / (1.0 + 0.3275911 * abs(x0))) - 0.284496736) * " +
  "(1.0 / (1.0 + 0.3275911 * abs(x0))) + 0.254829592) * (1.0 / (1.0 + 0.3275911 * abs(x0)))) * exp(-x0 * x0))";

/**
 * Gauss error function.
 *
 * @param x Input.
 * @returns erf(x).
 * @example erf 0 = 0 and erf 1 ≈ 0.8427 (to the approximation's 1.5e-7)
 * ```ts
 * import assert from "node:assert";
 * import { erf, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const got = await erf(Tensor.fromArray([0, 1])).toArray();
 * [...got].forEach((v, i) => assert.ok(Math.abs(v - [0, 0.8427007929][i]) < 1e-6, `${v}`));
 * ```
 */
export function erf(x: Tensor): Tensor {
  return unaryOp("erf", x, ERF_WGSL, (g) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
}

/**
 * A tensor filled with one value.
 *
 * @param shape Dimensions.
 * @param value Fill value (default 0).
 * @returns The tensor.
 * @example A 2x2 tensor of sevens
 * ```ts
 * import assert from "node:assert";
 * import { full, initGpu } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await full([2, 2], 7).toArray()], [7, 7, 7, 7]);
 * ```
 */
export function full(shape: readonly number[], value = 0, options: CreateOptions = {}): Tensor {
  checkOptions("create tensor", options, ["runtime"]);
  checkConstant("create tensor", "value", value);
  const out = Tensor.empty(shape, "full", options.runtime);
  dispatchElementwise(out.runtime, {
    expr: elementwiseConstant(0),
    shape,
    inputs: [],
    buffers: [],
    out: out.buffer,
    values: [value],
  });
  return out;
}
