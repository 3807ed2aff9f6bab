/**
 * Layout ops: transpose/permute, slice, pad and concat (differentiable), all one strided-map kernel.
 *
 * @module
 */
import { dispatchElementwise, MAX_ELEMENTWISE_INPUTS, type StridedInput } from "../kernels/elementwise.ts";
import { formatShape, runtimeOf, Tensor } from "./tensor.ts";
import { normalizeAxis } from "./arithmetic.ts";
import { checkTensor } from "./_args.ts";
import { describe } from "../check/args.ts";

/**
 * Row-major element strides of a shape.
 *
 * @param shape Dimensions.
 * @returns Strides in elements.
 */
export function stridesOf(shape: readonly number[]): number[] {
  const s: number[] = new Array(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

function gather(shape: readonly number[], parts: { x: Tensor; view: StridedInput }[]): Tensor {
  const rt = runtimeOf(parts.map((p) => p.x), "combine tensors");
  const out = Tensor.empty(shape, "layout op (transpose/concat/slice)", rt);
  dispatchElementwise(rt, {
    expr: parts.map((_, i) => `x${i}`).join(" + "),
    shape,
    inputs: parts.map((p) => p.view),
    buffers: parts.map((p) => p.x.buffer),
    out: out.buffer,
  });
  return out;
}

/** Checks that each argument is an array (of indices or sizes; the caller checks the values). */
function checkIndexArrays(context: string, ...arrays: unknown[]): void {
  arrays.forEach((a, i) => {
    if (!Array.isArray(a)) {
      throw new TypeError(
        `Cannot ${context}: ${i === 0 ? "begin" : "the shape"} must be an array (got ${describe(a)})`,
      );
    }
  });
}

/**
 * Permutes dimensions (default: reverses them, the matrix transpose for 2-D).
 *
 * @param x Input.
 * @param perm New order of x's dimensions.
 * @returns The permuted copy.
 * @throws {RangeError} When `perm` is not a permutation of 0..rank-1.
 * @example Transpose a 2x3 matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor, transpose } from "../mod.ts";
 * await initGpu();
 * const t = transpose(Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]));
 * assert.deepEqual(t.shape, [3, 2]);
 * assert.deepEqual([...await t.toArray()], [1, 4, 2, 5, 3, 6]);
 * ```
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor("transpose", "x", x);
  const p = perm === undefined ? x.shape.map((_, i) => x.rank - 1 - i) : perm;
  if (!Array.isArray(p as unknown)) throw new TypeError(`Cannot transpose: perm must be an array (got ${describe(p)})`);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new RangeError(`Cannot transpose: [${p.join(", ")}] is not a permutation of ${x.rank} dimensions`);
  }
  const xs = stridesOf(x.shape);
  const out = gather(p.map((d) => x.shape[d]), [{ x, view: { strides: p.map((d) => xs[d]) } }]);
  const inverse = p.map((_, i) => p.indexOf(i));
  return Tensor.record(out, "transpose", [x], (g) => [transpose(g, inverse)]);
}

/**
 * Extracts the block starting at `begin` with extent `size` (differentiable).
 *
 * @param x Input.
 * @param begin First index per dimension.
 * @param size Extent per dimension.
 * @returns The block.
 * @throws {RangeError} When the block does not lie inside `x`.
 * @example The second column of a 2x3 matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, slice, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
 * assert.deepEqual([...await slice(x, [0, 1], [2, 1]).toArray()], [2, 5]);
 * ```
 */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  checkTensor("slice", "x", x);
  checkIndexArrays("slice", begin, size);
  if (
    begin.length !== x.rank || size.length !== x.rank ||
    begin.some((b, d) => !Number.isInteger(b) || b < 0 || !(size[d] >= 1) || b + size[d] > x.shape[d])
  ) {
    throw new RangeError(
      `Cannot slice: block at [${begin.join(", ")}] of size [${size.join(", ")}] is outside ${formatShape(x.shape)}`,
    );
  }
  const xs = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, d) => acc + b * xs[d], 0);
  const out = gather(size, [{ x, view: { strides: xs, offset } }]);
  return Tensor.record(out, "slice", [x], (g) => [pad(g, begin, x.shape)]);
}

