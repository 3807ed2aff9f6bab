/**
 * Von Neumann entropy of a kernel matrix (e.g. an NTK or NNGP Gram matrix).
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { eigvalsh, eigvalshHost } from "../linalg/eigh.ts";
import { withDisplay } from "./_display.ts";

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
 * Eigenvalues of a symmetric kernel to {@linkcode ENTROPY_ACCURACY} (normwise): by `eigvalsh` (which picks
 * the cheaper certified method on the adapter) while the kernel fits a GPU buffer, else on the host.
 */
export async function kernelEigenvalues(k: ArrayLike<number>, n: number): Promise<Float64Array> {
  const accuracy = { normwise: ENTROPY_ACCURACY };
  if (n * n * 4 > Tensor.maxBytes()) return eigvalshHost(k, n);
  const t = Tensor.fromArray(Float32Array.from(k), [n, n]);
  try {
    return await eigvalsh(t, { accuracy });
  } finally {
    t.dispose();
  }
}

/** Options for {@linkcode vonNeumannEntropy}. */
export interface VonNeumannOptions {
  /** Eigenvalues are clipped from below at this value before normalising (default 1e-12). */
  floor?: number;
  /** Also divide by ln N ("effective" entropy in [0, 1]). */
  effective?: boolean;
  /** First apply cosine normalisation K_ij / √(K_ii K_jj). */
  cosine?: boolean;
}

/** Entropy and the spectrum it came from. */
export interface VonNeumannResult {
  /** S = −Σ λ̂ ln λ̂ with λ̂ = max(λ, floor) / Σ max(λ, floor), in nats (or S / ln N when effective). */
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
  return Float64Array.from({ length: n * n }, (_, idx) => k[idx] / Math.sqrt(d[Math.floor(idx / n)] * d[idx % n]));
}

/**
 * Von Neumann entropy of a symmetric PSD kernel: eigenvalues clipped at a floor, divided by their sum,
 * S = −Σ λ̂ ln λ̂ (natural log); optionally S / ln N and cosine normalisation first. Negative eigenvalues
 * within {@linkcode PSD_TOLERANCE}·λ_max (rounding of a PSD kernel) are clipped to the floor.
 *
 * @param kernel n x n symmetric matrix (tensor or row-major values).
 * @param options Floor, effective, cosine.
 * @returns Entropy and eigenvalues.
 * @throws {RangeError} When the kernel is not square, not symmetric or contains NaN; when it is zero
 *   (no spectrum to normalise) or not positive semidefinite (λ_min < −1e-4·λ_max); or when `floor` is
 *   not a finite number >= 0.
 * @example The identity has entropy ln N; a rank-one kernel has entropy ~0
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, vonNeumannEntropy } from "../mod.ts";
 * await initGpu();
 * const { entropy } = await vonNeumannEntropy([1, 0, 0, 0, 1, 0, 0, 0, 1]);
 * assert.ok(Math.abs(entropy - Math.log(3)) < 1e-6);
 * const rankOne = await vonNeumannEntropy([1, 1, 1, 1]);
 * assert.ok(rankOne.entropy < 1e-9);
 * ```
 */
export async function vonNeumannEntropy(
  kernel: Tensor | ArrayLike<number>,
  options: VonNeumannOptions = {},
): Promise<VonNeumannResult> {
  let values: ArrayLike<number>, n: number;
  if (kernel instanceof Tensor) {
    if (kernel.rank !== 2 || kernel.shape[0] !== kernel.shape[1]) {
      throw new RangeError(
        `Cannot compute von Neumann entropy: kernel must be square (got ${formatShape(kernel.shape)})`,
      );
    }
    n = kernel.shape[0];
    values = await kernel.toArray();
  } else {
    n = Math.round(Math.sqrt(kernel.length));
    if (n * n !== kernel.length) {
      throw new RangeError(`Cannot compute von Neumann entropy: ${kernel.length} values are not a square matrix`);
    }
    values = kernel;
  }
  const floor = options.floor ?? 1e-12;
  if (!(floor >= 0 && Number.isFinite(floor))) {
    throw new RangeError(`Cannot compute von Neumann entropy: floor must be a finite number >= 0 (got ${floor})`);
  }
  const k = options.cosine ? cosineNormalize(values, n) : values;
  const eigenvalues = await kernelEigenvalues(k, n);
  const [lowest, highest] = [eigenvalues[0], eigenvalues[n - 1]];
  if (!(highest > 0)) {
    throw new RangeError(
      `Cannot compute von Neumann entropy: the kernel has no positive eigenvalue (largest ${highest}); a zero kernel has no spectrum to normalise`,
    );
  }
  if (lowest < -PSD_TOLERANCE * highest) {
    throw new RangeError(
      `Cannot compute von Neumann entropy: the kernel is not positive semidefinite (λ_min = ${
        lowest.toExponential(3)
      }, λ_max = ${highest.toExponential(3)}; rounding explains at most −${PSD_TOLERANCE}·λ_max)`,
    );
  }
  const clipped = eigenvalues.map((v) => Math.max(v, floor));
  const total = clipped.reduce((a, b) => a + b, 0);
  let s = 0;
  for (const v of clipped) s -= (v / total) * Math.log(v / total);
  const entropy = options.effective ? (n > 1 ? s / Math.log(n) : 0) : s;
  return withDisplay({ entropy, eigenvalues }, "von Neumann entropy", [
    [options.effective ? "S / ln N" : "S (nats)", entropy],
    ["N", n],
    ["kernel", options.cosine ? "cosine-normalised" : "raw"],
    ["λ_max", eigenvalues[n - 1]],
    ["λ_min", eigenvalues[0]],
  ]);
}
