/**
 * Argument checks and the column centring shared by the representation measures.
 *
 * @module
 */
import { formatShape, type Tensor } from "../ops/tensor.ts";
import { checkTensor } from "../ops/_args.ts";
import { mean } from "../ops/arithmetic.ts";
import { sub } from "../ops/arithmetic.ts";

/**
 * Refuses what is not a 2-D Tensor.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns Its shape [examples, features].
 */
export function checkMatrixTensor(context: string, name: string, value: unknown): [number, number] {
  const t = checkTensor(context, name, value);
  if (t.rank !== 2) {
    throw new RangeError(`Cannot ${context}: ${name} must be 2-D [examples, features] (got ${formatShape(t.shape)})`);
  }
  return [t.shape[0], t.shape[1]];
}

/**
 * Features centred over the examples: x − mean(x) along axis 0.
 *
 * @param x [examples, features].
 * @returns A new tensor of the same shape.
 */
export function centreColumns(x: Tensor): Tensor {
  return sub(x, mean(x, { axis: 0, keepDims: true }));
}
