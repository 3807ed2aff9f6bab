/**
 * Weight spectra of a (trained) model, as WeightWatcher (Martin & Mahoney) reports them: per weight
 * layer the singular values of W, the empirical spectral density (ESD) of WᵀW/N, a power-law fit of its
 * tail, the Marchenko–Pastur bulk edge that a random matrix of the same shape and variance would not
 * cross, the stable rank and the effective ranks.
 *
 * References: C. H. Martin & M. W. Mahoney, "Implicit self-regularization in deep neural networks:
 * evidence from random matrix theory and implications for learning", JMLR 22 (2021), and "Predicting
 * trends in the quality of state-of-the-art neural networks without access to training or testing
 * data", Nature Communications 12 (2021); the WeightWatcher package (github.com/CalculatedContent/
 * WeightWatcher); Clauset, Shalizi & Newman, SIAM Review 51 (2009) for the fit; Marchenko & Pastur (1967);
 * Johnstone, Annals of Statistics 29 (2001) for the Tracy–Widom scale of the largest eigenvalue.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { type SpectrumOptions, svdvals, svdvalsHost } from "../linalg/svd.ts";
import { SPECTRUM_OPTION_KEYS } from "../linalg/_spectrum.ts";
import { structureOf } from "../model/layer_signals.ts";
import { checkChoice, checkNumber, checkOptions } from "../check/args.ts";
import { checkLayer, type Layer, type TraceableModel } from "../model/parameterized.ts";
import { deltaRank, effectiveRank } from "./entropy.ts";
import { fitPowerLaw, type PowerLawFit } from "./power_law.ts";
import { withDisplay } from "./_display.ts";

/** WeightWatcher's bound above which α reads as under-trained (random-like): α > 6. */
export const UNDER_TRAINED_ALPHA = 6;

/**
 * How many Tracy–Widom scales beyond the Marchenko–Pastur edge the largest eigenvalue must lie to count
 * as a spike. The largest eigenvalue of a Gaussian matrix, centred at the edge and divided by the scale,
 * follows Tracy–Widom TW₁ (mean −1.21, sd 1.27), which exceeds 4 with probability below 1e-3.
 */
export const SPIKE_MARGIN = 4;

/** Options for {@linkcode weightSpectra}. */
export interface WeightSpectraOptions extends SpectrumOptions {
  /**
   * The ESD of a convolution's filters [kh, kw, in, out]:
   * - `"flatten"` (default): of the [kh·kw·in, out] matrix whose singular values are `values` (the
   *   matrix the convolution multiplies its im2col patches by);
   * - `"slices"`: WeightWatcher's choice, the eigenvalues of the kh·kw matrices [in, out] (one per kernel
   *   position), pooled into one ESD.
   */
  convolution?: "flatten" | "slices";
  /** Least number of eigenvalues in a fitted tail (default 10; see `fitPowerLaw`). */
  minTail?: number;
}

/** The keys of {@linkcode WeightSpectraOptions}, for the unknown-option check. */
const WEIGHT_SPECTRA_OPTION_KEYS: readonly string[] = [...SPECTRUM_OPTION_KEYS, "convolution", "minTail"];

/** The Marchenko–Pastur law a random N×M matrix of the layer's entry variance would follow. */
export interface MarchenkoPastur {
  /** The entry variance σ² estimated as the mean eigenvalue, ‖W‖²_F / (N·M). */
  variance: number;
  /** The bulk edge λ₊ = σ²(1 + √(M/N))² of the eigenvalues of WᵀW/N. */
  edge: number;
  /** Tracy–Widom scale of the largest eigenvalue, (σ²/N)(√N + √M)(1/√N + 1/√M)^(1/3). */
  scale: number;
  /** Number of eigenvalues above edge + {@linkcode SPIKE_MARGIN}·scale. */
  spikes: number;
}

