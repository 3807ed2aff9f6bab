/**
 * Layer inputs and per-example output gradients of a traceable model: the ingredients of per-example
 * parameter gradients and of the empirical NTK (a dense weight's per-example gradient is c_w a_nᵀ δ_n).
 *
 * @module
 */
import { formatShape, type Tensor } from "../ops/tensor.ts";
import type { DescribedLayer, LayerStructure, TraceableModel } from "./parameterized.ts";
import { grad } from "../ops/autodiff.ts";
import { sum } from "../ops/arithmetic.ts";
import { slice } from "../ops/layout.ts";
import { im2col, windowGeometry } from "../ops/conv.ts";
import { matmul } from "../ops/matmul.ts";

/** A weight layer's structure. */
export type WeightStructure = Extract<LayerStructure, { kind: "dense" | "conv" }>;

/** What one weight layer saw: its structure, its input activation and δ = ∂(Σ_n f_n,output)/∂(its output). */
export interface LayerSignal {
  /** The layer's structure. */
  structure: WeightStructure;
  /** Input activation of the layer. */
  input: Tensor;
  /** Gradient of the chosen output, summed over examples, with respect to the layer's output (row n = δ_n). */
  delta: Tensor;
}

/**
 * The structure of a layer, or `{ kind: "other" }` when it cannot describe itself.
 *
 * @param layer Any layer.
 * @returns Its structure.
 */
export function structureOf(layer: { name: string; structure?: () => LayerStructure }): LayerStructure {
  return typeof layer.structure === "function" ? layer.structure() : { kind: "other", name: layer.name };
}

/**
 * Runs the model once (eval mode) and, for each requested output column, differentiates that column
 * summed over the batch with respect to every weight layer's output. Rows must not interact (no batch
 * norm in train mode), so row n of each gradient is that example's δ.
 *
 * @param model A traceable model whose trainable layers are dense or convolutional.
 * @param x Input batch.
 * @param outputs Output columns.
 * @returns Per output, one signal per weight layer (in layer order).
 * @throws {RangeError} For trainable layers of another kind, or an output out of range.
 */
export function layerSignalsForOutputs(
  model: TraceableModel,
  x: Tensor,
  outputs: readonly number[],
): LayerSignal[][] {
  const acts = [x];
  const found: { structure: WeightStructure; index: number }[] = [];
  model.layers.forEach((layer, i) => {
    const s = structureOf(layer as DescribedLayer);
    if (s.kind === "dense" || s.kind === "conv") found.push({ structure: s, index: i });
    else if (layer.parameters().length > 0) {
      throw new RangeError(`Layer signals support dense and convolutional parameters only (found ${layer.name})`);
    }
    const out = layer.forward(acts[i], "eval");
    // Differentiate with respect to every layer output, parameter-free ones included.
    if (!out.requiresGrad) out.requiresGrad = true;
    acts.push(out);
  });
  const y = acts[acts.length - 1];
  for (const output of outputs) {
    if (y.rank !== 2 || !(Number.isInteger(output) && output >= 0 && output < y.shape[1])) {
      throw new RangeError(`Cannot pick output ${output} of a model whose output is ${formatShape(y.shape)}`);
    }
  }
  const targets = found.map((f) => acts[f.index + 1]);
  return outputs.map((output) => {
    const deltas = grad(sum(slice(y, [0, output], [y.shape[0], 1])), targets);
    return found.map((f, j) => ({ structure: f.structure, input: acts[f.index], delta: deltas[j] }));
  });
}

/**
 * {@linkcode layerSignalsForOutputs} for one output column.
 *
 * @param model Traceable model.
 * @param x Input batch.
 * @param output Output column.
 * @returns One signal per weight layer.
 */
export function layerSignals(model: TraceableModel, x: Tensor, output: number): LayerSignal[] {
  return layerSignalsForOutputs(model, x, [output])[0];
}

/**
 * The forward multipliers (c_w, c_b) of a weight layer: y = c_w · x W + c_b · b.
 *
 * @param s Weight layer structure.
 * @returns The two scales.
 */
export function forwardScales(s: WeightStructure): { cw: number; cb: number } {
  if (s.parameterization === "standard") return { cw: 1, cb: 1 };
  const fanIn = s.kind === "dense" ? s.weights.shape[0] : s.filters.shape[0] * s.filters.shape[1] * s.filters.shape[2];
  return { cw: ntkWeightMultiplier(s.weightStd, fanIn), cb: s.biasStd };
}

/**
 * The forward weight multiplier of the NTK parameterization, c_w = σ_w / √fan_in (weights ~ N(0, 1)).
 *
 * @param weightStd σ_w.
 * @param fanIn Inputs per output unit.
 * @returns c_w.
 */
export function ntkWeightMultiplier(weightStd: number, fanIn: number): number {
  return weightStd / Math.sqrt(fanIn);
}

/**
 * Per-example gradients of a conv layer's filters (flattened, [n, kh·kw·c·f]) and bias ([n, f]) from its
 * input and the output signals δ of one or more outputs: im2col once, then Σ over positions of
 * patch ⊗ δ as one batched matmul per signal. Unscaled (multiply by c_w, c_b as the layer does).
 *
 * @param s The conv layer's structure.
 * @param input The layer's input batch (NHWC).
 * @param deltas ∂(output)/∂(layer output) per signal, [n, oh, ow, f].
 * @returns Filter and bias gradients, one per signal.
 */
export function convExampleGradients(
  s: Extract<WeightStructure, { kind: "conv" }>,
  input: Tensor,
  deltas: readonly Tensor[],
): { filters: Tensor[]; bias: Tensor[] } {
  const n = input.shape[0];
  const [kh, kw, c, f] = s.filters.shape;
  const g = windowGeometry(input.shape, [kh, kw], { stride: s.stride, padding: s.padding });
  const p = g.oh * g.ow;
  const cols = im2col(input, g).reshape([n, p, kh * kw * c]);
  const filters: Tensor[] = [], bias: Tensor[] = [];
  for (const delta of deltas) {
    const d = delta.reshape([n, p, f]);
    filters.push(matmul(cols, d, { transposeA: true }).reshape([n, kh * kw * c * f]));
    bias.push(sum(d, { axis: 1 }));
  }
  return { filters, bias };
}
