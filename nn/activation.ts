/**
 * Elementwise nonlinearities as layers.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { ACTIVATION_FUNCTIONS, type ActivationName } from "../model/activations.ts";
import { describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState } from "./_state.ts";

export type { ActivationName };

/** An elementwise nonlinearity as a layer. */
export class Activation implements DescribedLayer, StatefulLayer {
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

  /** The layer's state by name: none. */
  stateDict(): Record<string, Tensor> {
    return {};
  }

  /**
   * Checks that `state` is empty (the layer holds no tensors).
   *
   * @param state A Float32Array per name of {@linkcode Activation.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, {}, state);
  }
}
