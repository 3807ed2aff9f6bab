/**
 * A pre-norm transformer block: self-attention and an MLP, each inside a residual connection.
 *
 * @module
 */
import type { ForwardMode, Layer } from "../model/parameterized.ts";
import { ACTIVATION_FUNCTIONS, type ActivationName } from "../model/activations.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { add } from "../ops/arithmetic.ts";
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import { Dense } from "./dense.ts";
import { LayerNorm } from "./layer_norm.ts";
import { MultiHeadSelfAttention } from "./attention.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { loadPrefixedState, prefixedState } from "./_state.ts";

/** Options for {@linkcode TransformerBlock}. */
export interface TransformerBlockOptions {
  /** Hidden width of the MLP as a multiple of dim (default 4; mlpRatio·dim must be a whole number). */
  mlpRatio?: number;
  /** Causal self-attention (default false). */
  causal?: boolean;
  /** Nonlinearity of the MLP (default "gelu", the erf form). */
  activation?: ActivationName;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Stream within the seed: attention, linear1 and linear2 draw from streams 3s, 3s + 1, 3s + 2 (default 0). */
  stream?: number;
}

/**
 * A pre-norm transformer block on [batch, T, dim]: h = x + MHA(LN₁(x)), y = h + W₂ φ(W₁ LN₂(h) + b₁) + b₂,
 * as PyTorch's `nn.TransformerEncoderLayer(dim, heads, dim_feedforward=mlpRatio·dim, dropout=0,
 * activation="gelu", batch_first=True, norm_first=True)` (with `src_mask` the causal mask and
 * `is_causal=True` for a causal block). The MLP's Dense layers act on the [batch·T, dim] reshape.
 *
 * State names are that module's `state_dict` names, in its order: `self_attn.in_proj_weight`,
 * `self_attn.in_proj_bias`, `self_attn.out_proj.weight`, `self_attn.out_proj.bias` (PyTorch's layouts),
 * `linear1.weights`, `linear1.bias`, `linear2.weights`, `linear2.bias`, `norm1.weight`, `norm1.bias`,
 * `norm2.weight`, `norm2.bias`. The two Dense weights are rankscope's [in, out]: PyTorch's `linear1.weight`
 * and `linear2.weight` are their transposes. The Dense layers start as PyTorch's nn.Linear (init "torch").
 *
 * @example A causal block keeps the shape
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, randomNormal } from "../mod.ts";
 * import { TransformerBlock } from "./transformer_block.ts";
 * await initGpu();
 * const block = new TransformerBlock(8, 2, { causal: true, seed: 1 });
 * const y = block.forward(randomNormal([2, 5, 8], { seed: 2 }));
 * assert.deepEqual(y.shape, [2, 5, 8]);
 * assert.equal(Object.keys(block.stateDict()).length, 12);
 * ```
 */
export class TransformerBlock implements Layer, StatefulLayer {
  /** LayerNorm before attention. */
  readonly norm1: LayerNorm;
  /** The self-attention. */
  readonly selfAttention: MultiHeadSelfAttention;
  /** LayerNorm before the MLP. */
  readonly norm2: LayerNorm;
  /** First MLP layer, dim → mlpRatio·dim. */
  readonly linear1: Dense;
  /** Second MLP layer, mlpRatio·dim → dim. */
  readonly linear2: Dense;
  /** The MLP's nonlinearity. */
  readonly activation: ActivationName;
  /** Description. */
  readonly name: string;

  /**
   * Creates the block.
   *
   * @param dim Model width (a multiple of `heads`).
   * @param heads Attention heads.
   * @param options MLP ratio, causal mask, activation, seed and stream.
   * @throws {RangeError} For a width, head count or ratio out of range (as {@linkcode MultiHeadSelfAttention}).
   * @throws {TypeError} For an unknown option or one of the wrong type.
   */
  constructor(dim: number, heads: number, options: TransformerBlockOptions = {}) {
    const context = "build TransformerBlock";
    checkOptions(context, options, ["mlpRatio", "causal", "activation", "seed", "stream"]);
    checkNumber(context, "dim", dim, { integer: true, min: 1 });
    const ratio = checkNumber(context, "options.mlpRatio", options.mlpRatio ?? 4, { above: 0 });
    const hidden = ratio * dim;
    if (!Number.isInteger(hidden)) {
      throw new RangeError(`Cannot ${context}: options.mlpRatio·dim must be a whole number (got ${ratio}·${dim})`);
    }
    const causal = checkBoolean(context, "options.causal", options.causal ?? false);
    const names = Object.keys(ACTIVATION_FUNCTIONS) as ActivationName[];
    this.activation = checkChoice(context, "options.activation", options.activation ?? "gelu", names);
    const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
    const s = 3 * checkNumber(context, "options.stream", options.stream ?? 0, { integer: true, min: 0 });
    this.selfAttention = new MultiHeadSelfAttention(dim, heads, { causal, seed, stream: s });
    this.norm1 = new LayerNorm(dim);
    this.norm2 = new LayerNorm(dim);
    this.linear1 = new Dense(dim, hidden, { init: "torch", seed, stream: s + 1 });
    this.linear2 = new Dense(hidden, dim, { init: "torch", seed, stream: s + 2 });
    this.name = `TransformerBlock(${dim}, ${heads} heads, mlp ${hidden}${causal ? ", causal" : ""})`;
  }

  /**
   * Applies the block.
   *
   * @param x [batch, T, dim].
   * @param _mode Unused: no part of the block depends on the mode.
   * @returns [batch, T, dim].
   * @throws {RangeError} When `x` is not a [batch, T, dim] tensor.
   */
  forward(x: Tensor, _mode?: ForwardMode): Tensor {
    const dim = this.selfAttention.dim;
    if (!(x instanceof Tensor) || x.rank !== 3 || x.shape[2] !== dim) {
      throw new RangeError(
        `Cannot apply ${this.name}: input must be [batch, T, ${dim}] (got ${
          x instanceof Tensor ? formatShape(x.shape) : describe(x)
        })`,
      );
    }
    const h = add(x, this.selfAttention.forward(this.norm1.forward(x)));
    const rows = this.norm2.forward(h).reshape([x.shape[0] * x.shape[1], dim]);
    const mlp = this.linear2.forward(ACTIVATION_FUNCTIONS[this.activation](this.linear1.forward(rows)));
    return add(h, mlp.reshape(x.shape));
  }

  /** Trainable parameters: attention, linear1, linear2, norm1, norm2 (the state's order). */
  parameters(): Tensor[] {
    return this.#parts().flatMap(([, layer]) => layer.parameters());
  }

  /** The block's state by the names of PyTorch's `nn.TransformerEncoderLayer` (see the class). */
  stateDict(): Record<string, Tensor> {
    return prefixedState("read the state of TransformerBlock", this.#parts());
  }

  /**
   * Replaces the block's state with copies of `state`.
   *
   * @param state A Float32Array per name of {@linkcode TransformerBlock.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    loadPrefixedState(`load state into ${this.name}`, this.#parts(), state);
  }

  #parts(): [string, Layer][] {
    return [
      ["self_attn", this.selfAttention],
      ["linear1", this.linear1],
      ["linear2", this.linear2],
      ["norm1", this.norm1],
      ["norm2", this.norm2],
    ];
  }
}
