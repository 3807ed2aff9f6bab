/**
 * Weight initialisation schemes, generated on the GPU from a seed.
 *
 * @module
 */
import { deriveSeed, hostRandom, randomNormal, randomUniform } from "../ops/random.ts";
import { Tensor } from "../ops/tensor.ts";
import { full } from "../ops/elementwise.ts";
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";

/**
 * An initialisation scheme for a weight of fan-in `fanIn` and fan-out `fanOut`:
 * - `"lecun"`: N(0, 1/fanIn); `"he"`: N(0, 2/fanIn); `"glorot"`: N(0, 2/(fanIn+fanOut));
 * - `"glorot-uniform"`: U(±√(6/(fanIn+fanOut)));
 * - `"torch"`: PyTorch's `nn.Linear`/`nn.Conv2d` default, U(±1/√fanIn), for weights and (in Dense and Conv2d)
 *   the bias too;
 * - `{ std, fanInScaled }`: N(0, std²), or N(0, std²/fanIn) when `fanInScaled` (C_W/fan_in style);
 * - `"zeros"`.
 */
export type InitScheme =
  | "lecun"
  | "he"
  | "glorot"
  | "glorot-uniform"
  | "torch"
  | "zeros"
  | { std: number; fanInScaled?: boolean };

/** The named initialisation schemes. */
const NAMED_SCHEMES = ["lecun", "he", "glorot", "glorot-uniform", "torch", "zeros"];

/**
 * Checks an initialisation scheme: one of the names, or `{ std, fanInScaled }` with a finite std >= 0.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param scheme The value.
 * @returns The scheme.
 * @throws {RangeError} When it is neither.
 */
export function checkInitScheme(context: string, name: string, scheme: unknown): InitScheme {
  if (typeof scheme === "string") return checkChoice(context, name, scheme, NAMED_SCHEMES) as InitScheme;
  if (typeof scheme !== "object" || scheme === null) {
    throw new RangeError(
      `Cannot ${context}: ${name} must be one of ${NAMED_SCHEMES.join(", ")} or { std, fanInScaled } (got ${
        describe(scheme)
      })`,
    );
  }
  checkOptions(context, scheme, ["std", "fanInScaled"], name);
  const custom = scheme as { std: unknown; fanInScaled?: unknown };
  checkNumber(context, `${name}.std`, custom.std, { min: 0 });
  checkBoolean(context, `${name}.fanInScaled`, custom.fanInScaled ?? false);
  return scheme as InitScheme;
}

/**
 * The standard deviation of one weight under a scheme: the one table of the schemes' scales (the
 * uniform Glorot scheme's U(±√(6/(fanIn+fanOut))) has the normal Glorot std).
 *
 * @param scheme Scheme.
 * @param fanIn Inputs per unit.
 * @param fanOut Outputs per unit.
 * @returns The std of each weight.
 * @throws {RangeError} For an unknown scheme or a fan that is not a whole number >= 1.
 * @example He: √(2/fanIn)
 * ```ts
 * import assert from "node:assert";
 * import { initStd } from "../nn/mod.ts";
 * assert.equal(initStd("he", 8, 3), 0.5);
 * ```
 */
export function initStd(scheme: InitScheme, fanIn: number, fanOut: number): number {
  const context = "compute an initialisation std";
  checkInitScheme(context, "scheme", scheme);
  checkNumber(context, "fanIn", fanIn, { integer: true, min: 1 });
  checkNumber(context, "fanOut", fanOut, { integer: true, min: 1 });
  if (scheme === "zeros") return 0;
  if (scheme === "lecun") return Math.sqrt(1 / fanIn);
  if (scheme === "he") return Math.sqrt(2 / fanIn);
  if (scheme === "glorot" || scheme === "glorot-uniform") return Math.sqrt(2 / (fanIn + fanOut));
  if (scheme === "torch") return 1 / Math.sqrt(3 * fanIn);
  return scheme.fanInScaled ? scheme.std / Math.sqrt(fanIn) : scheme.std;
}

/**
 * Creates a weight tensor with a scheme.
 *
 * @param shape Dimensions.
 * @param scheme Scheme.
 * @param options Fan-in/out and the seed (and stream, e.g. the layer index).
 * @returns A new tensor with `requiresGrad` set.
 * @throws {RangeError} For an invalid std or fan.
 * @example He initialisation has variance 2/fanIn
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, initWeights } from "../mod.ts";
 * await initGpu();
 * const w = await initWeights([500, 400], "he", { fanIn: 500, fanOut: 400, seed: 1 }).toArray();
 * const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
 * assert.ok(Math.abs(variance - 2 / 500) < 2e-4);
 * ```
 */
export function initWeights(
  shape: readonly number[],
  scheme: InitScheme,
  options: { fanIn: number; fanOut: number; seed: number; stream?: number },
): Tensor {
  const context = "initialise weights";
  checkOptions(context, options, ["fanIn", "fanOut", "seed", "stream"]);
  checkInitScheme(context, "scheme", scheme);
  const { fanIn, fanOut, seed, stream } = options;
  checkNumber(context, "options.fanIn", fanIn, { integer: true, min: 1 });
  checkNumber(context, "options.fanOut", fanOut, { integer: true, min: 1 });
  checkNumber(context, "options.seed", seed, { integer: true, min: 0 });
  let t: Tensor;
  if (scheme === "zeros") t = full(shape, 0);
  else if (scheme === "glorot-uniform" || scheme === "torch") {
    const limit = scheme === "torch" ? 1 / Math.sqrt(fanIn) : Math.sqrt(6 / (fanIn + fanOut));
    t = randomUniform(shape, { seed, stream, low: -limit, high: limit });
  } else {
    const std = initStd(scheme, fanIn, fanOut);
    if (!(std >= 0)) throw new RangeError(`Cannot ${context}: initialisation std ${std} is not >= 0`);
    t = randomNormal(shape, { seed, stream, std });
  }
  t.requiresGrad = true;
  return t;
}

