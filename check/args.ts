/**
 * The argument checks every public function uses, so that a usage error is refused before any work with
 * a message in one style: `Cannot <context>: <argument> <what is wrong> (got <value>)`. `context` is the
 * text after "Cannot " in the caller's messages, e.g. `"compute von Neumann entropy"`.
 *
 * This folder imports nothing, so every library folder (plot/ and cli/ included) may use it.
 *
 * @module
 */

/** Formats a value for an error message: numbers as typed, strings quoted, arrays and objects short. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    return value.length <= 6 ? `[${value.map(describe).join(", ")}]` : `an array of ${value.length}`;
  }
  if (typeof value === "function") return "a function";
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** Levenshtein distance (small strings only). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** The known name closest to `name` (case-insensitive edit distance), for a "did you mean" hint. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * Checks an options argument: `undefined` stands for `{}`; anything else must be a plain object whose
 * every own key is one of `known`, with a value that is not null (`undefined` means the default). A
 * misspelt key would otherwise be ignored and change a result silently.
 *
 * @param context What the caller was doing, after "Cannot " (e.g. `"compute von Neumann entropy"`).
 * @param options The caller's options argument.
 * @param known Every key the caller reads.
 * @param name How messages name the object (default `"options"`; e.g. `"options.earlyStopping"`).
 * @returns The options (`{}` for `undefined`).
 * @throws {TypeError} When options is not an object, has a key not in `known` (the message names the key,
 *   the known keys and the nearest one), or a null value.
 */
export function checkOptions<T extends object>(
  context: string,
  options: T | undefined,
  known: readonly string[],
  name = "options",
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`Cannot ${context}: ${name} must be an object (got ${describe(options)})`);
  }
  const where = name === "options" ? "" : ` in ${name}`;
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) {
      const list = known.length ? `known: ${known.join(", ")}` : "it takes none";
      const hint = known.length ? `; did you mean "${nearest(key, known)}"?` : "";
      throw new TypeError(`Cannot ${context}: unknown option "${key}"${where} (${list}${hint})`);
    }
    if (value === null) {
      throw new TypeError(`Cannot ${context}: ${name}.${key} is null (leave the key out for its default)`);
    }
  }
  return options;
}

/** Range constraints for {@linkcode checkNumber}. */
export interface NumberRule {
  /** Must be an integer. */
  integer?: boolean;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Smallest allowed value, exclusive (e.g. 0 for "positive"). */
  above?: number;
  /** Largest allowed value, exclusive. */
  below?: number;
  /** Infinity is allowed (NaN never is). */
  infinite?: boolean;
}

function ruleText(rule: NumberRule): string {
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`>= ${rule.min}`);
  if (rule.above !== undefined) bounds.push(`> ${rule.above}`);
  if (rule.max !== undefined) bounds.push(`<= ${rule.max}`);
  if (rule.below !== undefined) bounds.push(`< ${rule.below}`);
  const kind = rule.integer ? "an integer" : rule.infinite ? "a number" : "a finite number";
  return [kind, bounds.join(" and ")].filter((t) => t).join(" ");
}

/**
 * Checks a numeric argument against a rule; integers must also be safe integers.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name as the user wrote it (e.g. `"options.floor"`).
 * @param value The value.
 * @param rule Integer, bounds, whether Infinity is allowed.
 * @returns The value, typed as a number.
 * @throws {TypeError} When the value is not a number; {RangeError} when it breaks the rule.
 */
