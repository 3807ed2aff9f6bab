/**
 * Symmetric eigendecomposition. Eigenproblems try the float64 Householder path on the
 * host first and fall back to the Jacobi SVD (which keeps small eigenvalues of PSD matrices accurate
 * relative to their own size) when its error bound cannot certify them.
 *
 * @module
 */
import type { Runtime } from "../kernels/runtime.ts";
import { Tensor } from "../ops/tensor.ts";
import { hostEigenvalues, jacobiEigen, largestMagnitude, readSymmetric } from "./_symmetric.ts";
import { householderTridiagonal } from "./householder.ts";
import { tridiagonalEigenvalues } from "./bisection.ts";
import { symmetricEigen } from "./symmetric_eigen.ts";
import { assertJacobiCertifies, keepHouseholder, SPECTRUM_OPTION_KEYS, type SpectrumOptions } from "./_spectrum.ts";
import { chooseSpectrumMethod } from "./_method.ts";
import { checkArrayLike, checkOptions } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";

/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix. */
export interface EighResult {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** n x n matrix whose column j is the eigenvector of values[j]. */
  vectors: Tensor;
}

/** Column-major vectors (one array per column) as an n x n tensor. */
function columnsToTensor(columns: Float64Array[], n: number, runtime: Runtime): Tensor {
  const out = new Float32Array(n * n);
  columns.forEach((col, c) => col.forEach((x, i) => (out[i * n + c] = x)));
  return Tensor.fromArray(out, [n, n], { runtime });
}

/**
 * Eigenvalues of a symmetric matrix, ascending. By default a float64 Householder tridiagonalisation and
 * bisection on the host, kept when its error bound certifies every eigenvalue to 1e-8 relative; else
 * λ_j = sign(v_j·Av_j)·σ_j from the GPU Jacobi SVD (a Rayleigh–Ritz solve where ± pairs mix), which
 * keeps the small eigenvalues of a PSD matrix (Gram, NTK) accurate relative to their own size and
 * positive (see {@linkcode SpectrumMethod}).
 *
 * @param a n x n symmetric matrix.
 * @param options Method, and the Jacobi SVD options.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When `a` is not square, not symmetric, or contains NaN/Inf, or an option is out of range.
 * @throws {Error} When the Jacobi fallback does not converge within `maxSweeps`.
 * @example Eigenvalues of a 2x2 matrix
 * ```ts
 * import assert from "node:assert";
 * import { eigvalsh, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const [lo, hi] = await eigvalsh(Tensor.fromArray([2, 1, 1, 2], [2, 2]));
 * assert.ok(Math.abs(lo - 1) < 1e-6 && Math.abs(hi - 3) < 1e-6);
 * ```
 */
export async function eigvalsh(a: Tensor, options: SpectrumOptions = {}): Promise<Float64Array> {
  checkOptions("compute eigenvalues", options, SPECTRUM_OPTION_KEYS);
  checkTensor("compute eigenvalues", "a", a);
  let values: Float32Array | undefined;
  const n = a.shape[0];
  if (await chooseSpectrumMethod(options, "eigenvalues", n, n, a.runtime) === "householder") {
    values = await readSymmetric(a, "eigenvalues");
    const lambda = tridiagonalEigenvalues(householderTridiagonal(values, n));
    if (keepHouseholder(options, lambda, n, n)) return lambda;
    assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
  }
  const lambda = (await jacobiEigen(a, "eigenvalues", options, values)).values;
  assertJacobiCertifies(options, largestMagnitude(lambda), "eigenvalues", n, n);
  return lambda;
}

/**
 * Eigenvalues of a symmetric matrix held on the host, ascending, in float64: Householder
 * tridiagonalisation and bisection (the `"householder"` method of {@linkcode eigvalsh} without the GPU,
 * for matrices of any size). Each value's error is about 2n·eps₆₄·‖A‖₂, absolute.
 *
 * Any finite scale works (1e-300 as well as 1e300): the matrix is first divided, exactly, by a power of
 * two near its largest entry.
 *
 * @param values n x n symmetric matrix, row-major (only the lower triangle is read).
 * @param n Size.
 * @returns n eigenvalues, ascending.
 * @throws {RangeError} When `values` does not hold n² entries or contains NaN/Inf.
 * @example A 2x2 matrix
 * ```ts
 * import assert from "node:assert";
 * import { eigvalshHost } from "../mod.ts";
 * const [lo, hi] = eigvalshHost([2, 1, 1, 2], 2);
 * assert.ok(Math.abs(lo - 1) < 1e-12 && Math.abs(hi - 3) < 1e-12);
 * ```
 */
export function eigvalshHost(values: ArrayLike<number>, n: number): Float64Array {
  checkArrayLike("compute eigenvalues", "values", values);
  if (!(Number.isInteger(n) && n >= 1) || values.length !== n * n) {
    throw new RangeError(`Cannot compute eigenvalues: ${values.length} values are not a ${n}x${n} matrix`);
  }
  return hostEigenvalues(values, n);
}

/**
 * Eigenvalues (ascending) and eigenvectors of a symmetric matrix. By default a float64 Householder
 * tridiagonalisation and implicit QL on the host ({@linkcode symmetricEigen}), kept when its error bound
 * certifies every eigenvalue to 1e-8 relative; else the GPU Jacobi SVD (see {@linkcode SpectrumMethod}).
 *
 * @param a n x n symmetric matrix.
 * @param options Method, and the Jacobi SVD options.
 * @returns Values and vectors (columns).
 * @throws {RangeError} When `a` is not square, not symmetric, or contains NaN/Inf.
 * @example The eigenpairs of a 2x2 matrix: A v = λ v
 * ```ts
 * import assert from "node:assert";
 * import { eigh, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const { values, vectors } = await eigh(Tensor.fromArray([2, 1, 1, 2], [2, 2]));
 * assert.ok(Math.abs(values[0] - 1) < 1e-6 && Math.abs(values[1] - 3) < 1e-6);
 * const [v0, v1] = [...await vectors.toArray()].filter((_, i) => i % 2 === 1); // the column of λ = 3
 * assert.ok(Math.abs(Math.abs(v0) - Math.SQRT1_2) < 1e-6 && Math.abs(v0 - v1) < 1e-6);
 * ```
 */
export async function eigh(a: Tensor, options: SpectrumOptions = {}): Promise<EighResult> {
  checkOptions("compute eigenvalues", options, SPECTRUM_OPTION_KEYS);
  checkTensor("compute eigenvectors", "a", a);
  const n = a.shape[0];
  let values: Float32Array | undefined;
  if (await chooseSpectrumMethod(options, "eigenvectors", n, n, a.runtime) === "householder") {
    values = await readSymmetric(a, "eigenvectors");
    const host = symmetricEigen(values, n);
    if (keepHouseholder(options, host.values, n, n)) {
      return { values: host.values, vectors: columnsToTensor(host.vectors, n, a.runtime) };
    }
    assertJacobiCertifies(options, largestMagnitude(host.values), "eigenvectors", n, n);
  }
  const pairs = await jacobiEigen(a, "eigenvectors", options, values);
  assertJacobiCertifies(options, largestMagnitude(pairs.values), "eigenvectors", n, n);
  return { values: pairs.values, vectors: columnsToTensor(pairs.vectors, n, a.runtime) };
}
