/**
 * Batch normalisation over the batch dimension.
 *
 * @module
 */
import type { ForwardMode, Layer } from "../model/parameterized.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { keep, noGrad } from "../ops/scope.ts";
import { add, div, mul, sub } from "../ops/arithmetic.ts";
import { map, sqrt, square } from "../ops/elementwise.ts";
import { mean } from "../ops/arithmetic.ts";
import { checkNumber, checkOptions, describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/**
 * Batch normalisation over the batch of [batch, features] input: in "train" mode it normalises with the
 * batch mean and (biased) variance and updates running statistics; in "eval" mode it uses those.
 */
export class BatchNorm1d implements Layer, StatefulLayer {
  /** Scale γ [features]. */
  gamma: Tensor;
  /** Shift β [features]. */
  beta: Tensor;
  /** Running mean (no gradient). */
  runningMean: Tensor;
  /** Running variance (no gradient). */
  runningVar: Tensor;
  /** Weight of the new batch in the running statistics (default 0.1). */
  readonly momentum: number;
  /** Added to the variance (default 1e-5). */
  readonly eps: number;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param features Feature count.
   * @param options Momentum and epsilon.
   */
  constructor(features: number, options: { momentum?: number; eps?: number } = {}) {
    const context = "build BatchNorm1d";
    checkOptions(context, options, ["momentum", "eps"]);
    checkNumber(context, "features", features, { integer: true, min: 1 });
    checkNumber(context, "options.momentum", options.momentum ?? 0.1, { min: 0, max: 1 });
    checkNumber(context, "options.eps", options.eps ?? 1e-5, { above: 0 });
    this.gamma = Tensor.fromArray(new Float32Array(features).fill(1));
    this.beta = Tensor.fromArray(new Float32Array(features));
    this.gamma.requiresGrad = this.beta.requiresGrad = true;
    this.runningMean = Tensor.fromArray(new Float32Array(features));
    this.runningVar = Tensor.fromArray(new Float32Array(features).fill(1));
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    this.name = `BatchNorm1d(${features})`;
  }

  /**
   * Normalises.
   *
   * @param x [batch, features].
   * @param mode "train" (batch statistics, default) or "eval" (running statistics).
   * @returns Same shape.
   */
  forward(x: Tensor, mode: ForwardMode = "train"): Tensor {
    const features = this.gamma.shape[0];
    if (!(x instanceof Tensor) || x.rank !== 2 || x.shape[1] !== features) {
      throw new RangeError(
        `Cannot apply ${this.name}: input must be [batch, ${features}] (got ${
          x instanceof Tensor ? formatShape(x.shape) : describe(x)
        })`,
      );
    }
    if (mode === "eval") {
      const scale = div(this.gamma, sqrt(add(this.runningVar, this.eps)));
      return add(mul(sub(x, this.runningMean), scale), this.beta);
    }
    const mu = mean(x, { axis: 0 });
    const centered = sub(x, mu);
    const variance = mean(square(centered), { axis: 0 });
    noGrad(() => {
      const n = x.shape[0];
      const m = this.momentum;
      const newMean = map([this.runningMean, mu, 1 - m, m], "x0 * x2 + x1 * x3");
      // Running variance uses the unbiased estimate, like the common frameworks.
      const newVar = map([this.runningVar, variance, 1 - m, (m * n) / Math.max(n - 1, 1)], "x0 * x2 + x1 * x3");
      this.runningMean.dispose();
      this.runningVar.dispose();
      // Running statistics outlive any tidy scope the forward pass runs in.
      [this.runningMean, this.runningVar] = [keep(newMean), keep(newVar)];
    });
    return add(mul(div(centered, sqrt(add(variance, this.eps))), this.gamma), this.beta);
  }

  /** Trainable parameters: γ and β. */
  parameters(): Tensor[] {
    return [this.gamma, this.beta];
  }

  /** The layer's state by name: `gamma`, `beta`, and the buffers `runningMean` and `runningVar`. */
  stateDict(): Record<string, Tensor> {
    return { gamma: this.gamma, beta: this.beta, runningMean: this.runningMean, runningVar: this.runningVar };
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode BatchNorm1d.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.gamma = replaceTensor(this.gamma, state.gamma);
    this.beta = replaceTensor(this.beta, state.beta);
    this.runningMean = replaceTensor(this.runningMean, state.runningMean);
    this.runningVar = replaceTensor(this.runningVar, state.runningVar);
  }
}
