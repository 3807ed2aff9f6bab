/**
 * Optimizers updating parameters in place with fused kernels: SGD with momentum, and Adam.
 *
 * @module
 */
import { updateInPlace } from "../ops/update_in_place.ts";
import { formatShape, type Tensor } from "../ops/tensor.ts";
import { keep } from "../ops/scope.ts";
import { full } from "../ops/elementwise.ts";
import { checkOptions } from "../check/args.ts";

/** Something that applies gradients to parameters. */
export interface Optimizer {
  /**
   * Updates each parameter in place from its gradient.
   *
   * @param params Parameters.
   * @param grads Gradients, same order and shapes.
   */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void;
}

function checkPairs(params: readonly Tensor[], grads: readonly Tensor[]): void {
  if (params.length !== grads.length) {
    throw new RangeError(`Cannot update: ${params.length} parameters but ${grads.length} gradients`);
  }
  params.forEach((p, i) => {
    if (p.shape.join() !== grads[i].shape.join()) {
      throw new RangeError(
        `Cannot update parameter ${i}: shapes differ (parameter is ${formatShape(p.shape)}, gradient is ${
          formatShape(grads[i].shape)
        })`,
      );
    }
  });
}

/** State tensors per parameter, created on first use and kept out of tidy scopes. */
class SlotStore {
  #slots = new Map<Tensor, Tensor[]>();
  get(p: Tensor, count: number): Tensor[] {
    let slots = this.#slots.get(p);
    if (!slots) this.#slots.set(p, slots = Array.from({ length: count }, () => keep(full(p.shape, 0))));
    return slots;
  }
}

/**
 * Checks an optimizer constant before it reaches a kernel (where NaN would silently poison every weight).
 *
 * @throws {RangeError} When `value` is not finite or outside [min, max).
 */
function checkConstant(optimizer: string, name: string, value: number, min: number, max = Infinity): number {
  if (!(Number.isFinite(value) && value >= min && value < max)) {
    const range = max === Infinity ? `a finite number >= ${min}` : `in [${min}, ${max})`;
    throw new RangeError(`Cannot use ${optimizer}: ${name} must be ${range} (got ${value})`);
  }
  return value;
}

/** Stochastic gradient descent with (heavy-ball) momentum and optional weight decay. */
export class Sgd implements Optimizer {
  /** Learning rate (may be changed between steps). */
  lr: number;
  /** Momentum coefficient (default 0). */
  readonly momentum: number;
  /** L2 weight decay added to the gradient (default 0). */
  readonly weightDecay: number;
  #slots = new SlotStore();

  /**
   * Creates the optimizer.
   *
   * @param options Learning rate, momentum, weight decay.
   */
  constructor(options: { lr: number; momentum?: number; weightDecay?: number }) {
    if (options === undefined) {
      throw new TypeError("Cannot build Sgd: options with the learning rate are required, e.g. { lr: 1e-3 }");
    }
    checkOptions("build Sgd", options, ["lr", "momentum", "weightDecay"]);
    this.lr = checkConstant("Sgd", "lr", options.lr, 0);
    this.momentum = checkConstant("Sgd", "momentum", options.momentum ?? 0, 0, 1);
    this.weightDecay = checkConstant("Sgd", "weightDecay", options.weightDecay ?? 0, 0);
  }

  /**
   * v ← μ v + g;  p ← p − lr · v.
   *
   * @param params Parameters.
   * @param grads Gradients.
   */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    checkPairs(params, grads);
    checkConstant("Sgd", "lr", this.lr, 0); // lr may have been changed since construction
    params.forEach((p, i) => {
      const [velocity] = this.#slots.get(p, 1);
      updateInPlace("sgd", { param: p, grad: grads[i], state: [velocity] }, [this.lr, this.momentum, this.weightDecay]);
    });
  }
}

/** Adam (Kingma & Ba) with bias correction and optional L2 weight decay. */
export class Adam implements Optimizer {
  /** Learning rate (may be changed between steps). */
  lr: number;
  /** First-moment decay (default 0.9). */
  readonly beta1: number;
  /** Second-moment decay (default 0.999). */
  readonly beta2: number;
  /** Denominator offset (default 1e-8). */
  readonly eps: number;
  /** L2 weight decay added to the gradient (default 0). */
  readonly weightDecay: number;
  #t = 0;
  #slots = new SlotStore();

  /**
   * Creates the optimizer.
   *
   * @param options Learning rate and Adam constants.
   */
  constructor(options: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }) {
    if (options === undefined) {
      throw new TypeError("Cannot build Adam: options with the learning rate are required, e.g. { lr: 1e-3 }");
    }
    checkOptions("build Adam", options, ["lr", "beta1", "beta2", "eps", "weightDecay"]);
    this.lr = checkConstant("Adam", "lr", options.lr, 0);
    this.beta1 = checkConstant("Adam", "beta1", options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkConstant("Adam", "beta2", options.beta2 ?? 0.999, 0, 1);
    this.eps = checkConstant("Adam", "eps", options.eps ?? 1e-8, 0);
    this.weightDecay = checkConstant("Adam", "weightDecay", options.weightDecay ?? 0, 0);
  }

  /** Steps taken. */
  get steps(): number {
    return this.#t;
  }

  /**
   * m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − lr · m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
   *
   * @param params Parameters.
   * @param grads Gradients.
   */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    checkPairs(params, grads);
    checkConstant("Adam", "lr", this.lr, 0); // lr may have been changed since construction
    this.#t++;
    params.forEach((p, i) => {
      const [m, v] = this.#slots.get(p, 2);
      updateInPlace("adam", { param: p, grad: grads[i], state: [m, v] }, [
        this.lr,
        this.beta1,
        this.beta2,
        this.eps,
        this.weightDecay,
        1 - this.beta1 ** this.#t,
        1 - this.beta2 ** this.#t,
      ]);
    });
  }
}
