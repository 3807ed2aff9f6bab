/**
 * Stochastic Lanczos quadrature: the spectral density of a symmetric operator and traces tr f(A), from a
 * few Rademacher probes, each a short Lanczos run whose tridiagonal gives Gauss quadrature nodes and
 * weights.
 *
 * @module
 */
import { div } from "../ops/arithmetic.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import { checkOperator, meanAndError, type OperatorLike, rademacher } from "./_operator.ts";
import { runLanczos, tridiagonalEigen } from "./_lanczos_run.ts";

/** Options for {@linkcode slq}. */
export interface SlqOptions {
  /** Rademacher probes (default 10). */
  probes?: number;
  /** Lanczos steps per probe (default min(dim, 60)): nodes per probe. */
  steps?: number;
  /** Seed of the probes (default 0; probe p is Philox stream p + 2): same seed, same numbers. */
  seed?: number;
  /** The vector length, needed when `op` is a bare product function. */
  dim?: number;
  /** Points of the density grid (default 512), spread over [min node − 5σ, max node + 5σ]. */
  gridPoints?: number;
  /**
   * Width σ of the Gaussian smoothing each node gets in the density (default 1% of the span of the
   * nodes; a span of 0 uses 1% of the largest node in magnitude, or 1).
   */
  sigma?: number;
}

/** The quadrature of one probe. */
export interface SlqProbe {
  /** Ritz values θ_k of its tridiagonal, ascending. */
  nodes: Float64Array;
  /** Weights τ_k (squared first components of T's eigenvectors), summing to 1. */
  weights: Float64Array;
}

/** A spectral density estimate. */
export interface SlqResult {
  /** Each probe's nodes and weights: zᵀ f(A) z / ‖z‖² ≈ Σ_k τ_k f(θ_k). */
  probes: SlqProbe[];
  /** Grid of eigenvalue positions. */
  grid: Float64Array;
  /** The smoothed density on the grid, ∫ density = 1 (a fraction of the eigenvalues per unit λ). */
  density: Float64Array;
  /** The smoothing width used. */
  sigma: number;
  /** The operator's dimension. */
  dim: number;
  /** Products taken. */
  products: number;
  /** A summary table. */
  display: string;
}

/** A trace estimate with its uncertainty. */
export interface TraceEstimate {
  /** The estimate. */
  value: number;
  /** Its standard error: the probes' sample standard deviation over √probes. */
  standardError: number;
  /** Probes used. */
  probes: number;
  /** Products of the operator taken. */
  products: number;
}

const context = "run stochastic Lanczos quadrature";

/**
 * Stochastic Lanczos quadrature (Golub & Meurant 1997; Ubaru, Chen & Saad, SIMAX 2017; for Hessians,
 * Ghorbani, Krishnan & Xiao, ICML 2019, and PyHessian): for each Rademacher probe z, `steps` Lanczos
 * steps from z/‖z‖ (fully reorthogonalised) give a tridiagonal T whose eigenvalues θ_k and squared first
 * eigenvector components τ_k are a Gauss quadrature: zᵀ f(A) z / ‖z‖² ≈ Σ τ_k f(θ_k), exact for
 * polynomials of degree < 2·steps. The density is the probes' average of Σ τ_k N(λ; θ_k, σ²) on a grid.
 * The nodes are exact in their first two moments: Σ τ θ = zᵀAz/dim, Σ τ θ² = zᵀA²z/dim.
 *
 * @param op The operator ({ dim, apply }) or a product function with `options.dim`.
 * @param options Probes, steps, seed, grid, smoothing.
 * @returns Nodes and weights per probe, and the smoothed density.
 * @throws {TypeError} When op is not an operator or function, or an option is unknown or mistyped.
 * @throws {RangeError} When probes or steps is 0 (or steps > dim), sigma ≤ 0, or a product holds NaN.
 * @example The density of diag(1, …, 40) has its mean at 20.5
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * import { slq, slqTrace } from "./slq.ts";
 * await initGpu();
 * const d = Tensor.fromArray(Array.from({ length: 40 }, (_, i) => i + 1));
 * const result = await slq((v) => mul(d, v), { dim: 40, probes: 4, steps: 20 });
 * const trace = slqTrace(result, "identity");
 * assert.ok(Math.abs(trace.value - 820) <= 4 * trace.standardError + 1e-2);
 * ```
 */
