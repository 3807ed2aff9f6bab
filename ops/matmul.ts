/**
 * Matrix products: 2-D, batched 3-D (with a 2-D operand broadcast over the batch), optional transposes;
 * and Gram matrices. Differentiable.
 *
 * @module
 */
import { dispatchMatmul, MAX_INNER_DIMENSION } from "../kernels/matmul.ts";
import { dispatchGram } from "../kernels/gram.ts";
import { type BackwardRule, formatShape, runtimeOf, Tensor } from "./tensor.ts";
import { withoutRecording } from "./_scope.ts";
import { sum } from "./arithmetic.ts";
import { add } from "./arithmetic.ts";
import { slice, transpose } from "./layout.ts";
import { checkBoolean, checkOptions } from "../check/args.ts";
import { checkTensor } from "./_args.ts";

/** Options for {@linkcode matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ (A's last two dims are k x m). */
  transposeA?: boolean;
  /** Use Bᵀ (B's last two dims are n x k). */
  transposeB?: boolean;
}

/**
 * C = op(A)·op(B). Operands are 2-D (m x k) or 3-D (batch x m x k); a 2-D operand is shared by every
 * batch entry of a 3-D one.
 *
 * @param a Left operand.
 * @param b Right operand.
 * @param options Transposes.
 * @returns m x n, or batch x m x n.
 * @throws {RangeError} When ranks are not 2 or 3, inner dimensions differ or batch sizes differ.
 * Inner dimensions longer than the kernel's limit are split into a sum of products.
 * @example A 2x2 product
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, matmul, Tensor } from "../mod.ts";
 * await initGpu();
 * const a = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
 * const b = Tensor.fromArray([5, 6, 7, 8], [2, 2]);
 * assert.deepEqual([...await matmul(a, b).toArray()], [19, 22, 43, 50]);
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkOptions("multiply matrices", options, ["transposeA", "transposeB"]);
  checkTensor("multiply matrices", "a", a);
  checkTensor("multiply matrices", "b", b);
  const tA = checkBoolean("multiply matrices", "options.transposeA", options.transposeA ?? false);
  const tB = checkBoolean("multiply matrices", "options.transposeB", options.transposeB ?? false);
  for (const [name, t] of [["a", a], ["b", b]] as const) {
    if (t.rank !== 2 && t.rank !== 3) {
      throw new RangeError(`Cannot multiply matrices: ${name} must be 2-D or 3-D (got ${formatShape(t.shape)})`);
    }
  }
  const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
  const m = tA ? ac : ar, k = tA ? ar : ac;
  const kb = tB ? bc : br, n = tB ? br : bc;
  if (k !== kb) {
    throw new RangeError(
      `Cannot multiply matrices: inner dimensions differ (a is ${formatShape(a.shape)}${tA ? "ᵀ" : ""}, b is ${
        formatShape(b.shape)
      }${tB ? "ᵀ" : ""})`,
    );
  }
  const batchA = a.rank === 3 ? a.shape[0] : 0, batchB = b.rank === 3 ? b.shape[0] : 0;
  if (batchA && batchB && batchA !== batchB) {
    throw new RangeError(
      `Cannot multiply matrices: batch sizes differ (a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)})`,
    );
  }
  const batch = Math.max(batchA, batchB, 1);
  // A faster form where one applies, recorded as this product (its gradients are products that reroute too).
  const routed = a.rank === 2 && b.rank === 2 ? withoutRecording(() => reroute(a, b, tA, tB, m, n, k)) : null;
  if (routed) return Tensor.record(routed, "matmul", [a, b], productBackward(a, b, tA, tB));
  if (k > MAX_INNER_DIMENSION) {
    // Keep each invocation's loop short: a sum of products over slices of the inner dimension.
    let total: Tensor | null = null;
    for (let k0 = 0; k0 < k; k0 += MAX_INNER_DIMENSION) {
      const kc = Math.min(MAX_INNER_DIMENSION, k - k0);
      const part = matmul(innerSlice(a, tA, false, k0, kc), innerSlice(b, tB, true, k0, kc), options);
      total = total ? add(total, part) : part;
    }
    return total!;
  }
  const rt = runtimeOf([a, b], "multiply matrices");
  const out = Tensor.empty(batchA || batchB ? [batch, m, n] : [m, n], "matmul", rt);
  dispatchMatmul(rt, {
    a: a.buffer,
    b: b.buffer,
    c: out.buffer,
    m,
    n,
    k,
    batch,
    batchedA: batchA > 0,
    batchedB: batchB > 0,
    transposeA: tA,
    transposeB: tB,
  });
  return Tensor.record(out, "matmul", [a, b], productBackward(a, b, tA, tB));
}

/** d op(A) = G op(B)ᵀ and d op(B) = op(A)ᵀ G, then transposed back where the operand was. */
function productBackward(a: Tensor, b: Tensor, tA: boolean, tB: boolean): BackwardRule {
  return (g, needs) => {
    let ga = null, gb = null;
    if (needs[0]) {
      ga = tA ? matmul(b, g, { transposeA: tB, transposeB: true }) : matmul(g, b, { transposeB: !tB });
      if (a.rank === 2 && ga.rank === 3) ga = sum(ga, { axis: 0 });
    }
    if (needs[1]) {
      gb = tB ? matmul(g, a, { transposeA: true, transposeB: tA }) : matmul(a, g, { transposeA: !tA });
      if (b.rank === 2 && gb.rank === 3) gb = sum(gb, { axis: 0 });
    }
    return [ga, gb];
  };
}

