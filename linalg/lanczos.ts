/**
 * Extreme eigenpairs of a symmetric operator known only through its products: Lanczos with full
 * reorthogonalisation, each returned eigenvalue with its measured residual ‖Av − λv‖ and a converged flag.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { checkTensor } from "../ops/_args.ts";
import { div, mul, sub } from "../ops/arithmetic.ts";
import { sqrt } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { checkBoolean, checkChoice, checkNumber, checkOptions } from "../check/args.ts";
import { type CheckedOperator, checkOperator, dot, type OperatorLike, rademacher } from "./_operator.ts";
import { type LanczosState, runLanczos, tridiagonalEigen } from "./_lanczos_run.ts";

export type { OperatorLike, SymmetricOperator } from "./_operator.ts";

/** Options for {@linkcode lanczos}. */
export interface LanczosOptions {
  /** Eigenpairs wanted at each chosen end of the spectrum (default 1). */
  k?: number;
  /** Which end: "largest" (default, algebraically), "smallest" or "both". */
  which?: "largest" | "smallest" | "both";
  /** Most Lanczos steps (default min(dim, 30 + 10k)); each is one product. */
  maxSteps?: number;
  /**
   * Converged when ‖Av − λv‖ ≤ tol · max(|λ|, 10⁻³‖A‖) (default 1e-4), with ‖A‖ estimated by the largest
   * Ritz value in magnitude: relative to |λ|, and to 10⁻³‖A‖ for eigenvalues nearer zero than that.
   */
  tol?: number;
  /** Seed of the Rademacher start vector (default 0): the same seed gives the same numbers on one adapter. */
  seed?: number;
  /**
   * A start vector instead of the random one (e.g. the previous top eigenvector, when the operator changes
   * a little between calls); not consumed. The symmetry test still uses one random vector.
   */
  start?: Tensor;
  /** The vector length, needed when `op` is a bare product function. */
  dim?: number;
  /** Return each Ritz vector as a [dim] tensor the caller disposes (default false). */
  vectors?: boolean;
  /** Test v·Aw = w·Av on two random vectors first, refusing a non-symmetric operator (default true). */
  checkSymmetry?: boolean;
}

/** One eigenvalue estimate. */
export interface EigenEstimate {
  /** The Ritz value. */
  value: number;
  /** ‖Av − λv‖ of its unit Ritz vector, measured with one more product (not the recurrence's bound). */
  residual: number;
  /** Whether the residual meets the tolerance. */
  converged: boolean;
  /** The unit Ritz vector, when asked for. */
  vector?: Tensor;
}

/** The extreme eigenpairs found. */
export interface LanczosResult {
  /** The k largest, descending (empty unless asked for). */
  largest: EigenEstimate[];
  /** The k smallest, ascending (empty unless asked for). */
  smallest: EigenEstimate[];
  /** Lanczos steps taken. */
  steps: number;
  /** Products of the operator taken, the symmetry test's and the residuals' included. */
  products: number;
  /** Whether every returned estimate converged. */
  converged: boolean;
  /** A table of the estimates. */
  display: string;
}

const context = "run Lanczos";

/**
 * Tests symmetry on two random unit vectors: |v·Aw − w·Av| ≤ 10⁻³ (‖Av‖ + ‖Aw‖), float32 products'
 * rounding being far below that. Returns A v (v the start vector) so that the recurrence reuses it.
 */
async function symmetryProduct(op: CheckedOperator, v: Tensor, seed: number): Promise<Tensor> {
  const w = noGrad(() => tidy(() => div(rademacher(op.dim, seed, 1), Math.sqrt(op.dim))));
  const av = op.apply(v), aw = op.apply(w);
  const t = noGrad(() =>
    tidy(() => concat([dot(v, aw), dot(w, av), sqrt(dot(av, av)), sqrt(dot(aw, aw))].map((s) => s.reshape([1]))))
  );
  const [vaw, wav, nav, naw] = await t.toArray();
  [t, w, aw].forEach((x) => x.dispose());
  if (!(Math.abs(vaw - wav) <= 1e-3 * (nav + naw))) {
    av.dispose();
    throw new RangeError(
      `Cannot ${context}: the operator is not symmetric (v·Aw = ${vaw} but w·Av = ${wav} for random unit v, w)`,
    );
  }
  return av;
}

