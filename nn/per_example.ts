/**
 * Per-example gradients of a model's outputs with respect to its parameters, from one forward pass and
 * one backward pass per output, using layer structure (a dense weight's per-example gradient is the outer
 * product c_w a_nᵀ δ_n; a convolution's is c_w patchesᵀ δ summed over positions), so no loop over examples.
 *
 * @module
 */
import { tidy } from "../ops/scope.ts";
import type { Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { mul } from "../ops/arithmetic.ts";
import { convExampleGradients, forwardScales, layerSignals } from "../model/layer_signals.ts";
import type { Sequential } from "./sequential.ts";

/**
 * Per-example gradients ∂f(x_n)_output/∂θ for every parameter θ of a Sequential of Dense/Conv2d layers.
 *
 * @param model The model (evaluated in eval mode).
 * @param x Input batch of N examples.
 * @param output Output column.
 * @returns One tensor per parameter, in `model.parameters()` order, shaped [N, ...parameter shape].
 * @throws {RangeError} For unsupported layers or an output out of range.
 */
export function perExampleGradients(model: Sequential, x: Tensor, output: number): Tensor[] {
  return tidy(() => {
    const n = x.shape[0];
    const out: Tensor[] = [];
    for (const { structure: s, input, delta } of layerSignals(model, x, output)) {
      const { cw, cb } = forwardScales(s);
      const scale = (t: Tensor, c: number) => (c === 1 ? t : mul(t, c));
      if (s.kind === "dense") {
        const [din, dout] = s.weights.shape;
        // a_nᵀ δ_n as a batched outer product [N, din, 1] x [N, 1, dout].
        out.push(scale(matmul(input.reshape([n, din, 1]), delta.reshape([n, 1, dout])), cw));
        if (s.bias) out.push(scale(delta.reshape([n, dout]), cb));
      } else {
        const { filters, bias } = convExampleGradients(s, input, [delta]);
        out.push(scale(filters[0].reshape([n, ...s.filters.shape]), cw));
        if (s.bias) out.push(scale(bias[0], cb));
      }
    }
    return out;
  });
}
