/**
 * Classification accuracy of a model on a dataset held on the host.
 *
 * @module
 */
import { checkLayer, type Layer } from "../model/parameterized.ts";
import { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import type { Dataset } from "./train.ts";
import { checkNumber, checkOptions, describe } from "../check/args.ts";

/** Options for {@linkcode accuracy}. */
export interface AccuracyOptions {
  /** With one output column: an output above it predicts class 1 (default 0.5, for probabilities). */
  threshold?: number;
}

/**
 * The share of the examples a model classifies right, in eval mode on the whole set at once (one
 * read-back). With one output column, an output above `threshold` predicts class 1 and `y` holds 0/1
 * labels; with k > 1 columns the first largest output is the predicted class and `y` holds class indices
 * (`yShape` [n] or [n, 1]) or one-hot rows ([n, k]).
 *
 * @example A model that predicts class 1 everywhere
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "../mod.ts";
 * import { accuracy, Activation } from "./mod.ts";
 * await initGpu();
 * const data = { x: new Float32Array([1, 2, 3, 4]), xShape: [4, 1], y: new Float32Array([1, 1, 0, 1]), yShape: [4, 1] };
 * assert.equal(await accuracy(new Activation("sigmoid"), data), 0.75);
 * ```
 *
 * @param model The classifier.
 * @param data Inputs and labels on the host.
 * @param options The threshold of a one-column output.
 * @returns Correct / n.
 * @throws {TypeError} When the model is not a layer or the data not `{ x, xShape, y, yShape }`.
 * @throws {RangeError} When the targets do not match the outputs' shape.
 */
export async function accuracy(model: Layer, data: Dataset, options: AccuracyOptions = {}): Promise<number> {
  const context = "compute accuracy";
  checkLayer(context, "model", model);
  checkOptions(context, options, ["threshold"]);
  const threshold = checkNumber(context, "options.threshold", options.threshold ?? 0.5, { infinite: true });
  const fields = ["x", "y", "xShape", "yShape"] as const;
  if (typeof data !== "object" || data === null || !fields.every((f) => typeof data[f]?.length === "number")) {
    throw new TypeError(`Cannot ${context}: data must be { x, y, xShape, yShape } (got ${describe(data)})`);
  }
  const runtime = model.parameters()[0]?.runtime;
  const p = tidy(() => model.forward(Tensor.fromArray(data.x, data.xShape, { runtime }), "eval"));
  const outputs = await p.toArray();
  const columns = p.rank === 2 ? p.shape[1] : 1, n = p.shape[0];
  p.dispose();
  const labels = targetLabels(context, data, n, columns);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = outputs.subarray(i * columns, (i + 1) * columns);
    const predicted = columns === 1 ? (row[0] > threshold ? 1 : 0) : row.indexOf(Math.max(...row));
    if (predicted === labels[i]) correct++;
  }
  return correct / n;
}

/** The class index of every example: the label itself, or the argmax of a one-hot row. */
function targetLabels(context: string, data: Dataset, n: number, columns: number): ArrayLike<number> {
  const width = data.yShape.slice(1).reduce((a, b) => a * b, 1);
  if (data.yShape[0] !== n || data.y.length !== n * width || (width !== 1 && width !== columns)) {
    throw new RangeError(
      `Cannot ${context}: targets of shape [${data.yShape.join(", ")}] do not match ${n} outputs of ${columns} ${
        columns === 1 ? "column" : "columns"
      } (need [${n}], [${n}, 1]${columns > 1 ? ` or [${n}, ${columns}]` : ""})`,
    );
  }
  if (width === 1) return data.y;
  return Array.from({ length: n }, (_, i) => {
    const row = data.y.subarray(i * width, (i + 1) * width);
    return row.indexOf(Math.max(...row));
  });
}
