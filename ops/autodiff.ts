/**
 * Reverse-mode differentiation over the tape of {@linkcode Tensor.record} nodes.
 *
 * @module
 */
import { formatShape, type Tensor } from "./tensor.ts";
import { noGrad } from "./scope.ts";
import { checkTensor } from "./_args.ts";
import { add } from "./arithmetic.ts";
import { full } from "./elementwise.ts";
import { checkOptions, describe } from "../check/args.ts";

/** Options for {@linkcode grad}. */
export interface GradOptions {
  /** Gradient of the output (default: ones, so `output` is usually a scalar loss). */
  seed?: Tensor;
  /** Record the backward pass so the result can be differentiated again (e.g. for u_xx). */
  createGraph?: boolean;
  /**
   * Return zeros for inputs the output does not depend on, instead of throwing (default false, as
   * PyTorch's `allow_unused`).
   */
  allowUnused?: boolean;
}

/**
 * Gradients of `output` with respect to each input: Σ seed · ∂output/∂input, by reverse accumulation
 * over the recorded graph.
 *
 * @param output A tensor computed from the inputs.
 * @param inputs Tensors with `requiresGrad` set (or computed from such tensors).
 * @param options Seed gradient and whether to build a graph of the gradients.
 * @returns One gradient per input (zeros for unused inputs when `allowUnused` is set).
 * @throws {RangeError} When the seed's shape differs from the output's, an input does not require
 *   gradients (a forgotten `requiresGrad = true` would otherwise train nothing), or an input is unused
 *   and `allowUnused` is not set.
 * @example d(x²)/dx = 2x
 * ```ts
 * import assert from "node:assert";
 * import { grad, initGpu, square, sum, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 3]);
 * x.requiresGrad = true;
 * const [g] = grad(sum(square(x)), [x]);
 * assert.deepEqual([...await g.toArray()], [2, 4, 6]);
 * ```
 */
export function grad(output: Tensor, inputs: readonly Tensor[], options: GradOptions = {}): Tensor[] {
  checkOptions("differentiate", options, ["seed", "allowUnused", "createGraph"]);
  checkTensor("differentiate", "output", output);
  if (!Array.isArray(inputs)) {
    throw new TypeError(`Cannot differentiate: inputs must be an array of Tensors (got ${describe(inputs)})`);
  }
  if (options.seed !== undefined) checkTensor("differentiate", "options.seed", options.seed);
  if (options.seed && options.seed.shape.join() !== output.shape.join()) {
    throw new RangeError(
      `Cannot differentiate: seed shape ${options.seed.shape.join("x")} differs from output ${output.shape.join("x")}`,
    );
  }
  inputs.forEach((x, i) => {
    checkTensor("differentiate", `input ${i}`, x);
    if (!x.requiresGrad) {
      throw new RangeError(
        `Cannot differentiate: input ${i} (${formatShape(x.shape)}) does not require gradients; set ` +
          "`requiresGrad = true` on it before computing the output",
      );
    }
  });
  const run = () => backward(output, inputs, options.seed ?? full(output.shape, 1), options.allowUnused ?? false);
  return options.createGraph ? run() : noGrad(run);
}

function backward(output: Tensor, inputs: readonly Tensor[], seed: Tensor, allowUnused: boolean): Tensor[] {
  // Topological order of the nodes between the inputs and the output.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[output, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0 && seen.has(t)) {
      stack.pop();
      continue;
    }
    seen.add(t);
    const parents = t.gradNode?.parents ?? [];
    if (i < parents.length) {
      top[1]++;
      if (!seen.has(parents[i])) stack.push([parents[i], 0]);
    } else {
      order.push(t);
      stack.pop();
    }
  }
  // Only nodes that depend on an input need a gradient: the rest (e.g. weights, when differentiating
  // with respect to activations) are skipped, and so is the work of computing them. `order` lists
  // parents before children.
  const wanted = new Set<Tensor>(inputs);
  for (const t of order) {
    if (t.gradNode?.parents.some((p) => wanted.has(p))) wanted.add(t);
  }
  const grads = new Map<Tensor, Tensor>([[output, seed]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    const node = t.gradNode;
    if (!g || !node || !node.parents.some((p) => p.requiresGrad && wanted.has(p))) continue;
    const parentGrads = node.backward(g, node.parents.map((p) => p.requiresGrad && wanted.has(p)));
    node.parents.forEach((p, j) => {
      const pg = parentGrads[j];
      if (!pg || !p.requiresGrad || !wanted.has(p)) return;
      const prev = grads.get(p);
      grads.set(p, prev ? add(prev, pg) : pg);
    });
  }
  return inputs.map((x, i) => {
    const g = grads.get(x);
    if (g) return g;
    if (!allowUnused) {
      throw new RangeError(
        `Cannot differentiate: the output does not depend on input ${i} (${formatShape(x.shape)}); pass ` +
          "`allowUnused: true` to get zeros for it",
      );
    }
    return full(x.shape, 0);
  });
}
