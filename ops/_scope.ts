/**
 * The state of {@linkcode tidy} scopes and {@linkcode noGrad} regions, kept on a context object instead
 * of module globals. Where the runtime offers AsyncLocalStorage (Deno, Node), each async branch carries
 * its own context across `await`s, so two async `tidy` scopes running at once each free only their own
 * tensors. Elsewhere (a browser) one shared context is used, and an async scope that finishes while a
 * later-opened scope is still open (an overlap) throws instead of freeing the wrong tensors.
 *
 * Only `async` functions get a context of their own. A synchronous region cannot interleave with other
 * code, so it extends the current context in place for its duration: Deno's AsyncLocalStorage `run`
 * leaves garbage that the scavenger promotes to old space (a training step's `tidy` and `grad` grew the
 * heap by about 400 bytes a step until V8's first full collection, some 130,000 steps in). A function
 * that is not `async` but returns a promise keeps its scope on the current context until the promise
 * settles, under the browser's rule (an overlap throws).
 *
 * @module
 */

/** Anything a scope can free. */
export interface ScopeMember {
  dispose(): void;
}

/** The tensors created in one open scope. */
export type Scope = Set<ScopeMember>;

interface Context {
  readonly scopes: Scope[];
  recording: number;
}

interface AsyncStorage {
  getStore(): Context | undefined;
  run<R>(store: Context, fn: () => R): R;
}

const ROOT: Context = { scopes: [], recording: 0 };

/**
 * AsyncLocalStorage where available (Deno, Node: they report a Node version); the specifier is computed so
 * browser bundlers leave it alone, and browsers never try the import (it would log a console error).
 */
async function loadAsyncStorage(): Promise<AsyncStorage | null> {
  const runtime = globalThis as { process?: { versions?: { node?: string } } };
  if (typeof runtime.process?.versions?.node !== "string") return null;
  try {
    const specifier = ["node", "async_hooks"].join(":");
    const { AsyncLocalStorage } = await import(specifier);
    return new AsyncLocalStorage() as AsyncStorage;
  } catch {
    return null;
  }
}

const storage: AsyncStorage | null = await loadAsyncStorage();
/** The one shared context when there is no AsyncLocalStorage. */
const shared = { scopes: [] as Scope[], recording: 0 };
/** The scope each member currently belongs to. */
const owner = new WeakMap<ScopeMember, Scope>();
const AsyncFunction = (async () => {}).constructor;
/** Whether `fn` needs a context of its own: an `async` function, where contexts are isolated. */
const isolates = (fn: unknown) => storage !== null && fn instanceof AsyncFunction;

function current(): Context {
  return storage ? storage.getStore() ?? ROOT : shared;
}

/** Whether concurrent async scopes are isolated (AsyncLocalStorage is available). */
export const ASYNC_SCOPES_ISOLATED: boolean = storage !== null;

/** Whether autodiff records ops here (false inside {@linkcode noGrad}). */
export function isRecording(): boolean {
  return current().recording === 0;
}

/** Adds a new member to the innermost open scope of the current context. */
export function register(member: ScopeMember): void {
  const scope = current().scopes.at(-1);
  if (scope) {
    scope.add(member);
    owner.set(member, scope);
  }
}

/** Takes a member out of its scope (on dispose, or when kept). */
export function release(member: ScopeMember): void {
  owner.get(member)?.delete(member);
  owner.delete(member);
}

/**
 * Runs `fn` with recording off: across its awaits for an `async` function where contexts are isolated,
 * else for its synchronous part.
 */
export function withoutRecording<T>(fn: () => T): T {
  const ctx = current();
  if (isolates(fn)) return storage!.run({ scopes: ctx.scopes, recording: ctx.recording + 1 }, fn);
  ctx.recording++;
  try {
    return fn();
  } finally {
    ctx.recording--;
  }
}

/** Runs `fn` with `scope` as the innermost open scope; {@linkcode closeScope} ends it. */
export function openScope<T>(scope: Scope, fn: () => T): T {
  const ctx = current();
  if (isolates(fn)) return storage!.run({ scopes: [...ctx.scopes, scope], recording: ctx.recording }, fn);
  ctx.scopes.push(scope);
  return fn();
}

/**
 * Ends a scope: disposes its members except `kept`, which move to the enclosing scope (the one the
 * caller of `tidy` sees).
 *
 * @throws {Error} Without AsyncLocalStorage, when the scope is not the innermost open one (two async
 *   scopes overlapped), after freeing it.
 */
export function closeScope(scope: Scope, kept: ReadonlySet<ScopeMember>): void {
  // A scope opened in place is on the stack of the context its caller sees (where `tidy` closes it, at
  // once or when its promise settles); one with a context of its own is not.
  const stack = current().scopes;
  const at = stack.indexOf(scope);
  const overlapped = at >= 0 && at !== stack.length - 1;
  if (at >= 0) stack.splice(at, 1);
  const parent = current().scopes.at(-1);
  for (const member of [...scope]) {
    owner.delete(member);
    if (!kept.has(member)) member.dispose();
    else if (parent) {
      parent.add(member);
      owner.set(member, parent);
    }
  }
  scope.clear();
  if (overlapped) {
    throw new Error(
      "Two async tidy scopes overlapped: scopes of functions that return a promise without being declared " +
        "`async`, and every async scope without AsyncLocalStorage (e.g. in a browser), must not run concurrently; " +
        "await one before starting the next",
    );
  }
}

/**
 * Runs the synchronous `fn` in a scope of its own that no enclosing scope closes: what `fn` creates lives
 * until `release()` (for graphs kept across calls, e.g. a gradient kept for repeated second derivatives).
 */
export function retainScope<T>(fn: () => T): { value: T; release: () => void } {
  const scope: Scope = new Set();
  const ctx = current();
  ctx.scopes.push(scope);
  try {
    return { value: fn(), release: () => closeScope(scope, new Set()) };
  } catch (e) {
    detach(ctx, scope);
    closeScope(scope, new Set());
    throw e;
  } finally {
    detach(ctx, scope);
  }
}

function detach(ctx: Context, scope: Scope): void {
  const at = ctx.scopes.indexOf(scope);
  if (at >= 0) ctx.scopes.splice(at, 1);
}
