/**
 * Random tensors generated on the GPU by a counter-based generator (Philox4x32-10): the same seed and
 * stream give the same values on every adapter.
 *
 * @module
 */
import { dispatchPhilox } from "../kernels/philox.ts";
import { seedWords } from "../kernels/host_random.ts";

// The host twin of the generator, for layers above ops/ (shuffles in nn/).
export { deriveSeed, hostPermutation, hostRandom } from "../kernels/host_random.ts";
import { type CreateOptions, Tensor } from "./tensor.ts";
import { checkFloat32, checkNumber, checkOptions } from "../check/args.ts";

/** Options shared by the random constructors. */
export interface RandomOptions extends CreateOptions {
  /** Non-negative integer seed below 2⁵³. */
  seed: number;
  /** Independent stream id for the same seed (u32, default 0), e.g. one per layer. */
  stream?: number;
}

const RANDOM_OPTION_KEYS = ["seed", "stream", "runtime"];

/** Every random tensor comes from an explicit seed, so a result can always be drawn again. */
function requireSeed(context: string, options: Partial<RandomOptions>): void {
  checkNumber(context, "options.stream", options.stream ?? 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  if (options.seed === undefined) {
    throw new TypeError(
      `Cannot ${context}: options.seed is required (a non-negative integer below 2^53; every random tensor ` +
        `comes from an explicit seed so that a result can be drawn again), e.g. { seed: 0 }`,
    );
  }
}

/**
 * Standard-normal samples scaled to N(mean, std²).
 *
 * @param shape Dimensions.
 * @param options Seed, stream, mean (default 0) and standard deviation (default 1).
 * @returns The samples.
 * @throws {RangeError} For an invalid seed or shape, a non-finite mean, or std not a finite number >= 0.
 * @example Same seed, same values
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, randomNormal } from "../mod.ts";
 * await initGpu();
 * const a = await randomNormal([5], { seed: 7 }).toArray();
 * const b = await randomNormal([5], { seed: 7 }).toArray();
 * assert.deepEqual(a, b);
 * ```
 */
export function randomNormal(
  shape: readonly number[],
  options: RandomOptions & { mean?: number; std?: number },
): Tensor {
  requireSeed(
    "draw normal samples",
    checkOptions("draw normal samples", options, [...RANDOM_OPTION_KEYS, "mean", "std"]),
  );
  const mean = options.mean ?? 0, std = options.std ?? 1;
  checkFloat32("draw normal samples", "options.mean", mean);
  checkFloat32("draw normal samples", "options.std", std);
  if (!Number.isFinite(mean) || !(Number.isFinite(std) && std >= 0)) {
    throw new RangeError(
      `Cannot draw normal samples: mean must be finite and std a finite number >= 0 (got mean ${mean}, std ${std})`,
    );
  }
  const out = Tensor.empty(shape, "randomNormal", options.runtime);
  dispatchPhilox(out.runtime, {
    y: out.buffer,
    size: out.size,
    distribution: "normal",
    seed: seedWords(options.seed),
    stream: options.stream,
    scale: std,
    offset: mean,
  });
  return out;
}

/**
 * Uniform samples in (low, high).
 *
 * @param shape Dimensions.
 * @param options Seed, stream, low (default 0) and high (default 1).
 * @returns The samples.
 * @throws {RangeError} For an invalid seed or shape, or when low or high is not finite or high <= low.
 * @example Samples stay inside the range
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, randomUniform } from "../mod.ts";
 * await initGpu();
 * const u = await randomUniform([100], { seed: 3, low: -2, high: 2 }).toArray();
 * assert.ok(u.every((v) => v > -2 && v < 2));
 * ```
 */
export function randomUniform(
  shape: readonly number[],
  options: RandomOptions & { low?: number; high?: number },
): Tensor {
  requireSeed(
    "draw uniform samples",
    checkOptions("draw uniform samples", options, [...RANDOM_OPTION_KEYS, "low", "high"]),
  );
  const low = options.low ?? 0, high = options.high ?? 1;
  if (!(Number.isFinite(low) && Number.isFinite(high) && high > low)) {
    throw new RangeError(
      `Cannot draw uniform samples: low and high must be finite with high > low (got low ${low}, high ${high})`,
    );
  }
  checkFloat32("draw uniform samples", "options.low", low);
  checkFloat32("draw uniform samples", "options.high", high);
  checkFloat32("draw uniform samples", "the range options.high - options.low", high - low);
  const out = Tensor.empty(shape, "randomUniform", options.runtime);
  dispatchPhilox(out.runtime, {
    y: out.buffer,
    size: out.size,
    distribution: "uniform",
    seed: seedWords(options.seed),
    stream: options.stream,
    scale: high - low,
    offset: low,
  });
  return out;
}
