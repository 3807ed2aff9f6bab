/**
 * NHWC convolution and average pooling through im2col (differentiable; im2col and col2im are each
 * other's adjoints).
 *
 * @module
 */
import { dispatchIm2col, type WindowGeometry } from "../kernels/im2col.ts";
import { formatShape, Tensor } from "./tensor.ts";
import { matmul } from "./matmul.ts";
import { add } from "./arithmetic.ts";
import { mean } from "./arithmetic.ts";
import { checkOptions, describe } from "../check/args.ts";
import { checkTensor } from "./_args.ts";

/** Padding: "valid" (none), "same" (output size ceil(in/stride)), or explicit [top, bottom, left, right]. */
export type Padding = "valid" | "same" | readonly [number, number, number, number];

/** Window options shared by convolution and pooling. */
export interface WindowOptions {
  /** Stride, one number or [vertical, horizontal] (default 1 for conv, the window size for pooling). */
  stride?: number | readonly [number, number];
  /** Padding (default "valid"). */
  padding?: Padding;
}

/**
 * Resolves output size and padding of a window over an NHWC input.
 *
 * @param input NHWC shape.
 * @param window [kh, kw].
 * @param options Stride and padding.
 * @returns The full geometry.
 * @throws {RangeError} When the window does not fit or sizes are invalid.
 */
