/**
 * Embedding layer: a trainable lookup table of token vectors.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { mapInternal } from "../ops/_map.ts";
import { randomNormal } from "../ops/random.ts";
import { checkArrayLike, checkNumber, checkOptions, describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** Options for {@linkcode Embedding}. */
export interface EmbeddingOptions {
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Stream within the seed (one per layer, as for Dense; default 0). */
  stream?: number;
  /** Standard deviation of the N(0, std²) initial weight (default 1, as PyTorch's `nn.Embedding`). */
  std?: number;
}

/** Ids up to 2^24 are exact in float32, the type token ids travel in on the device. */
const MAX_VOCAB = 2 ** 24;

/**
 * Token embedding (PyTorch's `nn.Embedding(vocab, dim)`): y[..., :] = W[id, :] with a trainable weight W of
 * shape [vocab, dim], N(0, std²) at initialisation (std 1 by default).
 *
 * Token ids arrive as a Tensor of float values holding integers (the form `Sequential`, `fit` and its
 * host `Dataset` give them), of any shape [...s], and the output is [...s, dim]; or as a host
 * Int32Array/Uint32Array of N ids, giving [N, dim]. The lookup is a product with the one-hot matrix of the
 * ids, so W's gradient is the scatter-add Σ over positions with id v of the upstream gradient, from the
 * matmul's backward rule; it costs N·vocab·dim, so it suits the small vocabularies of studied models.
 *
 * Host ids are checked before any work. The ids of a Tensor cannot be read without waiting for the GPU, so
 * on the device an id that is not an integer in [0, vocab) gives a row of NaN (never another token's
 * vector); check host data once with {@linkcode Embedding.checkIds} (e.g. a `Dataset`'s `x` before `fit`).
 *
 * @example Rows of the weight, looked up by id
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { Embedding } from "./embedding.ts";
 * await initGpu();
 * const embed = new Embedding(5, 3, { seed: 1 });
 * const w = await embed.weight.toArray();
 * const y = embed.forward(Tensor.fromArray([4, 0, 4, 2], [2, 2]));
 * assert.deepEqual(y.shape, [2, 2, 3]);
 * assert.deepEqual([...await y.toArray()], [4, 0, 4, 2].flatMap((id) => [...w.slice(3 * id, 3 * id + 3)]));
 * assert.throws(() => embed.checkIds([1, 5]), RangeError);
 * ```
 */
export class Embedding implements DescribedLayer, StatefulLayer {
  /** Weight [vocab, dim]: row v is token v's vector. */
  weight: Tensor;
  /** Vocabulary size. */
  readonly vocab: number;
  /** Vector width. */
  readonly dim: number;
  /** Description, e.g. `Embedding(5, 3)`. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param vocab Vocabulary size (an integer in [1, 2^24]).
   * @param dim Vector width (an integer >= 1).
   * @param options Seed, stream and initial standard deviation.
   * @throws {RangeError} When a size, the seed, the stream or std is out of range, or an option is unknown.
   */
  constructor(vocab: number, dim: number, options: EmbeddingOptions = {}) {
    const context = "build Embedding";
    checkOptions(context, options, ["seed", "stream", "std"]);
    checkNumber(context, "vocab", vocab, { integer: true, min: 1, max: MAX_VOCAB });
    checkNumber(context, "dim", dim, { integer: true, min: 1 });
    const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0 });
    const stream = checkNumber(context, "options.stream", options.stream ?? 0, {
      integer: true,
      min: 0,
      below: 2 ** 31,
    });
    const std = checkNumber(context, "options.std", options.std ?? 1, { min: 0 });
    // Stream 2k, as Dense's weights: layers given distinct streams never share random numbers.
    this.weight = randomNormal([vocab, dim], { seed, stream: 2 * stream, std });
    this.weight.requiresGrad = true;
    this.vocab = vocab;
    this.dim = dim;
    this.name = `Embedding(${vocab}, ${dim})`;
  }

  /**
   * Checks host token ids: each must be an integer in [0, vocab).
   *
   * @param ids Token ids.
   * @throws {TypeError} When ids is not array-like.
   * @throws {RangeError} Naming the first bad id, its index and the vocabulary size.
   */
  checkIds(ids: ArrayLike<number>): void {
    checkArrayLike(`embed tokens with ${this.name}`, "ids", ids);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocab)) {
        throw new RangeError(
          `Cannot embed tokens with ${this.name}: ids[${i}] is ${
            describe(id)
          }, not an integer in [0, ${this.vocab}) (the vocabulary size is ${this.vocab})`,
        );
      }
    }
  }

  /**
   * Looks up the vectors of the ids.
   *
   * @param x Ids: a Tensor [...s] of integer values, or a host Int32Array/Uint32Array of N ids.
   * @returns [...s, dim], or [N, dim] for host ids; a row of NaN for a device id outside [0, vocab).
   * @throws {TypeError} When x is neither a Tensor nor an Int32Array/Uint32Array.
   * @throws {RangeError} For a rank-0 tensor, or a host id that is not an integer in [0, vocab).
   */
  forward(x: Tensor | Int32Array | Uint32Array): Tensor {
    if (x instanceof Int32Array || x instanceof Uint32Array) {
      this.checkIds(x);
      if (x.length === 0) throw new RangeError(`Cannot embed tokens with ${this.name}: no ids given`);
      x = Tensor.fromArray(Float32Array.from(x), [x.length], { runtime: this.weight.runtime });
    } else if (!(x instanceof Tensor)) {
      throw new TypeError(
        `Cannot embed tokens with ${this.name}: ids must be a Tensor, an Int32Array or a Uint32Array (got ${
          describe(x)
        })`,
      );
    }
    if (x.rank === 0) {
      throw new RangeError(
        `Cannot embed tokens with ${this.name}: ids must have rank >= 1 (got ${formatShape(x.shape)})`,
      );
    }
    const n = x.size;
    const iota = Tensor.fromArray(Float32Array.from({ length: this.vocab }, (_, v) => v), [1, this.vocab], {
      runtime: x.runtime,
    });
    // One-hot rows; an id that is not an integer in [0, vocab) (NaN included) makes its whole row NaN.
    const oneHot = mapInternal(
      `embed tokens with ${this.name}`,
      [x.reshape([n, 1]), iota, NaN, this.vocab],
      "select(select(0.0, 1.0, x0 == x1), x2, !(x0 >= 0.0 && x0 < x3 && floor(x0) == x0))",
    );
    return matmul(oneHot, this.weight).reshape([...x.shape, this.dim]);
  }

  /** The layer's structure for analysis: `other` (no NTK rule for a lookup of discrete inputs). */
  structure(): LayerStructure {
    return { kind: "other", name: this.name };
  }

  /** Trainable parameters: the weight. */
  parameters(): Tensor[] {
    return [this.weight];
  }

  /** The layer's state by name: `weight` (PyTorch's name too). */
  stateDict(): Record<string, Tensor> {
    return { weight: this.weight };
  }

  /**
   * Replaces the weight with a copy of `state.weight` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode Embedding.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.weight = replaceTensor(this.weight, state.weight);
  }
}
