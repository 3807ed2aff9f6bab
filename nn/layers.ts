/**
 * Layers: Dense, RFF, Conv2d, AvgPool2d, Flatten, BatchNorm1d, activations, Residual. Each keeps its
 * parameters as tensors with `requiresGrad` set and applies itself with differentiable ops.
 *
 * @module
 */
import type { DescribedLayer, ForwardMode, Layer, LayerStructure } from "../ops/parameterized.ts";
import { formatShape, keep, noGrad, Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { add, cos, div, elu, erf, map, mul, relu, sigmoid, sin, sqrt, square, sub, tanh } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { mean } from "../ops/reduce.ts";
import { avgPool2d, conv2d } from "../ops/conv.ts";
import { randomNormal } from "../ops/random.ts";
import { type InitScheme, initWeights } from "./init.ts";

/** Options shared by layers with weights. */
export interface WeightOptions {
  /**
   * "standard" (default): y = x W + b with W drawn by `init`. "ntk": W, b ~ N(0, 1) and
   * y = (σ_w/√fan_in) x W + σ_b b, the parameterization whose NTK has an infinite-width limit.
   */
  parameterization?: "standard" | "ntk";
  /** σ_w of the NTK parameterization (default 1). */
  weightStd?: number;
  /** Weight initialisation (default "he" for Dense and Conv2d). */
  init?: InitScheme;
  /** Bias initialisation: a std for N(0, std²) (default 0: zeros). */
  biasStd?: number;
  /** Include a bias (default true). */
  bias?: boolean;
  /** Seed for the initialisation. */
  seed?: number;
  /** Stream within the seed (use a different one per layer; default 0). */
  stream?: number;
}

function makeBias(size: number, options: WeightOptions): Tensor | null {
  if (options.bias === false) return null;
  const std = options.biasStd ?? 0;
  const b = std > 0
    ? randomNormal([size], { seed: options.seed ?? 0, stream: 2 * (options.stream ?? 0) + 1, std })
    : Tensor.fromArray(new Float32Array(size));
  b.requiresGrad = true;
  return b;
}

/** Resolved scales of a weight layer: y = c_w · x W + c_b · b. */
interface Scales {
  parameterization: "standard" | "ntk";
  weightStd: number;
  biasStd: number;
  /** Forward multiplier of x W. */
  cw: number;
  /** Forward multiplier of b. */
  cb: number;
}

function scalesFor(options: WeightOptions, fanIn: number, fanOut: number): Scales {
  const parameterization = options.parameterization ?? "standard";
  if (parameterization === "ntk") {
    const weightStd = options.weightStd ?? 1, biasStd = options.biasStd ?? 0;
    return { parameterization, weightStd, biasStd, cw: weightStd / Math.sqrt(fanIn), cb: biasStd };
  }
  // σ_w of the standard parameterization: the init std times √fan_in.
  const init = options.init ?? "he";
  const glorot = Math.sqrt((2 * fanIn) / (fanIn + fanOut));
  const weightStd = init === "he"
    ? Math.sqrt(2)
    : init === "lecun"
    ? 1
    : init === "glorot" || init === "glorot-uniform"
    ? glorot
    : init === "zeros"
    ? 0
    : init.fanInScaled
    ? init.std
    : init.std * Math.sqrt(fanIn);
  return { parameterization, weightStd, biasStd: options.biasStd ?? 0, cw: 1, cb: 1 };
}

/** Weights and bias of a layer in either parameterization. */
function makeWeights(
  shape: number[],
  fanIn: number,
  fanOut: number,
  options: WeightOptions,
): { weights: Tensor; bias: Tensor | null; scales: Scales } {
  const scales = scalesFor(options, fanIn, fanOut);
  const ntk = scales.parameterization === "ntk";
  const weights = initWeights(shape, ntk ? { std: 1 } : options.init ?? "he", {
    fanIn,
    fanOut,
    seed: options.seed ?? 0,
    stream: 2 * (options.stream ?? 0),
  });
  const bias = makeBias(
    shape[shape.length - 1],
    ntk ? { ...options, biasStd: options.bias === false ? 0 : 1 } : options,
  );
  return { weights, bias, scales };
}

/** c_w · xW + c_b · b with the multiplications skipped when a scale is 1. */
function affine(xw: Tensor, bias: Tensor | null, s: Scales): Tensor {
  const scaled = s.cw === 1 ? xw : mul(xw, s.cw);
  if (!bias) return scaled;
  return add(scaled, s.cb === 1 ? bias : mul(bias, s.cb));
}

/** Fully connected layer y = x W + b (or its NTK parameterization) with W of shape [in, out]. */
export class Dense implements DescribedLayer {
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
    ({ weights: this.weights, bias: this.bias, scales: this.#scales } = makeWeights(
      [inputs, outputs],
      inputs,
      outputs,
      options,
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
}

/** Activation names accepted by {@linkcode Activation}. */
export type ActivationName = "relu" | "tanh" | "sigmoid" | "elu" | "sin" | "cos" | "erf" | "identity";

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  relu,
  tanh,
  sigmoid,
  elu,
  sin,
  cos,
  erf,
  identity: (x) => x,
};

/** An elementwise nonlinearity as a layer. */
export class Activation implements DescribedLayer {
  /** Which function. */
  readonly kind: ActivationName;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param kind Function name.
   * @throws {RangeError} For an unknown name.
   */
  constructor(kind: ActivationName) {
    if (!(kind in ACTIVATIONS)) throw new RangeError(`Unknown activation "${kind}"`);
    this.kind = kind;
    this.name = kind;
  }

  /**
   * Applies the function.
   *
   * @param x Any shape.
   * @returns Same shape.
   */
  forward(x: Tensor): Tensor {
    return ACTIVATIONS[this.kind](x);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "activation", fn: this.kind };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }
}

/**
 * Frozen Gaussian random Fourier features: x ↦ [cos 2π x Bᵀ, sin 2π x Bᵀ] with B ~ N(0, scale²) of shape
 * [features, in]; B is not trained.
 */
export class RFF implements Layer {
  /** Frequencies [features, in] (no gradient). */
  readonly frequencies: Tensor;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param inputs Input dimension.
   * @param features Number of frequencies (the output has 2·features columns).
   * @param options Frequency scale and seed.
   */
  constructor(inputs: number, features: number, options: { scale: number; seed?: number; stream?: number }) {
    this.frequencies = randomNormal([features, inputs], {
      seed: options.seed ?? 0,
      stream: options.stream ?? 0,
      std: options.scale,
    });
    this.name = `RFF(${inputs}→${2 * features}, scale ${options.scale})`;
  }

  /**
   * Maps inputs to Fourier features.
   *
   * @param x [batch, in].
   * @returns [batch, 2·features].
   */
  forward(x: Tensor): Tensor {
    const phase = mul(matmul(x, this.frequencies, { transposeB: true }), 2 * Math.PI);
    return concat([cos(phase), sin(phase)], 1);
  }

  /** Trainable parameters: No trainable parameters (B is frozen). */
  parameters(): Tensor[] {
    return [];
  }
}

/** 2-D convolution layer over NHWC input with HWIO filters. */
export class Conv2d implements DescribedLayer {
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
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
    ({ weights: this.filters, bias: this.bias, scales: this.#scales } = makeWeights(
      [kh, kw, inputs, outputs],
      kh * kw * inputs,
      kh * kw * outputs,
      options,
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
}

/** Average pooling over non-overlapping (by default) windows of NHWC input. */
export class AvgPool2d implements DescribedLayer {
  /** Window size. */
  readonly size: number;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param size Window size (and stride).
   */
  constructor(size: number) {
    this.size = size;
    this.name = `AvgPool2d(${size})`;
  }

  /**
   * Pools.
   *
   * @param x [n, h, w, c].
   * @returns [n, floor(h/size), floor(w/size), c].
   */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.size);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "avgpool", size: this.size };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }
}

