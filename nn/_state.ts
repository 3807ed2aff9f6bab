/**
 * The checks and container plumbing behind the layers' `stateDict` and `loadState` (see state.ts).
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import { keep } from "../ops/scope.ts";
import { Tensor } from "../ops/tensor.ts";
import { describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";

/**
 * The state of a layer, checking that it has one (for containers of layers and {@linkcode saveState}).
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The layer's name in the message.
 * @param layer The layer.
 * @returns Its {@linkcode StatefulLayer.stateDict}.
 * @throws {TypeError} When it has no `stateDict`.
 */
export function stateOf(context: string, name: string, layer: Layer): Record<string, Tensor> {
  const l = layer as Partial<StatefulLayer> | null;
  if (typeof l?.stateDict !== "function" || typeof l.loadState !== "function") {
    throw new TypeError(
      `Cannot ${context}: ${name} (${
        typeof l?.name === "string" ? l.name : describe(layer)
      }) has no stateDict and loadState methods`,
    );
  }
  return l.stateDict();
}

/**
 * Checks a host state against the tensors it is to replace: the same names, each a Float32Array of the
 * tensor's size.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param expected Name → the tensor now held.
 * @param state The state to load.
 * @throws {TypeError} When the state is not an object or a value is not a Float32Array.
 * @throws {RangeError} When a name is missing or unknown, or a size differs.
 */
export function checkState(context: string, expected: Record<string, Tensor>, state: LayerState): void {
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new TypeError(`Cannot ${context}: state must be an object of Float32Arrays by name (got ${describe(state)})`);
  }
  const names = Object.keys(expected);
  const unknown = Object.keys(state).filter((k) => !Object.hasOwn(expected, k));
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot ${context}: state has unknown name ${JSON.stringify(unknown[0])} (the layer's: ${
        names.length ? names.join(", ") : "none"
      })`,
    );
  }
  for (const name of names) {
    const values = state[name], t = expected[name];
    if (values === undefined) throw new RangeError(`Cannot ${context}: state is missing ${JSON.stringify(name)}`);
    if (!(values instanceof Float32Array)) {
      throw new TypeError(
        `Cannot ${context}: state[${JSON.stringify(name)}] must be a Float32Array (got ${describe(values)})`,
      );
    }
    if (values.length !== t.size) {
      throw new RangeError(
        `Cannot ${context}: state[${JSON.stringify(name)}] has ${values.length} values but the tensor of shape [${
          t.shape.join(", ")
        }] needs ${t.size}`,
      );
    }
  }
}

/**
 * A new tensor with `values`, the shape, runtime and `requiresGrad` of `old`, kept out of open `tidy`
 * scopes; `old` is disposed.
 *
 * @param old The tensor replaced.
 * @param values Its new values (checked by {@linkcode checkState}).
 * @returns The new tensor.
 */
export function replaceTensor(old: Tensor, values: Float32Array): Tensor {
  const t = keep(Tensor.fromArray(values, old.shape, { runtime: old.runtime }));
  t.requiresGrad = old.requiresGrad;
  old.dispose();
  return t;
}

/**
 * The state of the layers of a container by dotted name (`"0.weights"`, `"inner.bias"`).
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param layers Prefix → layer.
 * @returns Name → tensor.
 * @throws {TypeError} When a layer has no `stateDict`.
 */
export function prefixedState(context: string, layers: [string, Layer][]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [prefix, layer] of layers) {
    for (const [name, t] of Object.entries(stateOf(context, `layer ${prefix}`, layer))) out[`${prefix}.${name}`] = t;
  }
  return out;
}

/**
 * Loads a container's state: checks it whole, then gives each layer the entries under its prefix.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param layers Prefix → layer.
 * @param state The state to load.
 * @throws {TypeError} As {@linkcode checkState}.
 * @throws {RangeError} As {@linkcode checkState}.
 */
export function loadPrefixedState(context: string, layers: [string, Layer][], state: LayerState): void {
  checkState(context, prefixedState(context, layers), state);
  for (const [prefix, layer] of layers) {
    const own: LayerState = {};
    for (const name of Object.keys(state)) {
      if (name.startsWith(`${prefix}.`)) own[name.slice(prefix.length + 1)] = state[name];
    }
    (layer as StatefulLayer).loadState(own);
  }
}
