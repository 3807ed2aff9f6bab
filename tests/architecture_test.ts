/**
 * Enforces the dependency direction kernels ← ops ← {linalg, model} ← {nn, analysis} ← experiments
 * (analysis may use linalg; nn reaches kernels only through ops), that check/ (the argument checks)
 * imports nothing and everything may import it, that plot/ and cli/ import nothing else internal, that only experiments/tests/bench call Deno.*, that mod.ts re-exports every public module,
 * that no folder's modules import each other in a cycle (type-only imports included), and the line
 * budget: no library file over 400 lines, no experiment file over 600, no function over 80.
 */
import assert from "node:assert";

const ROOT = new URL("../", import.meta.url);
/** The library's folders (published, browser-safe). */
const LIBRARY = ["check", "kernels", "ops", "linalg", "model", "nn", "analysis", "data", "plot", "cli"] as const;
const LAYERS = [...LIBRARY, "experiments", "tests", "bench"] as const;
/** Which internal folders each folder may import from. */
const ALLOWED: Record<string, string[]> = {
  check: ["check"],
  kernels: ["check", "kernels"],
  ops: ["check", "kernels", "ops"],
  linalg: ["check", "kernels", "ops", "linalg"],
  model: ["check", "ops", "model"],
  nn: ["check", "ops", "model", "cli", "nn"],
  analysis: ["check", "ops", "linalg", "model", "analysis"],
  data: ["check", "kernels", "data"],
  plot: ["check", "plot"],
  cli: ["check", "cli"],
  experiments: ["mod.ts", "experiments"],
};

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (e.isDirectory) out.push(...await sources(`${dir}/${e.name}`));
      else if (e.name.endsWith(".ts")) out.push(`${dir}/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

/** Repository-relative paths of the internal modules a file imports. */
function internalImports(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.filter((s) => s.startsWith(".")).map((s) =>
    new URL(s, new URL(file, ROOT)).pathname.slice(ROOT.pathname.length)
  );
}

/** The folder of a repository-relative path ("mod.ts" for the root entry point). */
const folderOf = (path: string): string => (path.includes("/") ? path.split("/")[0] : path);

/** Public entry points: the root mod.ts and the subpath exports of deno.json. */
async function entryPoints(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return Object.values(config.exports as Record<string, string>).map((p) => p.replace(/^\.\//, ""));
}

Deno.test("imports follow kernels ← ops ← {linalg, model} ← {nn, analysis} ← experiments", async () => {
  const entries = await entryPoints();
  const violations: string[] = [];
  for (const layer of LAYERS) {
    const allowed = ALLOWED[layer];
    if (!allowed) continue;
    for (const file of await sources(layer)) {
      const text = await Deno.readTextFile(new URL(file, ROOT));
      for (const target of internalImports(file, text)) {
        // Experiments use the library only through its public entry points.
        const ok = layer === "experiments"
          ? entries.includes(target) || folderOf(target) === "experiments"
          : allowed.includes(folderOf(target));
        if (!ok) violations.push(`${file} imports ${target}`);
      }
      if (!["experiments"].includes(layer) && /\bDeno\./.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))) {
        violations.push(`${file} calls Deno.* (only experiments, tests and bench may)`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("every public library file is re-exported by its folder's entry point, and deno.json exports each", async () => {
  const entries = await entryPoints();
  const missing: string[] = [];
  for (const layer of LIBRARY.filter((l) => !["check", "ops", "model"].includes(l))) {
    if (!entries.includes(`${layer}/mod.ts`)) missing.push(`deno.json exports no ./${layer}`);
    const mod = await Deno.readTextFile(new URL(`${layer}/mod.ts`, ROOT));
    const exported = new Set([...mod.matchAll(/export \* from "\.\/([^"]+)"/g)].map((m) => `${layer}/${m[1]}`));
    for (const file of await sources(layer)) {
      const name = file.split("/").at(-1)!;
      if (!name.startsWith("_") && name !== "mod.ts" && !exported.has(file)) missing.push(file);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("the root entry points are curated: browser.ts names everything browser-safe, mod.ts adds the MNIST loader; at most 240 names (every options and result type of an exported function included)", async () => {
  const mod = await Deno.readTextFile(new URL("mod.ts", ROOT));
  const browser = await Deno.readTextFile(new URL("browser.ts", ROOT));
  assert.deepEqual(
    mod.match(/export \*[^;]*;/g),
    ['export * from "./browser.ts";'],
    "mod.ts re-exports browser.ts only",
  );
  assert.ok(!/export \*/.test(browser), "no export * in browser.ts");
  assert.ok(!/mnist/i.test(browser.replace(/\/\*[\s\S]*?\*\//g, "")), "browser.ts leaves the MNIST loader out");
  const named = (text: string) =>
    [...text.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1].split(",")).map((n) => n.trim())
      .filter((n) => n);
  const names = [...named(browser), ...named(mod)];
  assert.ok(names.length <= 240, `${names.length} names`);
  assert.equal(new Set(names).size, names.length, "no name exported twice");
});

/**
 * Every import cycle among the modules of one folder, each as its path of files (first file repeated at
 * the end). Type-only imports count: a private helper never imports its public caller.
 */
function folderCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (folderOf(next) !== folderOf(file) || !graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

Deno.test("folderCycles finds a loop of two and of three files, and none in a chain", () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
  assert.deepEqual(folderCycles(graph({ "k/a.ts": ["k/b.ts"], "k/b.ts": ["k/a.ts"] })), [[
    "k/a.ts",
    "k/b.ts",
    "k/a.ts",
  ]]);
  assert.deepEqual(
    folderCycles(graph({ "k/a.ts": ["k/b.ts"], "k/b.ts": ["k/c.ts"], "k/c.ts": ["k/a.ts"] })),
    [["k/a.ts", "k/b.ts", "k/c.ts", "k/a.ts"]],
  );
  assert.deepEqual(folderCycles(graph({ "k/a.ts": ["k/b.ts"], "k/b.ts": ["k/c.ts"], "k/c.ts": [] })), []);
  // A loop through another folder is the layering test's business, not this one's.
  assert.deepEqual(folderCycles(graph({ "k/a.ts": ["o/b.ts"], "o/b.ts": ["k/a.ts"] })), []);
});

Deno.test("no folder's modules import each other in a cycle", async () => {
  const graph = new Map<string, string[]>();
  for (const layer of [...LIBRARY, "experiments"]) {
    for (const file of await sources(layer)) {
      graph.set(file, internalImports(file, await Deno.readTextFile(new URL(file, ROOT))));
    }
  }
  assert.deepEqual(folderCycles(graph).map((c) => c.join(" → ")), []);
});

Deno.test("only kernels/ touches navigator.gpu", async () => {
  const offenders: string[] = [];
  for (const layer of [...LIBRARY.filter((l) => l !== "kernels"), "experiments"]) {
    for (const file of await sources(layer)) {
      if ((await Deno.readTextFile(new URL(file, ROOT))).includes("navigator.gpu")) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, []);
});

/**
 * Start line and length of every function or method: from its declaration to the first later line that
 * is its indentation plus `}` (deno fmt aligns the closing brace with the declaration, and brace
 * counting would trip over the WGSL inside template strings).
 */
function functionLengths(text: string): { line: number; name: string; length: number }[] {
  const lines = text.split("\n");
  const out: { line: number; name: string; length: number }[] = [];
  const head =
    /^(\s*)(export\s+)?(async\s+)?function\s*\*?\s*(\w+)|^( {2})(static\s+)?(async\s+)?(get\s+|set\s+)?(#?\w+)\s*(<[^>]*>)?\(/;
  lines.forEach((line, i) => {
    const m = head.exec(line);
    if (!m || /^\s*(if|for|while|switch|return)\b/.test(line) || /;\s*$|=>/.test(line)) return;
    const close = (m[1] ?? m[5]) + "}";
    const end = lines.findIndex((l, j) => j > i && (l === close || l.startsWith(close + " ") || l === close + ";"));
    if (end > i) out.push({ line: i + 1, name: m[4] ?? m[9], length: end - i + 1 });
  });
  return out;
}

Deno.test("line budget: no library file over 400 lines, no experiment file over 600, no function over 80", async () => {
  const over: string[] = [];
  for (const layer of [...LIBRARY, "experiments"]) {
    const budget = layer === "experiments" ? 600 : 400;
    for (const file of await sources(layer)) {
      const text = await Deno.readTextFile(new URL(file, ROOT));
      const lines = text.split("\n").length;
      if (lines > budget) over.push(`${file}: ${lines} lines`);
      for (const f of functionLengths(text)) {
        if (f.length > 80) over.push(`${file}:${f.line} ${f.name}: ${f.length} lines`);
      }
    }
  }
  assert.deepEqual(over, []);
});