/** Flattens everything after the batch dimension (NHWC order). */
export class Flatten implements DescribedLayer {
  /** Description. */
  readonly name = "Flatten";

  /**
   * Flattens.
   *
   * @param x [n, ...].
   * @returns [n, product of the rest].
   */
  forward(x: Tensor): Tensor {
    return x.reshape([x.shape[0], x.size / x.shape[0]]);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "flatten" };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }
}

/**
 * Batch normalisation over the batch of [batch, features] input: in "train" mode it normalises with the
 * batch mean and (biased) variance and updates running statistics; in "eval" mode it uses those.
 */
export class BatchNorm1d implements Layer {
  /** Scale γ [features]. */
  gamma: Tensor;
  /** Shift β [features]. */
  beta: Tensor;
  /** Running mean (no gradient). */
  runningMean: Tensor;
  /** Running variance (no gradient). */
  runningVar: Tensor;
  /** Weight of the new batch in the running statistics (default 0.1). */
  readonly momentum: number;
  /** Added to the variance (default 1e-5). */
  readonly eps: number;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param features Feature count.
   * @param options Momentum and epsilon.
   */
  constructor(features: number, options: { momentum?: number; eps?: number } = {}) {
    this.gamma = Tensor.fromArray(new Float32Array(features).fill(1));
    this.beta = Tensor.fromArray(new Float32Array(features));
    this.gamma.requiresGrad = this.beta.requiresGrad = true;
    this.runningMean = Tensor.fromArray(new Float32Array(features));
    this.runningVar = Tensor.fromArray(new Float32Array(features).fill(1));
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    this.name = `BatchNorm1d(${features})`;
  }