export function windowGeometry(
  input: readonly number[],
  window: readonly [number, number],
  options: WindowOptions & { stride: number | readonly [number, number] },
): WindowGeometry {
  if (input.length !== 4) throw new RangeError(`Expected an NHWC input (got ${formatShape(input)})`);
  const [n, h, w, c] = input;
  const [kh, kw] = window;
  const [sh, sw] = typeof options.stride === "number" ? [options.stride, options.stride] : options.stride;
  if (![kh, kw, sh, sw].every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new RangeError(`Cannot slide a window: window ${kh}x${kw} and stride ${sh}x${sw} must be positive integers`);
  }
  const padding = options.padding ?? "valid";
  let [pt, pb, pl, pr] = [0, 0, 0, 0];
  if (padding === "same") {
    const th = Math.max((Math.ceil(h / sh) - 1) * sh + kh - h, 0),
      tw = Math.max((Math.ceil(w / sw) - 1) * sw + kw - w, 0);
    [pt, pb, pl, pr] = [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else if (padding !== "valid") {
    if (!Array.isArray(padding) || padding.length !== 4 || !padding.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new RangeError(
        `Cannot slide a window: padding ${
          describe(padding)
        } must be "valid", "same" or [top, bottom, left, right] of integers >= 0`,
      );
    }
    [pt, pb, pl, pr] = padding;
  }
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1, ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  if (!(oh >= 1 && ow >= 1)) {
    throw new RangeError(
      `Window ${kh}x${kw} does not fit input ${formatShape(input)} with padding [${pt}, ${pb}, ${pl}, ${pr}]`,
    );
  }
  return { n, h, w, c, kh, kw, strideH: sh, strideW: sw, padTop: pt, padLeft: pl, oh, ow };
}

/**
 * Patch matrix of an NHWC input: row (n, oy, ox), column (ky, kx, c).
 *
 * @param x NHWC input.
 * @param g Geometry from {@linkcode windowGeometry}.
 * @returns [n·oh·ow, kh·kw·c] patches.
 */
export function im2col(x: Tensor, g: WindowGeometry): Tensor {
  const cols = Tensor.empty([g.n * g.oh * g.ow, g.kh * g.kw * g.c], "im2col (conv2d)", x.runtime);
  dispatchIm2col(x.runtime, { ...g, direction: "forward", x: x.buffer, cols: cols.buffer });
  return Tensor.record(cols, "im2col", [x], (gr) => [col2im(gr, g)]);
}

/**
 * Adjoint of {@linkcode im2col}: sums patch entries back onto the pixels they came from.
 *
 * @param cols [n·oh·ow, kh·kw·c] patches.
 * @param g Geometry.
 * @returns NHWC tensor.
 */
export function col2im(cols: Tensor, g: WindowGeometry): Tensor {
  const x = Tensor.empty([g.n, g.h, g.w, g.c], "col2im (conv2d backward)", cols.runtime);
  dispatchIm2col(cols.runtime, { ...g, direction: "adjoint", x: x.buffer, cols: cols.buffer });
  return Tensor.record(x, "col2im", [cols], (gr) => [im2col(gr, g)]);
}

/**
 * 2-D convolution (cross-correlation, as in deep-learning frameworks) of NHWC input with HWIO filters.
 *
 * @param x [n, h, w, c] input.
 * @param filters [kh, kw, c, f] filters.
 * @param options Stride, padding and an optional bias of length f.
 * @returns [n, oh, ow, f].
 * @throws {RangeError} When channels disagree or the window does not fit.
 * @example A 1x1 convolution scales channels
 * ```ts
 * import assert from "node:assert";
 * import { conv2d, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const y = conv2d(Tensor.fromArray([1, 2, 3, 4], [1, 2, 2, 1]), Tensor.fromArray([3], [1, 1, 1, 1]));
 * assert.deepEqual([...await y.toArray()], [3, 6, 9, 12]);
 * ```
 */
export function conv2d(x: Tensor, filters: Tensor, options: WindowOptions & { bias?: Tensor } = {}): Tensor {
  checkOptions("convolve", options, ["stride", "padding", "bias"]);
  checkTensor("convolve", "x", x);
  checkTensor("convolve", "filters", filters);
  if (filters.rank !== 4 || x.rank !== 4 || filters.shape[2] !== x.shape[3]) {
    throw new RangeError(
      `Cannot convolve: expected NHWC input and HWIO filters with equal channels (x is ${
        formatShape(x.shape)
      }, filters are ${formatShape(filters.shape)})`,
    );
  }
  const [kh, kw, c, f] = filters.shape;
  const bias = options.bias;
  if (bias !== undefined && !(bias instanceof Tensor && bias.rank === 1 && bias.shape[0] === f)) {
    throw new RangeError(
      `Cannot convolve: bias must be a Tensor of shape [${f}], one value per filter (got ${
        bias instanceof Tensor ? formatShape(bias.shape) : describe(bias)
      })`,
    );
  }
  const g = windowGeometry(x.shape, [kh, kw], { ...options, stride: options.stride ?? 1 });
  const y = matmul(im2col(x, g), filters.reshape([kh * kw * c, f]));
  const out = options.bias ? add(y, options.bias) : y;
  return out.reshape([g.n, g.oh, g.ow, f]);
}

/**
 * Average pooling over windows of an NHWC input (zero padding counts in the average).
 *
 * @param x [n, h, w, c] input.
 * @param size Window size, one number or [kh, kw].
 * @param options Stride (default: the window size) and padding.
 * @returns [n, oh, ow, c].
 * @throws {RangeError} When the window does not fit.
 * @example A 2x2 window averages a 2x2 image
 * ```ts
 * import assert from "node:assert";
 * import { avgPool2d, initGpu, Tensor } from "../mod.ts";
 * await initGpu();
 * const y = avgPool2d(Tensor.fromArray([1, 2, 3, 6], [1, 2, 2, 1]), 2);
 * assert.deepEqual(y.shape, [1, 1, 1, 1]);
 * assert.deepEqual([...await y.toArray()], [3]);
 * ```
 */
export function avgPool2d(x: Tensor, size: number | readonly [number, number], options: WindowOptions = {}): Tensor {
  checkOptions("average-pool", options, ["stride", "padding"]);
  checkTensor("average-pool", "x", x);
  const window: [number, number] = typeof size === "number"
    ? [size, size]
    : Array.isArray(size)
    ? [size[0], size[1]]
    : [NaN, NaN];
  const g = windowGeometry(x.shape, window, { ...options, stride: options.stride ?? window });
  const patches = im2col(x, g).reshape([g.n * g.oh * g.ow, g.kh * g.kw, g.c]);
  return mean(patches, { axis: 1 }).reshape([g.n, g.oh, g.ow, g.c]);
}
