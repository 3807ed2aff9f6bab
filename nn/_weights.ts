/**
 * Weight and bias creation in the standard and NTK parameterizations, shared by Dense and Conv2d.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { add, mul } from "../ops/arithmetic.ts";
import { randomNormal, randomUniform } from "../ops/random.ts";
import { checkInitScheme, initStd, initWeights } from "./init.ts";
import { checkBoolean, checkChoice, checkNumber } from "../check/args.ts";
import type { WeightOptions } from "./weight_options.ts";
import { ntkWeightMultiplier } from "../model/layer_signals.ts";

/**
 * A bias vector: N(0, biasStd²) when biasStd > 0; U(±1/√fanIn) under the "torch" scheme (PyTorch's layer
 * default) when no biasStd is given; else zeros. Null when the layer has none.
 */
export function makeBias(size: number, options: WeightOptions, fanIn: number): Tensor | null {
  if (options.bias === false) return null;
  const std = options.biasStd ?? 0;
  const random = { seed: options.seed ?? 0, stream: 2 * (options.stream ?? 0) + 1 };
  const limit = 1 / Math.sqrt(fanIn);
  const b = std > 0
    ? randomNormal([size], { ...random, std })
    : options.init === "torch" && options.biasStd === undefined
    ? randomUniform([size], { ...random, low: -limit, high: limit })
    : Tensor.fromArray(new Float32Array(size));
  b.requiresGrad = true;
  return b;
}

/** Resolved scales of a weight layer: y = c_w · x W + c_b · b. */
export interface Scales {
  parameterization: "standard" | "ntk";
  weightStd: number;
  biasStd: number;
  /** Forward multiplier of x W. */
  cw: number;
  /** Forward multiplier of b. */
  cb: number;
}

/** The scales of a layer from its options (σ_w of a standard layer is its init std times √fan_in). */
export function scalesFor(options: WeightOptions, fanIn: number, fanOut: number): Scales {
  const parameterization = options.parameterization ?? "standard";
  if (parameterization === "ntk") {
    const weightStd = options.weightStd ?? 1, biasStd = options.biasStd ?? 0;
    return { parameterization, weightStd, biasStd, cw: ntkWeightMultiplier(weightStd, fanIn), cb: biasStd };
  }
  // σ_w of the standard parameterization: the init std times √fan_in.
  const weightStd = initStd(options.init ?? "he", fanIn, fanOut) * Math.sqrt(fanIn);
  const torchBias = options.init === "torch" && options.bias !== false ? 1 / Math.sqrt(3 * fanIn) : 0;
  return { parameterization, weightStd, biasStd: options.biasStd ?? torchBias, cw: 1, cb: 1 };
}

/** Checks every field of {@linkcode WeightOptions}. */
function checkWeightOptions(context: string, options: WeightOptions): void {
  checkChoice(context, "options.parameterization", options.parameterization ?? "standard", ["standard", "ntk"]);
  checkInitScheme(context, "options.init", options.init ?? "he");
  checkNumber(context, "options.weightStd", options.weightStd ?? 1, { min: 0 });
  checkNumber(context, "options.biasStd", options.biasStd ?? 0, { min: 0 });
  checkBoolean(context, "options.bias", options.bias ?? true);
  checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
  checkNumber(context, "options.stream", options.stream ?? 0, { integer: true, min: 0 });
}

/** Weights and bias of a layer in either parameterization. */
export function makeWeights(
  shape: number[],
  fanIn: number,
  fanOut: number,
  options: WeightOptions,
  context = "initialise weights",
): { weights: Tensor; bias: Tensor | null; scales: Scales } {
  checkWeightOptions(context, options);
  const scales = scalesFor(options, fanIn, fanOut);
  const ntk = scales.parameterization === "ntk";
  const weights = initWeights(shape, ntk ? { std: 1 } : options.init ?? "he", {
    fanIn,
    fanOut,
    seed: options.seed ?? 0,
    stream: 2 * (options.stream ?? 0),
  });
  const bias = makeBias(
    shape[shape.length - 1],
    ntk ? { ...options, biasStd: options.bias === false ? 0 : 1 } : options,
    fanIn,
  );
  return { weights, bias, scales };
}

/** c_w · xW + c_b · b with the multiplications skipped when a scale is 1. */
export function affine(xw: Tensor, bias: Tensor | null, s: Scales): Tensor {
  const scaled = s.cw === 1 ? xw : mul(xw, s.cw);
  if (!bias) return scaled;
  return add(scaled, s.cb === 1 ? bias : mul(bias, s.cb));
}

/** The keys of {@linkcode WeightOptions}, for the unknown-option check. */
export const WEIGHT_OPTION_KEYS: readonly string[] = [
  "parameterization",
  "init",
  "weightStd",
  "biasStd",
  "bias",
  "seed",
  "stream",
];
