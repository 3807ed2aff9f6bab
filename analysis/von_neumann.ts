/**
 * Von Neumann entropy of a kernel matrix (e.g. an NTK or NNGP Gram matrix).
 *
 * @module
 */
import { formatShape, runtimeOf, Tensor } from "../ops/tensor.ts";
import { hostSymmetricEigenvalues } from "../linalg/_method.ts";
import { withDisplay } from "./_display.ts";
import { checkBoolean, checkNumber, checkOptions, describe } from "../check/args.ts";

/**
 * Negative eigenvalues down to −PSD_TOLERANCE·λ_max are float32 rounding of a PSD kernel and are
 * clipped; anything more negative means the matrix is not a kernel.
 */
export const PSD_TOLERANCE = 1e-4;

/**
 * The accuracy entropies ask of the eigensolver: every eigenvalue within ENTROPY_ACCURACY·‖K‖_F ≤
 * ENTROPY_ACCURACY·tr K, so every normalised eigenvalue p = λ/tr K moves by at most η = 1e-9. Since
 * |h(p) − h(q)| ≤ h(|p − q|) for h(p) = −p ln p and |p − q| ≤ 1/2, the entropy moves by at most
 * N·h(η) = N·2.1e-8 nats (2e-5 nats at N = 1000), far below the float32 rounding of the kernel itself.
 * The host Householder path certifies it for any N below 2 million, whatever the conditioning, so NTK
 * kernels never need the (slower) Jacobi path for their entropy.
 */
export const ENTROPY_ACCURACY = 1e-9;

/**
 * Eigenvalues of a symmetric kernel to {@linkcode ENTROPY_ACCURACY} (normwise), by the cheaper certified
 * method on the adapter (the host Householder path whenever the kernel does not fit a GPU buffer). The
 * kernel is first divided, exactly, by a power of two near its largest |K_ij|, so any finite float64
 * kernel works (even one float32 cannot hold) and the eigenvalues scale with the kernel.
 *
 * @param k n x n values (row-major).
 * @param n Size.
 * @returns The eigenvalues, ascending (they overflow to ±Infinity only when λ itself exceeds float64).
 * @throws {RangeError} When an entry is NaN or infinite, or the kernel is zero.
 */
export async function kernelEigenvalues(k: ArrayLike<number>, n: number): Promise<Float64Array> {
  const { scale, values } = await scaledKernelEigenvalues(k, n, "compute kernel eigenvalues");
  return values.map((v) => v * scale);
}

/**
 * A power of two near the largest |K_ij| (dividing by it is exact in float64), refusing NaN and infinite
 * entries, a zero kernel, and one that is not symmetric to float32 rounding (max |K_ij − K_ji| above
 * 1e-5·max |K|, the rule of `eigvalsh`).
 */
function kernelScale(k: ArrayLike<number>, n: number, context: string): number {
  let big = 0;
  for (let i = 0; i < k.length; i++) {
    const v = Math.abs(k[i]);
    if (!Number.isFinite(v)) {
      throw new RangeError(`Cannot ${context}: kernel entry ${i} is ${k[i]} (need finite values)`);
    }
    if (v > big) big = v;
  }
  if (big === 0) {
    throw new RangeError(
      `Cannot ${context}: the kernel has no positive eigenvalue (largest 0); a zero kernel has no spectrum to normalise`,
    );
  }
  const scale = 2 ** Math.floor(Math.log2(big));
  // Differences of scaled entries: those of two entries near 1e308 overflow.
  let asym = 0;
  for (let i = 0; i < k.length; i++) {
    asym = Math.max(asym, Math.abs(k[i] / scale - k[(i % n) * n + Math.floor(i / n)] / scale));
  }
  if (asym > 1e-5 * (big / scale)) {
    throw new RangeError(
      `Cannot ${context}: the kernel is not symmetric (max |K_ij - K_ji| = ${
        (asym * scale).toExponential(2)
      }, max |K_ij| = ${big.toExponential(2)})`,
    );
  }
  return scale;
}

/**
 * Eigenvalues of K / s with s the power of two at or below max |K_ij| (so they lie in [−4n, 4n]), and s:
 * the division is exact, so K and cK (c > 0) give the same result up to the float64 rounding of cK itself
 * (and bit for bit when c is a power of two).
 */
