/**
 * The root exports as `deno doc --json mod.ts` lists them, for tests that must cover every export (and
 * fail when one is added without an entry).
 *
 * @module
 */
import assert from "node:assert";

/** A type as deno doc writes it, as far as these tests read it. */
export type DocType = { kind?: string; repr?: string; value?: unknown };
/** A parameter as deno doc writes it. */
export type DocParam = { kind?: string; name?: string; tsType?: DocType; left?: DocParam };
/** A root symbol as deno doc writes it. */
export type DocSymbol = {
  name: string;
  declarations: {
    kind: string;
    def: {
      params?: DocParam[];
      properties?: { name: string }[];
      extends?: DocType[];
      tsType?: DocType;
      constructors?: { params: DocParam[]; accessibility?: string }[];
      methods?: { name: string; isStatic?: boolean; functionDef: { params: DocParam[] } }[];
    };
  }[];
};

/** Every symbol exported from mod.ts. */
export async function rootSymbols(): Promise<DocSymbol[]> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["doc", "--json", "mod.ts"], stderr: "inherit" })
    .output();
  assert.ok(out.success, "deno doc --json mod.ts failed");
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  return Object.values(doc.nodes as Record<string, { symbols: DocSymbol[] }>)[0].symbols;
}
