/**
 * Losses: mean squared error, smooth L1 (Huber), binary cross-entropy, softmax cross-entropy. Each returns a scalar tensor.
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { noGrad } from "../ops/scope.ts";
import { abs, log, relu, square } from "../ops/elementwise.ts";
import { add, mul, neg, sub } from "../ops/arithmetic.ts";
import { mapInternal } from "../ops/_map.ts";
import { mean, sum } from "../ops/arithmetic.ts";
import { logSoftmax, softmax } from "../ops/softmax.ts";
import { checkTensor } from "../ops/_args.ts";

function sameShape(what: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new RangeError(
      `Cannot compute ${what}: shapes differ (prediction is ${formatShape(a.shape)}, target is ${
        formatShape(b.shape)
      })`,
    );
  }
}

/**
 * Mean squared error mean((pred − target)²).
 *
 * @param pred Predictions.
 * @param target Targets of the same shape.
 * @returns Scalar loss.
 * @throws {RangeError} When shapes differ.
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mseLoss, Tensor } from "../mod.ts";
 * await initGpu();
 * assert.equal(await mseLoss(Tensor.fromArray([1, 3]), Tensor.fromArray([1, 1])).item(), 2);
 * ```
 */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  checkTensor("compute MSE", "pred", pred);
  checkTensor("compute MSE", "target", target);
  sameShape("MSE", pred, target);
  return mean(square(sub(pred, target)));
}

/**
 * Smooth L1 loss (PyTorch's `smooth_l1_loss` with β = 1, i.e. the Huber loss with δ = 1): the mean of
 * d²/2 where |d| < 1 and |d| − 1/2 elsewhere, d = pred − target. Written as m·(|d| − m/2) with
 * m = min(|d|, 1), so its derivative (d clipped to [−1, 1]) comes from the differentiable ops.
 *
 * @param pred Predictions.
 * @param target Targets of the same shape.
 * @returns Scalar loss.
 * @throws {RangeError} When shapes differ.
 * @example Quadratic inside the unit band, linear outside
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { smoothL1Loss } from "./mod.ts";
 * await initGpu();
 * const loss = await smoothL1Loss(Tensor.fromArray([0.5, 3]), Tensor.fromArray([0, 0])).item();
 * assert.ok(Math.abs(loss - (0.125 + 2.5) / 2) < 1e-6);
 * ```
 */
export function smoothL1Loss(pred: Tensor, target: Tensor): Tensor {
  sameShape("smooth L1", pred, target);
  const a = abs(sub(pred, target));
  const m = sub(a, relu(sub(a, 1)));
  return mean(mul(m, sub(a, mul(m, 0.5))));
}

/**
 * Binary cross-entropy −mean(y log p + (1 − y) log(1 − p)) of probabilities p (clamped to [1e-7, 1 − 1e-7]).
 *
 * @param prob Predicted probabilities (e.g. a sigmoid output).
 * @param target Labels in {0, 1} (or soft labels), same shape.
 * @returns Scalar loss.
 * @throws {RangeError} When shapes differ.
 * @example A confident right answer costs little, a confident wrong one much
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, Tensor } from "../mod.ts";
 * import { bceLoss } from "./mod.ts";
 * await initGpu();
 * const loss = await bceLoss(Tensor.fromArray([0.9, 0.2]), Tensor.fromArray([1, 1])).item();
 * assert.ok(Math.abs(loss - -(Math.log(0.9) + Math.log(0.2)) / 2) < 1e-5);
 * ```
 */
export function bceLoss(prob: Tensor, target: Tensor): Tensor {
  checkTensor("compute BCE", "prob", prob);
  checkTensor("compute BCE", "target", target);
  sameShape("binary cross-entropy", prob, target);
  // Straight-through clamp: the correction is a non-recorded map, so d(clamped)/d(prob) = 1.
  const clamped = add(prob, mapInternal("compute BCE", [prob], "clamp(x0, 1e-7, 0.9999999) - x0"));
  const terms = add(mul(target, log(clamped)), mul(sub(1, target), log(sub(1, clamped))));
  return neg(mean(terms));
}

/**
 * Softmax cross-entropy −(1/batch) Σ_i Σ_k y_ik log softmax(z_i)_k, as one op with the fused gradient
 * ∂/∂z = (softmax(z) · Σ_k y_k − y) / batch (no gradient flows to the labels).
 *
 * @param logits [batch, classes].
 * @param labels Class indices (length batch) or one-hot/soft targets [batch, classes].
 * @returns Scalar loss.
 * @throws {RangeError} When the label count or shape does not match, or an index is out of range.
 * @example Uniform logits cost ln(classes)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, softmaxCrossEntropy, Tensor } from "../mod.ts";
 * await initGpu();
 * const loss = await softmaxCrossEntropy(Tensor.fromArray([0, 0, 0, 0], [1, 4]), [2]).item();
 * assert.ok(Math.abs(loss - Math.log(4)) < 1e-6);
 * ```
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor | ArrayLike<number>): Tensor {
  checkTensor("compute cross-entropy", "logits", logits);
  if (logits.rank !== 2) {
    throw new RangeError(`Cannot compute cross-entropy: logits must be 2-D (got ${formatShape(logits.shape)})`);
  }
  const [batch, classes] = logits.shape;
  if (!(labels instanceof Tensor) && typeof labels?.length !== "number") {
    throw new TypeError(
      `Cannot compute cross-entropy: labels must be a Tensor or class indices (got ${typeof labels})`,
    );
  }
  if (!(labels instanceof Tensor) && labels.length !== batch) {
    throw new RangeError(`Cannot compute cross-entropy: ${labels.length} labels for ${batch} rows of logits`);
  }
  const target = labels instanceof Tensor ? labels : oneHot(labels, classes);
  sameShape("cross-entropy", logits, target);
  const loss = noGrad(() => mul(sum(mul(target, logSoftmax(logits, 1))), -1 / batch));
  return Tensor.record(loss, "softmaxCrossEntropy", [logits], (g) => {
    const weight = sum(target, { axis: 1, keepDims: true });
    return [mul(sub(mul(softmax(logits, 1), weight), target), mul(g, 1 / batch))];
  });
}

/**
 * One-hot encodes class indices.
 *
 * @param labels Class indices.
 * @param classes Number of classes.
 * @returns [labels.length, classes] tensor.
 * @throws {RangeError} When an index is not an integer in [0, classes).
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Tensor {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(
        `Cannot one-hot encode labels: labels[${i}] is ${c} (expected an integer in [0, ${classes}))`,
      );
    }
    out[i * classes + c] = 1;
  }
  return Tensor.fromArray(out, [labels.length, classes]);
}
