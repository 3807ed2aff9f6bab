/**
 * Average pooling layer.
 *
 * @module
 */
import type { DescribedLayer, LayerStructure } from "../model/parameterized.ts";
import type { Tensor } from "../ops/tensor.ts";
import { avgPool2d } from "../ops/conv.ts";
import { checkNumber } from "../check/args.ts";

/** Average pooling over non-overlapping (by default) windows of NHWC input. */
export class AvgPool2d implements DescribedLayer {
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
}