export function checkNumber(context: string, name: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${context}: ${name} must be ${ruleText(rule)} (got ${describe(value)})`);
  }
  const bad = Number.isNaN(value) || (!rule.infinite && !Number.isFinite(value)) ||
    (rule.integer && !Number.isSafeInteger(value)) || (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max) || (rule.above !== undefined && !(value > rule.above)) ||
    (rule.below !== undefined && !(value < rule.below));
  if (bad) throw new RangeError(`Cannot ${context}: ${name} must be ${ruleText(rule)} (got ${describe(value)})`);
  return value;
}

/**
 * Checks that a value is one of a fixed set (compared with `===`, so `"toString"` is never a member).
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @param choices The allowed values.
 * @returns The value, typed as one of the choices.
 * @throws {RangeError} When the value is not one of the choices (the message lists them).
 */
export function checkChoice<C extends string | boolean | number>(
  context: string,
  name: string,
  value: unknown,
  choices: readonly C[],
): C {
  if (!choices.includes(value as C)) {
    const hint = typeof value === "string" && choices.every((c) => typeof c === "string")
      ? `; did you mean ${describe(nearest(value, choices as readonly string[]))}?`
      : "";
    throw new RangeError(
      `Cannot ${context}: ${name} must be one of ${choices.map(describe).join(", ")} (got ${describe(value)}${hint})`,
    );
  }
  return value as C;
}

/** The largest finite float32, 2^128 − 2^104. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Checks that a finite number survives conversion to float32 (|v| ≤ FLOAT32_MAX; ±Infinity and NaN are
 * left to the caller's rule), for values that will be written into GPU buffers or kernels.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns The value.
 * @throws {RangeError} When a finite value overflows float32.
 */
export function checkFloat32(context: string, name: string, value: number): number {
  if (Number.isFinite(value) && Math.abs(value) > FLOAT32_MAX) {
    throw new RangeError(
      `Cannot ${context}: ${name} is ${value}, which float32 cannot hold (largest finite float32 is ${FLOAT32_MAX})`,
    );
  }
  return value;
}

/**
 * The values of an array as float32, refusing what float32 would silently change: a value that is not a
 * number (a string would become NaN) and a finite value beyond float32's range (it would become ±Infinity).
 * A Float32Array on an ArrayBuffer is returned as it is.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param data The values.
 * @returns The values as a Float32Array.
 * @throws {TypeError} When data is not array-like or holds a non-number; {RangeError} when a finite value
 *   overflows float32.
 */
export function float32Data(context: string, data: unknown): Float32Array<ArrayBuffer> {
  if (data instanceof Float32Array && data.buffer instanceof ArrayBuffer) return data as Float32Array<ArrayBuffer>;
  const values = checkArrayLike(context, "data", data);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw new TypeError(`Cannot ${context}: value ${i} is ${describe(v)}, not a number`);
    if (Math.abs(v) > FLOAT32_MAX && Number.isFinite(v)) checkFloat32(context, `value ${i}`, v);
  }
  return Float32Array.from(values as ArrayLike<number>);
}

/**
 * Checks that a value is array-like (an array or typed array: it has a numeric length); the caller checks
 * the elements.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns The value, typed as array-like.
 * @throws {TypeError} When it is not array-like.
 */
export function checkArrayLike(context: string, name: string, value: unknown): ArrayLike<unknown> {
  if (typeof value !== "object" || value === null || typeof (value as ArrayLike<unknown>).length !== "number") {
    throw new TypeError(`Cannot ${context}: ${name} must be an array of numbers (got ${describe(value)})`);
  }
  return value as ArrayLike<unknown>;
}

/**
 * Checks that a value is a function.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns The function.
 * @throws {TypeError} When it is not one.
 */
// deno-lint-ignore ban-types
export function checkFunction<F extends Function>(context: string, name: string, value: unknown): F {
  if (typeof value !== "function") {
    throw new TypeError(`Cannot ${context}: ${name} must be a function (got ${describe(value)})`);
  }
  return value as F;
}

/**
 * Checks that a value is a boolean.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param name The argument's name.
 * @param value The value.
 * @returns The value.
 * @throws {TypeError} When it is not `true` or `false`.
 */
export function checkBoolean(context: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`Cannot ${context}: ${name} must be true or false (got ${describe(value)})`);
  }
  return value;
}
