/**
 * Fully connected layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import { formatShape, type Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { affine, makeWeights, type Scales, WEIGHT_OPTION_KEYS } from "./_weights.ts";
import type { WeightOptions } from "./weight_options.ts";
import { checkNumber, checkOptions } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** Fully connected layer y = x W + b (or its NTK parameterization) with W of shape [in, out]. */
export class Dense implements DescribedLayer, StatefulLayer {
  /** Weights [in, out]. */
  weights: Tensor;
  /** Bias [out], or null. */
  bias: Tensor | null;
  /** Description. */
  readonly name: string;
  #scales: Scales;

  /**
   * Creates the layer.
   *
   * @param inputs Input features.
   * @param outputs Output features.
   * @param options Initialisation.
   */
  constructor(inputs: number, outputs: number, options: WeightOptions = {}) {
    checkOptions("build Dense", options, WEIGHT_OPTION_KEYS);
    checkNumber("build Dense", "inputs", inputs, { integer: true, min: 1 });
    checkNumber("build Dense", "outputs", outputs, { integer: true, min: 1 });
    ({ weights: this.weights, bias: this.bias, scales: this.#scales } = makeWeights(
      [inputs, outputs],
      inputs,
      outputs,
      options,
      "build Dense",
    ));
    this.name = `Dense(${inputs}→${outputs}${this.#scales.parameterization === "ntk" ? ", ntk" : ""})`;
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    const { parameterization, weightStd, biasStd } = this.#scales;
    return { kind: "dense", weights: this.weights, bias: this.bias, parameterization, weightStd, biasStd };
  }

  /**
   * Applies x W + b.
   *
   * @param x [batch, in].
   * @returns [batch, out].
   * @throws {RangeError} When the input width differs from the layer's.
   */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.weights.shape[0]) {
      throw new RangeError(
        `${this.name} expects [batch, ${this.weights.shape[0]}] input (got ${formatShape(x.shape)})`,
      );
    }
    return affine(matmul(x, this.weights), this.bias, this.#scales);
  }

  /** Trainable parameters: Weights and bias. */
  parameters(): Tensor[] {
    return this.bias ? [this.weights, this.bias] : [this.weights];
  }

  /** The layer's state by name: `weights` and, when it has one, `bias`. */
  stateDict(): Record<string, Tensor> {
    return this.bias ? { weights: this.weights, bias: this.bias } : { weights: this.weights };
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode Dense.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.weights = replaceTensor(this.weights, state.weights);
    if (this.bias) this.bias = replaceTensor(this.bias, state.bias);
  }
}
