/**
 * Which method a spectrum call runs, decided from its options, its shape and the adapter's cost model
 * before any data moves ({@linkcode chooseSpectrumMethod}); and the symmetric eigenvalues of a matrix
 * already on the host, which then moves to the device only when the Jacobi path runs.
 *
 * The cost model: seconds ≈ fixed + perCube·(m·n·min(m, n)) for the host Householder path and for the GPU
 * Jacobi path, each fitted from two timed runs on the adapter at first use and kept in the tuning store
 * under the adapter's identity. `"auto"` runs the method predicted cheaper first (the Jacobi path certifies
 * requests down to 1e-11 of each value; the Householder path is kept when its bound certifies the
 * request).
 *
 * @module
 */
import type { Runtime } from "../kernels/runtime.ts";
import { tunedChoice } from "../kernels/tuned_choice.ts";
import { Tensor } from "../ops/tensor.ts";
import { decomposeMatrix } from "./_jacobi.ts";
import { tridiagonalEigenvalues } from "./bisection.ts";
import { householderTridiagonal } from "./householder.ts";
import {
  assertJacobiCertifies,
  householderFirst,
  keepHouseholder,
  onlyHouseholderCertifies,
  type SpectrumOptions,
} from "./_spectrum.ts";
import { hostEigenvalues, jacobiEigen, largestMagnitude } from "./_symmetric.ts";

/** Seconds of one method as fixed + perCube·(m·n·min(m, n)). */
export interface MethodCost {
  /** Seconds independent of size (dispatch and read-back overhead, pipeline set-up). */
  fixed: number;
  /** Seconds per m·n·min(m, n). */
  perCube: number;
}

/** The two methods' measured costs on one adapter. */
export interface SpectrumCosts {
  /** Host float64 Householder reduction and bisection. */
  householder: MethodCost;
  /** GPU one-sided Jacobi SVD with the float64 polish. */
  jacobi: MethodCost;
}

/** Below this min(m, n) both methods take well under a second anywhere: Householder, with no calibration. */
export const CALIBRATION_THRESHOLD = 256;

/** Predicted seconds of a method for an m x n problem. */
export function predictedSeconds(cost: MethodCost, m: number, n: number): number {
  return cost.fixed + cost.perCube * m * n * Math.min(m, n);
}

/** A symmetric positive definite test matrix (a Gram matrix of smooth values plus the identity). */
function testMatrix(n: number): Float32Array {
  const b = Float64Array.from({ length: n * n }, (_, i) => Math.sin(1.3 * i + 0.7));
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = a[j * n + i] = s / n;
    }
  }
  return a;
}

/** The best of three timings of `run` (the first also warms up JIT and pipelines). */
async function time(run: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    await run();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return best;
}

/** Fits fixed + perCube·n³ through two (n, seconds) points (perCube ≥ 0, fixed ≥ 0). */
function fit([n1, t1]: [number, number], [n2, t2]: [number, number]): MethodCost {
  const perCube = Math.max(0, (t2 - t1) / (n2 ** 3 - n1 ** 3));
  return { fixed: Math.max(0, t1 - perCube * n1 ** 3), perCube };
}

async function calibrate(rt: Runtime): Promise<SpectrumCosts> {
  const host = async (n: number) => {
    const a = testMatrix(n);
    return [n, await time(() => tridiagonalEigenvalues(householderTridiagonal(a, n)))] as [number, number];
  };
  const gpu = async (n: number) => {
    const values = testMatrix(n);
    const t = Tensor.fromArray(values, [n, n], { runtime: rt });
    try {
      return [n, await time(() => decomposeMatrix(t, {}, "calibration", values))] as [number, number];
    } finally {
      t.dispose();
    }
  };
  return { householder: fit(await host(128), await host(256)), jacobi: fit(await gpu(48), await gpu(96)) };
}

/**
 * The measured cost model of the runtime's adapter: one more tuned choice in the kernels' tuning store
 * (`tunedChoice`), so it is timed once per adapter identity and store (about a second on a software
 * adapter) and, with a store that persists (the experiments' file store), read back by later processes.
 *
 * @param rt The runtime whose adapter runs the Jacobi path.
 * @returns Both methods' fitted costs (the same promise for every call on one runtime).
 */
export function spectrumCosts(rt: Runtime): Promise<SpectrumCosts> {
  return tunedChoice(rt, "linalg spectrum costs", () => calibrate(rt));
}

/**
 * Whether `"auto"` should try the Householder path first for an m x n problem: below
 * {@linkcode CALIBRATION_THRESHOLD} always; above it when the cost model predicts it cheaper than the
 * Jacobi path, or whatever the cost when only Householder's bound could certify the request. Explicit
 * methods are obeyed.
 */
async function householderCheaper(options: SpectrumOptions, m: number, n: number, rt: Runtime) {
  if (options.method === "householder") return true;
  if (options.method === "jacobi") return false;
  if (Math.min(m, n) < CALIBRATION_THRESHOLD || onlyHouseholderCertifies(options)) return true;
  const costs = await spectrumCosts(rt);
  return predictedSeconds(costs.householder, m, n) <= predictedSeconds(costs.jacobi, m, n);
}

/**
 * The method an m x n spectrum runs first: `"jacobi"` when asked for; otherwise `"householder"` when the
 * matrix does not fit one device buffer, when it is below {@linkcode CALIBRATION_THRESHOLD}, when only
 * Householder's bound could certify the request, or when the cost model predicts it cheaper. A
 * Householder result is still replaced by the Jacobi one under `"auto"` when its bound does not certify
 * the request (`keepHouseholder`).
 *
 * @param options The call's method and accuracy (validated here).
 * @param what What the caller computes, for messages.
 * @param m Rows.
 * @param n Columns.
 * @param rt The runtime the Jacobi path would run on.
 * @returns The method to run first.
 * @throws {RangeError} When the method or accuracy is invalid, or no method can certify the accuracy.
 */
export async function chooseSpectrumMethod(
  options: SpectrumOptions,
  what: string,
  m: number,
  n: number,
  rt: Runtime,
): Promise<"householder" | "jacobi"> {
  if (!householderFirst(options, what, m, n)) return "jacobi";
  if (m * n * 4 > Tensor.maxBytes(rt)) return "householder";
  return await householderCheaper(options, m, n, rt) ? "householder" : "jacobi";
}

/**
 * Eigenvalues of a symmetric matrix held on the host (already checked for NaN, infinities and symmetry),
 * ascending, by {@linkcode chooseSpectrumMethod}'s method: the float64 Householder path on the values
 * themselves, or, when the Jacobi path runs, one upload of their float32 rounding (no read-back).
 *
 * @param values n x n row-major values.
 * @param n Size.
 * @param options Method and accuracy.
 * @param rt The runtime for the Jacobi path.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When no method certifies the request.
 */
export async function hostSymmetricEigenvalues(
  values: ArrayLike<number>,
  n: number,
  options: SpectrumOptions,
  rt: Runtime,
): Promise<Float64Array> {
  if (await chooseSpectrumMethod(options, "eigenvalues", n, n, rt) === "householder") {
    const lambda = hostEigenvalues(values, n);
    if (keepHouseholder(options, lambda, n, n)) return lambda;
    assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
  }
  const rounded = Float32Array.from(values);
  const t = Tensor.fromArray(rounded, [n, n], { runtime: rt });
  try {
    const lambda = (await jacobiEigen(t, "eigenvalues", options, rounded)).values;
    assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
    return lambda;
  } finally {
    t.dispose();
  }
}
