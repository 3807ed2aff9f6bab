/**
 * Multilayer perceptrons: a stack of Dense layers with a nonlinearity between them.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import { Activation, type ActivationName } from "./activation.ts";
import { BatchNorm1d } from "./batch_norm1d.ts";
import { Dense } from "./dense.ts";
import { Residual } from "./residual.ts";
import { Sequential } from "./sequential.ts";
import type { InitScheme } from "./init.ts";
import type { WeightOptions } from "./weight_options.ts";
import { checkBoolean, checkNumber, checkOptions, describe } from "../check/args.ts";

/** Options for {@linkcode mlp}. */
export interface MlpOptions {
  /** Nonlinearity after every hidden layer (default "relu"). */
  activation?: ActivationName;
  /** Nonlinearity after the output layer, e.g. "sigmoid" (default none: a linear output). */
  outputActivation?: ActivationName;
  /** Weight initialisation of the hidden layers (default Dense's, "he"). */
  init?: InitScheme;
  /** Weight initialisation of the output layer (default `init`). */
  outputInit?: InitScheme;
  /** Give every Dense layer a bias (default true). */
  bias?: boolean;
  /** Batch normalisation between every hidden Dense layer and its nonlinearity (default false). */
  batchNorm?: boolean;
  /**
   * Hidden layers after the first as residual blocks x ↦ x + σ(x W + b) (default false; the hidden widths
   * must be equal).
   */
  residual?: boolean;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Stream of the first Dense layer; the k-th draws from `stream + k` (default 0). */
  stream?: number;
}

const MLP_OPTION_KEYS = [
  "activation",
  "outputActivation",
  "init",
  "outputInit",
  "bias",
  "batchNorm",
  "residual",
  "seed",
  "stream",
] as const;

/** Checks the widths and the options that are not checked by the layers themselves. */
function checkMlp(widths: readonly number[], options: MlpOptions): void {
  const context = "build mlp";
  checkOptions(context, options, MLP_OPTION_KEYS);
  if (!Array.isArray(widths as unknown) || widths.length < 2) {
    throw new RangeError(
      `Cannot ${context}: widths must list the input and output widths at least, e.g. [2, 16, 1] (got ${
        describe(widths)
      })`,
    );
  }
  widths.forEach((w, i) => checkNumber(context, `widths[${i}]`, w, { integer: true, min: 1 }));
  for (const name of ["bias", "batchNorm", "residual"] as const) {
    if (options[name] !== undefined) checkBoolean(context, `options.${name}`, options[name]);
  }
  checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
  checkNumber(context, "options.stream", options.stream ?? 0, { integer: true, min: 0 });
  const hidden = widths.slice(1, -1);
  if (options.residual && hidden.some((w) => w !== hidden[0])) {
    throw new RangeError(
      `Cannot ${context}: residual blocks need equal hidden widths (widths [${widths.join(", ")}])`,
    );
  }
}

/**
 * A multilayer perceptron: Dense(widths[0] → widths[1]), [BatchNorm1d,] activation, …, Dense(→ widths.at(-1))
 * [, output activation]. Weight layer k is seeded with stream `stream + k` of `seed`.
 *
 * @example Two hidden layers of 16 on 2-D input, a sigmoid output
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "../mod.ts";
 * import { mlp } from "./mod.ts";
 * await initGpu();
 * const model = mlp([2, 16, 16, 1], { activation: "tanh", outputActivation: "sigmoid", seed: 1 });
 * assert.equal(model.layers.length, 6);
 * assert.equal(model.parameterCount, 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
 * ```
 *
 * @param widths Input width, the hidden widths, output width.
 * @param options Activations, initialisation, bias, batch norm, residual blocks and seed.
 * @returns The model.
 * @throws {RangeError} When fewer than two widths are given, a width is not a positive integer, or residual
 *   blocks get unequal widths.
 * @throws {TypeError} For an unknown option or an option of the wrong type.
 */
export function mlp(widths: readonly number[], options: MlpOptions = {}): Sequential {
  checkMlp(widths, options);
  const act = options.activation ?? "relu", first = options.stream ?? 0;
  const weights = (k: number, init: InitScheme | undefined): WeightOptions => ({
    seed: options.seed ?? 0,
    stream: first + k,
    ...(init !== undefined ? { init } : {}),
    ...(options.bias !== undefined ? { bias: options.bias } : {}),
  });
  const layers: Layer[] = [];
  const depth = widths.length - 1;
  for (let k = 0; k < depth - 1; k++) {
    const dense = new Dense(widths[k], widths[k + 1], weights(k, options.init));
    const block = options.batchNorm ? [dense, new BatchNorm1d(widths[k + 1])] : [dense];
    if (options.residual && k > 0) layers.push(new Residual(new Sequential([...block, new Activation(act)])));
    else layers.push(...block, new Activation(act));
  }
  layers.push(new Dense(widths[depth - 1], widths[depth], weights(depth - 1, options.outputInit ?? options.init)));
  if (options.outputActivation) layers.push(new Activation(options.outputActivation));
  return new Sequential(layers);
}
