/**
 * Loss-curvature spectra in one call: the top eigenvalues ("sharpness"), the trace and the spectral
 * density of the Hessian, the Gauss–Newton matrix or the empirical Fisher of a model on a batch, each
 * from the matrix-free engine with its cost in products and its error measure.
 *
 * @module
 */
import { hutchinson, hutchPlusPlus } from "../linalg/trace_estimators.ts";
import { lanczos } from "../linalg/lanczos.ts";
import { slq, slqTrace } from "../linalg/slq.ts";
import type { Layer } from "../model/parameterized.ts";
import { checkChoice, checkOptions } from "../check/args.ts";
import {
  type CurvatureBatch,
  type CurvatureOperator,
  fisherOperator,
  ggnOperator,
  hessianOperator,
  type MeanLoss,
} from "./curvature_operators.ts";
import { withDisplay } from "./_display.ts";

/** Which curvature matrix: the Hessian, the generalised Gauss–Newton matrix, or the empirical Fisher. */
export type CurvatureMatrix = "hessian" | "ggn" | "fisher";

/** Options for {@linkcode hessianTopEigenvalues}. */
export interface CurvatureEigenOptions {
  /** Examples per forward pass (default: all). */
  chunkSize?: number;
  /** Forward mode (default "eval"). */
  mode?: "train" | "eval";
  /** The matrix (default "hessian"). */
  matrix?: CurvatureMatrix;
  /** Eigenvalues wanted, largest first (default 1). */
  k?: number;
  /** Relative residual ‖Hv − λv‖ / |λ| to reach (default 1e-3). */
  tol?: number;
  /** Most Lanczos steps (default min(P, 30 + 10k)). */
  maxSteps?: number;
  /** Seed of the start vector (default 0). */
  seed?: number;
}

/** The top eigenvalues of a curvature matrix. */
export interface CurvatureEigenResult {
  /** The matrix. */
  matrix: CurvatureMatrix;
  /** The k largest eigenvalues, descending. */
  values: number[];
  /** Each one's measured residual ‖Hv − λv‖. */
  residuals: number[];
  /** Whether each met the tolerance (an unconverged value is flagged, never hidden). */
  converged: boolean[];
  /** Products of the matrix taken. */
  products: number;
  /** Seconds taken. */
  seconds: number;
}

/** Options for {@linkcode hessianTrace}. */
export interface CurvatureTraceOptions {
  /** Examples per forward pass (default: all). */
  chunkSize?: number;
  /** Forward mode (default "eval"). */
  mode?: "train" | "eval";
  /** The matrix (default "hessian"). */
  matrix?: CurvatureMatrix;
  /** Products to spend (default 30). */
  products?: number;
  /** "hutch++" (default) or "hutchinson". */
  estimator?: "hutch++" | "hutchinson";
  /** Seed of the probes (default 0). */
  seed?: number;
}

/** The trace of a curvature matrix. */
export interface CurvatureTraceResult {
  /** The matrix. */
  matrix: CurvatureMatrix;
  /** The trace estimate. */
  value: number;
  /** Its standard error. */
  standardError: number;
  /** The estimator used. */
  estimator: "hutch++" | "hutchinson";
  /** Products taken. */
  products: number;
  /** Seconds taken. */
  seconds: number;
}

/** Options for {@linkcode hessianDensity}. */
export interface CurvatureDensityOptions {
  /** Examples per forward pass (default: all). */
  chunkSize?: number;
  /** Forward mode (default "eval"). */
  mode?: "train" | "eval";
  /** The matrix (default "hessian"). */
  matrix?: CurvatureMatrix;
  /** Rademacher probes (default 10). */
  probes?: number;
  /** Lanczos steps per probe (default 60). */
  steps?: number;
  /** Seed of the probes (default 0). */
  seed?: number;
  /** Points of the density grid (default 512). */
  gridPoints?: number;
  /** Gaussian smoothing width (default 1% of the span of the nodes). */
  sigma?: number;
}

/** The spectral density of a curvature matrix (stochastic Lanczos quadrature). */
export interface CurvatureDensityResult {
  /** The matrix. */
  matrix: CurvatureMatrix;
  /** Eigenvalue positions. */
  grid: Float64Array;
  /** Smoothed density on the grid (∫ = 1: a fraction of the P eigenvalues per unit λ). */
  density: Float64Array;
  /** Each probe's quadrature nodes (Ritz values), ascending. */
  nodes: Float64Array[];
  /** Each probe's weights, summing to 1. */
  weights: Float64Array[];
  /** The smoothing width. */
  sigma: number;
  /** The trace from the same quadrature, with its standard error over probes. */
  trace: { value: number; standardError: number };
  /** Products taken. */
  products: number;
  /** Seconds taken. */
  seconds: number;
}

