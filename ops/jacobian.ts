/**
 * Input Jacobians of batched functions: J[n, k, i] = ∂f(x)_nk / ∂x_ni, one backward pass per output.
 *
 * @module
 */
import { formatShape, type Tensor } from "./tensor.ts";
import { tidy } from "./scope.ts";
import { grad } from "./autodiff.ts";
import { concat, slice } from "./layout.ts";
import { sum } from "./arithmetic.ts";
import { checkFunction, checkOptions } from "../check/args.ts";
import { checkTensor } from "./_args.ts";

/** Options for {@linkcode inputJacobian}. */
export interface JacobianOptions {
  /** Keep the graph so the Jacobian can be differentiated again (default false). */
  createGraph?: boolean;
}

/**
 * Jacobian of a row-wise function f: [batch, d] → [batch, k] at every row of x (rows must not interact,
 * e.g. no batch norm in train mode): ∂f_k/∂x for each row by differentiating Σ_n f(x)_nk.
 *
 * @param f Row-wise differentiable function.
 * @param x [batch, d] inputs.
 * @param options Whether to keep the graph.
 * @returns [batch, k, d].
 * @throws {RangeError} When x is not 2-D or f's output is not [batch, k].
 * @example The Jacobian of x ↦ 3x is 3I
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, inputJacobian, mul, Tensor } from "../mod.ts";
 * await initGpu();
 * const j = await inputJacobian((x) => mul(x, 3), Tensor.fromArray([1, 2], [1, 2])).toArray();
 * assert.deepEqual([...j], [3, 0, 0, 3]);
 * ```
 */
export function inputJacobian(f: (x: Tensor) => Tensor, x: Tensor, options: JacobianOptions = {}): Tensor {
  checkFunction("take the input Jacobian", "f", f);
  checkTensor("take the input Jacobian", "x", x);
  checkOptions("take the input Jacobian", options, ["createGraph"]);
  if (x.rank !== 2) {
    throw new RangeError(`Cannot take the input Jacobian: x must be [batch, d] (got ${formatShape(x.shape)})`);
  }
  const [batch, d] = x.shape;
  const run = () => {
    const input = x.requiresGrad ? x : x.reshape([batch, d]);
    input.requiresGrad = true;
    const y = f(input);
    if (y.rank !== 2 || y.shape[0] !== batch) {
      throw new RangeError(`Cannot take the input Jacobian: f must return [${batch}, k] (got ${formatShape(y.shape)})`);
    }
    const k = y.shape[1];
    const rows = Array.from({ length: k }, (_, o) => {
      const [g] = grad(sum(slice(y, [0, o], [batch, 1])), [input], { createGraph: options.createGraph });
      return g.reshape([batch, 1, d]);
    });
    return k === 1 ? rows[0] : concat(rows, 1);
  };
  // With createGraph the result's graph needs the intermediates: the caller's scope owns them then.
  return options.createGraph ? run() : tidy(run);
}
