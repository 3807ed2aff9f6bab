/**
 * The interface shared by everything with trainable tensors (layers, models), so `nn/` and `analysis/`
 * agree on it without importing each other.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import type { ActivationName } from "./activations.ts";
import { describe } from "../check/args.ts";

/** Forward-pass mode: batch norm uses batch statistics in "train" and running ones in "eval". */
export type ForwardMode = "train" | "eval";

/** Something with trainable tensors. */
export interface Parameterized {
  /** Trainable tensors (with `requiresGrad` set). */
  parameters(): Tensor[];
}

/** A differentiable map from a batch to a batch. */
export interface Layer extends Parameterized {
  /** Short description, e.g. `Dense(784→256)`. */
  readonly name: string;
  /**
   * Applies the layer.
   *
   * @param x Input batch.
   * @param mode Train or eval.
   * @returns Output batch.
   */
  forward(x: Tensor, mode?: ForwardMode): Tensor;
}

/**
 * How an architecture layer looks to spectral analysis (the empirical and infinite-width NTK): its kind,
 * and for weight layers the scales in y = c_w · x W + c_b · b (c_w = 1, c_b = 1 in the standard
 * parameterization; c_w = σ_w/√fan_in, c_b = σ_b with N(0, 1) parameters in the NTK parameterization).
 */
export type LayerStructure =
  | {
    kind: "dense";
    /** Weights [in, out]. */
    weights: Tensor;
    /** Bias [out] or null. */
    bias: Tensor | null;
    /** Parameterization of the layer. */
    parameterization: "standard" | "ntk";
    /** σ_w: in the NTK parameterization the forward scale is σ_w/√fan_in; in the standard one, the init std·√fan_in. */
    weightStd: number;
    /** σ_b: the bias scale (NTK) or init std (standard). */
    biasStd: number;
  }
  | {
    kind: "conv";
    /** Filters [kh, kw, in, out]. */
    filters: Tensor;
    /** Bias [out] or null. */
    bias: Tensor | null;
    /** Stride (square). */
    stride: number;
    /** Padding mode. */
    padding: "valid" | "same";
    /** Parameterization of the layer. */
    parameterization: "standard" | "ntk";
    /** σ_w as for dense layers (fan-in = kh·kw·in). */
    weightStd: number;
    /** σ_b as for dense layers. */
    biasStd: number;
  }
  | { kind: "activation"; fn: ActivationName }
  | { kind: "avgpool"; size: number }
  | { kind: "flatten" }
  | { kind: "other"; name: string };

/** A layer that can describe itself to analysis code. */
export interface DescribedLayer extends Layer {
  /** The layer's structure. */
  structure(): LayerStructure;
}

/** A model made of described layers, able to return every intermediate activation. */
export interface TraceableModel extends Layer {
  /** The layers in order. */
  readonly layers: readonly Layer[];
  /**
   * Every activation: `[x, after layer 0, after layer 1, ...]`.
   *
   * @param x Input batch.
   * @param mode Train or eval.
   * @returns layers + 1 tensors.
   */
  trace(x: Tensor, mode?: ForwardMode): Tensor[];
}

/**
 * Checks that a value is a layer (it has `forward` and `parameters`), for constructors and functions that
 * take layers or models from JavaScript, where nothing checks the type.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @param traceable Also require `layers` and `trace` (a Sequential).
 * @returns The layer.
 * @throws {TypeError} When it is not one.
 */
export function checkLayer<L extends Layer>(context: string, name: string, value: unknown, traceable = false): L {
  const v = value as Partial<TraceableModel> | null;
  const ok = typeof v === "object" && v !== null && typeof v.forward === "function" &&
    typeof v.parameters === "function" && (!traceable || (Array.isArray(v.layers) && typeof v.trace === "function"));
  if (!ok) {
    const what = traceable ? "a Sequential (layers and trace)" : "a layer (forward and parameters)";
    throw new TypeError(`Cannot ${context}: ${name} must be ${what} (got ${describe(value)})`);
  }
  return value as L;
}
