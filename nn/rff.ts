/**
 * Random Fourier features, in two variants.
 *
 * @module
 */
import type { Layer } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { add, mul } from "../ops/arithmetic.ts";
import { cos, sin } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { randomNormal, randomUniform } from "../ops/random.ts";
import { checkChoice, checkNumber, checkOptions } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** Options for {@linkcode RFF}. */
export interface RffOptions {
  /** Frequency scale. */
  scale: number;
  /**
   * `"fourier"` (default): frozen Gaussian features x ↦ [cos 2π x Bᵀ, sin 2π x Bᵀ], B ~ N(0, scale²) of shape
   * [features, in]; output 2·features columns, nothing trained. `"sine"`: the RFF of the original s-rank
   * study (simple_ntk), x ↦ sin(π (x Bᵀ + b)) with B ~ N(0, (scale/in)²) and b ~ U(−1, 1); output `features`
   * columns, and B and b are trained like any parameter.
   */
  variant?: "fourier" | "sine";
  /** Seed (default 0). */
  seed?: number;
  /** Stream within the seed (default 0). */
  stream?: number;
}

/** Random Fourier features: frozen cos/sin pairs, or the original study's trainable sines (see {@linkcode RffOptions}). */
export class RFF implements Layer, StatefulLayer {
  /** Frequencies [features, in]. */
  frequencies: Tensor;
  /** Phases [features] of the `"sine"` variant (null for `"fourier"`). */
  phases: Tensor | null;
  /** Which variant. */
  readonly variant: "fourier" | "sine";
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param inputs Input dimension.
   * @param features Number of frequencies (`"fourier"` outputs 2·features columns, `"sine"` features).
   * @param options Frequency scale, variant and seed.
   */
  constructor(inputs: number, features: number, options: RffOptions) {
    const context = "build RFF";
    if (options === undefined) {
      throw new TypeError(`Cannot ${context}: options with the frequency scale are required, e.g. { scale: 1 }`);
    }
    checkOptions(context, options, ["scale", "variant", "seed", "stream"]);
    checkNumber(context, "inputs", inputs, { integer: true, min: 1 });
    checkNumber(context, "features", features, { integer: true, min: 1 });
    checkNumber(context, "options.scale", options.scale, { min: 0 });
    this.variant = checkChoice(context, "options.variant", options.variant ?? "fourier", ["fourier", "sine"]);
    const random = { seed: options.seed ?? 0, stream: options.stream ?? 0 };
    const sine = this.variant === "sine";
    this.frequencies = randomNormal([features, inputs], {
      ...random,
      std: sine ? options.scale / inputs : options.scale,
    });
    this.phases = sine
      ? randomUniform([features], { seed: random.seed, stream: random.stream + 1, low: -1, high: 1 })
      : null;
    if (sine) this.frequencies.requiresGrad = this.phases!.requiresGrad = true;
    this.name = `RFF ${this.variant}(${inputs}→${sine ? features : 2 * features}, scale ${options.scale})`;
  }

  /**
   * Maps inputs to the features.
   *
   * @param x [batch, in].
   * @returns [batch, 2·features] (`"fourier"`) or [batch, features] (`"sine"`).
   */
  forward(x: Tensor): Tensor {
    const projected = matmul(x, this.frequencies, { transposeB: true });
    if (this.phases) return sin(mul(add(projected, this.phases), Math.PI));
    const phase = mul(projected, 2 * Math.PI);
    return concat([cos(phase), sin(phase)], 1);
  }

  /** Trainable parameters: none for `"fourier"` (B is frozen), [B, b] for `"sine"`. */
  parameters(): Tensor[] {
    return this.phases ? [this.frequencies, this.phases] : [];
  }

  /** The layer's state by name: `frequencies` (frozen or trained) and, for `"sine"`, `phases`. */
  stateDict(): Record<string, Tensor> {
    return this.phases ? { frequencies: this.frequencies, phases: this.phases } : { frequencies: this.frequencies };
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode RFF.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.frequencies = replaceTensor(this.frequencies, state.frequencies);
    if (this.phases) this.phases = replaceTensor(this.phases, state.phases);
  }
}
