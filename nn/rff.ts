/**
 * Frozen Gaussian random Fourier features.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { cos, mul, sin } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { randomNormal } from "../ops/random.ts";

/**
 * Frozen Gaussian random Fourier features: x ↦ [cos 2π x Bᵀ, sin 2π x Bᵀ] with B ~ N(0, scale²) of shape
 * [features, in]; B is not trained.
 */
export class RFF implements Layer {
  /** Frequencies [features, in] (no gradient). */
  readonly frequencies: Tensor;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param inputs Input dimension.
   * @param features Number of frequencies (the output has 2·features columns).
   * @param options Frequency scale and seed.
   */
  constructor(inputs: number, features: number, options: { scale: number; seed?: number; stream?: number }) {
    this.frequencies = randomNormal([features, inputs], {
      seed: options.seed ?? 0,
      stream: options.stream ?? 0,
      std: options.scale,
    });
    this.name = `RFF(${inputs}→${2 * features}, scale ${options.scale})`;
  }

  /**
   * Maps inputs to Fourier features.
   *
   * @param x [batch, in].
   * @returns [batch, 2·features].
   */
  forward(x: Tensor): Tensor {
    const phase = mul(matmul(x, this.frequencies, { transposeB: true }), 2 * Math.PI);
    return concat([cos(phase), sin(phase)], 1);
  }

  /** Trainable parameters: No trainable parameters (B is frozen). */
  parameters(): Tensor[] {
    return [];
  }
}
