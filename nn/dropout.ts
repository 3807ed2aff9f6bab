/**
 * Dropout layer.
 *
 * @module
 */
import type { DescribedLayer, ForwardMode, LayerStructure } from "../model/parameterized.ts";
import { Tensor } from "../ops/tensor.ts";
import { mul } from "../ops/arithmetic.ts";
import { mapInternal } from "../ops/_map.ts";
import { deriveSeed, randomUniform } from "../ops/random.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState } from "./_state.ts";

/** Options for {@linkcode Dropout}. */
export interface DropoutOptions {
  /** Seed of the masks (a non-negative integer below 2^53, default 0). */
  seed?: number;
}

/**
 * Dropout (PyTorch's `nn.Dropout(p)`): in "train" mode y = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p)
 * independently per entry; in "eval" mode y = x. The gradient is the upstream gradient times the same
 * mask, m / (1 − p).
 *
 * Masks are drawn on the GPU by the Philox generator: call k (counting from 0) of `forward` in train mode
 * keeps entry i when u_i ≥ p, u = `randomUniform(x.shape, { seed: deriveSeed(seed, "dropout", k) })`. So
 * every call draws a new mask, and the masks are the same for the same seed and call count on every
 * adapter; {@linkcode Dropout.draws} tells (and sets) k.
 *
 * @example Train mode zeroes about p of the entries and scales the rest; eval mode is the identity
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { Dropout } from "./dropout.ts";
 * await initGpu();
 * const drop = new Dropout(0.5, { seed: 1 });
 * const x = Tensor.fromArray(new Float32Array(1000).fill(1));
 * const y = await drop.forward(x, "train").toArray();
 * assert.ok(y.every((v) => v === 0 || v === 2));
 * const kept = y.filter((v) => v === 2).length;
 * assert.ok(kept > 400 && kept < 600, `${kept}`);
 * assert.equal(drop.forward(x, "eval"), x);
 * ```
 */
export class Dropout implements DescribedLayer, StatefulLayer {
  /** Probability of zeroing an entry, in [0, 1). */
  readonly p: number;
  /** Seed of the masks. */
  readonly seed: number;
  /** Description, e.g. `Dropout(0.1)`. */
  readonly name: string;
  #draws = 0;

  /**
   * Creates the layer.
   *
   * @param p Probability of zeroing an entry (a number in [0, 1)).
   * @param options Seed of the masks.
   * @throws {RangeError} When p is not in [0, 1), the seed is not a non-negative integer below 2^53, or an
   *   option is unknown.
   */
  constructor(p: number, options: DropoutOptions = {}) {
    checkOptions("build Dropout", options, ["seed"]);
    checkNumber("build Dropout", "p", p, { min: 0, below: 1 });
    this.seed = checkNumber("build Dropout", "options.seed", options.seed ?? 0, {
      integer: true,
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    });
    this.p = p;
    this.name = `Dropout(${p})`;
  }

  /**
   * Masks drawn so far (train-mode calls of `forward` with p > 0); the next one uses
   * `deriveSeed(seed, "dropout", draws)`.
   */
  get draws(): number {
    return this.#draws;
  }

  /**
   * Sets the count of masks drawn, e.g. to replay the masks of a run from a given step.
   *
   * @param value A non-negative integer.
   * @throws {RangeError} When it is not one.
   */
  set draws(value: number) {
    this.#draws = checkNumber(`set the draws of ${this.name}`, "draws", value, { integer: true, min: 0 });
  }

  /**
   * Applies dropout ("train") or the identity ("eval").
   *
   * @param x Any shape.
   * @param mode "train" (default: a new mask) or "eval" (returns `x` itself).
   * @returns Same shape.
   * @throws {TypeError} When x is not a Tensor.
   * @throws {RangeError} When mode is neither "train" nor "eval".
   */
  forward(x: Tensor, mode: ForwardMode = "train"): Tensor {
    if (!(x instanceof Tensor)) {
      throw new TypeError(`Cannot apply ${this.name}: x must be a Tensor (got ${describe(x)})`);
    }
    checkChoice(`apply ${this.name}`, "mode", mode, ["train", "eval"]);
    if (mode === "eval" || this.p === 0) return x;
    const seed = deriveSeed(this.seed, "dropout", this.#draws++);
    // The mask is a constant of the forward pass: the product's derivative is the upstream gradient times it.
    const u = randomUniform(x.shape, { seed, runtime: x.runtime });
    const mask = mapInternal(`apply ${this.name}`, [u, this.p, 1 / (1 - this.p)], "select(0.0, x2, x0 >= x1)");
    return mul(x, mask);
  }

  /** The layer's structure for analysis: `other` (no infinite-width kernel rule for dropout). */
  structure(): LayerStructure {
    return { kind: "other", name: this.name };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }

  /** The layer's state by name: none (the mask count {@linkcode Dropout.draws} is not a tensor). */
  stateDict(): Record<string, Tensor> {
    return {};
  }

  /**
   * Checks that `state` is empty (the layer holds no tensors).
   *
   * @param state A Float32Array per name of {@linkcode Dropout.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, {}, state);
  }
}
