/**
 * Per-example gradients of a model's outputs with respect to its parameters, from one forward pass and
 * one backward pass per output, using layer structure (a dense weight's per-example gradient is the outer
 * product c_w a_nᵀ δ_n; a convolution's is c_w patchesᵀ δ summed over positions), so no loop over examples.
 *
 * @module
 */
import { tidy } from "../ops/tensor.ts";
import type { Tensor } from "../ops/tensor.ts";
import { im2col, windowGeometry } from "../ops/conv.ts";
import { matmul } from "../ops/matmul.ts";
import { sum } from "../ops/reduce.ts";
import { mul } from "../ops/elementwise.ts";
import { forwardScales, layerSignals } from "../model/layer_signals.ts";
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
        const [kh, kw, c, f] = s.filters.shape;
        const g = windowGeometry(input.shape, [kh, kw], { stride: s.stride, padding: s.padding });
        const p = g.oh * g.ow;
        const cols = im2col(input, g).reshape([n, p, kh * kw * c]);
        const d = delta.reshape([n, p, f]);
        out.push(scale(matmul(cols, d, { transposeA: true }).reshape([n, kh, kw, c, f]), cw));
        if (s.bias) out.push(scale(sum(d, { axis: 1 }), cb));
      }
    }
    return out;
  });
}
