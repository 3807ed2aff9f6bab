/**
 * 2-D convolution layer (NHWC input, HWIO filters).
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { conv2d } from "../ops/conv.ts";
import { affine, makeWeights, type Scales, WEIGHT_OPTION_KEYS } from "./_weights.ts";
import type { WeightOptions } from "./weight_options.ts";
import { checkChoice, checkNumber, checkOptions } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState, replaceTensor } from "./_state.ts";

/** 2-D convolution layer over NHWC input with HWIO filters. */
export class Conv2d implements DescribedLayer, StatefulLayer {
  /** Filters [kh, kw, in, out]. */
  filters: Tensor;
  /** Bias [out], or null. */
  bias: Tensor | null;
  /** Stride and padding. */
  readonly window: { stride: number; padding: "valid" | "same" };
  /** Description. */
  readonly name: string;
  #scales: Scales;

  /**
   * Creates the layer.
   *
   * @param inputs Input channels.
   * @param outputs Output channels.
   * @param kernel Kernel size (square) or [kh, kw].
   * @param options Stride, padding and initialisation.
   */
  constructor(
    inputs: number,
    outputs: number,
    kernel: number | readonly [number, number],
    options: WeightOptions & { stride?: number; padding?: "valid" | "same" } = {},
  ) {
    const context = "build Conv2d";
    checkOptions(context, options, [...WEIGHT_OPTION_KEYS, "stride", "padding"]);
    checkNumber(context, "inputs", inputs, { integer: true, min: 1 });
    checkNumber(context, "outputs", outputs, { integer: true, min: 1 });
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : Array.isArray(kernel) ? kernel : [NaN, NaN];
    checkNumber(context, "kernel height", kh, { integer: true, min: 1 });
    checkNumber(context, "kernel width", kw, { integer: true, min: 1 });
    checkNumber(context, "options.stride", options.stride ?? 1, { integer: true, min: 1 });
    checkChoice(context, "options.padding", options.padding ?? "valid", ["valid", "same"]);
    ({ weights: this.filters, bias: this.bias, scales: this.#scales } = makeWeights(
      [kh, kw, inputs, outputs],
      kh * kw * inputs,
      kh * kw * outputs,
      options,
      context,
    ));
    this.window = { stride: options.stride ?? 1, padding: options.padding ?? "valid" };
    this.name = `Conv2d(${inputs}→${outputs}, ${kh}x${kw}${this.#scales.parameterization === "ntk" ? ", ntk" : ""})`;
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    const { parameterization, weightStd, biasStd } = this.#scales;
    return {
      kind: "conv",
      filters: this.filters,
      bias: this.bias,
      stride: this.window.stride,
      padding: this.window.padding,
      parameterization,
      weightStd,
      biasStd,
    };
  }

  /**
   * Convolves.
   *
   * @param x [n, h, w, in].
   * @returns [n, oh, ow, out].
   */
  forward(x: Tensor): Tensor {
    const f = this.filters.shape[3];
    const y = conv2d(x, this.filters, this.window);
    return affine(y.reshape([y.size / f, f]), this.bias, this.#scales).reshape(y.shape);
  }

  /** Trainable parameters: Filters and bias. */
  parameters(): Tensor[] {
    return this.bias ? [this.filters, this.bias] : [this.filters];
  }

  /** The layer's state by name: `filters` and, when it has one, `bias`. */
  stateDict(): Record<string, Tensor> {
    return this.bias ? { filters: this.filters, bias: this.bias } : { filters: this.filters };
  }

  /**
   * Replaces the layer's state with copies of `state` (like PyTorch's `load_state_dict`).
   *
   * @param state A Float32Array per name of {@linkcode Conv2d.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, this.stateDict(), state);
    this.filters = replaceTensor(this.filters, state.filters);
    if (this.bias) this.bias = replaceTensor(this.bias, state.bias);
  }
}
