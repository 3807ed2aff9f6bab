/**
 * A model's weights in and out of safetensors files under PyTorch's names and layouts, so a network trained
 * in PyTorch (`safetensors.torch.save_file(model.state_dict(), "model.safetensors")`) can be measured here and
 * trained weights can go back.
 *
 * Names are those of PyTorch's `state_dict` for the equivalent module: a Sequential's layers by index, a
 * Residual's layer under `inner` (a PyTorch module holding it as `self.inner`), so `mlp([2, 8, 8, 1],
 * { residual: true, batchNorm: true })` has `0.weight`, `1.running_mean`, `3.inner.0.weight`, …. Within a
 * layer: Dense `weight` and `bias`, the weight in PyTorch's Linear layout [out, in] (rankscope keeps [in, out]:
 * transposed both ways); Conv2d `weight` in PyTorch's layout [out, in, kh, kw] (rankscope's filters are
 * [kh, kw, in, out]) and `bias`; BatchNorm1d `weight` (γ), `bias` (β), `running_mean` and `running_var`
 * (PyTorch's `num_batches_tracked` is ignored on load and not written); any other layer's state under its
 * own names, unchanged. PyTorch flattens conv features in (c, h, w) order and rankscope in (h, w, c): give the
 * feature map's shape of a Dense after such a Flatten in `flattened` to permute its columns.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { checkBoolean, checkOptions, describe } from "../check/args.ts";
import { BatchNorm1d } from "./batch_norm1d.ts";
import { Conv2d } from "./conv2d.ts";
import { Dense } from "./dense.ts";
import { parseSafetensors, type Safetensors, serializeSafetensors } from "./safetensors.ts";
import { type LayerState, saveState, type StatefulLayer } from "./state.ts";

/** Options for {@linkcode loadWeights}. */
export interface LoadWeightsOptions {
  /**
   * rankscope state name (as in `model.stateDict()`, e.g. `"0.weights"`) → name in the file, for files not
   * named like PyTorch's `state_dict`; names not listed keep their PyTorch name. Layouts are converted all the same.
   */
  names?: Record<string, string>;
  /**
   * rankscope state name of a Dense weight that follows a Flatten of conv features (e.g. `"7.weights"`) →
   * `[height, width, channels]` of those features. PyTorch flattens NCHW features in (c, h, w) order and
   * rankscope NHWC features in (h, w, c) order, so that Linear's columns are permuted (on save too).
   */
  flattened?: Record<string, readonly [number, number, number]>;
  /** Refuse a file holding tensors the model does not use (default true). */
  strict?: boolean;
}

/** Options for {@linkcode saveWeights}. */
export interface SaveWeightsOptions {
  /** rankscope state name → name to write, as in {@linkcode LoadWeightsOptions.names}. */
  names?: Record<string, string>;
  /** Dense weights after a Flatten of conv features, as in {@linkcode LoadWeightsOptions.flattened}. */
  flattened?: Record<string, readonly [number, number, number]>;
  /** Strings stored as the file's `__metadata__` (default `{ format: "pt" }`, as Hugging Face writes). */
  metadata?: Record<string, string>;
}

/** What {@linkcode loadWeights} did, by name in the file. */
export interface LoadWeightsResult {
  /** The file's tensors loaded, in the model's state order. */
  loaded: string[];
  /** The file's tensors not used (`num_batches_tracked`, and the rest when `strict` is false). */
  ignored: string[];
}

/** How a state tensor is stored: its PyTorch name within its layer, and the permutation to PyTorch's layout. */
interface Layout {
  /** The name in the file within the layer (the last dotted part). */
  torchName: string;
  /** PyTorch's axis k is rankscope's axis `toTorch[k]` (null: same layout). */
  toTorch: number[] | null;
  /** The layer it belongs to, for messages. */
  layer: Layer;
}

/** One state tensor and where it goes in a file. */
interface Entry {
  state: string;
  file: string;
  tensor: Tensor;
  layout: Layout | null;
  /** The rankscope shape the values are permuted in (the tensor's, or [h, w, c, out] for `flattened`). */
  view: number[];
  /** PyTorch's axis k is axis `perm[k]` of `view` (null: same layout). */
  perm: number[] | null;
  /** The shape in the file. */
  torchShape: number[];
}

function isLayer(v: unknown): v is Layer {
  return typeof v === "object" && v !== null && typeof (v as Layer).forward === "function" &&
    typeof (v as Layer).parameters === "function";
}

/** Refuses a weight layer in the NTK parameterization: its stored values are not PyTorch's weights. */
function checkStandard(context: string, layer: Dense | Conv2d): void {
  const s = layer.structure();
  if ((s.kind === "dense" || s.kind === "conv") && s.parameterization === "ntk") {
    throw new RangeError(
      `Cannot ${context}: ${layer.name} uses the NTK parameterization (its stored weights are N(0, 1), scaled by σ_w/√fan_in in the forward pass, so they are not PyTorch's weights); build it with parameterization "standard"`,
    );
  }
}

