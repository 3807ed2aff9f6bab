/**
 * Layer normalisation over the last axis.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { add, div, mean, mul, sub } from "../ops/arithmetic.ts";
import { sqrt, square } from "../ops/elementwise.ts";
import { checkBoolean, checkNumber, checkOptions, describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** Options for {@linkcode LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /** Learn a scale `weight` and shift `bias` per feature (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalisation as PyTorch's `nn.LayerNorm(dim)`: each row of the last axis is normalised by its own
 * mean μ and biased variance σ², y = (x − μ)/√(σ² + eps) · weight + bias, with weight = 1 and bias = 0 at
 * initialisation. Rows never interact, so the layer behaves the same in "train" and "eval" mode.
 *
 * The state's names and layouts are PyTorch's: `weight` [dim] and `bias` [dim] (none without the affine
 * part), so a PyTorch `state_dict` entry loads unchanged.
 *
 * @example Each row gets mean 0 and variance 1
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { LayerNorm } from "./layer_norm.ts";
 * await initGpu();
 * const norm = new LayerNorm(2, { eps: 1e-12 });
 * const y = await norm.forward(Tensor.fromArray([1, 3, -2, 6], [2, 2])).toArray();
 * [...y].forEach((v, i) => assert.ok(Math.abs(v - [-1, 1, -1, 1][i]) < 1e-6));
 * ```
 */
export class LayerNorm implements Layer, StatefulLayer {
  /** Scale per feature [dim], or null without the affine part. */
  weight: Tensor | null;
  /** Shift per feature [dim], or null without the affine part. */
  bias: Tensor | null;
  /** Normalised width (the length of the last axis). */
  readonly dim: number;
  /** Added to the variance. */
  readonly eps: number;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param dim Length of the last axis.
   * @param options Epsilon and whether to learn the affine part.
   * @throws {RangeError} When `dim` is not a positive integer or `eps` is not a finite number > 0.
   * @throws {TypeError} For an unknown option or `elementwiseAffine` that is not a boolean.
   */
  constructor(dim: number, options: LayerNormOptions = {}) {
    const context = "build LayerNorm";
    checkOptions(context, options, ["eps", "elementwiseAffine"]);
    checkNumber(context, "dim", dim, { integer: true, min: 1 });
    this.eps = checkNumber(context, "options.eps", options.eps ?? 1e-5, { above: 0 });
    const affine = checkBoolean(context, "options.elementwiseAffine", options.elementwiseAffine ?? true);
    this.dim = dim;
    this.weight = affine ? Tensor.fromArray(new Float32Array(dim).fill(1)) : null;
    this.bias = affine ? Tensor.fromArray(new Float32Array(dim)) : null;
    if (this.weight && this.bias) this.weight.requiresGrad = this.bias.requiresGrad = true;
    this.name = `LayerNorm(${dim})`;
  }

  /**
   * Normalises each row of the last axis.
   *
   * @param x [..., dim] (any rank >= 1).
   * @returns Same shape.
   * @throws {RangeError} When `x` is not a tensor whose last axis has length `dim`.
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== this.dim) {
      throw new RangeError(
        `Cannot apply ${this.name}: input must be [..., ${this.dim}] (got ${
          x instanceof Tensor ? formatShape(x.shape) : describe(x)
        })`,
      );
    }
    const centered = sub(x, mean(x, { axis: -1, keepDims: true }));
    const variance = mean(square(centered), { axis: -1, keepDims: true });
    const normalised = div(centered, sqrt(add(variance, this.eps)));
    return this.weight && this.bias ? add(mul(normalised, this.weight), this.bias) : normalised;
  }

  /** Trainable parameters: weight and bias (none without the affine part). */
  parameters(): Tensor[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  /** The layer's state by name: `weight` and `bias` (PyTorch's names and layout), or none. */
  stateDict(): Record<string, Tensor> {
    return this.weight && this.bias ? { weight: this.weight, bias: this.bias } : {};
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode LayerNorm.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    if (this.weight) this.weight = replaceTensor(this.weight, state.weight);
    if (this.bias) this.bias = replaceTensor(this.bias, state.bias);
  }
}
