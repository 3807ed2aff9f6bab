/**
 * Multi-head self-attention.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { add, mul } from "../ops/arithmetic.ts";
import { matmul } from "../ops/matmul.ts";
import { softmax } from "../ops/softmax.ts";
import { slice, transpose } from "../ops/layout.ts";
import { checkBoolean, checkNumber, checkOptions, describe } from "../check/args.ts";
import { initWeights } from "./init.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** Options for {@linkcode MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionOptions {
  /** Mask the future: position t attends to positions <= t only (default false). */
  causal?: boolean;
  /** Learn the biases `in_proj_bias` and `out_proj.bias` (default true). */
  bias?: boolean;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Stream within the seed: the input projection draws from stream 2·stream, the output one from 2·stream + 1 (default 0). */
  stream?: number;
}

/**
 * Multi-head self-attention on [batch, T, dim] as PyTorch's
 * `nn.MultiheadAttention(dim, heads, batch_first=True)` called as `attn(x, x, x, need_weights=False)`:
 * [Q K V] = x W_inᵀ + b_in, split into `heads` heads of d = dim/heads features; per head
 * A = softmax(Q Kᵀ/√d + M) V with M = 0, or for a causal layer −∞ above the diagonal (the mask of
 * `nn.Transformer.generate_square_subsequent_mask`; the diagonal is never masked, so no row is all −∞ and
 * no NaN arises); the heads are concatenated and y = A W_outᵀ + b_out.
 *
 * Parameters and state, in PyTorch's names and layouts (rankscope stores no transposes; the products use
 * transposed operands): `in_proj_weight` [3·dim, dim] (rows: the query, key and value projections in that
 * order), `in_proj_bias` [3·dim], `out_proj.weight` [dim, dim], `out_proj.bias` [dim]. Initialised as
 * PyTorch does: `in_proj_weight` Glorot-uniform U(±√(6/(4·dim))), `out_proj.weight` U(±1/√dim), biases 0.
 *
 * @example Self-attention keeps the shape
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, randomNormal } from "../mod.ts";
 * import { MultiHeadSelfAttention } from "./attention.ts";
 * await initGpu();
 * const attn = new MultiHeadSelfAttention(8, 2, { causal: true, seed: 1 });
 * const y = attn.forward(randomNormal([3, 5, 8], { seed: 2 }));
 * assert.deepEqual(y.shape, [3, 5, 8]);
 * assert.ok((await y.toArray()).every(Number.isFinite));
 * ```
 */
export class MultiHeadSelfAttention implements Layer, StatefulLayer {
  /** Query, key and value projections stacked [3·dim, dim] (PyTorch's layout). */
  inProjWeight: Tensor;
  /** Their biases [3·dim], or null. */
  inProjBias: Tensor | null;
  /** Output projection [dim, dim] (PyTorch's layout: y = A Wᵀ). */
  outProjWeight: Tensor;
  /** Its bias [dim], or null. */
  outProjBias: Tensor | null;
  /** Model width. */
  readonly dim: number;
  /** Number of heads. */
  readonly heads: number;
  /** Whether future positions are masked. */
  readonly causal: boolean;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param dim Model width (a multiple of `heads`).
   * @param heads Number of heads.
   * @param options Causal mask, biases, seed and stream.
   * @throws {RangeError} When `dim` or `heads` is not a positive integer, or `dim` is not a multiple of `heads`.
   * @throws {TypeError} For an unknown option, or `causal`/`bias` that is not a boolean.
   */
  constructor(dim: number, heads: number, options: MultiHeadSelfAttentionOptions = {}) {
    const context = "build MultiHeadSelfAttention";
    checkOptions(context, options, ["causal", "bias", "seed", "stream"]);
    checkNumber(context, "dim", dim, { integer: true, min: 1 });
    checkNumber(context, "heads", heads, { integer: true, min: 1 });
    if (dim % heads !== 0) {
      throw new RangeError(`Cannot ${context}: dim (${dim}) must be a multiple of heads (${heads})`);
    }
    this.causal = checkBoolean(context, "options.causal", options.causal ?? false);
    const bias = checkBoolean(context, "options.bias", options.bias ?? true);
    const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
    const stream = checkNumber(context, "options.stream", options.stream ?? 0, { integer: true, min: 0 });
    this.dim = dim;
    this.heads = heads;
    // PyTorch: xavier_uniform_ on the stacked [3·dim, dim] matrix (fan_in dim, fan_out 3·dim); the output
    // projection keeps nn.Linear's U(±1/√dim); both biases start at 0.
    this.inProjWeight = initWeights([3 * dim, dim], "glorot-uniform", {
      fanIn: dim,
      fanOut: 3 * dim,
      seed,
      stream: 2 * stream,
    });
    this.outProjWeight = initWeights([dim, dim], "torch", { fanIn: dim, fanOut: dim, seed, stream: 2 * stream + 1 });
    this.inProjBias = bias ? zeros(3 * dim) : null;
    this.outProjBias = bias ? zeros(dim) : null;
    this.name = `MultiHeadSelfAttention(${dim}, ${heads} heads${this.causal ? ", causal" : ""})`;
  }