/** The layout of every tensor of the known layers reachable from `layer` (through fields and arrays of layers). */
function collectLayouts(context: string, layer: Layer, out: Map<Tensor, Layout>, seen: Set<Layer>): void {
  if (seen.has(layer)) return;
  seen.add(layer);
  const put = (t: Tensor | null, torchName: string, toTorch: number[] | null) => {
    if (t) out.set(t, { torchName, toTorch, layer });
  };
  if (layer instanceof Dense || layer instanceof Conv2d) {
    checkStandard(context, layer);
    if (layer instanceof Dense) put(layer.weights, "weight", [1, 0]);
    else put(layer.filters, "weight", [3, 2, 0, 1]);
    put(layer.bias, "bias", null);
  } else if (layer instanceof BatchNorm1d) {
    const stats: [Tensor, string][] = [[layer.gamma, "weight"], [layer.beta, "bias"]];
    stats.push([layer.runningMean, "running_mean"], [layer.runningVar, "running_var"]);
    for (const [t, name] of stats) put(t, name, null);
  }
  for (const value of Object.values(layer)) {
    for (const v of Array.isArray(value) ? value : [value]) if (isLayer(v)) collectLayouts(context, v, out, seen);
  }
}

/** Moves axes: output axis k is input axis `perm[k]`. */
function permute(data: Float32Array, shape: readonly number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((p, d) => p * d, 1));
  const outShape = perm.map((p) => shape[p]), outStrides = perm.map((p) => strides[p]);
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let from = 0;
    for (let k = 0; k < index.length; k++) from += index[k] * outStrides[k];
    out[i] = data[from];
    for (let k = index.length - 1; k >= 0 && ++index[k] === outShape[k]; k--) index[k] = 0;
  }
  return out;
}

/** Checks a map keyed by state names: an object, every key a state name of the model. */
function checkKeys(context: string, option: string, map: object | undefined, state: string[]): [string, unknown][] {
  if (map === undefined) return [];
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new TypeError(`Cannot ${context}: options.${option} must be an object by state name (got ${describe(map)})`);
  }
  const entries = Object.entries(map);
  for (const [key] of entries) {
    if (!state.includes(key)) {
      throw new RangeError(
        `Cannot ${context}: options.${option} has ${
          JSON.stringify(key)
        }, which is not a state name of the model (its names: ${state.join(", ")})`,
      );
    }
  }
  return entries;
}

/** The rankscope shape a weight is permuted in, and the permutation to PyTorch's layout (after the checks). */
function viewOf(context: string, name: string, tensor: Tensor, layout: Layout | null, chw: unknown) {
  if (chw === undefined) {
    const perm = layout?.toTorch ?? null;
    return { view: [...tensor.shape], perm, torchShape: perm ? perm.map((k) => tensor.shape[k]) : [...tensor.shape] };
  }
  const [inputs, outputs] = tensor.shape;
  const ok = Array.isArray(chw) && chw.length === 3 && chw.every((d) => Number.isSafeInteger(d) && d > 0);
  if (
    !(layout?.layer instanceof Dense) || layout.torchName !== "weight" || !ok || chw[0] * chw[1] * chw[2] !== inputs
  ) {
    throw new RangeError(
      `Cannot ${context}: options.flattened[${
        JSON.stringify(name)
      }] must be [height, width, channels] of ${inputs} features in all, for a Dense weight (got ${describe(chw)} for ${
        layout?.layer.name ?? "a tensor of shape [" + tensor.shape.join(", ") + "]"
      })`,
    );
  }
  // As a conv filter: rankscope's rows in (h, w, c) order, PyTorch's columns in (c, h, w) order.
  return { view: [...(chw as number[]), outputs], perm: [3, 2, 0, 1], torchShape: [outputs, inputs] };
}

