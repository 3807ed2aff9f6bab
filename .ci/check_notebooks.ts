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
  const notebook = JSON.parse(Deno.readTextFileSync(path)) as {
    cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[];
  };
  const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
  // A cell that ends by naming a figure must show it.
  const hasSvg = (o: Output) => o.data?.["image/svg+xml"] !== undefined;
  const silent = notebook.cells.filter((c) => {
    const source = Array.isArray(c.source) ? c.source.join("") : c.source;
    return c.cell_type === "code" && /(^|\n)(await Deno\.jupyter\.display\()?run\.figures\.\w+\)?;?\s*$/.test(source) &&
      !(c.outputs ?? []).some(hasSvg);
  });
  const errors = outputs.filter((o) => o.output_type === "error");
  const svgs = outputs.filter((o) => {
    const svg = o.data?.["image/svg+xml"];
    return svg !== undefined && (Array.isArray(svg) ? svg.join("") : svg).includes("<svg");
  });
  const ok = errors.length === 0 && svgs.length > 0 && silent.length === 0;
  failed ||= !ok;
  console.log(
    `${
      ok ? "ok" : "FAIL"
    }: ${path}: ${svgs.length} inline SVG figures, ${silent.length} figure cells showing none, ${errors.length} cell errors${
      errors.map((e) => ` (${e.ename}: ${e.evalue})`).join("")
    }`,
  );
}
if (Deno.args.length === 0 || failed) Deno.exit(1);