async function scaledKernelEigenvalues(
  k: ArrayLike<number>,
  n: number,
  context: string,
  rt: Tensor["runtime"] = runtimeOf([], context),
): Promise<{ scale: number; values: Float64Array }> {
  const scale = kernelScale(k, n, context);
  const scaled = Float64Array.from(k, (v) => v / scale);
  // The method is chosen before anything moves: the Householder path runs on the float64 values
  // themselves, the Jacobi path uploads their float32 rounding once and reads nothing back.
  return { scale, values: await hostSymmetricEigenvalues(scaled, n, { accuracy: { normwise: ENTROPY_ACCURACY } }, rt) };
}

/** Options for {@linkcode vonNeumannEntropy}. */
export interface VonNeumannOptions {
  /**
   * Eigenvalues below `relativeFloor`·λ_max (negative rounding ones included) are raised to it before
   * normalising (default 0: they count as 0, and 0·ln 0 = 0). Relative, so the entropy does not depend on
   * the kernel's units. A floor f moves each raised λ̂ by at most f, so it changes the entropy by about
   * N·f·ln(1/f) nats at most (2e-8·N at f = 1e-9, the bound {@linkcode ENTROPY_ACCURACY} uses). Must lie
   * in [0, 1).
   */
  relativeFloor?: number;
  /** Also divide by ln N ("effective" entropy in [0, 1]). */
  effective?: boolean;
  /** First apply cosine normalisation K_ij / √(K_ii K_jj). */
  cosine?: boolean;
}

/** Entropy and the spectrum it came from. */
export interface VonNeumannResult {
  /**
   * S = −Σ λ̂ ln λ̂ with λ̂ = max(λ, f·λ_max) / Σ max(λ, f·λ_max) (f = `relativeFloor`), in nats (or
   * S / ln N when effective).
   */
  entropy: number;
  /** The kernel's eigenvalues (ascending, before clipping). */
  eigenvalues: Float64Array;
}

/**
 * Cosine-normalises a symmetric kernel: K_ij / √(K_ii K_jj).
 *
 * @param k n x n values (row-major).
 * @param n Size.
 * @returns The normalised kernel.
 * @throws {RangeError} When a diagonal entry is not positive.
 */
export function cosineNormalize(k: ArrayLike<number>, n: number): Float64Array {
  const d = Float64Array.from({ length: n }, (_, i) => k[i * n + i]);
  d.forEach((v, i) => {
    if (!(v > 0)) throw new RangeError(`Cannot cosine-normalise: diagonal entry ${i} is ${v}`);
  });
  // Divided by √d_i and √d_j in turn: d_i·d_j under- or overflows for kernels near 1e∓160.
  const root = d.map(Math.sqrt);
  return Float64Array.from({ length: n * n }, (_, idx) => {
    const [i, j] = [Math.floor(idx / n), idx % n];
    return i === j ? 1 : k[idx] / root[i] / root[j];
  });
}

/** The values and size of a square kernel given as a Tensor or as row-major numbers. */
async function readKernel(
  kernel: Tensor | ArrayLike<number>,
  context: string,
): Promise<{ values: ArrayLike<number>; n: number; rt?: Tensor["runtime"] }> {
  if (kernel instanceof Tensor) {
    if (kernel.rank !== 2 || kernel.shape[0] !== kernel.shape[1] || kernel.shape[0] === 0) {
      throw new RangeError(`Cannot ${context}: kernel must be square and non-empty (got ${formatShape(kernel.shape)})`);
    }
    return { values: await kernel.toArray(), n: kernel.shape[0], rt: kernel.runtime };
  }
  if (!Array.isArray(kernel) && !(ArrayBuffer.isView(kernel) && !(kernel instanceof DataView))) {
    throw new TypeError(`Cannot ${context}: kernel must be a Tensor or an array of numbers (got ${describe(kernel)})`);
  }
  const n = Math.round(Math.sqrt(kernel.length));
  if (n * n !== kernel.length || n === 0) {
    throw new RangeError(
      `Cannot ${context}: the kernel's ${kernel.length} values are not a square matrix (need n² values, n >= 1)`,
    );
  }
  for (let i = 0; i < kernel.length; i++) {
    if (typeof kernel[i] !== "number") {
      throw new TypeError(`Cannot ${context}: kernel entry ${i} is ${describe(kernel[i])} (need numbers)`);
    }
  }
  return { values: kernel, n };
}

