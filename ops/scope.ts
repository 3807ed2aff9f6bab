/**
 * Scopes for tensors and for autodiff: {@linkcode tidy} frees what a function created and did not
 * return, {@linkcode keep} lets a tensor outlive its scopes, {@linkcode noGrad} runs work without
 * recording gradients.
 *
 * @module
 */
import { Tensor } from "./tensor.ts";
import { closeScope, openScope, release, type Scope, withoutRecording } from "./_scope.ts";
import { checkFunction, describe } from "../check/args.ts";

/**
 * Runs `fn` without recording autodiff nodes (for optimizer updates, evaluation, and backward passes
 * that need no higher derivatives): across the awaits of an `async` `fn` where AsyncLocalStorage exists.
 *
 * @param fn Work to run.
 * @returns What `fn` returns.
 * @example Operations inside record no gradient
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, mul, noGrad, Tensor } from "../mod.ts";
 * await initGpu();
 * const w = Tensor.fromArray([2]);
 * w.requiresGrad = true;
 * assert.equal(mul(w, 3).requiresGrad, true);
 * assert.equal(noGrad(() => mul(w, 3)).requiresGrad, false);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withoutRecording(checkFunction<() => T>("run without gradients", "fn", fn));
}

/** Values {@linkcode tidy} searches for tensors to keep. */
export type TensorContainer =
  | Tensor
  | void
  | null
  | undefined
  | number
  | string
  | boolean
  | TensorContainer[]
  | { [key: string]: TensorContainer };

function collect(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collect(v, into));
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach((v) => collect(v, into));
  }
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in arrays or plain objects
 * too), so loops keep GPU memory flat. Async functions are awaited. Concurrent `async` scopes free only their own
 * tensors with AsyncLocalStorage (Deno, Node); otherwise, and for a non-`async` `() => promise`, overlaps throw.
 *
 * @param fn Work that creates tensors.
 * @returns What `fn` returns.
 * @example Temporaries are freed
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "../kernels/init_gpu.ts";
 * import { Tensor } from "./tensor.ts";
 * import { tidy } from "./scope.ts";
 * await initGpu();
 * const before = Tensor.liveCount;
 * const kept = tidy(() => {
 *   Tensor.fromArray([1, 2]);
 *   return Tensor.fromArray([3]);
 * });
 * assert.equal(Tensor.liveCount, before + 1);
 * kept.dispose();
 * ```
 */
export function tidy<T extends TensorContainer | Promise<TensorContainer>>(fn: () => T): T {
  checkFunction("tidy", "fn", fn);
  const scope: Scope = new Set();
  const finish = (result: unknown) => {
    const kept = new Set<Tensor>();
    collect(result, kept);
    closeScope(scope, kept);
  };
  let result: T;
  try {
    result = openScope(scope, fn);
  } catch (e) {
    finish(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then((r) => {
      finish(r);
      return r;
    }, (e) => {
      finish(undefined);
      throw e;
    }) as T;
  }
  finish(result);
  return result;
}

/**
 * Excludes a tensor from the open {@linkcode tidy} scopes so it outlives them.
 *
 * @param t The tensor to keep.
 * @returns The same tensor.
 * @example A tensor made inside a scope, kept past its end
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, keep, Tensor, tidy } from "../mod.ts";
 * await initGpu();
 * let saved: Tensor | undefined;
 * tidy(() => {
 *   saved = keep(Tensor.fromArray([1, 2]));
 *   Tensor.fromArray([3]); // freed when the scope ends
 * });
 * assert.deepEqual([...await saved!.toArray()], [1, 2]);
 * saved!.dispose();
 * ```
 */
export function keep(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`Cannot keep: t must be a Tensor (got ${describe(t)})`);
  release(t);
  return t;
}
