/**
 * Ensembles of random fully connected networks evaluated at one input, generated and run on the GPU
 * (weights from the counter-based generator, never stored on the host): the raw material for
 * preactivation statistics at initialization.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { deriveSeed, randomNormal, randomUniform } from "../ops/random.ts";
import { matmul } from "../ops/matmul.ts";
import { add } from "../ops/arithmetic.ts";
import { ACTIVATION_FUNCTIONS, type ActivationName } from "../model/activations.ts";
import { concat } from "../ops/layout.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";

/** Options for {@linkcode ensemblePreactivations}. */
export interface EnsembleOptions {
  /** Number of independent networks. */
  nets: number;
  /** Width of each layer (its length is the depth). */
  widths: number[];
  /** Weight variance C_W: W_ij ~ N(0, C_W / fan_in) with fan-in scaling, N(0, C_W) without. */
  weightVariance: number;
  /** "fan-in" (default) divides the variance by the fan-in; "none" does not (the unscaled variant). */
  scaling?: "fan-in" | "none";
  /** Bias variance C_b (default 0: zero biases). */
  biasVariance?: number;
  /**
   * Initialisation per layer (default all "normal"): "normal" draws W (and b) as above; "torch" is
   * PyTorch's `nn.Linear` default, W and b ~ U(±1/√fan_in) (variance 1/(3·fan_in)), ignoring the variances.
   */
  layerInit?: ("normal" | "torch")[];
  /** Nonlinearity between layers (default "relu"). */
  activation?: ActivationName;
  /** Seed of the ensemble. */
  seed: number;
}

/** The keys of {@linkcode EnsembleOptions}, for the unknown-option check. */
const ENSEMBLE_OPTION_KEYS: readonly string[] = [
  "nets",
  "widths",
  "activation",
  "weightVariance",
  "biasVariance",
  "scaling",
  "layerInit",
  "seed",
];

/** Checks the input and every option of {@linkcode ensemblePreactivations} before any work. */
function checkEnsemble(x: ArrayLike<number>, options: EnsembleOptions): void {
  const context = "sample ensemble preactivations";
  checkOptions(context, options, ENSEMBLE_OPTION_KEYS);
  if (options === undefined) {
    throw new TypeError(`Cannot ${context}: options (nets, widths, weightVariance, seed) are required`);
  }
  if (typeof x !== "object" || x === null || !(x.length >= 1) || !Array.prototype.every.call(x, Number.isFinite)) {
    throw new RangeError(`Cannot ${context}: x must be a non-empty array of finite numbers (got ${describe(x)})`);
  }
  checkNumber(context, "options.nets", options.nets, { integer: true, min: 1 });
  const { widths } = options;
  if (!Array.isArray(widths) || widths.length === 0 || !widths.every((w) => Number.isInteger(w) && w >= 1)) {
    throw new RangeError(
      `Cannot ${context}: options.widths must be a non-empty array of integers >= 1 (got ${describe(widths)})`,
    );
  }
  checkNumber(context, "options.weightVariance", options.weightVariance, { min: 0 });
  checkNumber(context, "options.biasVariance", options.biasVariance ?? 0, { min: 0 });
  checkNumber(context, "options.seed", options.seed, { integer: true, min: 0 });
  checkChoice(context, "options.scaling", options.scaling ?? "fan-in", ["fan-in", "none"]);
  checkChoice(context, "options.activation", options.activation ?? "relu", Object.keys(ACTIVATION_FUNCTIONS));
  if (options.layerInit !== undefined) {
    if (!Array.isArray(options.layerInit) || options.layerInit.length !== widths.length) {
      throw new RangeError(`Cannot ${context}: options.layerInit needs one entry per layer (${widths.length})`);
    }
    options.layerInit.forEach((v, l) => checkChoice(context, `options.layerInit[${l}]`, v, ["normal", "torch"]));
  }
}

/**
 * Preactivations z^(ℓ) = W^(ℓ) φ(z^(ℓ−1)) + b^(ℓ) (z^(0) = x) of every layer of every network at a fixed
 * input. Networks are processed in chunks so one chunk's weights stay under ~64 MB.
 *
 * @param x The input vector.
 * @param options Ensemble size, widths, variances, activation, seed.
 * @returns Per layer, `nets x width` values (network-major).
 * @throws {RangeError} For empty widths or non-positive sizes.
 * @example Layer-1 preactivations of a fan-in-scaled ensemble have variance C_W·|x|²/n₀
 * ```ts
 * import assert from "node:assert";
 * import { ensemblePreactivations, initGpu } from "../mod.ts";
 * await initGpu();
 * const [z] = await ensemblePreactivations([1, -1, 1, -1], { nets: 500, widths: [64], weightVariance: 2, seed: 1 });
 * const k = z.reduce((s, v) => s + v * v, 0) / z.length;
 * assert.ok(Math.abs(k - 2) < 0.1);
 * ```
 */
export async function ensemblePreactivations(x: ArrayLike<number>, options: EnsembleOptions): Promise<Float32Array[]> {
  checkEnsemble(x, options);
  const { nets, widths } = options;
  const fanIns = [x.length, ...widths.slice(0, -1)];
  const biggest = Math.max(...widths.map((w, l) => w * fanIns[l]));
  const chunk = Math.max(1, Math.min(nets, Math.floor(2 ** 24 / biggest)));
  const act = ACTIVATION_FUNCTIONS[options.activation ?? "relu"];
  const out = widths.map((w) => new Float32Array(nets * w));
  const input = Tensor.fromArray(Float32Array.from(x), [1, x.length]); // 2-D: shared by every network
  for (let start = 0, c = 0; start < nets; start += chunk, c++) {
    const count = Math.min(chunk, nets - start);
    // All layers' preactivations of this chunk in one tensor, so one read-back per chunk.
    const all = tidy(() => {
      let h: Tensor = input;
      const zs: Tensor[] = [];
      widths.forEach((w, l) => {
        // A seed derived per (layer, chunk) keeps every network's weights independent and reproducible.
        if (options.layerInit?.[l] === "torch") {
          const limit = 1 / Math.sqrt(fanIns[l]), range = { low: -limit, high: limit };
          const weights = randomUniform([count, fanIns[l], w], {
            seed: deriveSeed(options.seed, "weights", l, c),
            ...range,
          });
          const bias = randomUniform([count, 1, w], { seed: deriveSeed(options.seed, "biases", l, c), ...range });
          const z = add(matmul(h, weights), bias);
          zs.push(z.reshape([count, w]));
          h = act(z);
          return;
        }
        const variance = options.weightVariance / ((options.scaling ?? "fan-in") === "fan-in" ? fanIns[l] : 1);
        const weights = randomNormal([count, fanIns[l], w], {
          seed: deriveSeed(options.seed, "weights", l, c),
          std: Math.sqrt(variance),
        });
        let z = matmul(h, weights);
        if (options.biasVariance) {
          z = add(
            z,
            randomNormal([count, 1, w], {
              seed: deriveSeed(options.seed, "biases", l, c),
              std: Math.sqrt(options.biasVariance),
            }),
          );
        }
        zs.push(z.reshape([count, w]));
        h = act(z);
      });
      return concat(zs, 1);
    });
    const values = await all.toArray();
    all.dispose();
    const row = widths.reduce((a, b) => a + b, 0);
    for (let e = 0; e < count; e++) {
      let offset = 0;
      widths.forEach((w, l) => {
        out[l].set(values.subarray(e * row + offset, e * row + offset + w), (start + e) * w);
        offset += w;
      });
    }
  }
  input.dispose();
  return out;
}
