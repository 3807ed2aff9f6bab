/**
 * Max pooling layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import { formatShape, Tensor } from "../ops/tensor.ts";
import { im2col, windowGeometry } from "../ops/conv.ts";
import { slice } from "../ops/layout.ts";
import { maximum } from "../ops/arithmetic.ts";
import { checkNumber, checkOptions, describe } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState } from "./_state.ts";

/** Options for {@linkcode MaxPool2d}. */
export interface MaxPool2dOptions {
  /** Step between windows (default: the window size, i.e. non-overlapping windows). */
  stride?: number;
}

/**
 * Max pooling of NHWC input [n, h, w, c] over size × size windows (no padding; windows that do not fit are
 * dropped, as PyTorch's `nn.MaxPool2d(size, stride)` with `padding=0`, `ceil_mode=False`):
 * y[b, i, j, ch] = max over 0 ≤ u, v < size of x[b, i·stride + u, j·stride + v, ch].
 *
 * The backward pass routes each output's gradient to the position of its maximum; where several entries of
 * a window tie for the maximum, all of it goes to the first of them in row-major window order (the one
 * PyTorch's CPU kernel picks). Overlapping windows (stride < size) add their gradients at a shared argmax.
 * A NaN in a window gives whatever WGSL's `max` gives for it (implementation-defined), not PyTorch's NaN.
 *
 * @example A 2 × 2 window keeps the largest of each quadrant
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { MaxPool2d } from "./max_pool2d.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 5, 2, 0, 3, 4, 7, 1, 0, 2, 9, 8, 6, 1, 3, 3], [1, 4, 4, 1]);
 * const y = new MaxPool2d(2).forward(x);
 * assert.deepEqual(y.shape, [1, 2, 2, 1]);
 * assert.deepEqual([...await y.toArray()], [5, 7, 6, 9]);
 * ```
 */
export class MaxPool2d implements DescribedLayer, StatefulLayer {
  /** Window size. */
  readonly size: number;
  /** Step between windows. */
  readonly stride: number;
  /** Description, e.g. `MaxPool2d(2)` or `MaxPool2d(3, stride 2)`. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param size Window size (an integer >= 1).
   * @param options Stride (an integer >= 1, default `size`).
   * @throws {RangeError} When size or stride is not an integer >= 1, or an option is unknown.
   */
  constructor(size: number, options: MaxPool2dOptions = {}) {
    checkOptions("build MaxPool2d", options, ["stride"]);
    checkNumber("build MaxPool2d", "size", size, { integer: true, min: 1 });
    const stride = checkNumber("build MaxPool2d", "options.stride", options.stride ?? size, { integer: true, min: 1 });
    this.size = size;
    this.stride = stride;
    this.name = stride === size ? `MaxPool2d(${size})` : `MaxPool2d(${size}, stride ${stride})`;
  }

  /**
   * Pools: im2col gathers every window, and an elementwise `maximum` folds its entries in row-major order
   * (so ties send the gradient to the first maximal entry; see the class documentation).
   *
   * @param x [n, h, w, c].
   * @returns [n, floor((h − size)/stride) + 1, floor((w − size)/stride) + 1, c].
   * @throws {RangeError} When x is not a rank-4 tensor or the window does not fit.
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.rank !== 4) {
      throw new RangeError(
        `Cannot apply ${this.name}: input must be NHWC [n, h, w, c] (got ${
          x instanceof Tensor ? formatShape(x.shape) : describe(x)
        })`,
      );
    }
    const [n, h, w, c] = x.shape;
    if (h < this.size || w < this.size) {
      throw new RangeError(
        `Cannot apply ${this.name}: the ${this.size}x${this.size} window does not fit the ${h}x${w} input`,
      );
    }
    const g = windowGeometry(x.shape, [this.size, this.size], { stride: this.stride });
    const rows = n * g.oh * g.ow, taps = this.size * this.size;
    const patches = im2col(x, g).reshape([rows, taps, c]);
    let out = slice(patches, [0, 0, 0], [rows, 1, c]);
    // maximum(a, b) sends the gradient to a where a >= b: the earlier entry wins a tie.
    for (let k = 1; k < taps; k++) out = maximum(out, slice(patches, [0, k, 0], [rows, 1, c]));
    return out.reshape([n, g.oh, g.ow, c]);
  }

  /** The layer's structure for analysis: `other` (no infinite-width kernel rule exists for max pooling). */
  structure(): LayerStructure {
    return { kind: "other", name: this.name };
  }

  /** Trainable parameters: No parameters. */
  parameters(): Tensor[] {
    return [];
  }

  /** The layer's state by name: none. */
  stateDict(): Record<string, Tensor> {
    return {};
  }

  /**
   * Checks that `state` is empty (the layer holds no tensors).
   *
   * @param state A Float32Array per name of {@linkcode MaxPool2d.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, {}, state);
  }
}