const BUILD: Record<CurvatureMatrix, typeof hessianOperator> = {
  hessian: hessianOperator,
  ggn: ggnOperator,
  fisher: fisherOperator,
};
const OPERATOR_KEYS = ["chunkSize", "mode"];
const NAMES: Record<CurvatureMatrix, string> = { hessian: "Hessian", ggn: "Gauss–Newton", fisher: "Fisher" };

/** The operator of the chosen matrix with its graphs kept for the call, and the options left for the solver. */
async function withOperator<T>(
  context: string,
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: { matrix?: CurvatureMatrix; chunkSize?: number; mode?: "train" | "eval" },
  own: readonly string[],
  run: (op: CurvatureOperator, matrix: CurvatureMatrix) => Promise<T>,
): Promise<T> {
  checkOptions(context, options, ["matrix", ...OPERATOR_KEYS, ...own]);
  const matrix = checkChoice(context, "options.matrix", options.matrix ?? "hessian", ["hessian", "ggn", "fisher"]);
  const op = BUILD[matrix](model, loss, batch, { chunkSize: options.chunkSize, mode: options.mode, keepGraph: true });
  try {
    return await run(op, matrix);
  } finally {
    op.dispose();
  }
}

function pick<T extends object>(options: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([k, v]) => keys.includes(k) && v !== undefined)) as Partial<
    T
  >;
}

/**
 * The k largest eigenvalues of the loss Hessian (or, with `matrix`, the Gauss–Newton matrix or the
 * empirical Fisher) of a model on a batch: Lanczos over products by double backprop, each value with its
 * measured residual and a converged flag. The top one is the "sharpness" of the edge-of-stability
 * literature (Cohen et al., ICLR 2021). The forward pass and first backward pass are kept across the
 * products of one call; the operators are symmetric by construction, so no symmetry test is spent.
 *
 * @param model The model.
 * @param loss A loss that is a mean over examples (e.g. `softmaxCrossEntropy`).
 * @param batch Inputs and targets (one-hot rows for cross-entropy).
 * @param options Matrix, k, tolerance, steps, seed, chunk size, mode.
 * @returns The values, residuals, flags, products and seconds, shown as a table in notebooks.
 * @throws {TypeError} For a bad model, loss, batch or option.
 * @throws {RangeError} When k ≥ P, a product holds NaN, or an option is out of range.
 * @example The top Hessian eigenvalue of a linear model under MSE is 2λ_max(XᵀX)/(nC)
 * ```ts
 * import assert from "node:assert";
 * import { Dense, hessianTopEigenvalues, initGpu, mseLoss, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Dense(2, 1, { seed: 0, bias: false });
 * const x = Tensor.fromArray([3, 0, 0, 1], [2, 2]), y = Tensor.fromArray([0, 0], [2, 1]);
 * const { values, converged } = await hessianTopEigenvalues(model, mseLoss, { x, y });
 * assert.ok(converged[0] && Math.abs(values[0] - 9) < 1e-3); // 2 · 9 / 2
 * ```
 */
export function hessianTopEigenvalues(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureEigenOptions = {},
): Promise<CurvatureEigenResult> {
  const own = ["k", "tol", "maxSteps", "seed"];
  return withOperator("find curvature eigenvalues", model, loss, batch, options, own, async (op, matrix) => {
    const t0 = performance.now();
    const r = await lanczos(op, { tol: 1e-3, ...pick(options, own), checkSymmetry: false });
    const seconds = (performance.now() - t0) / 1000;
    const result = {
      matrix,
      values: r.largest.map((e) => e.value),
      residuals: r.largest.map((e) => e.residual),
      converged: r.largest.map((e) => e.converged),
      products: r.products,
      seconds,
    };
    return withDisplay(result, `top ${NAMES[matrix]} eigenvalues`, [
      ...result.values.map((v, i) =>
        [
          `λ${i + 1}`,
          `${v.toPrecision(6)} (‖Hv−λv‖ ${result.residuals[i].toExponential(1)}${
            result.converged[i] ? "" : ", NOT converged"
          })`,
        ] as [string, string]
      ),
      ["products", `${r.products} (${(seconds / r.products).toFixed(2)} s each)`],
    ]);
  });
}

