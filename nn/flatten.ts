/**
 * Flatten layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { checkTensor } from "../ops/_args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState } from "./_state.ts";

/** Flattens everything after the batch dimension (NHWC order). */
export class Flatten implements DescribedLayer, StatefulLayer {
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

  /** The layer's state by name: none. */
  stateDict(): Record<string, Tensor> {
    return {};
  }

  /**
   * Checks that `state` is empty (the layer holds no tensors).
   *
   * @param state A Float32Array per name of {@linkcode Flatten.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, {}, state);
  }
}
