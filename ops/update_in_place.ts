/**
 * The one primitive that changes a tensor's values in place: an optimizer's update of a parameter from
 * its gradient and its state tensors, as one fused kernel. Not recorded for autodiff.
 *
 * @module
 */
import { dispatchOptimizer, type OptimizerRule } from "../kernels/optimizer.ts";
import { formatShape, runtimeOf, type Tensor } from "./tensor.ts";

export type { OptimizerRule };

/**
 * Updates `param` in place by an optimizer rule: `"sgd"` (state [velocity]; scalars [lr, momentum,
 * weightDecay]) or `"adam"` (state [m, v]; scalars [lr, beta1, beta2, eps, weightDecay, bias
 * corrections]). The state tensors are updated in place too.
 *
 * @param rule The update rule.
 * @param tensors The parameter, its gradient and the rule's state tensors, all of one shape.
 * @param scalars The rule's constants (at most 8).
 * @throws {RangeError} When shapes differ, the state count does not match the rule, or there are more
 *   than 8 scalars.
 * @example One SGD step without momentum: p ← p − 0.5 g
 * ```ts
 * import assert from "node:assert";
 * import { full, initGpu, Tensor } from "../mod.ts";
 * import { updateInPlace } from "../nn/mod.ts";
 * await initGpu();
 * const p = Tensor.fromArray([1, 2]), g = Tensor.fromArray([2, 2]);
 * updateInPlace("sgd", { param: p, grad: g, state: [full([2], 0)] }, [0.5, 0, 0]);
 * assert.deepEqual([...await p.toArray()], [0, 1]);
 * ```
 */
export function updateInPlace(
  rule: OptimizerRule,
  tensors: { param: Tensor; grad: Tensor; state: readonly Tensor[] },
  scalars: readonly number[],
): void {
  const { param, grad, state } = tensors;
  const expected = rule === "adam" ? 2 : 1;
  if (state.length !== expected) {
    throw new RangeError(
      `Cannot update in place: rule "${rule}" needs ${expected} state tensors (got ${state.length})`,
    );
  }
  for (const t of [grad, ...state]) {
    if (t.shape.join() !== param.shape.join()) {
      throw new RangeError(
        `Cannot update in place: shapes differ (parameter is ${formatShape(param.shape)}, got ${formatShape(t.shape)})`,
      );
    }
  }
  if (scalars.length > 8) throw new RangeError(`Cannot update in place: at most 8 scalars (got ${scalars.length})`);
  dispatchOptimizer(runtimeOf([param, grad, ...state], "update in place"), {
    rule,
    size: param.size,
    p: param.buffer,
    g: grad.buffer,
    m: state[0].buffer,
    v: state[1]?.buffer,
    scalars: [...scalars],
  });
}