  /**
   * Normalises.
   *
   * @param x [batch, features].
   * @param mode "train" (batch statistics, default) or "eval" (running statistics).
   * @returns Same shape.
   */
  forward(x: Tensor, mode: ForwardMode = "train"): Tensor {
    if (mode === "eval") {
      const scale = div(this.gamma, sqrt(add(this.runningVar, this.eps)));
      return add(mul(sub(x, this.runningMean), scale), this.beta);
    }
    const mu = mean(x, { axis: 0 });
    const centered = sub(x, mu);
    const variance = mean(square(centered), { axis: 0 });
    noGrad(() => {
      const n = x.shape[0];
      const m = this.momentum;
      const newMean = map([this.runningMean, mu], `x0 * ${1 - m} + x1 * ${m}`);
      // Running variance uses the unbiased estimate, like the common frameworks.
      const newVar = map([this.runningVar, variance], `x0 * ${1 - m} + x1 * ${(m * n) / Math.max(n - 1, 1)}`);
      this.runningMean.dispose();
      this.runningVar.dispose();
      // Running statistics outlive any tidy scope the forward pass runs in.
      [this.runningMean, this.runningVar] = [keep(newMean), keep(newVar)];
    });
    return add(mul(div(centered, sqrt(add(variance, this.eps))), this.gamma), this.beta);
  }

  /** Trainable parameters: γ and β. */
  parameters(): Tensor[] {
    return [this.gamma, this.beta];
  }
}

/** y = x + inner(x): a residual block around any layer with matching input and output shapes. */
export class Residual implements Layer {
  /** The wrapped layer. */
  readonly inner: Layer;
  /** Description. */
  readonly name: string;

  /**
   * Wraps a layer.
   *
   * @param inner Layer whose output shape equals its input shape.
   */
  constructor(inner: Layer) {
    this.inner = inner;
    this.name = `Residual(${inner.name})`;
  }

  /**
   * Applies x + inner(x).
   *
   * @param x Input.
   * @param mode Train or eval.
   * @returns Same shape.
   */
  forward(x: Tensor, mode?: ForwardMode): Tensor {
    return add(x, this.inner.forward(x, mode));
  }

  /** Trainable parameters: The inner layer's parameters. */
  parameters(): Tensor[] {
    return this.inner.parameters();
  }
}