/** The unit start vector: `start` normalised (refusing a wrong size, a zero or a non-finite vector), or random. */
async function startVector(op: CheckedOperator, seed: number, start: unknown): Promise<Tensor> {
  if (start === undefined) return noGrad(() => tidy(() => div(rademacher(op.dim, seed, 0), Math.sqrt(op.dim))));
  const v = checkTensor(context, "options.start", start);
  if (v.size !== op.dim) {
    throw new RangeError(`Cannot ${context}: options.start has ${v.size} elements (need the operator's ${op.dim})`);
  }
  const norm = noGrad(() => tidy(() => sqrt(dot(v.reshape([op.dim]), v.reshape([op.dim])))));
  const value = (await norm.toArray())[0];
  norm.dispose();
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Cannot ${context}: options.start has norm ${value} (need a finite, nonzero vector)`);
  }
  return noGrad(() => tidy(() => div(v.reshape([op.dim]), value)));
}

/** The wanted Ritz indices (ascending order of T's eigenvalues) for k at the chosen ends. */
function wanted(m: number, k: number, which: string): { largest: number[]; smallest: number[] } {
  const kk = Math.min(k, m);
  return {
    largest: which === "smallest" ? [] : Array.from({ length: kk }, (_, i) => m - 1 - i),
    smallest: which === "largest" ? [] : Array.from({ length: kk }, (_, i) => i),
  };
}

/** Forms the Ritz vectors of `indices` and measures their residuals with one product each. */
async function ritzPairs(
  op: CheckedOperator,
  state: LanczosState,
  indices: number[],
  tol: number,
  keep: boolean,
): Promise<EigenEstimate[]> {
  const { values, vectors } = tridiagonalEigen(state.alpha, state.beta);
  const norm = Math.max(...values.map(Math.abs));
  const out: EigenEstimate[] = [];
  for (const i of indices) {
    const y = state.basis.combine(vectors[i]);
    const ay = op.apply(y);
    const r = noGrad(() => tidy(() => sub(ay, mul(y, values[i]))));
    const residual = Math.sqrt((await noGrad(() => tidy(() => dot(r, r))).toArray())[0]);
    [ay, r].forEach((x) => x.dispose());
    const converged = residual <= tol * Math.max(Math.abs(values[i]), 1e-3 * norm);
    out.push({ value: values[i], residual, converged, ...(keep ? { vector: y } : {}) });
    if (!keep) y.dispose();
  }
  return out;
}

/** Whether the recurrence's bounds β_m |s_{m,i}| say every wanted pair has converged. */
function boundsMet(state: LanczosState, k: number, which: string, tol: number): boolean {
  const { values, vectors } = tridiagonalEigen(state.alpha, state.beta);
  const m = values.length, beta = state.beta[m - 1];
  const norm = Math.max(...values.map(Math.abs));
  const { largest, smallest } = wanted(m, k, which);
  return m >= k &&
    [...largest, ...smallest].every((i) =>
      Math.abs(beta * vectors[i][m - 1]) <= tol * Math.max(Math.abs(values[i]), 1e-3 * norm)
    );
}

/**
 * The k largest and/or smallest eigenvalues of a symmetric operator A given only through products
 * v ↦ Av, by Lanczos with full reorthogonalisation (classical Gram–Schmidt applied twice against the
 * stored basis, kept in blocks on the device). Vectors stay on the device in float32; the tridiagonal
 * problems are solved on the host in float64. Each returned value carries its residual ‖Av − λv‖,
 * measured with one more product from the formed Ritz vector, and `converged` is set only when that
 * measured residual meets the tolerance: an unconverged value is never reported as converged. Float32
 * products limit the attainable residual to about 10⁻⁶‖A‖. A residual ρ puts the value within ρ of some
 * eigenvalue of A; inside a cluster narrower than ρ it does not say which, and an eigenvalue of the
 * cluster can be missed, so the k-th value is the k-th eigenvalue only where the spectrum is separated
 * at that scale. The symmetry test catches asymmetry larger than about 10⁻³‖A‖ in random directions.
 * (Lanczos 1950; Golub & Van Loan,
 * *Matrix Computations*, §10.1; the Hessian use follows Ghorbani, Krishnan & Xiao, ICML 2019.)
 *
 * @param op The operator ({ dim, apply }) or a product function with `options.dim`.
 * @param options k, which end, step limit, tolerance, seed.
 * @returns The estimates with residuals and flags, the steps and products taken.
 * @throws {TypeError} When op is not an operator or function, or an option is unknown or mistyped.
 * @throws {RangeError} When k ≥ dim (2k > dim for "both"), maxSteps < k, tol ∉ (0, 1), the operator is
 *   not symmetric, or a product holds NaN or ±Infinity.
 * @example The top eigenvalue of diag(1, 2, …, 50)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * import { lanczos } from "./lanczos.ts";
 * await initGpu();
 * const d = Tensor.fromArray(Array.from({ length: 50 }, (_, i) => i + 1));
 * const { largest } = await lanczos((v) => mul(d, v), { dim: 50, k: 2 });
 * assert.ok(largest[0].converged && Math.abs(largest[0].value - 50) < 1e-3);
 * ```
 */
export async function lanczos(op: OperatorLike, options: LanczosOptions = {}): Promise<LanczosResult> {
  checkOptions(context, options, ["k", "which", "maxSteps", "tol", "seed", "dim", "vectors", "checkSymmetry", "start"]);
  const a = checkOperator(context, op, options.dim);
  const which = checkChoice(context, "options.which", options.which ?? "largest", ["largest", "smallest", "both"]);
  const k = checkNumber(context, "options.k", options.k ?? 1, { integer: true, min: 1 });
  if ((which === "both" ? 2 * k : k) >= a.dim + (which === "both" ? 1 : 0)) {
    throw new RangeError(`Cannot ${context}: options.k ${k} must be below the operator's dim ${a.dim}`);
  }
  const maxSteps = checkNumber(context, "options.maxSteps", options.maxSteps ?? Math.min(a.dim, 30 + 10 * k), {
    integer: true,
    min: 1,
    max: a.dim,
  });
  if (maxSteps < k) throw new RangeError(`Cannot ${context}: options.maxSteps ${maxSteps} is below options.k ${k}`);
  const tol = checkNumber(context, "options.tol", options.tol ?? 1e-4, { above: 0, below: 1 });
  const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const keep = checkBoolean(context, "options.vectors", options.vectors ?? false);
  const symmetric = checkBoolean(context, "options.checkSymmetry", options.checkSymmetry ?? true);

  const q0 = await startVector(a, seed, options.start);
  const first = symmetric ? await symmetryProduct(a, q0, seed) : undefined;
  // After a failed measured check, wait five more steps before measuring again.
  let nextCheck = k, measuredAt = 0, done = false;
  let result: { largest: EigenEstimate[]; smallest: EigenEstimate[] } = { largest: [], smallest: [] };
  const measure = async (state: LanczosState) => {
    const m = state.alpha.length, ids = wanted(m, k, which);
    [...result.largest, ...result.smallest].forEach((e) => e.vector?.dispose());
    result = {
      largest: await ritzPairs(a, state, ids.largest, tol, keep),
      smallest: await ritzPairs(a, state, ids.smallest, tol, keep),
    };
    measuredAt = m;
    return [...result.largest, ...result.smallest].every((e) => e.converged);
  };
  const state = await runLanczos(context, a, q0, maxSteps, async (s) => {
    if (s.alpha.length < nextCheck || !boundsMet(s, k, which, tol)) return false;
    if ((done = await measure(s))) return true;
    nextCheck = s.alpha.length + 5;
    return false;
  }, first);
  try {
    // The run's last step (the step limit, or an invariant subspace) has not been measured yet.
    if (!done || measuredAt !== state.alpha.length) await measure(state);
  } finally {
    state.basis.dispose();
  }
  const { largest, smallest } = result!;
  const all = [...largest, ...smallest];
  return {
    largest,
    smallest,
    steps: state.alpha.length,
    products: a.products,
    converged: all.every((e) => e.converged),
    display: lanczosTable(largest, smallest, state.alpha.length, a.products),
  };
}

function lanczosTable(largest: EigenEstimate[], smallest: EigenEstimate[], steps: number, products: number): string {
  const rows = [
    ...largest.map((e, i) => [`largest ${i + 1}`, e]),
    ...smallest.map((e, i) => [`smallest ${i + 1}`, e]),
  ] as [string, EigenEstimate][];
  const lines = rows.map(([name, e]) =>
    `${name.padEnd(11)} ${e.value.toPrecision(7).padStart(14)}  ${e.residual.toExponential(2).padStart(9)}  ${
      e.converged ? "yes" : "NO"
    }`
  );
  return [
    `Lanczos: ${steps} steps, ${products} products`,
    `${"".padEnd(11)} ${"eigenvalue".padStart(14)}  ${"‖Av−λv‖".padStart(9)}  converged`,
    ...lines,
  ].join("\n");
}
