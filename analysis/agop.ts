/**
 * The average gradient outer product (AGOP) of a model over its inputs, its spectrum, and the neural
 * feature ansatz (NFA) correlation with the first layer's weights.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { matmul } from "../ops/matmul.ts";
import { slice } from "../ops/layout.ts";
import { inputJacobian } from "../ops/jacobian.ts";
import { checkLayer, type Layer } from "../model/parameterized.ts";
import { structureOf } from "../model/layer_signals.ts";
import { checkNumber, checkOptions } from "../check/args.ts";
import { eigvalshHost } from "../linalg/eigh.ts";
import { symmetricEigen } from "../linalg/symmetric_eigen.ts";
import { checkMatrixTensor } from "./_matrix_args.ts";
import { withDisplay } from "./_display.ts";

/** Options for {@linkcode agop}. */
export interface AgopOptions {
  /** Examples per Jacobian pass (default 256; memory is chunk × outputs × d floats). */
  chunk?: number;
  /**
   * The NFA compares W Wᵀ with AGOP^power (default 1, the ansatz as Radhakrishnan et al. state it;
   * 0.5 is the square-root form later work reports to correlate more closely).
   */
  power?: number;
}

/** The AGOP of a model. */
export interface AgopResult {
  /** The d×d AGOP, row-major float64. */
  matrix: Float64Array;
  /** Its eigenvalues, descending. */
  eigenvalues: Float64Array;
  /** Input dimension d. */
  dimension: number;
  /**
   * ⟨W Wᵀ, AGOP^power⟩_F / (‖W Wᵀ‖_F ‖AGOP^power‖_F) for the first layer's weights W [d, h] (the
   * [h, d] convention's WᵀW); null when the first layer is not dense.
   */
  nfaCorrelation: number | null;
}

const context = "compute the AGOP";

/**
 * The average gradient outer product (Radhakrishnan, Beaglehole, Pandit & Belkin, Science 2024):
 * AGOP = (1/n) Σ_i Σ_o ∇_x f_o(x_i) ∇_x f_o(x_i)ᵀ, summed over the outputs o, as (1/n) JᵀJ of the stacked
 * input Jacobians (computed on the GPU a chunk of examples at a time, accumulated in float64). With a
 * dense first layer it also gives the neural feature ansatz correlation between W Wᵀ and AGOP^power.
 *
 * @param model A layer or model whose rows do not interact (evaluated in "eval" mode).
 * @param inputs [n, d] inputs.
 * @param options Chunk size and the NFA power.
 * @returns The AGOP, its eigenvalues and the NFA correlation.
 * @throws {TypeError} When `model` is not a layer, `inputs` not a Tensor, or an option is unknown.
 * @throws {RangeError} When `inputs` is not 2-D or the model's output is not [n, k], or an option is out
 *   of range.
 * @example The AGOP of a linear map x ↦ xW is W Wᵀ, and its NFA correlation is 1
 * ```ts
 * import assert from "node:assert";
 * import { agop, Dense, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const layer = new Dense(3, 2, { seed: 1, bias: false });
 * const { eigenvalues, nfaCorrelation } = await agop(layer, Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]));
 * assert.equal(eigenvalues.length, 3);
 * assert.ok(Math.abs(nfaCorrelation! - 1) < 1e-6);
 * ```
 */
export async function agop(model: Layer, inputs: Tensor, options: AgopOptions = {}): Promise<AgopResult> {
  checkLayer(context, "model", model);
  const [n, d] = checkMatrixTensor(context, "inputs", inputs);
  checkOptions(context, options, ["chunk", "power"]);
  const chunk = checkNumber(context, "options.chunk", options.chunk ?? 256, { integer: true, min: 1 });
  const power = checkNumber(context, "options.power", options.power ?? 1, { above: 0 });
  const matrix = new Float64Array(d * d);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const part = tidy(() => {
      const x = slice(inputs, [start, 0], [rows, d]);
      const j = inputJacobian((v) => model.forward(v, "eval"), x);
      const flat = j.reshape([rows * j.shape[1], d]);
      return matmul(flat, flat, { transposeA: true });
    });
    const values = await part.toArray();
    part.dispose();
    for (let i = 0; i < d * d; i++) matrix[i] += values[i] / n;
  }
  // Exactly symmetric for the eigensolvers (the float32 product is to rounding).
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) matrix[i * d + j] = matrix[j * d + i] = (matrix[i * d + j] + matrix[j * d + i]) / 2;
  }
  const eigenvalues = eigvalshHost(matrix, d).reverse();
  const nfaCorrelation = await nfa(model, matrix, d, power);
  const result = { matrix, eigenvalues, dimension: d, nfaCorrelation };
  return withDisplay(result, "AGOP", [
    ["dimension", d],
    ["largest eigenvalue", eigenvalues[0]],
    ["NFA correlation", nfaCorrelation === null ? "no dense first layer" : nfaCorrelation],
  ]);
}

/** The NFA correlation of the first dense layer's W Wᵀ with AGOP^power, or null. */
async function nfa(model: Layer, matrix: Float64Array, d: number, power: number): Promise<number | null> {
  const layers = (model as { layers?: readonly Layer[] }).layers;
  const first = structureOf(layers?.[0] ?? model);
  if (first.kind !== "dense" || first.weights.shape[0] !== d) return null;
  const h = first.weights.shape[1];
  const w = await first.weights.toArray();
  const nfm = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let c = 0; c < h; c++) s += w[i * h + c] * w[j * h + c];
      nfm[i * d + j] = s;
    }
  }
  let target = matrix;
  if (power !== 1) {
    // A^p = V diag(max(λ, 0)^p) Vᵀ (the AGOP is PSD; rounding can leave tiny negative eigenvalues).
    const { values, vectors } = symmetricEigen(matrix, d);
    target = new Float64Array(d * d);
    for (let k = 0; k < d; k++) {
      const scale = Math.max(values[k], 0) ** power, v = vectors[k];
      if (scale === 0) continue;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) target[i * d + j] += scale * v[i] * v[j];
    }
  }
  let dot = 0, a = 0, b = 0;
  for (let i = 0; i < d * d; i++) {
    dot += nfm[i] * target[i];
    a += nfm[i] * nfm[i];
    b += target[i] * target[i];
  }
  if (!(a > 0 && b > 0)) return null;
  return dot / Math.sqrt(a * b);
}
