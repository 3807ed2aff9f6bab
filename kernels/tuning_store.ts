/**
 * Where tuned choices live: the store interface (in memory by default; a Deno program can pass one backed
 * by a file), the store keys (adapter identity and tuning version), and a runtime's table of variant
 * choices keyed by `{ family, shapeClass }`. A leaf module: the runtime holds these, the tuner fills them.
 *
 * @module
 */

/**
 * Bump when variants, shape classes or the stored shape change: stored choices of another version are
 * ignored. Version 5 stores one record per family (`shapeClass → variant`) and one per
 * {@linkcode tuningKey named choice}, instead of one record of `family:class` strings.
 */
export const TUNING_VERSION = 5;

/**
 * Where the tuner keeps its choices: one record of strings per key. A kernel family's record maps its
 * shape classes to variant names; a named choice's record holds its JSON under `value`.
 */
export interface TuningStore {
  /** The record stored under `key`, or null. */
  read(key: string): Promise<Record<string, string> | null>;
  /** Stores a record under `key`. */
  write(key: string, choices: Record<string, string>): Promise<void>;
}

/**
 * A store that lives as long as the process (or page).
 *
 * @returns An empty store.
 * @example Write and read back
 * ```ts
 * import assert from "node:assert";
 * import { memoryTuningStore } from "./tuning_store.ts";
 * const store = memoryTuningStore();
 * await store.write("k", { small: "register" });
 * assert.deepEqual(await store.read("k"), { small: "register" });
 * ```
 */
export function memoryTuningStore(): TuningStore {
  const records = new Map<string, Record<string, string>>();
  return {
    read: (key) => Promise.resolve(records.get(key) ?? null),
    write: (key, choices) => {
      records.set(key, { ...choices });
      return Promise.resolve();
    },
  };
}

/** How {@linkcode initGpu} tunes: "auto" (default) times the variants once per adapter and store; "off" keeps the defaults. */
export interface TuningOptions {
  /** "auto" or "off" (reproducible timing: every family uses its default variant). */
  tuning?: "auto" | "off";
  /** Where choices persist (default: in memory, for this process). */
  store?: TuningStore;
}

/**
 * The store key of one record (a kernel family's choices, or a named choice) of an adapter at this
 * tuning version. Keys are only ever built, never parsed.
 *
 * @param rt Anything with the adapter's identity (a runtime).
 * @param record The family's name, or `choice <name>` for a named choice.
 * @returns The key.
 * @example Keys differ by adapter and by record
 * ```ts
 * import assert from "node:assert";
 * import { tuningKey, TUNING_VERSION } from "./tuning_store.ts";
 * const key = tuningKey({ adapterIdentity: "vendor|arch|device|GPU" }, "matmul");
 * assert.equal(key, `vendor|arch|device|GPU | rankscope tuning v${TUNING_VERSION} | matmul`);
 * assert.notEqual(tuningKey({ adapterIdentity: "other" }, "matmul"), key);
 * ```
 */
export function tuningKey(rt: { readonly adapterIdentity: string }, record: string): string {
  return `${rt.adapterIdentity} | rankscope tuning v${TUNING_VERSION} | ${record}`;
}

/** Which tuned choice: a kernel family and one of its shape classes. */
export interface TuningKey {
  /** Family name ("matmul", "gram", "jacobi", "reduce", "softmax"). */
  readonly family: string;
  /** One of the family's shape classes ("small", "long", ...). */
  readonly shapeClass: string;
}

/** A tuned choice: its key and the variant chosen. */
export interface TunedVariant extends TuningKey {
  /** The variant's name. */
  readonly variant: string;
}

/**
 * A runtime's tuned variants, `{ family, shapeClass } → variant`; empty means every family's default.
 * Only {@linkcode chooseVariant} reads it (checking the name against the family and the call).
 */
export class TunedVariants {
  #families = new Map<string, Map<string, string>>();

  /**
   * The variant chosen for a shape class, if any.
   *
   * @param key Family and shape class.
   * @returns The variant's name, or undefined.
   */
  get(key: TuningKey): string | undefined {
    const { family, shapeClass } = key;
    return this.#families.get(family)?.get(shapeClass);
  }

  /**
   * Chooses a variant for a shape class.
   *
   * @param key Family and shape class.
   * @param variant The variant's name.
   */
  set(key: TuningKey, variant: string): void {
    const { family, shapeClass } = key;
    let classes = this.#families.get(family);
    if (!classes) this.#families.set(family, classes = new Map());
    classes.set(shapeClass, variant);
  }

  /**
   * Forgets one choice (the family's default applies again).
   *
   * @param key Family and shape class.
   * @returns Whether there was a choice.
   */
  delete(key: TuningKey): boolean {
    const { family, shapeClass } = key;
    return this.#families.get(family)?.delete(shapeClass) ?? false;
  }

  /** Forgets every choice. */
  clear(): void {
    this.#families.clear();
  }

  /**
   * Every choice.
   *
   * @returns The choices, family by family.
   */
  entries(): TunedVariant[] {
    return [...this.#families].flatMap(([family, classes]) =>
      [...classes].map(([shapeClass, variant]) => ({ family, shapeClass, variant }))
    );
  }

  /**
   * The choices as `family → shapeClass → variant` (what `JSON.stringify` prints).
   *
   * @returns A fresh record.
   */
  toJSON(): Record<string, Record<string, string>> {
    return Object.fromEntries([...this.#families].map(([family, classes]) => [family, Object.fromEntries(classes)]));
  }
}