/**
 * The trace of the loss Hessian (or Gauss–Newton matrix, or empirical Fisher) by Hutch++ (default) or
 * Hutchinson's estimator, with its standard error.
 *
 * @param model The model.
 * @param loss A loss that is a mean over examples.
 * @param batch Inputs and targets.
 * @param options Matrix, products, estimator, seed, chunk size, mode.
 * @returns The estimate, standard error, products and seconds, shown as a table in notebooks.
 * @throws {TypeError} For a bad model, loss, batch or option.
 * @throws {RangeError} When products is too small for the estimator, or a product holds NaN.
 * @example The trace of a linear model's MSE Hessian is 2‖X‖²_F/(nC)
 * ```ts
 * import assert from "node:assert";
 * import { Dense, hessianTrace, initGpu, mseLoss, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Dense(2, 1, { seed: 0, bias: false });
 * const x = Tensor.fromArray([3, 0, 0, 1], [2, 2]), y = Tensor.fromArray([0, 0], [2, 1]);
 * const { value, standardError } = await hessianTrace(model, mseLoss, { x, y }, { products: 9 });
 * assert.ok(Math.abs(value - 10) <= 3 * standardError + 1e-3);
 * ```
 */
export function hessianTrace(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureTraceOptions = {},
): Promise<CurvatureTraceResult> {
  const context = "estimate a curvature trace";
  return withOperator(context, model, loss, batch, options, ["products", "estimator", "seed"], async (op, matrix) => {
    const estimator = checkChoice(context, "options.estimator", options.estimator ?? "hutch++", [
      "hutch++",
      "hutchinson",
    ]);
    const t0 = performance.now();
    const r = await (estimator === "hutch++" ? hutchPlusPlus : hutchinson)(op, pick(options, ["products", "seed"]));
    const seconds = (performance.now() - t0) / 1000;
    const result = { matrix, value: r.value, standardError: r.standardError, estimator, products: r.products, seconds };
    return withDisplay(result, `${NAMES[matrix]} trace`, [
      ["trace", `${r.value.toPrecision(6)} ± ${r.standardError.toPrecision(2)}`],
      ["estimator", estimator],
      ["products", `${r.products} (${(seconds / r.products).toFixed(2)} s each)`],
    ]);
  });
}

/**
 * The eigenvalue density of the loss Hessian (or Gauss–Newton matrix, or empirical Fisher) by stochastic
 * Lanczos quadrature (Ghorbani, Krishnan & Xiao, ICML 2019; Papyan 2019): Gaussian-smoothed on a grid,
 * with each probe's raw nodes and weights, and the trace from the same quadrature.
 *
 * @param model The model.
 * @param loss A loss that is a mean over examples.
 * @param batch Inputs and targets.
 * @param options Matrix, probes, steps, seed, grid, smoothing, chunk size, mode.
 * @returns The density, nodes, weights, trace, products and seconds, shown as a table in notebooks.
 * @throws {TypeError} For a bad model, loss, batch or option.
 * @throws {RangeError} When probes or steps is 0 or steps > P, or a product holds NaN.
 * @example The density of a linear model's MSE Hessian integrates to 1
 * ```ts
 * import assert from "node:assert";
 * import { Dense, hessianDensity, initGpu, mseLoss, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Dense(2, 1, { seed: 0, bias: false });
 * const x = Tensor.fromArray([3, 0, 0, 1], [2, 2]), y = Tensor.fromArray([0, 0], [2, 1]);
 * const { grid, density } = await hessianDensity(model, mseLoss, { x, y }, { probes: 2, steps: 2 });
 * const step = grid[1] - grid[0];
 * assert.ok(Math.abs(density.reduce((s, v) => s + v, 0) * step - 1) < 1e-3);
 * ```
 */
export function hessianDensity(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureDensityOptions = {},
): Promise<CurvatureDensityResult> {
  const own = ["probes", "steps", "seed", "gridPoints", "sigma"];
  return withOperator("estimate a curvature density", model, loss, batch, options, own, async (op, matrix) => {
    const t0 = performance.now();
    const r = await slq(op, pick(options, own));
    const seconds = (performance.now() - t0) / 1000;
    const trace = slqTrace(r, "identity");
    const result = {
      matrix,
      grid: r.grid,
      density: r.density,
      nodes: r.probes.map((p) => p.nodes),
      weights: r.probes.map((p) => p.weights),
      sigma: r.sigma,
      trace: { value: trace.value, standardError: trace.standardError },
      products: r.products,
      seconds,
    };
    const all = result.nodes.flatMap((n) => [...n]);
    return withDisplay(result, `${NAMES[matrix]} density`, [
      ["probes × steps", `${r.probes.length} × ${r.probes[0].nodes.length}`],
      ["nodes", `[${Math.min(...all).toPrecision(4)}, ${Math.max(...all).toPrecision(4)}]`],
      ["trace", `${trace.value.toPrecision(6)} ± ${trace.standardError.toPrecision(2)}`],
      ["products", `${r.products} (${(seconds / r.products).toFixed(2)} s each)`],
    ]);
  });
}
