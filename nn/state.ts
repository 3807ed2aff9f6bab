/**
 * Model state by name: every parameter and buffer of a layer (weights, biases, batch-norm running
 * statistics, frozen random features), read back to the host and put back, like PyTorch's `state_dict`
 * and `load_state_dict`. Names are dotted paths: `"weights"` in a Dense layer, `"3.runningVar"` for the
 * fourth layer of a Sequential, `"inner.0.bias"` inside a Residual block.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { concat } from "../ops/layout.ts";
import { describe } from "../check/args.ts";

/** A host copy of a layer's state: one Float32Array per named tensor. */
export type LayerState = Record<string, Float32Array>;

/** A layer whose whole state can be read by name and replaced. */
export interface StatefulLayer extends Layer {
  /**
   * Every tensor of the layer's state (parameters and buffers) by name, in a fixed order; the live tensors,
   * not copies.
   *
   * @returns Name → tensor.
   */
  stateDict(): Record<string, Tensor>;
  /**
   * Replaces every tensor of the state with a new one holding `state`'s values (same shape, same
   * `requiresGrad`); the old tensors are disposed. Nothing changes when the state does not match.
   *
   * @param state A value per name of {@linkcode StatefulLayer.stateDict}, each with its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs.
   */
  loadState(state: LayerState): void;
}

/**
 * The state of a layer on the host, read back in one transfer (all tensors concatenated on the GPU).
 *
 * @example Save, change and restore a layer
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "../mod.ts";
 * import { Dense, saveState } from "./mod.ts";
 * await initGpu();
 * const layer = new Dense(2, 3, { seed: 1 });
 * const saved = await saveState(layer);
 * assert.deepEqual(Object.keys(saved), ["weights", "bias"]);
 * layer.loadState({ weights: new Float32Array(6), bias: new Float32Array(3) });
 * layer.loadState(saved);
 * assert.deepEqual(await layer.weights.toArray(), saved.weights);
 * ```
 *
 * @param layer A layer with {@linkcode StatefulLayer.stateDict}.
 * @returns Name → a copy of the values.
 * @throws {TypeError} When the layer (or one inside it) has no `stateDict`.
 */
export async function saveState(layer: StatefulLayer): Promise<LayerState> {
  if (typeof (layer as Partial<StatefulLayer> | null)?.stateDict !== "function") {
    throw new TypeError(`Cannot save state: layer must have a stateDict method (got ${describe(layer)})`);
  }
  const entries = Object.entries(layer.stateDict());
  if (entries.length === 0) return {};
  const tensors = entries.map(([, t]) => t);
  const flat = tidy(() => concat(tensors.map((t) => t.reshape([t.size])), 0));
  const all = await flat.toArray();
  flat.dispose();
  let offset = 0;
  return Object.fromEntries(entries.map(([name, t]) => [name, all.slice(offset, offset += t.size)]));
}