/** The spectra of one weight layer. */
export interface WeightSpectrum {
  /** Index of the layer in the model. */
  layer: number;
  /** The layer's name. */
  name: string;
  /**
   * `"dense"` or `"conv"`; `"matrix"` for a 2-D parameter of any other layer (an embedding, attention
   * projections, the linear layers inside a transformer block), named in `name` by its state key.
   */
  kind: "dense" | "conv" | "matrix";
  /** Singular values of W, descending: dense weights [in, out], convolution filters as [kh·kw·in, out]. */
  values: Float64Array;
  /** [rows, columns] of the matrix of `values`. */
  shape: [number, number];
  /**
   * The ESD, descending: the eigenvalues λ = σ²/N of X = WᵀW/N with W oriented N×M, N ≥ M (so the
   * M = min(rows, columns) eigenvalues that are not structurally zero, WeightWatcher's N ≥ M). Recent
   * WeightWatcher versions fit σ² itself (their 1/N is commented out): α and D are the same, x_min is N times
   * larger there.
   */
  eigenvalues: Float64Array;
  /** N, the larger dimension of each matrix behind `eigenvalues`. */
  normalization: number;
  /** Power-law fit of the ESD's tail, or null when it cannot be fitted (see `fitError`). */
  fit: PowerLawFit | null;
  /** Why `fit` is null (e.g. fewer eigenvalues than the least tail); "" when fitted. */
  fitError: string;
  /** The Marchenko–Pastur bulk of a random matrix of the same shape and entry variance. */
  marchenkoPastur: MarchenkoPastur;
  /**
   * Whether the ESD is heavy-tailed: the fit exists, α ≤ {@linkcode UNDER_TRAINED_ALPHA}, and at least
   * one eigenvalue is a spike beyond the Marchenko–Pastur edge. A Gaussian matrix is not (its tail fit
   * alone often gives α of 3–6 with a large KS distance, since its bulk ends at a hard edge).
   */
  heavyTailed: boolean;
  /** Stable rank ‖W‖²_F / ‖W‖²₂ = Σ σ² / σ₁² of `values` (0 for an all-zero W). */
  stableRank: number;
  /** Effective rank exp(H(σ/Σσ)) of `values` (Roy & Vetterli 2007; 0 for an all-zero W). */
  effectiveRank: number;
  /** δ-rank of `values` with δ = 0.01 (Kumar et al. 2021). */
  deltaRank: number;
}

/** Marchenko–Pastur reference of an ESD from matrices of n rows and m columns (n ≥ m). */
function marchenkoPastur(eigenvalues: Float64Array, n: number, m: number): MarchenkoPastur {
  const variance = eigenvalues.reduce((a, b) => a + b, 0) / eigenvalues.length;
  const edge = variance * (1 + Math.sqrt(m / n)) ** 2;
  const scale = (variance / n) * (Math.sqrt(n) + Math.sqrt(m)) * Math.cbrt(1 / Math.sqrt(n) + 1 / Math.sqrt(m));
  const spikes = eigenvalues.filter((v) => v > edge + SPIKE_MARGIN * scale).length;
  return { variance, edge, scale, spikes };
}

/** Pooled singular values of the kh·kw slices [in, out] of row-major filters [kh, kw, in, out]. */
function sliceSingularValues(filters: Float32Array, shape: readonly number[]): Float64Array {
  const [kh, kw, cin, cout] = shape, size = cin * cout;
  const out = new Float64Array(kh * kw * Math.min(cin, cout));
  for (let k = 0; k < kh * kw; k++) {
    out.set(svdvalsHost(filters.subarray(k * size, (k + 1) * size), cin, cout), k * Math.min(cin, cout));
  }
  return out;
}

/** Everything but the singular values, from the singular values and the ESD's matrix size. */
function spectrumOf(
  entry: Pick<WeightSpectrum, "layer" | "name" | "kind" | "values" | "shape">,
  esdValues: Float64Array,
  [n, m]: [number, number],
  minTail: number | undefined,
): WeightSpectrum {
  const eigenvalues = esdValues.map((s) => (s * s) / n).sort().reverse();
  let fit: PowerLawFit | null = null, fitError = "";
  try {
    fit = fitPowerLaw(eigenvalues, { minTail });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    fitError = e.message;
  }
  const mp = marchenkoPastur(eigenvalues, n, m);
  const s = entry.values, top = s[0];
  return {
    ...entry,
    eigenvalues,
    normalization: n,
    fit,
    fitError,
    marchenkoPastur: mp,
    heavyTailed: fit !== null && fit.alpha <= UNDER_TRAINED_ALPHA && mp.spikes > 0,
    stableRank: top > 0 ? s.reduce((acc, v) => acc + (v / top) ** 2, 0) : 0,
    effectiveRank: top > 0 ? effectiveRank(s) : 0,
    deltaRank: deltaRank(s),
  };
}

/** One table row per layer: α ± σ, x_min, D, tail, stable and effective rank. */
function displayRows(spectra: WeightSpectrum[]): [string, string][] {
  const g = (v: number) => Number(v.toPrecision(4)).toString();
  return spectra.map((w) => [
    `${w.layer} ${w.name} [${w.shape.join("×")}]`,
    (w.fit
      ? `α = ${g(w.fit.alpha)} ± ${g(w.fit.sigma)}, x_min = ${g(w.fit.xmin)}, D = ${
        g(w.fit.ks)
      }, tail ${w.fit.tail}/${w.fit.count}`
      : "no fit") +
    `, ${w.heavyTailed ? "heavy-tailed" : "not heavy-tailed"}, stable rank ${g(w.stableRank)}, effective rank ${
      g(w.effectiveRank)
    }`,
  ]);
}

