import assert from "node:assert";
import * as r from "./_all.ts";
import {
  type Figure,
  heatmap,
  histogram,
  histogramDensity,
  imageGrid,
  linePlot,
  scatterPlot,
  subplots,
} from "./_all.ts";

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  /** Text content directly inside the element (unescaped), if any. */
  text?: string;
}

/** Minimal XML parser for our SVG output: fails on unbalanced tags or malformed attributes. */
function parseSvg(text: string): Element {
  const root: Element = { name: "#root", attrs: {}, children: [] };
  const stack = [root];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = tag.exec(text)) !== null) {
    consumed = tag.lastIndex;
    if (m[5] !== undefined) {
      const parent = stack.at(-1)!;
      parent.text = (parent.text ?? "") + m[5].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      const open = stack.pop()!;
      assert.equal(open.name, name, `closing </${name}> does not match <${open.name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    const el = { name, attrs, children: [] };
    stack.at(-1)!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  assert.equal(consumed, text.length, `unparsed SVG after offset ${consumed}: ${text.slice(consumed, consumed + 40)}`);
  assert.equal(stack.length, 1, "unclosed elements");
  return root.children[0];
}

function all(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  if (pred(el)) out.push(el);
  el.children.forEach((c) => all(c, pred, out));
  return out;
}

const byClass = (root: Element, cls: string) => all(root, (e) => (e.attrs.class ?? "").split(" ").includes(cls));

function assertDrawable(figure: Figure | string): Element {
  const svg = String(figure);
  assert.ok(!/NaN|Infinity/.test(svg), "no NaN or Infinity anywhere in the SVG");
  const root = parseSvg(svg);
  assert.equal(root.name, "svg");
  assert.ok(Number(root.attrs.width) > 0 && Number(root.attrs.height) > 0);
  return root;
}

Deno.test("linePlot() draws series, axes, legend and a twin axis", () => {
  const x = [1, 2, 3, 4];
  const root = assertDrawable(linePlot({
    title: "t",
    series: [
      { x, y: [1, 4, 9, 16], label: "a" },
      { x, y: [2, NaN, 6, 8], label: "b", dashed: true, markers: true },
      { x, y: [0.1, 0.2, 0.3, 0.4], label: "c", axis: "right" },
    ],
    xLabel: "x",
    yLabel: "y",
    y2Label: "acc",
  }));
  assert.equal(byClass(root, "series").length, 3);
  assert.equal(byClass(root, "axis-bottom").length, 1);
  assert.equal(byClass(root, "axis-left").length, 1);
  assert.equal(byClass(root, "axis-right").length, 1);
  assert.equal(all(byClass(root, "legend")[0], (e) => e.name === "text").length, 3);
  // The NaN point breaks the line instead of producing NaN coordinates: two moveto commands.
  const dashed = byClass(root, "series")[1].children[0].attrs.d;
  assert.equal(dashed.match(/M/g)?.length, 2);
});

Deno.test("linePlot() log axes drop non-positive values and label ticks plainly", () => {
  const root = assertDrawable(linePlot({
    series: [{ x: [0.1, 1, 10, 100], y: [1e-6, 1e-3, 0, 1] }],
    xScale: "log",
    yScale: "log",
  }));
  const labels = all(byClass(root, "axis-left")[0], (e) => e.name === "text");
  assert.ok(labels.length >= 3);
  assert.throws(() => linePlot({ series: [{ x: [1, 2], y: [1] }] }), /2 x values but 1 y values/);
  assert.throws(() => linePlot({ series: [{ x: [1, 2], y: [-1, 0] }], yScale: "log" }), /no finite positive values/);
  assert.throws(() => linePlot({ series: [] }), /no series/);
});

Deno.test("scatterPlot() colours points by class", () => {
  const root = assertDrawable(
    scatterPlot({ x: [0, 1, 2, 3], y: [0, 1, 0, 1], classes: [0, 1, 0, 1], classLabels: ["a", "b"] }),
  );
  const points = all(byClass(root, "points")[0], (e) => e.name === "circle");
  assert.equal(points.length, 4);
  assert.deepEqual(new Set(points.map((p) => p.attrs.fill)).size, 2);
});

Deno.test("heatmap() fills every cell, draws contours, boundary, colour bar and points", () => {
  const nx = 7, ny = 5;
  const values = Array.from({ length: nx * ny }, (_, k) => (k % nx) / nx + Math.floor(k / nx) / ny);
  const filled = assertDrawable(
    heatmap({ values, nx, ny, xDomain: [0, 1], yDomain: [0, 2], boundary: 0.8, points: { x: [0.5], y: [1] } }),
  );
  assert.equal(all(byClass(filled, "cells")[0], (e) => e.name === "image").length, 1);
  assert.equal(byClass(filled, "boundary").length, 1);
  assert.equal(byClass(filled, "colorbar").length, 1);
  assert.equal(all(byClass(filled, "points")[0], (e) => e.name === "circle").length, 1);
  const contours = assertDrawable(
    heatmap({ values, nx, ny, xDomain: [0, 1], yDomain: [0, 2], style: "contours", levels: 5 }),
  );
  assert.ok(all(byClass(contours, "contours")[0], (e) => e.name === "path").length >= 3);
  const loggedSvg = String(heatmap({
    values: values.map((v) => 10 ** (3 * v)),
    nx,
    ny,
    xDomain: [0, 1],
    yDomain: [0, 1],
    logColor: true,
  }));
  assertDrawable(loggedSvg);
  // Whole decades label the logarithmic colour bar.
  assert.match(loggedSvg.slice(loggedSvg.indexOf('class="colorbar"')), />1e[0-9]</);
  assert.throws(
    () => heatmap({ values: [1, 2, 3], nx: 2, ny: 2, xDomain: [0, 1], yDomain: [0, 1] }),
    /3 values for a 2x2 grid/,
  );
});

Deno.test("histogram() bars integrate to one and curves are drawn", () => {
  const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 2);
  const density = histogramDensity(values, 20);
  const area = density.heights.reduce((s, h, i) => s + h * (density.bins[i][1] - density.bins[i][0]), 0);
  assert.ok(Math.abs(area - 1) < 1e-12, `bins integrate to ${area}`);
  const root = assertDrawable(histogram({ values, bins: 20, curves: [{ label: "flat", density: () => 0.25 }] }));
  const bars = all(byClass(root, "bars")[0], (e) => e.name === "rect");
  assert.equal(bars.length, density.bins.length);
  assert.equal(byClass(root, "series").length, 1);
  // The drawn bars integrate to one too: pixel area / (px per x unit · px per density unit).
  const num = (e: typeof bars[0], k: string) => Number(e.attrs[k]);
  const baseline = num(bars[0], "y") + num(bars[0], "height");
  const left = num(bars[0], "x"), right = num(bars.at(-1)!, "x") + num(bars.at(-1)!, "width");
  const pxPerX = (right - left) / (density.bins.at(-1)![1] - density.bins[0][0]);
  const curveY = Number(
    /M[^,]+,([-\d.]+)/.exec(all(byClass(root, "series")[0], (e) => e.name === "path")[0].attrs.d)![1],
  );
  const pxPerDensity = (baseline - curveY) / 0.25;
  const pixelArea = bars.reduce((s, b) => s + num(b, "width") * num(b, "height"), 0);
  assert.ok(
    Math.abs(pixelArea / (pxPerX * pxPerDensity) - 1) < 0.01,
    `drawn bars integrate to ${pixelArea / (pxPerX * pxPerDensity)}`,
  );
});

Deno.test("imageGrid() and subplots() compose valid documents", () => {
  const img = assertDrawable(
    imageGrid({
      images: [[0, 1, 2, 3], [3, 2, 1, 0], [1, 1, 1, 1]],
      imageWidth: 2,
      imageHeight: 2,
      columns: 2,
      captions: ["a", "b", "c"],
    }),
  );
  assert.equal(byClass(img, "image").length, 3);
  assert.throws(() => imageGrid({ images: [[1, 2, 3]], imageWidth: 2, imageHeight: 2 }), /3 values for a 2x2 image/);
  const panel = linePlot({ series: [{ x: [0, 1], y: [0, 1] }], width: 300, height: 200 });
  const grid = assertDrawable(
    subplots({ panels: [panel, panel, panel], columns: 2, titles: ["1", "2", "3"], title: "all" }),
  );
  assert.equal(byClass(grid, "panel").length, 3);
  // A panel placed three times is drawn once and referenced, so no id is defined twice.
  const ids = all(grid, (e) => e.attrs.id !== undefined).map((e) => e.attrs.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  assert.equal(all(grid, (e) => e.name === "use").length, 2);
  assert.equal(grid.attrs.width, "600"); // two 300-pixel columns
});

Deno.test("linePlot() draws error bars and widens the axis to include them", () => {
  const root = assertDrawable(linePlot({ series: [{ x: [1, 2, 3], y: [1, 2, 3], errors: [0.5, 0.5, 4] }] }));
  assert.equal(byClass(root, "error-bar").length, 3);
  const labels = all(byClass(root, "axis-left")[0], (e) => e.name === "text");
  assert.ok(labels.length >= 3);
});

Deno.test("imageGrid() draws images of different sizes", () => {
  const root = assertDrawable(
    imageGrid({ images: [[1, 2, 3, 4], [1, 2]], imageWidth: 2, imageHeight: 2, sizes: [[2, 2], [1, 2]] }),
  );
  assert.equal(all(byClass(root, "image")[1], (e) => e.name === "rect").length, 2);
  assert.throws(
    () => imageGrid({ images: [[1, 2, 3]], imageWidth: 2, imageHeight: 2, sizes: [[1, 2]] }),
    /3 values for a 1x2 image/,
  );
});

Deno.test("plots are Figure values: subplots composes them by size, ids stay unique without rewriting", () => {
  const a = linePlot({ series: [{ x: [0, 1], y: [0, 1] }], width: 200, height: 150 });
  const b = heatmap({ values: [0, 1, 2, 3], nx: 2, ny: 2, xDomain: [0, 1], yDomain: [0, 1], width: 260, height: 180 });
  assert.equal(a.width, 200);
  assert.equal(b.height, 180);
  const grid = subplots({ panels: [a, b, a], columns: 2 });
  assert.equal(grid.width, 2 * 260);
  assert.equal(grid.height, 2 * 180);
  const svg = grid.toSvg();
  assertDrawable(svg);
  // Every clip path id is defined once and every reference points at a defined id.
  const ids = [...svg.matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  for (const ref of svg.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref[1]), `dangling ${ref[1]}`);
  // The panels' markup is embedded as it is.
  assert.ok(svg.includes(a.content) && svg.includes(b.content));
  assert.equal(String(a), a.toSvg());
  const display = (a as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();
  assert.equal(display["image/svg+xml"], a.toSvg());
});

/** The plot area (from the clip path) and every marker and tick label of a line plot. */
function geometry(figure: Figure) {
  const root = parseSvg(figure.toSvg());
  const clip = all(root, (e) => e.name === "clipPath")[0].children[0].attrs;
  const area = {
    left: Number(clip.x),
    top: Number(clip.y),
    right: Number(clip.x) + Number(clip.width),
    bottom: Number(clip.y) + Number(clip.height),
  };
  const markers = all(byClass(root, "series")[0] ?? root, (e) => e.name === "circle")
    .map((e) => [Number(e.attrs.cx), Number(e.attrs.cy), Number(e.attrs.r)]);
  const labels = (side: string) =>
    all(byClass(root, `axis-${side}`)[0], (e) => e.name === "text" && !e.attrs.transform).map((e) => e.text ?? "");
  return { area, markers, labels };
}

Deno.test("plots never clip a marker, label every log decade, and give integer axes integer ticks", async (t) => {
  await t.step("markers exactly at the data extremes stay inside the plot area", () => {
    for (const [x, y] of [[[0, 1, 2, 3], [0, 1, 4, 9]], [[5], [2]], [[0, 1], [0, 1]], [[-3, 7], [1e-3, 1e-3]]]) {
      const g = geometry(linePlot({ series: [{ x, y, markers: true }] }));
      for (const [cx, cy, r] of g.markers) {
        assert.ok(
          cx - r >= g.area.left && cx + r <= g.area.right && cy - r >= g.area.top && cy + r <= g.area.bottom,
          `marker (${cx}, ${cy}) outside ${JSON.stringify(g.area)}`,
        );
      }
    }
  });
  await t.step("a log axis over 12 decades labels every decade, in one format", () => {
    const x = Array.from({ length: 13 }, (_, i) => i);
    const g = geometry(linePlot({ series: [{ x, y: x.map((i) => 10 ** (i - 6)), markers: true }], yScale: "log" }));
    const labels = g.labels("left");
    for (let k = -6; k <= 6; k++) assert.ok(labels.includes(`1e${k}`), `decade 1e${k} in ${labels}`);
    assert.ok(labels.every((l) => /^\d(\.\d+)?e-?\d+$/.test(l)), `one exponential format: ${labels}`);
  });
  await t.step("a short log range labels the data's ends (5 to 100)", () => {
    const g = geometry(linePlot({ series: [{ x: [5, 10, 20, 50, 100], y: [1, 2, 3, 4, 5] }], xScale: "log" }));
    const labels = g.labels("bottom");
    for (const v of ["5", "10", "100"]) assert.ok(labels.includes(v), `${v} in ${labels}`);
  });
  await t.step("epochs 0..3 and integer ranks get integer ticks only", () => {
    const g = geometry(linePlot({ series: [{ x: [0, 1, 2, 3], y: [1, 2, 2, 3] }] }));
    for (const side of ["bottom", "left"]) {
      assert.ok(g.labels(side).every((l) => Number.isInteger(Number(l))), `${side}: ${g.labels(side)}`);
    }
  });
});

Deno.test("a figure's SVG does not depend on what was drawn before it (ids hash their definition)", () => {
  const draw = () =>
    subplots({
      panels: [
        linePlot({ series: [{ x: [1, 2, 3], y: [1, 4, 9], label: "a" }] }),
        linePlot({ series: [{ x: [1, 2, 3], y: [1, 4, 9], label: "a" }] }),
        linePlot({ series: [{ x: [1, 2, 3], y: [3, 2, 1], label: "b" }] }),
      ],
    }).toSvg();
  const first = draw();
  linePlot({ series: [{ x: [0, 1], y: [0, 1] }] }).toSvg(); // something else in between
  assert.equal(draw(), first);
  // Equal panels are drawn once and repeated; different panels get different ids.
  assert.equal((first.match(/<use /g) ?? []).length, 1);
  const ids = [...first.matchAll(/<svg id="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, 2);
});

Deno.test("a legend never covers data: when every inside corner would, it moves beside the plot", () => {
  // Markers in all four corners and along both diagonals.
  const xs = Array.from({ length: 21 }, (_, i) => i);
  const svg = linePlot({
    series: [
      { x: xs, y: xs.map((v) => v), label: "rising series with a long label", markers: true },
      { x: xs, y: xs.map((v) => 20 - v), label: "falling", markers: true },
      { x: xs, y: xs.map((v) => 0.5 + v / 40), label: "right", axis: "right", markers: true },
    ],
    width: 500,
  }).toSvg();
  const rect = /<g class="legend"[^>]*><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  const [x, y, w, h] = rect.slice(1).map(Number);
  assert.ok(x + w <= 500, `legend inside the figure (${x} + ${w})`);
  const markers = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(markers.length >= 60);
  const inside = markers.filter(([cx, cy]) => cx >= x && cx <= x + w && cy >= y && cy <= y + h);
  assert.deepEqual(inside, [], "no marker under the legend");
  // A plot with a free corner keeps its legend inside, at full plot width.
  const free = linePlot({ series: [{ x: [0, 1], y: [0, 1], label: "a" }], width: 500 }).toSvg();
  const [fx] = /<g class="legend"[^>]*><rect x="([\d.]+)"/.exec(free)!.slice(1).map(Number);
  assert.ok(fx < 480 - 20, "inside the plot area");
});

/**
 * Decodes a PNG data URI of stored deflate blocks (RGB or palette), checking every CRC and the Adler-32
 * (bitwise, no tables).
 */
function decodeStoredPng(uri: string): { width: number; height: number; rgb: Uint8Array } {
  const bytes = Uint8Array.from(atob(uri.replace("data:image/png;base64,", "")), (c) => c.charCodeAt(0));
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(bytes.buffer);
  const crc = (b: Uint8Array) => {
    let c = ~0;
    for (const v of b) {
      c ^= v;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    return ~c >>> 0;
  };
  let at = 8, width = 0, height = 0, type3 = false, idat = new Uint8Array(), palette = new Uint8Array();
  while (at < bytes.length) {
    const len = view.getUint32(at), type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    assert.equal(view.getUint32(at + 8 + len), crc(bytes.subarray(at + 4, at + 8 + len)), `${type} CRC`);
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") [width, height, type3] = [view.getUint32(at + 8), view.getUint32(at + 12), data[9] === 3];
    if (type === "PLTE") palette = data;
    if (type === "IDAT") idat = data;
    at += 12 + len;
  }
  assert.equal(idat[0] & 0x0f, 8, "deflate");
  const raw: number[] = [];
  let p = 2, final = 0;
  while (!final) {
    final = idat[p] & 1;
    assert.equal((idat[p] >> 1) & 3, 0, "stored block");
    const len = idat[p + 1] | (idat[p + 2] << 8), nlen = idat[p + 3] | (idat[p + 4] << 8);
    assert.equal(len ^ 0xffff, nlen);
    raw.push(...idat.subarray(p + 5, p + 5 + len));
    p += 5 + len;
  }
  let a = 1, b = 0;
  for (const v of raw) [a, b] = [(a + v) % 65521, (b + (a + v) % 65521) % 65521];
  assert.equal(new DataView(idat.buffer, idat.byteOffset).getUint32(p), ((b << 16) | a) >>> 0, "Adler-32");
  const channels = type3 ? 1 : 3, rgb = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    assert.equal(raw[r * (1 + channels * width)], 0, "filter none");
    const line = raw.slice(r * (1 + channels * width) + 1, (r + 1) * (1 + channels * width));
    for (let c = 0; c < width; c++) {
      const px = type3 ? palette.subarray(3 * line[c], 3 * line[c] + 3) : line.slice(3 * c, 3 * c + 3);
      rgb.set(px, 3 * (r * width + c));
    }
  }
  return { width, height, rgb };
}

Deno.test("heatmap() cells are one PNG raster: top row is the largest y, colours exact, a 200x200 map stays small", () => {
  const nx = 3, ny = 2;
  // Row j = 0 (bottom): 0, 0, 0; row j = 1 (top): 1, NaN, 0.
  const svg = heatmap({ values: [0, 0, 0, 1, NaN, 0], nx, ny, xDomain: [0, 1], yDomain: [0, 1], colorDomain: [0, 1] })
    .toSvg();
  const uri = /href="(data:image\/png;base64,[^"]+)"/.exec(svg)![1];
  const { width, height, rgb } = decodeStoredPng(uri);
  assert.deepEqual([width, height], [3, 2]);
  const hex = (k: number) =>
    "#" + [...rgb.subarray(3 * k, 3 * k + 3)].map((v) => v.toString(16).padStart(2, "0")).join("");
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(hex), ["#fde725", "#cccccc", "#440154", "#440154", "#440154", "#440154"]);
  const big = heatmap({
    values: Array.from({ length: 200 * 200 }, (_, k) => Math.sin(k)),
    nx: 200,
    ny: 200,
    xDomain: [0, 1],
    yDomain: [0, 1],
  }).toSvg();
  assert.ok(big.length < 300_000, `${big.length} characters`);
});

Deno.test("a log axis within one 1-2-5 step still gets at least two labelled ticks", () => {
  const svg = linePlot({ series: [{ x: [0, 1, 2], y: [0.63, 0.8, 1.06] }], yScale: "log" }).toSvg();
  const labels = [...svg.matchAll(/<g class="axis axis-left"[^]*?<\/g>/g)][0][0].match(/>[\d.e-]+</g) ?? [];
  assert.ok(labels.length >= 2, `labels ${labels}`);
});

Deno.test("categorical data are dots at named ticks, never a line over a continuous axis", () => {
  const svg = linePlot({
    series: [{ x: [0, 1, 2], y: [3, 1, 2], line: false, label: "error" }],
    xCategories: ["RFM", "ELM", "other"],
  }).toSvg();
  const series = /<g class="series"[^>]*>(.*?)<\/g>/.exec(svg)![1];
  assert.ok(!series.includes("<path"), "no connecting line");
  assert.equal(series.match(/<circle/g)?.length, 3);
  for (const name of ["RFM", "ELM", "other"]) assert.ok(svg.includes(`>${name}</text>`), name);
  assert.ok(!/>0\.5</.test(svg), "no fractional ticks between categories");
});

Deno.test("a heatmap's decision boundary is the level set only, never the frame", () => {
  // p rises left to right: the 0.5 level is one vertical line at x = 0.5.
  const nx = 11, ny = 7;
  const values = Array.from({ length: nx * ny }, (_, k) => (k % nx) / (nx - 1));
  const svg = heatmap({ values, nx, ny, xDomain: [0, 1], yDomain: [0, 1], boundary: 0.5 }).toSvg();
  const d = /<path class="boundary" d="([^"]+)"/.exec(svg)![1];
  const xs = [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(xs.length >= 2);
  assert.ok(Math.max(...xs) - Math.min(...xs) < 1, `one vertical line, x in [${Math.min(...xs)}, ${Math.max(...xs)}]`);
});

Deno.test("a long title shrinks to fit the figure's width instead of being clipped", () => {
  const title = "Excess kurtosis vs depth/width (dots: ensemble ± s.e.; solid: exact; dashed: 15(ℓ−1)/n)";
  const svg = linePlot({ title, series: [{ x: [0, 1], y: [0, 1] }], width: 640 }).toSvg();
  const size = Number(/<text class="title"[^>]*font-size="([\d.]+)"/.exec(svg)![1]);
  assert.ok(size < 14 && 0.62 * size * [...title].length <= 620, `font-size ${size}`);
  const short = linePlot({ title: "Loss", series: [{ x: [0, 1], y: [0, 1] }] }).toSvg();
  assert.ok(short.includes('font-size="14" font-weight="bold"'));
});

Deno.test("a histogram's legend avoids its bars", () => {
  // Mass piled up on the right: the tall bars fill the top-right corner.
  const values = Array.from({ length: 400 }, (_, i) => 1 - ((i % 20) / 20) ** 3);
  const svg = histogram({ values, bins: 20, label: "samples", width: 500 }).toSvg();
  const [x] = /<g class="legend"[^>]*><rect x="([\d.]+)"/.exec(svg)!.slice(1).map(Number);
  assert.ok(x < 250, `legend at x = ${x}, over the tall bars on the right`);
});

Deno.test("Jupyter displays: a Table as an HTML table, a Tensor as shape and a few values without a large read-back", async () => {
  const display = Symbol.for("Jupyter.display");
  const t = new r.Table(["model", "acc"], [["a<b", 0.5], ["c", 1]], "accuracy");
  const html = (t as unknown as Record<symbol, () => Record<string, string>>)[display]()["text/html"];
  assert.ok(
    html.startsWith("<table><caption>accuracy</caption>") && html.includes("a&lt;b") && html.includes("0.5000"),
  );
  await r.initGpu();
  const show = (x: r.Tensor) => (x as unknown as Record<symbol, () => Promise<Record<string, string>>>)[display]();
  const small = (await show(r.Tensor.fromArray([1, 2, 3], [3])))["text/plain"];
  assert.match(small, /^Tensor \[3\] float32 on .+\n\[1\.0000, 2\.0000, 3\.0000\]$/);
  const big = r.Tensor.fromArray(new Float32Array(5000), [50, 100]);
  assert.match((await show(big))["text/plain"], /5000 values \(not read back/);
  big.dispose();
});

Deno.test("histograms drawn side by side can share one x range", () => {
  const narrow = histogram({ values: [-1, 0, 0, 1], bins: 4, xDomain: [-5, 5], width: 400 }).toSvg();
  const ticks = [...narrow.matchAll(/<g class="axis axis-bottom"[^]*?<\/g>/g)][0][0].match(/>(−|-)?\d+</g) ?? [];
  assert.ok(ticks.some((t) => /[−-]4|[−-]5/.test(t)) && ticks.some((t) => /4|5/.test(t)), `ticks ${ticks}`);
});
