/**
 * The spectrum functions' cost model: seconds ≈ fixed + perCube·(m·n·min(m, n)) for the host Householder
 * path and for the GPU Jacobi path, each fitted from two timed runs on the adapter at first use and kept
 * per adapter for the life of the process. `"auto"` runs the method predicted cheaper first (the Jacobi
 * path certifies requests down to 1e-11 of each value; the Householder path is kept when its bound
 * certifies the request).
 *
 * @module
 */
import type { Runtime } from "../kernels/runtime.ts";
import { Tensor } from "../ops/tensor.ts";
import { decomposeMatrix } from "./_jacobi.ts";
import { tridiagonalEigenvalues } from "./bisection.ts";
import { householderTridiagonal } from "./householder.ts";
import { onlyHouseholderCertifies, type SpectrumOptions } from "./_spectrum.ts";

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

const measured = new Map<string, Promise<SpectrumCosts>>();

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
 * The measured cost model of the runtime's adapter (timed once per adapter and process: about a second
 * on a software adapter).
 *
 * @param rt The runtime whose adapter runs the Jacobi path.
 * @returns Both methods' fitted costs.
 */
export function spectrumCosts(rt: Runtime): Promise<SpectrumCosts> {
  let costs = measured.get(rt.adapterName);
  if (!costs) measured.set(rt.adapterName, costs = calibrate(rt));
  return costs;
}

/**
 * Whether `"auto"` should try the Householder path first for an m x n problem: below
 * {@linkcode CALIBRATION_THRESHOLD} always; above it when the cost model predicts it cheaper than the
 * Jacobi path, or whatever the cost when only Householder's bound could certify the request. Explicit
 * methods are obeyed.
 */
export async function householderCheaper(options: SpectrumOptions, m: number, n: number, rt: Runtime) {
  if (options.method === "householder") return true;
  if (options.method === "jacobi") return false;
  if (Math.min(m, n) < CALIBRATION_THRESHOLD || onlyHouseholderCertifies(options)) return true;
  const costs = await spectrumCosts(rt);
  return predictedSeconds(costs.householder, m, n) <= predictedSeconds(costs.jacobi, m, n);
}