  /**
   * Applies self-attention.
   *
   * @param x [batch, T, dim].
   * @returns [batch, T, dim].
   * @throws {RangeError} When `x` is not a [batch, T, dim] tensor.
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new RangeError(
        `Cannot apply ${this.name}: input must be [batch, T, ${this.dim}] (got ${
          x instanceof Tensor ? formatShape(x.shape) : describe(x)
        })`,
      );
    }
    const [batch, t] = x.shape, dim = this.dim, h = this.heads, d = dim / h;
    const qkv = withBias(matmul(x, this.inProjWeight, { transposeB: true }), this.inProjBias);
    // [batch, T, dim] → [batch·heads, T, d]: head j holds features j·d .. (j + 1)·d − 1.
    const split = (k: number) =>
      transpose(slice(qkv, [0, 0, k * dim], [batch, t, dim]).reshape([batch, t, h, d]), [0, 2, 1, 3])
        .reshape([batch * h, t, d]);
    let scores = mul(matmul(split(0), split(1), { transposeB: true }), 1 / Math.sqrt(d));
    if (this.causal) scores = add(scores, causalMask(t, x));
    const heads = matmul(softmax(scores, -1), split(2));
    const joined = transpose(heads.reshape([batch, h, t, d]), [0, 2, 1, 3]).reshape([batch, t, dim]);
    return withBias(matmul(joined, this.outProjWeight, { transposeB: true }), this.outProjBias);
  }

  /** Trainable parameters: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias (biases when present). */
  parameters(): Tensor[] {
    return Object.values(this.stateDict());
  }

  /**
   * The layer's state by PyTorch's names: `in_proj_weight`, `in_proj_bias`, `out_proj.weight`,
   * `out_proj.bias` (the biases only when the layer has them).
   */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = { in_proj_weight: this.inProjWeight };
    if (this.inProjBias) state.in_proj_bias = this.inProjBias;
    state["out_proj.weight"] = this.outProjWeight;
    if (this.outProjBias) state["out_proj.bias"] = this.outProjBias;
    return state;
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode MultiHeadSelfAttention.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.inProjWeight = replaceTensor(this.inProjWeight, state.in_proj_weight);
    this.outProjWeight = replaceTensor(this.outProjWeight, state["out_proj.weight"]);
    if (this.inProjBias) this.inProjBias = replaceTensor(this.inProjBias, state.in_proj_bias);
    if (this.outProjBias) this.outProjBias = replaceTensor(this.outProjBias, state["out_proj.bias"]);
  }
}

/** A trainable zero vector. */
function zeros(size: number): Tensor {
  const t = Tensor.fromArray(new Float32Array(size));
  t.requiresGrad = true;
  return t;
}

/** y + b, or y without a bias. */
function withBias(y: Tensor, bias: Tensor | null): Tensor {
  return bias ? add(y, bias) : y;
}

/** [T, T] with 0 on and below the diagonal and −∞ above it (query row, key column), on x's runtime. */
function causalMask(t: number, x: Tensor): Tensor {
  const mask = new Float32Array(t * t);
  for (let i = 0; i < t; i++) mask.fill(-Infinity, i * t + i + 1, (i + 1) * t);
  return Tensor.fromArray(mask, [t, t], { runtime: x.runtime });
}
