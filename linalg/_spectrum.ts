/**
 * Shared plumbing of the spectrum functions: the method choice between the host Householder path and
 * the GPU Jacobi SVD, and the host-side NaN check.
 *
 * @module
 */
import { formatShape } from "../ops/tensor.ts";
import { certifiedRelativeError } from "./householder.ts";
import type { SvdOptions } from "./svd.ts";

/**
 * How `svdvals`, `eigvalsh` and `eigh` compute a single matrix's spectrum:
 * - `"householder"`: Householder reduction to bidiagonal / tridiagonal form and bisection (implicit QL
 *   for `eigh`'s vectors), in float64 on the host: (8/3)n³, (4/3)n³ or ~9n³ flops, error about
 *   (m + n)·eps₆₄·‖A‖₂ per value.
 * - `"jacobi"`: the GPU one-sided Jacobi SVD with the float64 polish: several times the flops, but every
 *   value accurate relative to its own size, graded matrices included.
 * - `"auto"` (default): Householder first, kept when its error bound certifies every value to a relative
 *   error of {@linkcode AUTO_CERTIFIED_ERROR}; otherwise (κ beyond ~1e7/(m + n)) the Jacobi SVD.
 */
export type SpectrumMethod = "auto" | "householder" | "jacobi";

/** Relative error bound below which `method: "auto"` keeps the Householder result. */
export const AUTO_CERTIFIED_ERROR = 1e-8;

/** Options for `svdvals`, `eigvalsh` and `eigh`: the Jacobi options plus the choice of method. */
export interface SpectrumOptions extends SvdOptions {
  /** Algorithm (default `"auto"`); the Jacobi options apply only when the Jacobi SVD runs. */
  method?: SpectrumMethod;
}

/**
 * Validates `method` and tells whether to try the host Householder path first.
 *
 * @throws {RangeError} When `method` is not one of the known names.
 */
export function householderFirst(options: SpectrumOptions, what: string): boolean {
  const method = options.method ?? "auto";
  if (method !== "auto" && method !== "householder" && method !== "jacobi") {
    throw new RangeError(`Cannot compute ${what}: method must be "auto", "householder" or "jacobi" (got ${method})`);
  }
  return method !== "jacobi";
}

/** Whether a Householder result is final: always for `"householder"`, when certified for `"auto"`. */
export function keepHouseholder(options: SpectrumOptions, values: ArrayLike<number>, m: number, n: number): boolean {
  return options.method === "householder" || certifiedRelativeError(values, m, n) <= AUTO_CERTIFIED_ERROR;
}

/**
 * Checks values for NaN/Inf on the host (WGSL may assume NaN never occurs, so a shader cannot test for
 * it reliably) and returns the largest magnitude.
 *
 * @throws {RangeError} When any entry is NaN or infinite.
 */
export function inspect(values: ArrayLike<number>, shape: readonly number[], what: string): number {
  let bad = 0, largest = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) bad++;
    else if (Math.abs(v) > largest) largest = Math.abs(v);
  }
  if (bad > 0) {
    throw new RangeError(`Cannot compute ${what}: input ${formatShape(shape)} contains ${bad} NaN or infinite values`);
  }
  return largest;
}
