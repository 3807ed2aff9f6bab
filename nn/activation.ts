/**
 * Elementwise nonlinearities as layers.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { cos, elu, erf, relu, sigmoid, sin, tanh } from "../ops/elementwise.ts";

/** Activation names accepted by {@linkcode Activation}. */
export type ActivationName = "relu" | "tanh" | "sigmoid" | "elu" | "sin" | "cos" | "erf" | "identity";

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  relu,
  tanh,
  sigmoid,
  elu,
  sin,
  cos,
  erf,
  identity: (x) => x,
};

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
    if (!(kind in ACTIVATIONS)) throw new RangeError(`Unknown activation "${kind}"`);
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
    return ACTIVATIONS[this.kind](x);
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