/** Checks the model and the options, and pairs every state tensor with its file name and layout. */
function planWeights(context: string, model: StatefulLayer, options: LoadWeightsOptions): Entry[] {
  if (!isLayer(model) || typeof (model as Partial<StatefulLayer>).stateDict !== "function") {
    throw new TypeError(
      `Cannot ${context}: model must be a layer with stateDict and loadState (got ${describe(model)})`,
    );
  }
  const layouts = new Map<Tensor, Layout>();
  collectLayouts(context, model, layouts, new Set());
  const state = Object.entries(model.stateDict()), stateNames = state.map(([s]) => s);
  const names = Object.fromEntries(checkKeys(context, "names", options.names, stateNames));
  for (const [key, value] of Object.entries(names)) {
    if (typeof value !== "string" || value === "") {
      throw new TypeError(
        `Cannot ${context}: options.names[${JSON.stringify(key)}] must be a non-empty string (got ${describe(value)})`,
      );
    }
  }
  const flattened = Object.fromEntries(checkKeys(context, "flattened", options.flattened, stateNames));
  const files = new Map<string, string>();
  return state.map(([name, tensor]): Entry => {
    const layout = layouts.get(tensor) ?? null;
    const torch = layout ? [...name.split(".").slice(0, -1), layout.torchName].join(".") : name;
    const file = Object.hasOwn(names, name) ? names[name] as string : torch;
    const other = files.get(file);
    if (other !== undefined) {
      throw new RangeError(
        `Cannot ${context}: state ${JSON.stringify(other)} and ${JSON.stringify(name)} both map to ${
          JSON.stringify(file)
        }`,
      );
    }
    files.set(file, name);
    return { state: name, file, tensor, layout, ...viewOf(context, name, tensor, layout, flattened[name]) };
  });
}

/** How an entry is described in messages: its layer and rankscope name and, when it differs, the layout. */
function whose(e: Entry): string {
  const layer = e.layout?.layer.name ?? "the model";
  const layout = e.perm ? `, rankscope's [${e.tensor.shape.join(", ")}] in PyTorch's layout` : "";
  return `${layer}'s ${JSON.stringify(e.state)}${layout}`;
}

/** The first non-finite value, for the message (undefined when all are finite). */
function firstNonFinite(data: Float32Array): string | undefined {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return `${data[i]} at index ${i}`;
  return undefined;
}

