/**
 * One more tuned choice in the kernels' store, for code outside kernels/ (e.g. linalg's eigensolver cost
 * model): measured once per adapter identity, tuning version and store, then read back.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { tuningKey } from "./tuning_store.ts";

/** Measurements in flight, per runtime and name: concurrent callers share one. */
const pending = new WeakMap<Runtime, Map<string, Promise<unknown>>>();

/**
 * The value of a named tuned choice on this runtime's adapter: the one in the runtime's tuning store
 * (`rt.tuningStore`, the store {@linkcode initGpu} was given; in memory by default) for this adapter
 * identity and tuning version, or else `measure()`'s, stored as JSON and returned. Concurrent callers
 * share one measurement; a failed measurement is not stored (the next call measures again).
 *
 * @typeParam T A JSON-serialisable value (numbers round-trip exactly).
 * @param rt Runtime (its adapter identity and store).
 * @param name The choice's name, unique among callers (e.g. "linalg spectrum costs").
 * @param measure Measures the value on this runtime.
 * @returns The stored or measured value.
 * @throws {Error} What `measure` throws.
 * @example Measured once, then read
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { tunedChoice } from "./tuned_choice.ts";
 * const rt = await initGpu();
 * let runs = 0;
 * const measure = () => Promise.resolve({ fixed: 0.5, runs: ++runs });
 * assert.deepEqual(await tunedChoice(rt, "doc example", measure), { fixed: 0.5, runs: 1 });
 * assert.deepEqual(await tunedChoice(rt, "doc example", measure), { fixed: 0.5, runs: 1 });
 * ```
 */
export function tunedChoice<T>(rt: Runtime, name: string, measure: () => Promise<T>): Promise<T> {
  let byName = pending.get(rt);
  if (!byName) pending.set(rt, byName = new Map());
  const known = byName.get(name);
  if (known) return known as Promise<T>;
  const store = rt.tuningStore, key = tuningKey(rt, `choice ${name}`);
  const value = (async () => {
    const record = await store.read(key);
    if (record?.value !== undefined) {
      try {
        return JSON.parse(record.value) as T;
      } catch {
        // A damaged record: measure again (and overwrite it).
      }
    }
    const measured = await measure();
    await store.write(key, { value: JSON.stringify(measured) });
    return measured;
  })();
  byName.set(name, value);
  value.catch(() => byName.delete(name));
  return value;
}
