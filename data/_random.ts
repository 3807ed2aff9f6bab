/**
 * Host-side seeded randomness for datasets: the GPU generator's host twin (Philox4x32-10), so dataset
 * seeds behave like tensor seeds.
 *
 * @module
 */
import { hostPermutation, hostRandom } from "../kernels/host_random.ts";

/** `size` uniform numbers in (0, 1) for a seed and stream. */
export function uniforms(size: number, seed: number, stream = 0): Float64Array {
  return hostRandom(size, { seed, stream, distribution: "uniform" });
}

/** `size` standard normal numbers for a seed and stream. */
export function normals(size: number, seed: number, stream = 0): Float64Array {
  return hostRandom(size, { seed, stream, distribution: "normal" });
}

/** A seeded permutation of 0..n-1 (sorting by uniform keys). */
export function shuffled(n: number, seed: number, stream = 0): number[] {
  return [...hostPermutation(n, seed, stream)];
}
