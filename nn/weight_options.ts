/**
 * Options shared by layers with weights (Dense, Conv2d).
 *
 * @module
 */
import type { InitScheme } from "./init.ts";

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
  /** Bias initialisation: a std for N(0, std²) (default 0: zeros, or U(±1/√fan_in) when `init` is "torch"). */
  biasStd?: number;
  /** Include a bias (default true). */
  bias?: boolean;
  /** Seed for the initialisation. */
  seed?: number;
  /** Stream within the seed (use a different one per layer; default 0). */
  stream?: number;
}
