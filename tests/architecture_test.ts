/**
 * Enforces the dependency direction kernels ← ops ← {nn, analysis} ← experiments, that plot/ imports
 * nothing internal, that only experiments/tests/bench call Deno.*, and that mod.ts re-exports every
 * public module.
 */
import assert from "node:assert";

const ROOT = new URL("../", import.meta.url);
const LAYERS = ["kernels", "ops", "nn", "analysis", "data", "plot", "experiments", "tests", "bench"] as const;
/** Which internal folders each folder may import from. */
const ALLOWED: Record<string, string[]> = {
  kernels: ["kernels"],
  ops: ["kernels", "ops"],
  nn: ["kernels", "ops", "nn"],
  analysis: ["kernels", "ops", "analysis"],
  data: ["kernels", "ops", "data"],
  plot: ["plot"],
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

function internalImports(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.filter((s) => s.startsWith(".")).map((s) => {
    const resolved = new URL(s, new URL(file, ROOT)).pathname.slice(ROOT.pathname.length);
    return resolved.includes("/") ? resolved.split("/")[0] : resolved;
  });
}

Deno.test("imports follow kernels ← ops ← {nn, analysis} ← experiments", async () => {
  const violations: string[] = [];
  for (const layer of LAYERS) {
    const allowed = ALLOWED[layer];
    if (!allowed) continue;
    for (const file of await sources(layer)) {
      const text = await Deno.readTextFile(new URL(file, ROOT));
      for (const target of internalImports(file, text)) {
        if (!allowed.includes(target)) violations.push(`${file} imports ${target}`);
      }
      if (!["experiments"].includes(layer) && /\bDeno\./.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))) {
        violations.push(`${file} calls Deno.* (only experiments, tests and bench may)`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("mod.ts re-exports every public library module", async () => {
  const mod = await Deno.readTextFile(new URL("mod.ts", ROOT));
  const exported = new Set([...mod.matchAll(/export \* from "\.\/([^"]+)"/g)].map((m) => m[1]));
  const missing: string[] = [];
  for (const layer of ["kernels", "ops", "nn", "analysis", "data", "plot"]) {
    for (const file of await sources(layer)) {
      const name = file.split("/").at(-1)!;
      if (!name.startsWith("_") && !exported.has(file)) missing.push(file);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("only kernels/ touches navigator.gpu", async () => {
  const offenders: string[] = [];
  for (const layer of ["ops", "nn", "analysis", "data", "plot", "experiments"]) {
    for (const file of await sources(layer)) {
      if ((await Deno.readTextFile(new URL(file, ROOT))).includes("navigator.gpu")) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, []);
});
