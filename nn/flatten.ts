/**
 * Flatten layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { checkTensor } from "../ops/_args.ts";

/** Flattens everything after the batch dimension (NHWC order). */
export class Flatten implements DescribedLayer {
  /** Description. */
  readonly name = "Flatten";

  /**
   * Flattens.
   *
   * @param x [n, ...].
   * @returns [n, product of the rest].
   */
  forward(x: Tensor): Tensor {
    checkTensor("flatten", "x", x);
    return x.reshape([x.shape[0], x.size / x.shape[0]]);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "flatten" };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }
}