/** The spectra of a layer's 2-D parameters, by its state names (layers without a state have none). */
async function matrixSpectra(
  layer: Layer,
  index: number,
  svdOptions: SpectrumOptions,
  minTail: number | undefined,
): Promise<WeightSpectrum[]> {
  const state = (layer as Partial<{ stateDict(): Record<string, Tensor> }>).stateDict?.() ?? {};
  const out: WeightSpectrum[] = [];
  for (const [key, t] of Object.entries(state)) {
    if (t.rank !== 2 || !t.requiresGrad) continue; // matrices among the parameters, not running statistics
    const values = await svdvals(t, svdOptions);
    const shape: [number, number] = [t.shape[0], t.shape[1]];
    const entry = { layer: index, name: `${layer.name} ${key}`, kind: "matrix" as const, values, shape };
    out.push(spectrumOf(entry, values, [Math.max(...shape), Math.min(...shape)], minTail));
  }
  return out;
}

/**
 * Weight spectra of every dense and convolution layer, and of every 2-D parameter of other layers
 * (embeddings, attention, transformer blocks), as WeightWatcher computes them: the singular values
 * σ of W (dense weights [in, out], convolution filters reshaped to [kh·kw·in, out]), the ESD λ = σ²/N of
 * WᵀW/N with N the larger dimension, a power-law fit of its tail (`fitPowerLaw`: MLE α with x_min by the
 * KS distance), the Marchenko–Pastur edge and spikes, the stable rank and the effective and δ-ranks.
 * The result is an array (one entry per weight layer, with `layer`, `name` and `values` as before) that
 * displays as a table in Jupyter.
 *
 * @param model Traceable model.
 * @param options Spectrum method and SVD options, the convolution ESD, the least tail.
 * @returns One entry per weight layer.
 * @throws {TypeError} When `model` is not a traceable model, or for an unknown option.
 * @throws {RangeError} For an option out of range, or weights holding NaN or ±Infinity.
 * @example Weights diag(3, 2) have singular values 3, 2 and stable rank 13/9
 * ```ts
 * import assert from "node:assert";
 * import { Activation, Dense, initGpu, Sequential, Tensor } from "../mod.ts";
 * import { weightSpectra } from "./weight_spectra.ts";
 * await initGpu();
 * const dense = new Dense(2, 2, { bias: false, seed: 0 });
 * dense.weights = Tensor.fromArray([3, 0, 0, 2], [2, 2]);
 * const [w] = await weightSpectra(new Sequential([dense, new Activation("relu")]));
 * assert.ok(w.layer === 0 && Math.abs(w.values[0] - 3) < 1e-6 && Math.abs(w.values[1] - 2) < 1e-6);
 * assert.ok(Math.abs(w.stableRank - 13 / 9) < 1e-6 && Math.abs(w.eigenvalues[0] - 4.5) < 1e-5);
 * assert.ok(w.fit === null && !w.heavyTailed); // two eigenvalues are too few to fit
 * ```
 */
export async function weightSpectra(
  model: TraceableModel,
  options: WeightSpectraOptions = {},
): Promise<WeightSpectrum[]> {
  const context = "compute weight spectra";
  checkOptions(context, options, WEIGHT_SPECTRA_OPTION_KEYS);
  checkLayer(context, "model", model, true);
  const { convolution = "flatten", minTail, ...svdOptions } = options;
  checkChoice(context, "options.convolution", convolution, ["flatten", "slices"]);
  if (minTail !== undefined) checkNumber(context, "options.minTail", minTail, { integer: true, min: 2 });
  const out: WeightSpectrum[] = [];
  for (let i = 0; i < model.layers.length; i++) {
    const s = structureOf(model.layers[i]);
    if (s.kind !== "dense" && s.kind !== "conv") {
      out.push(...await matrixSpectra(model.layers[i], i, svdOptions, minTail));
      continue;
    }
    const w: Tensor = s.kind === "dense"
      ? s.weights
      : s.filters.reshape([s.filters.size / s.filters.shape[3], s.filters.shape[3]]);
    const values = await svdvals(w, svdOptions);
    const shape: [number, number] = [w.shape[0], w.shape[1]];
    if (s.kind === "conv") w.dispose(); // the reshaped view; dense weights are the layer's own
    const entry = { layer: i, name: model.layers[i].name, kind: s.kind, values, shape };
    if (s.kind === "conv" && convolution === "slices") {
      const [, , cin, cout] = s.filters.shape;
      const pooled = sliceSingularValues(await s.filters.toArray(), s.filters.shape);
      out.push(spectrumOf(entry, pooled, [Math.max(cin, cout), Math.min(cin, cout)], minTail));
    } else {
      out.push(spectrumOf(entry, values, [Math.max(...shape), Math.min(...shape)], minTail));
    }
  }
  return withDisplay(out, "weight spectra", displayRows(out));
}
