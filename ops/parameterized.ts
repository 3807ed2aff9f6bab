/**
 * The interface shared by everything with trainable tensors (layers, models), so `nn/` and `analysis/`
 * agree on it without importing each other.
 *
 * @module
 */
import type { Tensor } from "./tensor.ts";

/** Forward-pass mode: batch norm uses batch statistics in "train" and running ones in "eval". */
export type ForwardMode = "train" | "eval";

/** Something with trainable tensors. */
export interface Parameterized {
  /** Trainable tensors (with `requiresGrad` set). */
  parameters(): Tensor[];
}

/** A differentiable map from a batch to a batch. */
export interface Layer extends Parameterized {
  /** Short description, e.g. `Dense(784→256)`. */
  readonly name: string;
  /**
   * Applies the layer.
   *
   * @param x Input batch.
   * @param mode Train or eval.
   * @returns Output batch.
   */
  forward(x: Tensor, mode?: ForwardMode): Tensor;
}
