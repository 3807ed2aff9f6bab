/**
 * Trace estimators for a symmetric operator known through its products: Hutchinson's and Hutch++, with
 * seeded probes from the Philox streams (Rademacher; Hutch++'s sketch Gaussian) and the standard error
 * of each estimate.
 *
 * @module
 */
import type { Tensor } from "../ops/tensor.ts";
import { div } from "../ops/arithmetic.ts";
import { sqrt } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { randomNormal } from "../ops/random.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { checkNumber, checkOptions } from "../check/args.ts";
import {
  BlockBasis,
  type CheckedOperator,
  checkOperator,
  dot,
  meanAndError,
  type OperatorLike,
  rademacher,
} from "./_operator.ts";
import type { TraceEstimate } from "./slq.ts";

/** Options for {@linkcode hutchinson} and {@linkcode hutchPlusPlus}. */
export interface TraceOptions {
  /** Products to spend (default 30; Hutch++ needs at least 3). */
  products?: number;
  /** Seed of the probes (default 0): same seed, same numbers on one adapter. */
  seed?: number;
  /** The vector length, needed when `op` is a bare product function. */
  dim?: number;
}

/** zᵀAz for each probe, read back together, refusing NaN by name. */
async function quadratics(context: string, a: CheckedOperator, probes: Tensor[]): Promise<Float64Array> {
  const parts = probes.map((z) => {
    const az = a.apply(z);
    const s = noGrad(() => tidy(() => dot(z, az).reshape([1])));
    az.dispose();
    return s;
  });
  const joined = noGrad(() => tidy(() => concat(parts)));
  parts.forEach((p) => p.dispose());
  const values = Float64Array.from(await joined.toArray());
  joined.dispose();
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`Cannot ${context}: product ${bad + 1} holds ${values[bad]} (need finite values)`);
  return values;
}

function checkTraceOptions(context: string, op: OperatorLike, options: TraceOptions, least: number) {
  checkOptions(context, options, ["products", "seed", "dim"]);
  const a = checkOperator(context, op, options.dim);
  const products = checkNumber(context, "options.products", options.products ?? 30, { integer: true, min: least });
  const seed = checkNumber(context, "options.seed", options.seed ?? 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  return { a, products, seed };
}

/**
 * Hutchinson's estimator (Hutchinson 1989): tr A ≈ (1/p) Σ zᵀAz over p Rademacher probes, unbiased, with
 * variance 2(‖A‖²_F − Σ A²ᵢᵢ)/p; the standard error is the probes' sample deviation over √p.
 *
 * @param op The operator ({ dim, apply }) or a product function with `options.dim`.
 * @param options Products (= probes), seed.
 * @returns The estimate and its standard error.
 * @throws {TypeError} When op is not an operator or function, or an option is unknown or mistyped.
 * @throws {RangeError} When products is 0, or a product holds NaN or ±Infinity.
 * @example The trace of diag(1, …, 10) is 55 (exact for a diagonal operator)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * import { hutchinson } from "./trace_estimators.ts";
 * await initGpu();
 * const d = Tensor.fromArray(Array.from({ length: 10 }, (_, i) => i + 1));
 * const { value } = await hutchinson((v) => mul(d, v), { dim: 10, products: 5 });
 * assert.ok(Math.abs(value - 55) < 1e-3);
 * ```
 */
export async function hutchinson(op: OperatorLike, options: TraceOptions = {}): Promise<TraceEstimate> {
  const context = "estimate a trace (Hutchinson)";
  const { a, products, seed } = checkTraceOptions(context, op, options, 1);
  const z = Array.from({ length: products }, (_, p) => rademacher(a.dim, seed, p + 2));
  try {
    const { mean, standardError } = meanAndError(await quadratics(context, a, z));
    return { value: mean, standardError, probes: products, products: a.products };
  } finally {
    z.forEach((t) => t.dispose());
  }
}

/**
 * Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021): with m products, s = ⌊m/3⌋ go to a sketch
 * Q = orth(A S) of Gaussian S (Rademacher columns can repeat a direction of a sparse operator's range)
 * whose trace tr(QᵀAQ) is taken exactly (s more), and the rest to Hutchinson's estimator of
 * the deflated remainder (I − QQᵀ)A(I − QQᵀ); for operators with a decaying spectrum its error falls as
 * 1/m instead of 1/√m. The standard error is that of the remainder's probes.
 *
 * @param op The operator ({ dim, apply }) or a product function with `options.dim`.
 * @param options Products (at least 3), seed.
 * @returns The estimate and its standard error.
 * @throws {TypeError} When op is not an operator or function, or an option is unknown or mistyped.
 * @throws {RangeError} When products < 3, or a product holds NaN or ±Infinity.
 * @example A rank-2 operator's trace, within three standard errors (exact, SE 0, once the sketch spans it)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, Tensor } from "../mod.ts";
 * import { hutchPlusPlus } from "./trace_estimators.ts";
 * await initGpu();
 * const d = Tensor.fromArray([5, 3, 0, 0, 0, 0, 0, 0]);
 * const { value, standardError } = await hutchPlusPlus((v) => mul(d, v), { dim: 8, products: 9 });
 * assert.ok(Math.abs(value - 8) <= 3 * standardError + 1e-4);
 * ```
 */
export async function hutchPlusPlus(op: OperatorLike, options: TraceOptions = {}): Promise<TraceEstimate> {
  const context = "estimate a trace (Hutch++)";
  const { a, products, seed } = checkTraceOptions(context, op, options, 3);
  const s = Math.min(Math.floor(products / 3), a.dim), g = products - 2 * s;
  const basis = new BlockBasis(a.dim, s);
  const owned: Tensor[] = [];
  try {
    // Q = orth(A S), by Gram–Schmidt against the vectors kept so far (a dependent column is dropped).
    for (let i = 0; i < s; i++) {
      const z = noGrad(() => randomNormal([a.dim], { seed, stream: i + 2 }));
      const y = a.apply(z);
      z.dispose();
      const r = basis.orthogonalize(y);
      const norm = (await noGrad(() => tidy(() => sqrt(dot(r, r)))).toArray())[0];
      const scale = Math.sqrt((await noGrad(() => tidy(() => dot(y, y))).toArray())[0]);
      if (!Number.isFinite(norm)) throw new RangeError(`Cannot ${context}: product ${i + 1} holds ${norm}`);
      if (norm > 1e-5 * scale) {
        const q = noGrad(() => tidy(() => div(r, norm)));
        basis.push(q);
        owned.push(q);
      }
      [y, r].forEach((t) => t.dispose());
    }
    const exact = await quadratics(context, a, owned);
    const probes = Array.from({ length: g }, (_, p) => {
      const z = rademacher(a.dim, seed, s + p + 2);
      const deflated = noGrad(() => tidy(() => basis.orthogonalize(z)));
      if (deflated !== z) z.dispose();
      return deflated;
    });
    owned.push(...probes);
    const rest = meanAndError(await quadratics(context, a, probes));
    const value = exact.reduce((t, v) => t + v, 0) + (g > 0 ? rest.mean : 0);
    return { value, standardError: g > 0 ? rest.standardError : NaN, probes: g, products: a.products };
  } finally {
    owned.forEach((t) => t.dispose());
    basis.dispose();
  }
}
