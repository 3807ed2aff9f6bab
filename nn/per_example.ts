/**
 * Per-example gradients of a model's outputs with respect to its parameters, from one forward pass and
 * one backward pass per output, using layer structure (a dense weight's per-example gradient is the outer
 * product a_nᵀ δ_n; a convolution's is patchesᵀ δ summed over positions), so no loop over examples.
 *
 * @module
 */
import { formatShape, type Tensor, tidy } from "../ops/tensor.ts";
import type { Layer } from "../ops/parameterized.ts";
import { grad } from "../ops/autodiff.ts";
import { im2col, windowGeometry } from "../ops/conv.ts";
import { matmul } from "../ops/matmul.ts";
import { sum } from "../ops/reduce.ts";
import { slice } from "../ops/layout.ts";
import { Conv2d, Dense } from "./layers.ts";
import type { Sequential } from "./sequential.ts";

/** Per-example gradients of one output, one entry per parameter in `model.parameters()` order. */
export type PerExampleGradients = Tensor[];

/**
 * Layer inputs and output-gradients needed for per-example gradients: for each parameterized layer, its
 * input activation and ∂(Σ_n f(x)_n,output)/∂(layer output), which row by row is the per-example δ.
 *
 * @param model A Sequential of Dense/Conv2d layers and parameter-free layers.
 * @param x Input batch.
 * @param output Which output column to differentiate.
 * @returns Per parameterized layer: the layer, its input and δ.
 * @throws {RangeError} For a parameterized layer other than Dense or Conv2d, or an output out of range.
 */
export function layerSignals(
  model: Sequential,
  x: Tensor,
  output: number,
): { layer: Dense | Conv2d; input: Tensor; delta: Tensor }[] {
  const acts = [x];
  const found: { layer: Dense | Conv2d; index: number }[] = [];
  model.layers.forEach((layer: Layer, i) => {
    if (layer instanceof Dense || layer instanceof Conv2d) found.push({ layer, index: i });
    else if (layer.parameters().length > 0) {
      throw new RangeError(`Per-example gradients support Dense and Conv2d parameters only (found ${layer.name})`);
    }
    const out = layer.forward(acts[i], "eval");
    // Make every layer output a leaf-like node we can differentiate with respect to.
    if (!out.requiresGrad) out.requiresGrad = true;
    acts.push(out);
  });
  const y = acts[acts.length - 1];
  if (y.rank !== 2 || !(output >= 0 && output < y.shape[1])) {
    throw new RangeError(`Cannot pick output ${output} of a model whose output is ${formatShape(y.shape)}`);
  }
  const targets = found.map((f) => acts[f.index + 1]);
  const deltas = grad(sum(slice(y, [0, output], [y.shape[0], 1])), targets);
  return found.map((f, j) => ({ layer: f.layer, input: acts[f.index], delta: deltas[j] }));
}

/**
 * Per-example gradients ∂f(x_n)_output/∂θ for every parameter θ of a Sequential of Dense/Conv2d layers.
 *
 * @param model The model (evaluated in eval mode).
 * @param x Input batch of N examples.
 * @param output Output column.
 * @returns One tensor per parameter, shaped [N, ...parameter shape].
 * @throws {RangeError} For unsupported layers or an output out of range.
 */
export function perExampleGradients(model: Sequential, x: Tensor, output: number): PerExampleGradients {
  return tidy(() => {
    const n = x.shape[0];
    const out: Tensor[] = [];
    for (const { layer, input, delta } of layerSignals(model, x, output)) {
      if (layer instanceof Dense) {
        const [din, dout] = layer.weights.shape;
        // a_nᵀ δ_n as a batched outer product [N, din, 1] x [N, 1, dout].
        out.push(matmul(input.reshape([n, din, 1]), delta.reshape([n, 1, dout])));
        if (layer.bias) out.push(delta.reshape([n, dout]));
      } else {
        const [kh, kw, c, f] = layer.filters.shape;
        const g = windowGeometry(input.shape, [kh, kw], { ...layer.window, stride: layer.window.stride });
        const p = g.oh * g.ow;
        const cols = im2col(input, g).reshape([n, p, kh * kw * c]);
        const d = delta.reshape([n, p, f]);
        out.push(matmul(cols, d, { transposeA: true }).reshape([n, kh, kw, c, f]));
        if (layer.bias) out.push(sum(d, { axis: 1 }));
      }
    }
    return out;
  });
}
