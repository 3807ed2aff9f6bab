/**
 * Average pooling layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { avgPool2d } from "../ops/conv.ts";
import { checkNumber } from "../check/args.ts";
import type { LayerState, StatefulLayer } from "./state.ts";
import { checkState } from "./_state.ts";

/** Average pooling over non-overlapping (by default) windows of NHWC input. */
export class AvgPool2d implements DescribedLayer, StatefulLayer {
  /** Window size. */
  readonly size: number;
  /** Description. */
  readonly name: string;

  /**
   * Creates the layer.
   *
   * @param size Window size (and stride).
   */
  constructor(size: number) {
    checkNumber("build AvgPool2d", "size", size, { integer: true, min: 1 });
    this.size = size;
    this.name = `AvgPool2d(${size})`;
  }

  /**
   * Pools.
   *
   * @param x [n, h, w, c].
   * @returns [n, floor(h/size), floor(w/size), c].
   */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.size);
  }

  /** The layer's structure for analysis. */
  structure(): LayerStructure {
    return { kind: "avgpool", size: this.size };
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
   * @param state A Float32Array per name of {@linkcode AvgPool2d.stateDict}, each of its tensor's size.
   * @throws {TypeError} When the state is not an object of Float32Arrays.
   * @throws {RangeError} When a name is missing or unknown, or a size differs (nothing is changed).
   */
  loadState(state: LayerState): void {
    checkState(`load state into ${this.name}`, {}, state);
  }
}