/**
 * Von Neumann entropy of a symmetric PSD kernel: S = −Σ λ̂ ln λ̂ (natural log) of its eigenvalues
 * divided by their sum; optionally S / ln N, and cosine normalisation first. Negative eigenvalues within
 * {@linkcode PSD_TOLERANCE}·λ_max (rounding of a PSD kernel) count as 0 (or as the relative floor).
 *
 * The result does not depend on the kernel's units: the kernel is divided by a power of two near its largest |K_ij|
 * before the eigensolve, so K and cK give the same entropy for every c > 0 with cK finite in float64
 * (tested from 1e-300 to 1e300 for kernels given as numbers; a Tensor kernel is float32 already). Every
 * eigenvalue is within {@linkcode ENTROPY_ACCURACY}·tr K, which bounds the entropy's error by N·2.1e-8 nats.
 *
 * @param kernel n x n symmetric matrix (tensor or row-major values).
 * @param options relativeFloor, effective, cosine.
 * @returns Entropy and eigenvalues.
 * @throws {TypeError} When the kernel is neither a Tensor nor numbers, or an option is unknown or of the
 *   wrong type.
 * @throws {RangeError} When the kernel is empty, not square, not symmetric or has a NaN or infinite entry;
 *   when it is zero (no spectrum to normalise) or not positive semidefinite (λ_min < −1e-4·λ_max); or when
 *   `relativeFloor` is not in [0, 1).
 * @example The identity has entropy ln N, in any units; a rank-one kernel has entropy ~0
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, vonNeumannEntropy } from "../mod.ts";
 * await initGpu();
 * const { entropy } = await vonNeumannEntropy([1, 0, 0, 0, 1, 0, 0, 0, 1]);
 * assert.ok(Math.abs(entropy - Math.log(3)) < 1e-6);
 * const tiny = await vonNeumannEntropy([1e-30, 0, 0, 0, 1e-30, 0, 0, 0, 1e-30]);
 * assert.ok(Math.abs(tiny.entropy - entropy) < 1e-12);
 * const rankOne = await vonNeumannEntropy([1, 1, 1, 1]);
 * assert.ok(rankOne.entropy < 1e-9);
 * ```
 */
export async function vonNeumannEntropy(
  kernel: Tensor | ArrayLike<number>,
  options: VonNeumannOptions = {},
): Promise<VonNeumannResult> {
  const context = "compute von Neumann entropy";
  const opts = checkOptions(context, options, ["relativeFloor", "effective", "cosine"]);
  const floor = checkNumber(context, "options.relativeFloor", opts.relativeFloor ?? 0, { min: 0, below: 1 });
  const effective = checkBoolean(context, "options.effective", opts.effective ?? false);
  const cosine = checkBoolean(context, "options.cosine", opts.cosine ?? false);
  const { values, n, rt } = await readKernel(kernel, context);
  const k = cosine ? cosineNormalize(values, n) : values;
  const { scale, values: mu } = await scaledKernelEigenvalues(k, n, context, rt);
  const eigenvalues = mu.map((v) => v * scale);
  const [lowest, highest] = [mu[0], mu[n - 1]];
  if (!(highest > 0)) {
    throw new RangeError(
      `Cannot ${context}: the kernel has no positive eigenvalue (largest ${
        eigenvalues[n - 1]
      }); a zero kernel has no spectrum to normalise`,
    );
  }
  if (lowest < -PSD_TOLERANCE * highest) {
    throw new RangeError(
      `Cannot ${context}: the kernel is not positive semidefinite (λ_min = ${
        eigenvalues[0].toExponential(3)
      }, λ_max = ${eigenvalues[n - 1].toExponential(3)}; rounding explains at most −${PSD_TOLERANCE}·λ_max)`,
    );
  }
  // mu lies in [−4n, 4n]: no sum below can overflow or underflow.
  const clipped = mu.map((v) => Math.max(v, floor * highest));
  const total = clipped.reduce((a, b) => a + b, 0);
  let s = 0;
  for (const v of clipped) if (v > 0) s -= (v / total) * Math.log(v / total);
  const entropy = effective ? (n > 1 ? s / Math.log(n) : 0) : s;
  return withDisplay({ entropy, eigenvalues }, "von Neumann entropy", [
    [effective ? "S / ln N" : "S (nats)", entropy],
    ["N", n],
    ["kernel", cosine ? "cosine-normalised" : "raw"],
    ["λ_max", eigenvalues[n - 1]],
    ["λ_min", eigenvalues[0]],
  ]);
}
