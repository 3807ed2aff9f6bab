/**
 * The elementwise nonlinearities a model may use, by name: the one list that layers (nn/), ensembles and
 * the infinite-width kernels (analysis/) share.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { cos, elu, erf, exp, map, relu, sigmoid, sin, square, tanh } from "../ops/elementwise.ts";
import { add, mul, sub } from "../ops/arithmetic.ts";
import { describe } from "../check/args.ts";

/** Names of the supported elementwise nonlinearities. */
export type ActivationName =
  | "relu"
  | "tanh"
  | "sigmoid"
  | "elu"
  | "sin"
  | "cos"
  | "erf"
  | "gelu"
  | "gelu_tanh"
  | "silu"
  | "identity";

/** √(2/π), the scale inside the tanh form of GELU. */
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** The cubic coefficient of the tanh form of GELU (PyTorch's `approximate="tanh"`). */
const GELU_TANH_CUBIC = 0.044715;

/** t = 1/(1 + z/2) with z = |x|/√2, the variable of the erfc approximation below. */
const ERFC_T = "(1.0 / (1.0 + 0.35355339059327373 * abs(x0)))";
/**
 * erfc(|x|/√2) by Numerical Recipes' Chebyshev fit (`erfcc`, relative error below 1.2e-7 for every x), so
 * that GELU keeps its relative accuracy where x·Φ(x) is tiny (x < 0), unlike 1 + erf(x/√2) in float32.
 */
const ERFC_HALF_WGSL = `${ERFC_T} * exp(-0.5 * x0 * x0 - 1.26551223 + ${ERFC_T} * (1.00002368 + ${ERFC_T} * ` +
  `(0.37409196 + ${ERFC_T} * (0.09678418 + ${ERFC_T} * (-0.18628806 + ${ERFC_T} * (0.27886807 + ${ERFC_T} * ` +
  `(-1.13520398 + ${ERFC_T} * (1.48851587 + ${ERFC_T} * (-0.82215223 + ${ERFC_T} * 0.17087277)))))))))`;

/** Checks the argument of an activation written here (the ops' own activations check theirs). */
function checkInput(name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`Cannot take ${name}: x must be a Tensor (got ${describe(x)})`);
  return x;
}

/** Φ(x) = (1 + erf(x/√2))/2, the standard normal distribution function (differentiable). */
function normalCdf(x: Tensor): Tensor {
  return mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
}

/**
 * GELU, erf form: x·Φ(x) = x(1 + erf(x/√2))/2 (PyTorch's `nn.GELU()`), in one kernel; its derivative
 * Φ(x) + x·φ(x) is built from differentiable ops, so higher derivatives follow.
 */
function gelu(x: Tensor): Tensor {
  checkInput("gelu", x);
  // x < 0: x·erfc(|x|/√2)/2; x >= 0: x − x·erfc(|x|/√2)/2.
  const y = map([x], `select(x0 - 0.5 * x0 * ${ERFC_HALF_WGSL}, 0.5 * x0 * ${ERFC_HALF_WGSL}, x0 < 0.0)`);
  return Tensor.record(y, "gelu", [x], (g) => {
    const density = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(g, add(normalCdf(x), mul(x, density)))];
  });
}

/**
 * GELU, tanh form: x(1 + tanh(√(2/π)(x + 0.044715x³)))/2 (PyTorch's `nn.GELU(approximate="tanh")`);
 * derivative (1 + t)/2 + x(1 − t²)√(2/π)(1 + 3·0.044715x²)/2 with t the tanh, from differentiable ops.
 */
function geluTanh(x: Tensor): Tensor {
  checkInput("gelu_tanh", x);
  const inner = (v: Tensor) => mul(add(v, mul(mul(square(v), v), GELU_TANH_CUBIC)), SQRT_2_OVER_PI);
  const y = map([x, SQRT_2_OVER_PI, GELU_TANH_CUBIC], "0.5 * x0 * (1.0 + tanh(x1 * (x0 + x2 * x0 * x0 * x0)))");
  return Tensor.record(y, "gelu_tanh", [x], (g) => {
    const t = tanh(inner(x));
    const slope = mul(add(mul(square(x), 3 * GELU_TANH_CUBIC), 1), SQRT_2_OVER_PI);
    const d = add(mul(add(t, 1), 0.5), mul(mul(mul(x, sub(1, square(t))), slope), 0.5));
    return [mul(g, d)];
  });
}

/** SiLU (swish): x·σ(x) = x/(1 + e⁻ˣ) in one kernel; derivative σ(x)(1 + x(1 − σ(x))) from differentiable ops. */
function silu(x: Tensor): Tensor {
  checkInput("silu", x);
  const y = map([x], "x0 / (1.0 + exp(-x0))");
  return Tensor.record(y, "silu", [x], (g) => {
    const s = sigmoid(x);
    return [mul(g, add(s, mul(mul(x, s), sub(1, s))))];
  });
}

/**
 * Each nonlinearity as a differentiable op. Besides the ops of the same names: `gelu` is x·Φ(x) (erf form,
 * PyTorch's `nn.GELU()`), `gelu_tanh` its tanh approximation (`nn.GELU(approximate="tanh")`), `silu` is
 * x·σ(x) (`nn.SiLU()`).
 *
 * @example Apply one by name
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { ACTIVATION_FUNCTIONS } from "../nn/mod.ts";
 * await initGpu();
 * const y = ACTIVATION_FUNCTIONS.relu(Tensor.fromArray([-1, 2]));
 * assert.deepEqual([...await y.toArray()], [0, 2]);
 * const [g] = await ACTIVATION_FUNCTIONS.gelu(Tensor.fromArray([1])).toArray();
 * assert.ok(Math.abs(g - 0.8413447) < 1e-6);
 * ```
 */
export const ACTIVATION_FUNCTIONS: Readonly<Record<ActivationName, (x: Tensor) => Tensor>> = {
  relu,
  tanh,
  sigmoid,
  elu,
  sin,
  cos,
  erf,
  gelu,
  gelu_tanh: geluTanh,
  silu,
  identity: (x) => x,
};