/**
 * Places `x` at `begin` inside zeros of `shape` (the adjoint of {@linkcode slice}).
 *
 * @param x Block.
 * @param begin Where its first element lands.
 * @param shape Output shape.
 * @returns The padded tensor.
 * @throws {RangeError} When the block does not fit.
 * @example One zero on each side
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, pad, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.deepEqual([...await pad(Tensor.fromArray([1, 2]), [1], [4]).toArray()], [0, 1, 2, 0]);
 * ```
 */
export function pad(x: Tensor, begin: readonly number[], shape: readonly number[]): Tensor {
  checkTensor("pad", "x", x);
  checkIndexArrays("pad", begin, shape);
  const whole = (v: number) => Number.isInteger(v) && v >= 0;
  if (
    begin.length !== x.rank || shape.length !== x.rank || !begin.every(whole) || !shape.every(whole) ||
    begin.some((b, d) => b + x.shape[d] > shape[d])
  ) {
    throw new RangeError(
      `Cannot pad: ${formatShape(x.shape)} at [${begin.join(", ")}] does not fit ${formatShape(shape)} ` +
        `(begin and shape need one integer >= 0 per dimension)`,
    );
  }
  const out = gather(shape, [{ x, view: window(x, begin) }]);
  return Tensor.record(out, "pad", [x], (g) => [slice(g, begin, x.shape)]);
}

function window(x: Tensor, begin: readonly number[]): StridedInput {
  const xs = stridesOf(x.shape);
  return {
    strides: xs,
    offset: -begin.reduce((acc, b, d) => acc + b * xs[d], 0),
    window: { begin, end: begin.map((b, d) => b + x.shape[d]) },
  };
}

/**
 * Joins tensors along an axis (one kernel; differentiable).
 *
 * @param xs Tensors whose shapes agree except along `axis`.
 * @param axis Axis to join along (default 0).
 * @returns The concatenation.
 * @throws {RangeError} When the list is empty or shapes disagree off the axis.
 * @example Two rows side by side
 * ```ts
 * import assert from "node:assert";
 * import { concat, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const y = concat([Tensor.fromArray([1, 2], [1, 2]), Tensor.fromArray([3], [1, 1])], 1);
 * assert.deepEqual(y.shape, [1, 3]);
 * assert.deepEqual([...await y.toArray()], [1, 2, 3]);
 * ```
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown)) {
    throw new TypeError(`Cannot concatenate: xs must be an array of Tensors (got ${describe(xs)})`);
  }
  xs.forEach((x, i) => checkTensor("concatenate", `xs[${i}]`, x));
  if (xs.length === 0) throw new RangeError("Cannot concatenate: no tensors given");
  const a = normalizeAxis(axis, xs[0].rank);
  if (xs.length > MAX_ELEMENTWISE_INPUTS) {
    // One kernel reads at most MAX_ELEMENTWISE_INPUTS tensors: join groups, then the groups.
    const groups: Tensor[] = [];
    for (let i = 0; i < xs.length; i += MAX_ELEMENTWISE_INPUTS) {
      groups.push(concat(xs.slice(i, i + MAX_ELEMENTWISE_INPUTS), a));
    }
    return concat(groups, a);
  }
  for (const x of xs) {
    if (x.rank !== xs[0].rank || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new RangeError(
        `Cannot concatenate along axis ${a}: shapes differ (${xs.map((t) => formatShape(t.shape)).join(", ")})`,
      );
    }
  }
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  const begins: number[][] = [];
  let at = 0;
  for (const x of xs) {
    begins.push(x.shape.map((_, d) => (d === a ? at : 0)));
    at += x.shape[a];
  }
  const out = gather(shape, xs.map((x, i) => ({ x, view: window(x, begins[i]) })));
  return Tensor.record(out, "concat", xs, (g) => xs.map((x, i) => slice(g, begins[i], x.shape)));
}
