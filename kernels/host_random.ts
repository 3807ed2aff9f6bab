/**
 * The host twin of the GPU generator: Philox4x32-10 in TypeScript, giving exactly the values
 * `randomNormal`/`randomUniform` produce for a seed and stream, for host-side randomness (datasets,
 * shuffles) and for deriving seeds by path. One counter-based generator serves every random number in
 * rankscope.
 *
 * @module
 */

const M0 = 0xD2511F53n, M1 = 0xCD9E8D57n, W0 = 0x9E3779B9, W1 = 0xBB67AE85;
const MASK32 = 0xffffffffn;

/**
 * Philox4x32-10 block function (Salmon et al. 2011).
 *
 * @param counter Four u32 counter words.
 * @param key Two u32 key words.
 * @returns Four u32 output words.
 * @example Known-answer vector from Random123
 * ```ts
 * import assert from "node:assert";
 * import { philox4x32 } from "./host_random.ts";
 * assert.deepEqual(philox4x32([0, 0, 0, 0], [0, 0]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
 * ```
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * BigInt(c0), p1 = M1 * BigInt(c2);
    const hi0 = Number(p0 >> 32n), lo0 = Number(p0 & MASK32);
    const hi1 = Number(p1 >> 32n), lo1 = Number(p1 & MASK32);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * Splits a seed into Philox's two key words.
 *
 * @param seed Non-negative integer below 2^53.
 * @returns `[low, high]` words.
 * @throws {RangeError} When the seed is not a safe non-negative integer.
 * @example A seed above 2^32
 * ```ts
 * import assert from "node:assert";
 * import { seedWords } from "./host_random.ts";
 * assert.deepEqual(seedWords(2 ** 32 + 5), [5, 1]);
 * ```
 */
export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`Cannot seed the random generator: seed ${seed} is not an integer in 0..2^53 - 1`);
  }
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

/** Options for {@linkcode hostRandom}. */
export interface HostRandomOptions {
  /** Seed (a non-negative integer below 2^53). */
  seed: number;
  /** Independent stream of the same seed (default 0). */
  stream?: number;
  /** "uniform" in (0, 1), or "normal" by Box–Muller. */
  distribution: "uniform" | "normal";
}

/**
 * The values the GPU generator produces for a seed and stream, computed on the host in float64.
 *
 * @param size Number of values.
 * @param options Seed, stream and distribution.
 * @returns The values.
 * @throws {RangeError} When the seed is invalid.
 * @example Uniform values lie in (0, 1)
 * ```ts
 * import assert from "node:assert";
 * import { hostRandom } from "./host_random.ts";
 * const u = hostRandom(10, { seed: 1, distribution: "uniform" });
 * assert.ok(u.every((v) => v > 0 && v < 1));
 * ```
 */
export function hostRandom(size: number, options: HostRandomOptions): Float64Array {
  const key = seedWords(options.seed);
  const out = new Float64Array(size);
  const unit = (v: number) => ((v >>> 8) + 0.5) * 2 ** -24;
  for (let g = 0; g * 4 < size; g++) {
    const bits = philox4x32([g, options.stream ?? 0, 0, 0], key);
    let v: number[];
    if (options.distribution === "uniform") v = bits.map(unit);
    else {
      const r0 = Math.sqrt(-2 * Math.log(unit(bits[0]))), t0 = 2 * Math.PI * unit(bits[1]);
      const r1 = Math.sqrt(-2 * Math.log(unit(bits[2]))), t1 = 2 * Math.PI * unit(bits[3]);
      v = [r0 * Math.cos(t0), r0 * Math.sin(t0), r1 * Math.cos(t1), r1 * Math.sin(t1)];
    }
    for (let q = 0; q < 4 && 4 * g + q < size; q++) out[4 * g + q] = v[q];
  }
  return out;
}

/**
 * Derives an independent seed from a seed and a path of names or numbers, like jax's `fold_in`: each
 * element is hashed (FNV-1a over its text) into a Philox counter under the current seed's key, and the
 * output words become the next seed. Different paths give unrelated seeds, never overlapping ranges
 * (unlike `seed * 1000 + epoch` or `seed + 1 + k`).
 *
 * @param seed Root seed (a non-negative integer below 2^53).
 * @param path Names and indices, e.g. `("shuffle", epoch)`.
 * @returns A seed below 2^53.
 * @throws {RangeError} When the seed is invalid.
 * @example Paths give distinct, reproducible seeds
 * ```ts
 * import assert from "node:assert";
 * import { deriveSeed } from "./host_random.ts";
 * assert.equal(deriveSeed(0, "shuffle", 1), deriveSeed(0, "shuffle", 1));
 * assert.notEqual(deriveSeed(0, "shuffle", 1), deriveSeed(0, "model", 1));
 * assert.notEqual(deriveSeed(0, "shuffle", 1), deriveSeed(1, "shuffle", 0));
 * ```
 */
export function deriveSeed(seed: number, ...path: (string | number)[]): number {
  seedWords(seed); // checks the seed
  path.forEach((element, i) => {
    if (typeof element !== "string" && typeof element !== "number") {
      throw new TypeError(
        `Cannot derive a seed: path element ${i} must be a string or a number (got ${typeof element})`,
      );
    }
  });
  let current = seed;
  for (const element of path) {
    const text = `${typeof element}:${element}`;
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    const [w0, w1] = philox4x32([hash, 0x5eed, 0, 0], seedWords(current));
    current = (w1 & 0x1fffff) * 2 ** 32 + w0;
  }
  return current;
}

/**
 * A seeded permutation of 0..n-1: the indices sorted by uniform keys from {@linkcode hostRandom}. The one
 * shuffle of rankscope (datasets, training epochs).
 *
 * @param n Length.
 * @param seed Seed.
 * @param stream Independent stream of the seed (e.g. the epoch).
 * @returns The permutation.
 * @throws {RangeError} When the seed is invalid.
 * @example A permutation of 5
 * ```ts
 * import assert from "node:assert";
 * import { hostPermutation } from "./host_random.ts";
 * const p = hostPermutation(5, 1);
 * assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4]);
 * assert.deepEqual(hostPermutation(5, 1), p);
 * ```
 */
export function hostPermutation(n: number, seed: number, stream = 0): Uint32Array {
  const keys = hostRandom(n, { seed, stream, distribution: "uniform" });
  return Uint32Array.from([...keys.keys()].sort((a, b) => keys[a] - keys[b]));
}
