/**
 * `Sequential`: layers applied in order, with access to every intermediate activation.
 *
 * @module
 */
import { keep } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";
import { checkLayer, type ForwardMode, type Layer } from "../model/parameterized.ts";
import { describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { loadPrefixedState, prefixedState } from "./_state.ts";

/** A stack of layers. */
export class Sequential implements Layer, StatefulLayer {
  /** The layers, in order. */
  readonly layers: readonly Layer[];
  /** Description. */
  readonly name: string;

  /**
   * Builds the stack.
   *
   * @param layers Layers in order.
   * @throws {RangeError} When empty.
   */
  constructor(layers: readonly Layer[]) {
    if (!Array.isArray(layers as unknown)) {
      throw new TypeError(`Cannot build Sequential: layers must be an array of layers (got ${describe(layers)})`);
    }
    if (layers.length === 0) throw new RangeError("Cannot build Sequential: no layers given");
    layers.forEach((l, i) => checkLayer("build Sequential", `layers[${i}]`, l));
    this.layers = layers;
    this.name = `Sequential(${layers.map((l) => l.name).join(", ")})`;
  }

  /**
   * Applies every layer.
   *
   * @param x Input batch.
   * @param mode Train or eval (default "train").
   * @returns The output.
   */
  forward(x: Tensor, mode: ForwardMode = "train"): Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, mode);
    return h;
  }

  /**
   * Applies every layer and returns all activations: `[x, layer0(x), layer1(layer0(x)), ...]`.
   *
   * @param x Input batch.
   * @param mode Train or eval (default "eval").
   * @returns One tensor per layer boundary (length = layers + 1).
   */
  trace(x: Tensor, mode: ForwardMode = "eval"): Tensor[] {
    const out = [x];
    for (const layer of this.layers) out.push(layer.forward(out[out.length - 1], mode));
    return out;
  }

  /** Every layer's trainable parameters, in order. */
  parameters(): Tensor[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /**
   * Every layer's state by `"<index>.<name>"` (`"0.weights"`, `"1.runningMean"`), in layer order.
   *
   * @returns Name → tensor.
   * @throws {TypeError} When a layer has no `stateDict`.
   */
  stateDict(): Record<string, Tensor> {
    return prefixedState("read the state of Sequential", this.#named());
  }

  /**
   * Replaces every layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode Sequential.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays, or a layer has no `loadState`.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    loadPrefixedState("load state into Sequential", this.#named(), state);
  }

  #named(): [string, Layer][] {
    return this.layers.map((l, i) => [String(i), l]);
  }

  /** Excludes every parameter from open `tidy` scopes (call after building a model inside one). */
  keepParameters(): void {
    for (const p of this.parameters()) keep(p);
  }
}