function quoteSome(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(", ");
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

/** Every check of a file against the plan; returns the state to load (rankscope layout) and what was ignored. */
function matchFile(
  context: string,
  plan: Entry[],
  file: Safetensors,
  strict: boolean,
): { state: LayerState; ignored: string[] } {
  const missing = plan.filter((e) => !file.tensors.has(e.file));
  if (missing.length > 0) {
    throw new RangeError(
      `Cannot ${context}: the file has no tensor ${quoteSome(missing.map((e) => e.file))} (for ${whose(missing[0])}${
        missing.length > 1 ? ", …" : ""
      }; the file's: ${quoteSome([...file.tensors.keys()]) || "none"})`,
    );
  }
  const state: LayerState = {};
  for (const e of plan) {
    const t = file.tensors.get(e.file)!;
    if (t.shape.length !== e.torchShape.length || t.shape.some((d, k) => d !== e.torchShape[k])) {
      throw new RangeError(
        `Cannot ${context}: ${JSON.stringify(e.file)} has shape [${
          t.shape.join(", ")
        }] in the file but the model needs [${e.torchShape.join(", ")}] (${whose(e)})`,
      );
    }
    const bad = firstNonFinite(t.data);
    if (bad !== undefined) {
      throw new RangeError(
        `Cannot ${context}: ${JSON.stringify(e.file)} holds ${bad} (a non-finite weight is never loaded)`,
      );
    }
    const values = e.perm
      ? permute(t.data, e.perm.map((k) => e.view[k]), e.perm.map((_, k) => e.perm!.indexOf(k)))
      : t.data;
    Object.defineProperty(state, e.state, { value: values, enumerable: true, writable: true, configurable: true });
  }
  const used = new Set(plan.map((e) => e.file));
  const counters = new Set(
    plan.filter((e) => e.layout?.torchName === "running_mean" && e.file.endsWith("running_mean"))
      .map((e) => `${e.file.slice(0, -"running_mean".length)}num_batches_tracked`),
  );
  const unused = [...file.tensors.keys()].filter((n) => !used.has(n));
  const extra = unused.filter((n) => !counters.has(n));
  if (strict && extra.length > 0) {
    throw new RangeError(
      `Cannot ${context}: the file has tensors the model does not use: ${
        quoteSome(extra)
      } (pass { strict: false } to ignore them, or map names with options.names)`,
    );
  }
  return { state, ignored: unused };
}

/**
 * Loads weights from a safetensors file (PyTorch names and layouts, see the module documentation) into a
 * model: every check is made first (the file, every name present, no extra name unless `strict` is false,
 * every shape after the layout conversion, every value finite), and only then is the state replaced, so a
 * model is never left half-loaded.
 *
 * @example Load weights saved from an equivalent PyTorch model
 * ```ts
 * import assert from "node:assert";
 * import { type Dense, initGpu, mlp } from "../mod.ts";
 * import { serializeSafetensors } from "./safetensors.ts";
 * import { loadWeights } from "./weights.ts";
 * await initGpu();
 * const model = mlp([2, 3, 1]); // Linear(2, 3), ReLU, Linear(3, 1)
 * const file = serializeSafetensors({
 *   "0.weight": { shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, // PyTorch: [out, in]
 *   "0.bias": { shape: [3], data: new Float32Array(3) },
 *   "2.weight": { shape: [1, 3], data: new Float32Array([1, 1, 1]) },
 *   "2.bias": { shape: [1], data: new Float32Array([0.5]) },
 * });
 * assert.deepEqual(loadWeights(model, file).loaded, ["0.weight", "0.bias", "2.weight", "2.bias"]);
 * assert.deepEqual((model.layers[0] as Dense).weights.shape, [2, 3]); // rankscope: [in, out]
 * ```
 *
 * @param model A layer with `stateDict` and `loadState` (a Sequential, say).
 * @param source The file's bytes, or a file already read by {@linkcode parseSafetensors}.
 * @param options Names for other naming schemes, Dense layers after a Flatten of conv features, and whether
 *   extra tensors are refused.
 * @returns The file's tensors loaded and ignored.
 * @throws {TypeError} For a model without state, bad options, or a source that is neither bytes nor a parsed file.
 * @throws {RangeError} For a malformed file (as {@linkcode parseSafetensors}), a missing or (when strict) extra
 *   name, a shape that differs (both shapes named), a NaN or infinite value, a weight layer in the NTK
 *   parameterization, or an options key that is not a state name; the model is unchanged.
 */
export function loadWeights(
  model: StatefulLayer,
  source: ArrayBuffer | Uint8Array | Safetensors,
  options: LoadWeightsOptions = {},
): LoadWeightsResult {
  const context = "load weights";
  checkOptions(context, options, ["names", "flattened", "strict"]);
  const strict = checkBoolean(context, "options.strict", options.strict ?? true);
  const plan = planWeights(context, model, options);
  const isParsed = typeof source === "object" && source !== null && (source as Safetensors).tensors instanceof Map;
  if (!isParsed && !(source instanceof ArrayBuffer) && !(source instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot ${context}: source must be an ArrayBuffer, a Uint8Array or a parsed file (got ${describe(source)})`,
    );
  }
  const file = isParsed ? source as Safetensors : parseSafetensors(source as ArrayBuffer | Uint8Array);
  const { state, ignored } = matchFile(context, plan, file, strict);
  model.loadState(state);
  return { loaded: plan.map((e) => e.file), ignored };
}

/**
 * The model's weights as a safetensors file of F32 tensors under PyTorch's names and layouts (see the module
 * documentation), in the model's state order: `torch.nn.Module.load_state_dict(safetensors.torch.load_file(…))`
 * reads it into the equivalent PyTorch model (pass `strict=False` there for BatchNorm's `num_batches_tracked`).
 * Saving and loading into a model of the same architecture is bit-exact.
 *
 * @example Save and load into a fresh model
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mlp } from "../mod.ts";
 * import { parseSafetensors } from "./safetensors.ts";
 * import { loadWeights, saveWeights } from "./weights.ts";
 * await initGpu();
 * const bytes = await saveWeights(mlp([2, 4, 1], { batchNorm: true, seed: 1 }));
 * assert.deepEqual([...parseSafetensors(bytes).tensors.keys()], [
 *   "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight", "3.bias",
 * ]);
 * const fresh = mlp([2, 4, 1], { batchNorm: true, seed: 2 });
 * loadWeights(fresh, bytes);
 * ```
 *
 * @param model A layer with `stateDict` (a Sequential, say).
 * @param options Names for other naming schemes, Dense layers after a Flatten of conv features, and the metadata.
 * @returns The file's bytes.
 * @throws {TypeError} For a model without state or bad options (metadata values must be strings).
 * @throws {RangeError} For a weight layer in the NTK parameterization, a names map that is not one to one,
 *   or a NaN or infinite value in the state.
 */
export async function saveWeights(model: StatefulLayer, options: SaveWeightsOptions = {}): Promise<Uint8Array> {
  const context = "save weights";
  checkOptions(context, options, ["names", "flattened", "metadata"]);
  const metadata = options.metadata ?? { format: "pt" };
  if (
    typeof metadata !== "object" || Array.isArray(metadata) ||
    Object.values(metadata).some((v) => typeof v !== "string")
  ) {
    throw new TypeError(`Cannot ${context}: options.metadata must be an object of strings (got ${describe(metadata)})`);
  }
  const plan = planWeights(context, model, options);
  const host = await saveState(model);
  const tensors = plan.map((e) => {
    const values = host[e.state];
    const bad = firstNonFinite(values);
    if (bad !== undefined) {
      throw new RangeError(`Cannot ${context}: ${whose(e)} holds ${bad} (a non-finite weight is never written)`);
    }
    const data = e.perm ? permute(values, e.view, e.perm) : values;
    return [e.file, { shape: e.torchShape, data }] as const;
  });
  return serializeSafetensors(Object.fromEntries(tensors), metadata);
}
