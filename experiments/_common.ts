/**
 * Helpers shared by the experiment scripts: atomic output files, a stderr progress writer, list flags
 * and plain-text tables. (Experiments import the library only through ../mod.ts.)
 *
 * @module
 */
import { Table } from "../plot/mod.ts";
import { initGpu, type Runtime, type TuningOptions } from "../mod.ts";

const encoder = new TextEncoder();

/** Writes text to stderr without a newline (for the progress bar). */
export function stderrWriter(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * Writes a file atomically: to a temporary name in the same folder, then rename, so a crash never leaves
 * a half-written result.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** Writes JSON atomically (pretty-printed). */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeAtomic(path, JSON.stringify(value, null, 1) + "\n");
}

let collected: Table[] | null = null;

/** Formats rows as an aligned plain-text table, one number format per column (see plot's `Table`). */
export function table(header: string[], rows: (string | number)[][]): string {
  const t = new Table(header, rows);
  collected?.push(t);
  return t.toString();
}

/** Runs `fn` and returns what it returns with every table it formatted (for a notebook's HTML tables). */
export function collectTables<T>(fn: () => T): { value: T; tables: Table[] } {
  const outer = collected;
  collected = [];
  try {
    const value = fn();
    return { value, tables: collected };
  } finally {
    collected = outer;
  }
}

/** Trapezoid area under y(x). */
export function trapezoidArea(x: number[], y: number[]): number {
  let a = 0;
  for (let i = 0; i + 1 < x.length; i++) a += ((x[i + 1] - x[i]) * (y[i] + y[i + 1])) / 2;
  return a;
}

/** How a flag's text is parsed and checked. */
export type FlagSpec =
  & { default: string; help: string }
  & (
    | { kind: "count"; min?: number }
    | { kind: "number"; min: number; max: number }
    | { kind: "list" }
    | { kind: "counts"; min?: number }
    | { kind: "choices"; choices: readonly string[] }
    | { kind: "choice"; choices: readonly string[] }
  );

/** The parsed value of a flag of spec S. */
export type FlagValue<S extends FlagSpec> = S extends { kind: "count" | "number" } ? number
  : S extends { kind: "list" | "counts" } ? number[]
  : S extends { kind: "choice"; choices: readonly (infer T)[] } ? T
  : string[];