/** Inner length from which a product Aᵀ·B whose output is small next to k is split along k. */
const SPLIT_INNER_FROM = 4096;
/** Shortest inner length of one part of a split product. */
const SPLIT_INNER_PART = 512;
/** Most parts of a split product. */
const SPLIT_INNER_PARTS = 64;
/** Most entries of a split product's output (larger ones have invocations enough; the parts stay ≤ 16 MiB). */
const SPLIT_INNER_MAX_OUTPUT = 1 << 16;
/** Shortest m of a product A·Bᵀ whose (small) B is transposed first. */
const TRANSPOSE_B_FROM_M = 4096;
/** Most entries of a B that is transposed first. */
const TRANSPOSE_B_MAX_SIZE = 1 << 20;

/**
 * Two faster forms of a 2-D product, where one applies (see docs/design.md, "Matmul routing").
 * Aᵀ·B with a long k and a small output (a weight gradient: k is the batch times the positions) runs as
 * a batch of Aᵀ·B over k/c-long parts, summed: c times more invocations, without copies (each part is a
 * contiguous block of rows of A and B). A·Bᵀ with a small B and a tall A (a convolution's input gradient)
 * transposes B first: reading B along k costs the register kernel more than the copy.
 */
function reroute(a: Tensor, b: Tensor, tA: boolean, tB: boolean, m: number, n: number, k: number): Tensor | null {
  if (tA && !tB && k >= SPLIT_INNER_FROM && k >= 4 * Math.max(m, n) && m * n <= SPLIT_INNER_MAX_OUTPUT) {
    let parts = 1;
    while (
      parts * 2 <= SPLIT_INNER_PARTS && k % (parts * 2) === 0 && k / (parts * 2) >= SPLIT_INNER_PART
    ) parts *= 2;
    if (parts > 1) {
      const part = matmul(a.reshape([parts, k / parts, m]), b.reshape([parts, k / parts, n]), { transposeA: true });
      const total = sum(part, { axis: 0 });
      part.dispose();
      return total;
    }
  }
  if (!tA && tB && m >= TRANSPOSE_B_FROM_M && m >= 16 * n && n * k <= TRANSPOSE_B_MAX_SIZE) {
    const bt = transpose(b), product = matmul(a, bt);
    bt.dispose();
    return product;
  }
  return null;
}

/** Columns k0..k0+kc of op(A) (or rows of op(B)), sliced on the axis that holds k. */
function innerSlice(t: Tensor, transposed: boolean, isB: boolean, k0: number, kc: number): Tensor {
  // op(A) = A: k is the last axis; Aᵀ: the second to last. op(B) = B: second to last; Bᵀ: last.
  const axis = t.rank - ((transposed !== isB) ? 2 : 1);
  const begin = t.shape.map((_, d) => (d === axis ? k0 : 0));
  const size = t.shape.map((dim, d) => (d === axis ? kc : dim));
  return slice(t, begin, size);
}

/**
 * Gram matrix G = A·Aᵀ of an m x k matrix (computes one triangle and mirrors it).
 *
 * @param a m x k matrix.
 * @returns m x m symmetric matrix.
 * @throws {RangeError} When `a` is not 2-D.
 * @example Rows that are orthonormal give the identity
 * ```ts
 * import assert from "node:assert";
 * import { gram, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const g = await gram(Tensor.fromArray([1, 0, 0, 0, 1, 0], [2, 3])).toArray();
 * assert.deepEqual([...g], [1, 0, 0, 1]);
 * ```
 */
export function gram(a: Tensor): Tensor {
  checkTensor("compute Gram matrix", "a", a);
  if (a.rank !== 2) {
    throw new RangeError(`Cannot compute Gram matrix: a must be 2-D (got ${formatShape(a.shape)})`);
  }
  const [m, k] = a.shape;
  const out = Tensor.empty([m, m], "gram", a.runtime);
  dispatchGram(a.runtime, { a: a.buffer, g: out.buffer, m, k });
  // d(A Aᵀ) = dA Aᵀ + A dAᵀ, so grad_A = (G + Gᵀ) A.
  return Tensor.record(out, "gram", [a], (g) => [add(matmul(g, a), matmul(g, a, { transposeA: true }))]);
}