export async function slq(op: OperatorLike, options: SlqOptions = {}): Promise<SlqResult> {
  checkOptions(context, options, ["probes", "steps", "seed", "dim", "gridPoints", "sigma"]);
  const a = checkOperator(context, op, options.dim);
  const probes = checkNumber(context, "options.probes", options.probes ?? 10, { integer: true, min: 1 });
  const steps = checkNumber(context, "options.steps", options.steps ?? Math.min(a.dim, 60), {
    integer: true,
    min: 1,
    max: a.dim,
  });
  const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const points = checkNumber(context, "options.gridPoints", options.gridPoints ?? 512, { integer: true, min: 2 });
  if (options.sigma !== undefined) checkNumber(context, "options.sigma", options.sigma, { above: 0 });
  const out: SlqProbe[] = [];
  for (let p = 0; p < probes; p++) {
    const q0 = noGrad(() => tidy(() => div(rademacher(a.dim, seed, p + 2), Math.sqrt(a.dim))));
    const state = await runLanczos(context, a, q0, steps, () => false);
    state.basis.dispose();
    const { values, vectors } = tridiagonalEigen(state.alpha, state.beta);
    out.push({ nodes: values, weights: Float64Array.from(vectors, (v) => v[0] * v[0]) });
  }
  return densityOf(out, a.dim, a.products, points, options.sigma);
}

/**
 * The probes' average of Σ_k τ_k N(λ; θ_k, σ²) at each grid point: an SLQ density on a grid of one's
 * choosing (e.g. one grid shared by densities that are compared).
 *
 * @param probes Nodes and weights per probe (an {@linkcode slq} result's `probes`).
 * @param grid Eigenvalue positions.
 * @param sigma The smoothing width (> 0).
 * @returns The density at each grid point.
 * @throws {RangeError} When there are no probes, or sigma is not a positive number.
 * @example One node of weight 1 gives a unit Gaussian's peak
 * ```ts
 * import assert from "node:assert";
 * import { slqDensityOn } from "./slq.ts";
 * const d = slqDensityOn([{ nodes: Float64Array.of(0), weights: Float64Array.of(1) }], [0], 1);
 * assert.ok(Math.abs(d[0] - 1 / Math.sqrt(2 * Math.PI)) < 1e-15);
 * ```
 */
export function slqDensityOn(probes: readonly SlqProbe[], grid: ArrayLike<number>, sigma: number): Float64Array {
  const what = "smooth an SLQ density";
  if (!Array.isArray(probes) || probes.length === 0) {
    throw new RangeError(`Cannot ${what}: probes must be a non-empty array of { nodes, weights }`);
  }
  checkNumber(what, "sigma", sigma, { above: 0 });
  const density = new Float64Array(grid.length);
  const norm = 1 / (probes.length * sigma * Math.sqrt(2 * Math.PI));
  for (const { nodes: theta, weights } of probes) {
    for (let k = 0; k < theta.length; k++) {
      for (let i = 0; i < grid.length; i++) {
        const z = (grid[i] - theta[k]) / sigma;
        density[i] += norm * weights[k] * Math.exp(-0.5 * z * z);
      }
    }
  }
  return density;
}

function densityOf(probes: SlqProbe[], dim: number, products: number, points: number, sigma?: number): SlqResult {
  const nodes = probes.flatMap((p) => [...p.nodes]);
  const lo = Math.min(...nodes), hi = Math.max(...nodes);
  const span = hi - lo;
  const width = sigma ?? (span > 0 ? 0.01 * span : 0.01 * (Math.max(Math.abs(lo), Math.abs(hi)) || 1));
  const grid = Float64Array.from(
    { length: points },
    (_, i) => lo - 5 * width + (i / (points - 1)) * (span + 10 * width),
  );
  const density = slqDensityOn(probes, grid, width);
  const moments = slqTraceOf(probes, dim, (x) => x);
  const display = [
    `SLQ density: ${probes.length} probes × ${probes[0].nodes.length} nodes, dim ${dim}, ${products} products`,
    `nodes in [${lo.toPrecision(5)}, ${hi.toPrecision(5)}], σ ${width.toPrecision(3)}`,
    `trace ≈ ${moments.value.toPrecision(6)} ± ${moments.standardError.toPrecision(2)}`,
  ].join("\n");
  return { probes, grid, density, sigma: width, dim, products, display };
}

