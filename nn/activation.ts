/**
 * Elementwise nonlinearities as layers.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { ACTIVATION_FUNCTIONS, type ActivationName } from "../model/activations.ts";
import { describe } from "../check/args.ts";

export type { ActivationName };

/** An elementwise nonlinearity as a layer. */
export class Activation implements DescribedLayer {
  /** Which function. */
  readonly kind: ActivationName;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param kind Function name.
   * @throws {RangeError} For an unknown name.
   */
  constructor(kind: ActivationName) {
    if (typeof kind !== "string" || !Object.hasOwn(ACTIVATION_FUNCTIONS, kind)) {
      throw new RangeError(
        `Unknown activation ${describe(kind)} (known: ${Object.keys(ACTIVATION_FUNCTIONS).join(", ")})`,
      );
    }
    this.kind = kind;
    this.name = kind;
  }

  /**
   * Applies the function.
   *
   * @param x Any shape.
   * @returns Same shape.
   */
  forward(x: Tensor): Tensor {
    return ACTIVATION_FUNCTIONS[this.kind](x);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "activation", fn: this.kind };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }
}
