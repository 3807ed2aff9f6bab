/**
 * Shape helpers: element counts and the `2x3` notation used in error messages.
 *
 * @module
 */

/**
 * Checks that a shape is a list of positive integers and returns its element count.
 *
 * @param shape Dimensions.
 * @returns Product of the dimensions.
 * @throws {RangeError} When a dimension is not a positive integer.
 * @example Element count
 * ```ts
 * import assert from "node:assert";
 * import { shapeSize } from "./shape.ts";
 * assert.equal(shapeSize([2, 3]), 6);
 * assert.throws(() => shapeSize([2, 0]), RangeError);
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  if (!Array.isArray(shape as unknown)) {
    throw new TypeError(
      `Cannot compute the size of shape ${
        typeof shape === "string" ? JSON.stringify(shape) : shape
      }: expected an array`,
    );
  }
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 1) {
      throw new RangeError(
        `Cannot compute the size of shape [${shape.join(", ")}]: dimensions must be positive integers`,
      );
    }
    size *= d;
  }
  return size;
}

/**
 * Formats a shape for error messages, e.g. `3x4` (or `scalar`).
 *
 * @param shape Dimensions.
 * @returns The formatted shape.
 */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? "scalar" : shape.join("x");
}
