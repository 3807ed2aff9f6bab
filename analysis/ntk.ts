/**
 * The empirical neural tangent kernel Θ_oo'(x, x') = Σ_θ ∂f_o(x)/∂θ · ∂f_o'(x')/∂θ of a traceable model,
 * from layer structure instead of a full Jacobian: a dense layer contributes (c_w² A Aᵀ + c_b²) ⊙ Δ_o Δ_o'ᵀ
 * (A its inputs, Δ_o the per-example gradients of output o at its output), a convolution g_o g_o'ᵀ with
 * its per-example weight gradients g = c_w patchesᵀ δ, plus c_b² times the product of the summed δ.
 *
 * @module
 */
import { formatShape, type Tensor, tidy } from "../ops/tensor.ts";
import type { TraceableModel } from "../model/parameterized.ts";
import { matmul } from "../ops/matmul.ts";
import { add, mul } from "../ops/elementwise.ts";
import { concat, slice, transpose } from "../ops/layout.ts";
import {
  convExampleGradients,
  forwardScales,
  layerSignalsForOutputs,
  structureOf,
  type WeightStructure,
} from "../model/layer_signals.ts";

/** Options for {@linkcode empiricalNtk}. */
export interface EmpiricalNtkOptions {
  /** "traced": Σ_o Θ_oo, N x N (default); "full": every output pair, NK x NK with index n·K + o. */
  mode?: "traced" | "full";
  /** Examples per forward/backward pass (default 128): bounds activation memory. */
  chunk?: number;
}

/** One chunk's per-example factors of one weight layer, per output o. */
interface Factors {
  /** Dense only: inputs scaled by c_w, [n, din]. */
  a: Tensor | null;
  /** Dense: Δ_o [n, dout]; conv: g_o [n, kh·kw·c·f]. */
  main: Tensor[];
  /** Conv only: δ_o summed over positions [n, f] (the bias gradient). */
  bias: Tensor[];
}

function layerFactors(structure: WeightStructure, signals: { input: Tensor; delta: Tensor }[]): Factors {
  const { cw } = forwardScales(structure);
  const scale = (t: Tensor) => (cw === 1 ? t : mul(t, cw));
  const input = signals[0].input;
  if (structure.kind === "dense") return { a: scale(input), main: signals.map((s) => s.delta), bias: [] };
  const { filters, bias } = convExampleGradients(structure, input, signals.map((s) => s.delta));
  return { a: null, main: filters.map(scale), bias };
}

/** Σ over layers of Θ between the examples of two chunks, for outputs `oa` (rows) and `ob` (columns). */
function block(structures: WeightStructure[], fa: Factors[], fb: Factors[], oa: number, ob: number): Tensor {
  let total: Tensor | null = null;
  structures.forEach((s, l) => {
    const { cb } = forwardScales(s);
    const cb2 = s.bias ? cb * cb : 0;
    const dd = matmul(fa[l].main[oa], fb[l].main[ob], { transposeB: true });
    let term: Tensor;
    if (s.kind === "dense") {
      const aa = matmul(fa[l].a!, fb[l].a!, { transposeB: true });
      term = mul(cb2 ? add(aa, cb2) : aa, dd);
    } else {
      const bias = cb2 ? mul(matmul(fa[l].bias[oa], fb[l].bias[ob], { transposeB: true }), cb2) : null;
      term = bias ? add(dd, bias) : dd;
    }
    total = total ? add(total, term) : term;
  });
  return total!;
}

/**
 * Empirical NTK of a model at a batch of inputs, traced over outputs (N x N) or full (NK x NK).
 *
 * @param model Traceable model of dense/conv weight layers and parameter-free layers (run in eval mode).
 * @param x Inputs [N, ...].
 * @param options Mode and chunk size.
 * @returns The kernel.
 * @throws {RangeError} For unsupported layers, or a model whose output is not [batch, K].
 */
export function empiricalNtk(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions = {}): Tensor {
  const n = x.shape[0], rest = x.shape.slice(1);
  const chunk = Math.max(1, options.chunk ?? 128);
  const structures = model.layers.map(structureOf).filter((s): s is WeightStructure =>
    s.kind === "dense" || s.kind === "conv"
  );
  if (structures.length === 0) throw new RangeError(`Cannot compute the NTK of ${model.name}: it has no weight layers`);
  return tidy(() => {
    const probe = model.forward(slice(x, x.shape.map(() => 0), [1, ...rest]), "eval");
    if (probe.rank !== 2) {
      throw new RangeError(`Cannot compute the NTK: model output must be [batch, K] (got ${formatShape(probe.shape)})`);
    }
    const k = probe.shape[1];
    const outputs = Array.from({ length: k }, (_, o) => o);
    const starts = Array.from({ length: Math.ceil(n / chunk) }, (_, i) => i * chunk);
    // Per chunk keep only the per-example factors; the passes' activations are freed.
    const chunks: Factors[][] = starts.map((start) =>
      tidy(() => {
        const xc = slice(x, [start, ...rest.map(() => 0)], [Math.min(chunk, n - start), ...rest]);
        const signals = layerSignalsForOutputs(model, xc, outputs);
        return structures.map((s, l) => {
          const f = layerFactors(s, signals.map((perOutput) => perOutput[l]));
          return { a: f.a, main: f.main, bias: f.bias };
        });
      })
    );
    const traced = (options.mode ?? "traced") === "traced";
    // Traced: Σ_o X_o Y_oᵀ = [X_0 … X_K][Y_0 … Y_K]ᵀ, so concatenate the outputs' factors once per chunk.
    const factors = traced
      ? chunks.map((layers) =>
        layers.map((f) => ({ a: f.a, main: [concat(f.main, 1)], bias: f.bias.length ? [concat(f.bias, 1)] : [] }))
      )
      : chunks;
    const compute = (i: number, j: number): Tensor => {
      if (traced) return block(structures, factors[i], factors[j], 0, 0);
      // Full: [na, K, nb, K] from the K² output pairs, flattened to index n·K + o.
      const na = factors[i][0].main[0].shape[0], nb = factors[j][0].main[0].shape[0];
      const rows = outputs.map((o) =>
        concat(outputs.map((o2) => block(structures, factors[i], factors[j], o, o2).reshape([na, 1, nb, 1])), 3)
      );
      return (k === 1 ? rows[0] : concat(rows, 1)).reshape([na * k, nb * k]);
    };
    const blocks: Tensor[][] = [];
    for (let i = 0; i < starts.length; i++) {
      // Θ is symmetric: blocks below the diagonal are transposes of blocks above it.
      blocks.push(starts.map((_, j) => (j < i ? transpose(blocks[j][i]) : compute(i, j))));
    }
    const rows = blocks.map((row) => (row.length === 1 ? row[0] : concat(row, 1)));
    return rows.length === 1 ? rows[0] : concat(rows, 0);
  });
}