/** A trace estimate from per-probe values: their mean and its standard error. */
function overProbes(per: number[]): TraceEstimate {
  const { mean, standardError } = meanAndError(per);
  return { value: mean, standardError, probes: per.length, products: 0 };
}

function slqTraceOf(probes: SlqProbe[], dim: number, f: (x: number) => number): TraceEstimate {
  return overProbes(probes.map(({ nodes, weights }) => dim * nodes.reduce((s, t, k) => s + weights[k] * f(t), 0)));
}

/**
 * tr f(A) from an SLQ result: dim · Σ τ_k f(θ_k) averaged over probes, with the standard error over
 * probes (NaN for one probe). `f` is `"identity"` (the trace), `"square"` (tr A²), `"log"` (log det,
 * refusing a node ≤ 0), `"entropy"` (−Σ p ln p of the eigenvalues of A / tr A, the von Neumann entropy
 * of the trace-normalised operator, refusing a negative node), `"count"` (eigenvalues above `epsilon`),
 * or any function of one eigenvalue.
 *
 * @param result An {@linkcode slq} result.
 * @param f What to sum over the eigenvalues.
 * @param epsilon The threshold for `"count"` (default 0).
 * @returns The estimate and its standard error.
 * @throws {RangeError} When f is unknown, or the nodes leave f's domain.
 * @example Counting the positive eigenvalues of diag(−1, 1, 1, 1)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * import { slq, slqTrace } from "./slq.ts";
 * await initGpu();
 * const d = Tensor.fromArray([-1, 1, 1, 1]);
 * const result = await slq((v) => mul(d, v), { dim: 4, probes: 3, steps: 4 });
 * assert.ok(Math.abs(slqTrace(result, "count").value - 3) < 1e-4);
 * ```
 */
export function slqTrace(
  result: SlqResult,
  f: "identity" | "square" | "log" | "entropy" | "count" | ((lambda: number) => number),
  epsilon = 0,
): TraceEstimate {
  const what = "estimate a trace from SLQ";
  if (result === null || typeof result !== "object" || !Array.isArray(result.probes)) {
    throw new TypeError(`Cannot ${what}: result must be an slq() result (got ${describe(result)})`);
  }
  checkNumber(what, "epsilon", epsilon);
  const nodes = result.probes.flatMap((p) => [...p.nodes]);
  let fn: (x: number) => number;
  if (typeof f === "function") fn = f;
  else {
    const name = checkChoice(what, "f", f, ["identity", "square", "log", "entropy", "count"]);
    if (name === "log" && Math.min(...nodes) <= 0) {
      throw new RangeError(`Cannot ${what}: a node ${Math.min(...nodes)} ≤ 0 is outside log's domain`);
    }
    if (name === "entropy") {
      if (Math.min(...nodes) < 0) {
        throw new RangeError(`Cannot ${what}: a node ${Math.min(...nodes)} < 0 (entropy needs A ⪰ 0)`);
      }
      // Per probe, p = λ / tr A with tr A from the same quadrature: −Σ p ln p = ln tr − (Σ λ ln λ) / tr.
      const xlogx = (x: number) => (x > 0 ? x * Math.log(x) : 0);
      const per = result.probes.map(({ nodes: t, weights: w }) => {
        const tr = result.dim * t.reduce((s, x, k) => s + w[k] * x, 0);
        return Math.log(tr) - result.dim * t.reduce((s, x, k) => s + w[k] * xlogx(x), 0) / tr;
      });
      return overProbes(per);
    }
    fn = name === "identity"
      ? (x) => x
      : name === "square"
      ? (x) => x * x
      : name === "log"
      ? Math.log
      : (x) => (x > epsilon ? 1 : 0);
  }
  return { ...slqTraceOf(result.probes, result.dim, fn), products: result.products };
}
