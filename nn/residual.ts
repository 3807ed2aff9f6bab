/**
 * Residual block y = x + inner(x).
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { add } from "../ops/elementwise.ts";
import { checkLayer, type ForwardMode, type Layer } from "../model/parameterized.ts";

/** y = x + inner(x): a residual block around any layer with matching input and output shapes. */
export class Residual implements Layer {
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
}
