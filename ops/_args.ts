/**
 * The Tensor argument check every op and analysis shares (check/ cannot name Tensor: it imports nothing).
 *
 * @module
 */
import { describe } from "../check/args.ts";
import { Tensor } from "./tensor.ts";

/**
 * Checks that an argument is a live Tensor (a plain array where a Tensor belongs is the usual slip).
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns The tensor.
 * @throws {TypeError} When the value is not a Tensor.
 */
export function checkTensor(context: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) {
    const hint = Array.isArray(value) || ArrayBuffer.isView(value) ? "; wrap values with Tensor.fromArray" : "";
    throw new TypeError(`Cannot ${context}: ${name} must be a Tensor (got ${describe(value)}${hint})`);
  }
  return value;
}
