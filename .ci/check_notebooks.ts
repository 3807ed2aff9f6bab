/**
 * Checks executed notebooks: every one has an inline SVG figure (a figure that did not render fails) and no
 * cell error. Usage: deno run -A .ci/check_notebooks.ts EXECUTED.ipynb...
 */
interface Output {
  output_type: string;
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

let failed = false;
for (const path of Deno.args) {
  const notebook = JSON.parse(Deno.readTextFileSync(path)) as { cells: { outputs?: Output[] }[] };
  const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
  const errors = outputs.filter((o) => o.output_type === "error");
  const svgs = outputs.filter((o) => {
    const svg = o.data?.["image/svg+xml"];
    return svg !== undefined && (Array.isArray(svg) ? svg.join("") : svg).includes("<svg");
  });
  const ok = errors.length === 0 && svgs.length > 0;
  failed ||= !ok;
  console.log(
    `${ok ? "ok" : "FAIL"}: ${path}: ${svgs.length} inline SVG figures, ${errors.length} cell errors${
      errors.map((e) => ` (${e.ename}: ${e.evalue})`).join("")
    }`,
  );
}
if (Deno.args.length === 0 || failed) Deno.exit(1);