/** A mistake in a command line: reported with the usage line and exit code 2, never a stack trace. */
export class UsageError extends Error {
  /**
   * @param message What is wrong, naming the flag and the value.
   * @param usage The usage line to print after it.
   */
  constructor(message: string, readonly usage = "") {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses and checks one flag's text; a bad value throws {@linkcode UsageError}. */
export function parseFlag(
  name: string,
  text: string,
  spec: FlagSpec,
  usage = "",
): number | number[] | string | string[] {
  const fail = (what: string) => {
    throw new UsageError(`--${name} expects ${what} (got "${text}")`, usage);
  };
  const items = text.split(",").map((t) => t.trim());
  switch (spec.kind) {
    case "count": {
      const min = spec.min ?? 0, v = Number(text);
      if (text.trim() === "" || !Number.isInteger(v) || v < min) fail(`an integer >= ${min}`);
      return v;
    }
    case "number": {
      const v = Number(text);
      if (text.trim() === "" || !(v > spec.min && v < spec.max)) fail(`a number in (${spec.min}, ${spec.max})`);
      return v;
    }
    case "list": {
      const v = items.map(Number);
      if (v.some((x, i) => items[i] === "" || !(Number.isFinite(x) && x > 0))) {
        fail("a comma-separated list of positive numbers");
      }
      return v;
    }
    case "counts": {
      const min = spec.min ?? 0, v = items.map(Number);
      if (v.some((x, i) => items[i] === "" || !(Number.isInteger(x) && x >= min))) {
        fail(`a comma-separated list of integers >= ${min}`);
      }
      return v;
    }
    case "choice":
      if (!spec.choices.includes(text)) fail(`one of ${spec.choices.join(", ")}`);
      return text;
    case "choices":
      if (items.some((t) => !spec.choices.includes(t))) fail(`a comma-separated subset of ${spec.choices.join(",")}`);
      return items;
  }
}

/**
 * Removes what an earlier run wrote into `out`: its results.json, records.json, figures.json and the SVG
 * of every figure that figures.json names. Nothing else in the folder is touched (a user's own files stay).
 */
function removeEarlierRun(out: string): void {
  const remove = (name: string) => Deno.removeSync(`${out}/${name}`);
  let figures: string[] = [];
  try {
    figures = Object.keys(JSON.parse(Deno.readTextFileSync(`${out}/figures.json`)));
    remove("figures.json");
  } catch (e) {
    // No earlier run, or not one of ours: leave the folder as it is.
    if (!(e instanceof Deno.errors.NotFound || e instanceof SyntaxError)) throw e;
  }
  for (const name of figures) {
    if (/^[\w-]+$/.test(name)) {
      try {
        remove(`${name}.svg`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  for (const name of ["results.json", "records.json"]) {
    try {
      remove(name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}

/** Whether an experiment's sweep takes a list of seeds (`--seeds`) and no single `--seed`. */
export function takesSeedList(specs: Record<string, FlagSpec>): boolean {
  return !("seed" in specs) && "seeds" in specs;
}

/** The usage line of an experiment with these flags. */
export function usageText(script: string, specs: Record<string, FlagSpec>): string {
  return `usage: deno run -A experiments/${script}.ts ${
    Object.entries(specs).map(([name, spec]) => `[--${name} ${spec.default}]`).join(" ")
  } [--out out/${script}] [--quick | --reproduce${
    takesSeedList(specs) ? " [--seed N]" : ""
  }] [--differences] [--shard i/n] [--help]`;
}

/**
 * Makes the output folder, checks that it is writable and removes what an earlier run wrote there
 * (results.json, figures.json, *.svg), so a folder never mixes two runs' files.
 *
 * @throws {UsageError} When the folder cannot be written.
 */
export function prepareOut(out: string, usage: string): void {
  try {
    Deno.mkdirSync(out, { recursive: true });
    const probe = `${out}/.write-test-${Deno.pid}`;
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
    removeEarlierRun(out);
  } catch (e) {
    throw new UsageError(`cannot write to --out ${out}: ${(e as Error).message}`, usage);
  }
}

/**
 * The kernel tuner's settings for Deno programs: choices persist in `$XDG_CACHE_HOME/rankscope/tuning.json`
 * (or `~/.cache/rankscope/tuning.json`; delete it to re-tune), and `RANKSCOPE_TUNING=off` keeps every
 * default variant for reproducible timing. Without a writable home the choices stay in memory.
 */
export function denoTuning(): TuningOptions {
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env
    }
  };
  if (env("RANKSCOPE_TUNING") === "off") return { tuning: "off" };
  const home = env("XDG_CACHE_HOME") ?? (env("HOME") ? `${env("HOME")}/.cache` : null);
  if (!home) return {};
  const dir = `${home}/rankscope`, path = `${dir}/tuning.json`;
  const readAll = async (): Promise<Record<string, Record<string, string>>> => {
    try {
      return JSON.parse(await Deno.readTextFile(path));
    } catch {
      return {};
    }
  };
  return {
    store: {
      read: async (key) => (await readAll())[key] ?? null,
      write: async (key, choices) => {
        try {
          const all = await readAll();
          all[key] = choices;
          await Deno.mkdir(dir, { recursive: true });
          const tmp = `${path}.${Deno.pid}.tmp`;
          await Deno.writeTextFile(tmp, JSON.stringify(all, null, 2) + "\n");
          await Deno.rename(tmp, path);
        } catch {
          // A read-only home: the choices stay in memory.
        }
      },
    },
  };
}

/**
 * Gives Mesa a private runtime directory when `XDG_RUNTIME_DIR` is unset, so that its "XDG_RUNTIME_DIR is
 * invalid or not set" warning (printed on every adapter request, where it reads as a failure) never
 * reaches a user of rankscope's own programs. Call it before the first adapter request; child processes
 * inherit the directory. Without --allow-env or --allow-write it does nothing.
 */
export function quietMesa(): void {
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const dir = Deno.makeTempDirSync({ prefix: "rankscope-xdg-" }); // mode 0700, as Mesa requires
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
  } catch {
    // no permission: Mesa warns, nothing else changes
  }
}

/** The GPU runtime of a Deno program: Mesa kept quiet ({@linkcode quietMesa}) and the tuner's file store. */
export function denoGpu(): Promise<Runtime> {
  quietMesa();
  return initGpu(denoTuning());
}
