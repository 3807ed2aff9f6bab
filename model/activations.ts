/**
 * The elementwise nonlinearities a model may use, by name: the one list that layers (nn/), ensembles and
 * the infinite-width kernels (analysis/) share.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { cos, elu, erf, relu, sigmoid, sin, tanh } from "../ops/elementwise.ts";

/** Names of the supported elementwise nonlinearities. */
export type ActivationName = "relu" | "tanh" | "sigmoid" | "elu" | "sin" | "cos" | "erf" | "identity";

/**
 * Each nonlinearity as a differentiable op.
 *
 * @example Apply one by name
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { ACTIVATION_FUNCTIONS } from "../nn/mod.ts";
 * await initGpu();
 * const y = ACTIVATION_FUNCTIONS.relu(Tensor.fromArray([-1, 2]));
 * assert.deepEqual([...await y.toArray()], [0, 2]);
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
  identity: (x) => x,
};
