/**
 * The empirical NTK of any differentiable model, from its explicit Jacobian: one forward pass per example
 * and one backward pass per output give the rows ∂f_o(x_n)/∂θ, and Θ = Σ over parameter tensors of
 * J_θ J_θᵀ. For models the layer-structure path of ./ntk.ts cannot describe (attention, normalisation,
 * embeddings); it costs N·K backward passes, so it suits small probes.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { matmul } from "../ops/matmul.ts";
import { add } from "../ops/arithmetic.ts";
import { concat, slice } from "../ops/layout.ts";
import { grad } from "../ops/autodiff.ts";
import { formatShape } from "../ops/tensor.ts";
import type { Layer, TraceableModel } from "../model/parameterized.ts";
import { structureOf } from "../model/layer_signals.ts";

/** Whether the layer-structure path can compute this model's NTK (dense/conv weights, parameter-free rest). */
export function describedByLayers(model: Layer): model is TraceableModel {
  const layers = (model as Partial<TraceableModel>).layers;
  if (!Array.isArray(layers)) return false;
  return layers.every((layer) => {
    const kind = structureOf(layer).kind;
    return kind === "dense" || kind === "conv" || layer.parameters().length === 0;
  });
}

/**
 * Θ by the explicit Jacobian: traced (N x N, Σ_o) or full (NK x NK, index n·K + o), on the device.
 *
 * @throws {RangeError} When the model's output is not [1, K] per example, it has no parameters, or one
 *   parameter's Jacobian block (N·K rows) would not fit the device's binding limit.
 */
export function autodiffNtk(model: Layer, x: Tensor, traced: boolean): Tensor {
  const params = model.parameters();
  if (params.length === 0) throw new RangeError(`Cannot compute the NTK of ${model.name}: it has no parameters`);
  const n = x.shape[0], rest = x.shape.slice(1);
  return tidy(() => {
    // rows[p][n·K + o] = ∂f_o(x_n)/∂θ_p, flattened to [1, size_p].
    const rows: Tensor[][] = params.map(() => []);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const y = model.forward(slice(x, [i, ...rest.map(() => 0)], [1, ...rest]), "eval");
      if (y.rank !== 2 || y.shape[0] !== 1) {
        throw new RangeError(`Cannot compute the NTK: model output must be [batch, K] (got ${formatShape(y.shape)})`);
      }
      k = y.shape[1];
      const limit = Tensor.maxBytes(x.runtime), largest = Math.max(...params.map((p) => p.size));
      if (n * k * largest * 4 > limit) {
        throw new RangeError(
          `Cannot compute the NTK of ${model.name} by its Jacobian: ${n * k} rows of its largest parameter ` +
            `(${largest} values) take ${
              n * k * largest * 4
            } bytes, over the binding limit ${limit}; use fewer examples`,
        );
      }
      for (let o = 0; o < k; o++) {
        const g = grad(slice(y, [0, o], [1, 1]), params, { allowUnused: true });
        g.forEach((t, p) => rows[p].push(t.reshape([1, t.size])));
      }
    }
    let full: Tensor | null = null;
    for (const r of rows) {
      const j = r.length === 1 ? r[0] : concat(r, 0);
      const term = matmul(j, j, { transposeB: true });
      full = full ? add(full, term) : term;
    }
    if (!traced || k === 1) return full!.reshape(traced ? [n, n] : [n * k, n * k]);
    // Σ_o Θ[(i, o), (j, o)]: the diagonal output blocks of [n, K, n, K].
    const blocks = Array.from(
      { length: k },
      (_, o) => slice(full!.reshape([n, k, n, k]), [0, o, 0, o], [n, 1, n, 1]).reshape([n, n]),
    );
    return blocks.reduce((a, b) => add(a, b));
  });
}