/**
 * The uniformly distributed deterministic initialisation (UDI) of a first layer: hyperplanes a_j·x + r_j
 * whose unit normals a_j spread evenly over the sphere (±1 in 1-D, evenly spaced angles in 2-D, a
 * golden-ratio spiral direction set otherwise) and whose offsets place the hyperplanes evenly across the
 * box domain (low-discrepancy offsets along each normal), with no randomness.
 *
 * With `variant: "random"` it is the uniformly distributed initialisation as the ε-rank paper describes
 * it: σ(γ(a_j·(x − c) + r_j)) with a_j uniform on the unit sphere, r_j ~ U(0, R) (R the half-diagonal of
 * the box, c its centre) and γ_j = `scale`, drawn from the seed.
 *
 * @param inputs Input dimension d.
 * @param width Number of neurons.
 * @param domain Box domain as [low, high] per dimension (or one pair for every dimension).
 * @param options Variant (default "deterministic"), and for "random" its seed and scale γ (default 1).
 * @returns Weights [d, width] (column j is γ a_j) and biases [width], with `requiresGrad` set.
 * @throws {RangeError} When the domain is empty or the scale negative.
 */
export function udiInit(
  inputs: number,
  width: number,
  domain: readonly [number, number] | readonly (readonly [number, number])[],
  options: { variant?: "deterministic" | "random"; seed?: number; scale?: number } = {},
): { weights: Tensor; bias: Tensor } {
  const box = typeof domain[0] === "number"
    ? Array.from({ length: inputs }, () => domain as readonly [number, number])
    : domain as readonly (readonly [number, number])[];
  if (box.length !== inputs || box.some(([lo, hi]) => !(hi > lo))) {
    throw new RangeError(
      `Cannot initialise UDI for ${inputs} inputs: domain ${
        JSON.stringify(domain)
      } needs [low, high] with high > low for each input`,
    );
  }
  if (options.variant === "random") return randomUdi(inputs, width, box, options.seed ?? 0, options.scale ?? 1);
  const golden = (Math.sqrt(5) - 1) / 2;
  const w = new Float32Array(inputs * width), b = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    let a: number[];
    if (inputs === 1) a = [j % 2 === 0 ? 1 : -1];
    else if (inputs === 2) {
      const angle = (2 * Math.PI * (j + 0.5)) / width;
      a = [Math.cos(angle), Math.sin(angle)];
    } else {
      // Fibonacci-like spiral in the first two angles, further coordinates from golden-ratio fractions.
      a = Array.from({ length: inputs }, (_, d) => Math.cos(2 * Math.PI * (((j + 0.5) * golden ** (d + 1)) % 1)));
      const len = Math.hypot(...a);
      a = a.map((v) => v / len);
    }
    const center = a.reduce((s, ad, d) => s + ad * (box[d][0] + box[d][1]) / 2, 0);
    const reach = a.reduce((s, ad, d) => s + Math.abs(ad) * (box[d][1] - box[d][0]) / 2, 0);
    const t = inputs === 1 ? (Math.floor(j / 2) + 0.5) / Math.ceil(width / 2) : ((j * golden) % 1 + 0.5 / width) % 1;
    // a·x + r = 0 at a·x = center + (2t − 1)·reach, evenly covering the domain's extent along a.
    b[j] = -(center + (2 * t - 1) * reach);
    a.forEach((ad, d) => (w[d * width + j] = ad));
  }
  const weights = Tensor.fromArray(w, [inputs, width]), bias = Tensor.fromArray(b, [width]);
  weights.requiresGrad = bias.requiresGrad = true;
  return { weights, bias };
}

/** The random UDI: a_j uniform on the sphere, r_j ~ U(0, R), W_j = γ a_j and b_j = γ(r_j − a_j·c). */
function randomUdi(
  inputs: number,
  width: number,
  box: readonly (readonly [number, number])[],
  seed: number,
  scale: number,
): { weights: Tensor; bias: Tensor } {
  if (!(scale >= 0)) throw new RangeError(`Cannot initialise UDI: scale ${scale} must be >= 0`);
  const normals = hostRandom(inputs * width, { seed: deriveSeed(seed, "udi", "directions"), distribution: "normal" });
  const offsets = hostRandom(width, { seed: deriveSeed(seed, "udi", "offsets"), distribution: "uniform" });
  const radius = Math.hypot(...box.map(([lo, hi]) => (hi - lo) / 2));
  const w = new Float32Array(inputs * width), b = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const a = Array.from({ length: inputs }, (_, d) => normals[j * inputs + d]);
    const len = Math.hypot(...a);
    const center = a.reduce((s, ad, d) => s + (ad / len) * (box[d][0] + box[d][1]) / 2, 0);
    a.forEach((ad, d) => (w[d * width + j] = scale * ad / len));
    b[j] = scale * (offsets[j] * radius - center);
  }
  const weights = Tensor.fromArray(w, [inputs, width]), bias = Tensor.fromArray(b, [width]);
  weights.requiresGrad = bias.requiresGrad = true;
  return { weights, bias };
}
