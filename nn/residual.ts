/**
 * Residual block y = x + inner(x).
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { add } from "../ops/arithmetic.ts";
import { checkLayer, type ForwardMode, type Layer } from "../model/parameterized.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { loadPrefixedState, prefixedState } from "./_state.ts";

/** y = x + inner(x): a residual block around any layer with matching input and output shapes. */
export class Residual implements Layer, StatefulLayer {
  /** The wrapped layer. */
  readonly inner: Layer;
  /** Description. */
  readonly name: string;

  /**
   * Wraps a layer.
   *
   * @param inner Layer whose output shape equals its input shape.
   */
  constructor(inner: Layer) {
    this.inner = checkLayer("build Residual", "inner", inner);
    this.name = `Residual(${inner.name})`;
  }

  /**
   * Applies x + inner(x).
   *
   * @param x Input.
   * @param mode Train or eval.
   * @returns Same shape.
   */
  forward(x: Tensor, mode?: ForwardMode): Tensor {
    return add(x, this.inner.forward(x, mode));
  }

  /** Trainable parameters: The inner layer's parameters. */
  parameters(): Tensor[] {
    return this.inner.parameters();
  }

  /**
   * The inner layer's state by `"inner.<name>"`.
   *
   * @returns Name → tensor.
   * @throws {TypeError} When the inner layer has no `stateDict`.
   */
  stateDict(): Record<string, Tensor> {
    return prefixedState("read the state of Residual", [["inner", this.inner]]);
  }

  /**
   * Replaces the inner layer's state with copies of `state`.
   *
   * @param state A Float32Array per name of {@linkcode Residual.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays, or a layer has no `loadState`.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    loadPrefixedState(`load state into ${this.name}`, [["inner", this.inner]], state);
  }
}
