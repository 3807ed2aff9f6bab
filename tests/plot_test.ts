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

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Checks a single (not composed) figure geometrically: every mark (markers, points, bars, line vertices,
 * error bars) lies inside the plot area spanned by the axes, no legend box overlaps a mark, and on each
 * named log axis every decade within the data's range has a label.
 */
function auditFigure(figure: Figure, logData: { side: "bottom" | "left" | "right"; values: number[] }[] = []) {
  return auditPanel(assertDrawable(figure), logData);
}

/** {@link auditFigure} on one panel's element (a figure's root, or a nested panel of a composed figure). */
function auditPanel(root: Element, logData: { side: "bottom" | "left" | "right"; values: number[] }[] = []) {
  const line = (side: string) => byClass(root, `axis-${side}`)[0].children.find((e) => e.name === "line")!.attrs;
  const b = line("bottom"), l = line("left");
  const area: Box = { left: Number(b.x1), right: Number(b.x2), top: Number(l.y1), bottom: Number(b.y1) };
  const marks: { what: string; box: Box }[] = [];
  const groups = [...byClass(root, "series"), ...byClass(root, "points"), ...byClass(root, "bars")];
  for (const g of groups) {
    for (const e of all(g, () => true)) {
      const n = (k: string) => Number(e.attrs[k]);
      if (e.name === "circle") {
        marks.push({
          what: `circle ${n("cx")},${n("cy")}`,
          box: { left: n("cx") - n("r"), right: n("cx") + n("r"), top: n("cy") - n("r"), bottom: n("cy") + n("r") },
        });
      } else if (e.name === "rect" && n("width") > 0 && n("height") > 0) {
        marks.push({
          what: `bar at ${n("x")}`,
          box: { left: n("x"), right: n("x") + n("width"), top: n("y"), bottom: n("y") + n("height") },
        });
      } else if (e.name === "line") {
        marks.push({
          what: `line ${n("x1")},${n("y1")}`,
          box: {
            left: Math.min(n("x1"), n("x2")),
            right: Math.max(n("x1"), n("x2")),
            top: Math.min(n("y1"), n("y2")),
            bottom: Math.max(n("y1"), n("y2")),
          },
        });
      } else if (e.name === "path") {
        for (const [, x, y] of (e.attrs.d ?? "").matchAll(/(-?[\d.]+),(-?[\d.]+)/g)) {
          marks.push({ what: `vertex ${x},${y}`, box: { left: +x, right: +x, top: +y, bottom: +y } });
        }
      }
    }
  }
  const slack = 0.51; // pixel coordinates are rounded to two decimals, the axis lines to whole pixels
  for (const { what, box } of marks) {
    assert.ok(
      box.left >= area.left - slack && box.right <= area.right + slack && box.top >= area.top - slack &&
        box.bottom <= area.bottom + slack,
      `${what} outside the plot area ${JSON.stringify(area)}`,
    );
  }
  for (const g of byClass(root, "legend")) {
    const r = g.children[0].attrs;
    const box = {
      left: Number(r.x),
      top: Number(r.y),
      right: Number(r.x) + Number(r.width),
      bottom: Number(r.y) + Number(r.height),
    };
    const under = marks.filter((m) => overlaps(m.box, box));
    assert.ok(under.length === 0, `marks under the legend ${JSON.stringify(box)}: ${under.map((m) => m.what)}`);
    assert.ok(box.right <= Number(root.attrs.width), "legend inside the figure");
  }
  for (const side of ["bottom", "left", "right"]) {
    const group = byClass(root, `axis-${side}`)[0];
    if (!group) continue;
    const texts = all(group, (e) => e.name === "text" && !e.attrs.transform && e.attrs.class !== "axis-title")
      .map((e) => ({ text: e.text ?? "", at: Number(side === "bottom" ? e.attrs.x : e.attrs.y) }))
      .sort((a, b) => a.at - b.at);
    for (let i = 1; i < texts.length; i++) {
      const a = texts[i - 1], b = texts[i];
      const need = side === "bottom" ? (a.text.length + b.text.length) * 3.1 : 10;
      assert.ok(b.at - a.at >= need, `${side} tick labels ${a.text} and ${b.text} overlap (${b.at - a.at} px apart)`);
    }
  }
  for (const { side, values } of logData) {
    const texts = all(byClass(root, `axis-${side}`)[0], (e) => e.name === "text" && !e.attrs.transform);
    const labels = texts.map((e) => ({ v: Number(e.text), at: Number(side === "bottom" ? e.attrs.x : e.attrs.y) }));
    assert.ok(labels.length >= 2, `${side} axis has at least two labels`);
    // Labels never overlap: 12 px apart vertically, their half widths apart horizontally.
    const sorted = [...texts].sort((a, b) => labels[texts.indexOf(a)].at - labels[texts.indexOf(b)].at);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1], b = sorted[i];
      const gap = Math.abs(labels[texts.indexOf(b)].at - labels[texts.indexOf(a)].at);
      const need = side === "bottom" ? ((a.text ?? "").length + (b.text ?? "").length) * 3.4 : 12;
      assert.ok(gap >= need, `${side} labels ${a.text} and ${b.text} overlap (${gap} px apart)`);
    }
    // Every decade within the data is labelled, or, where decades are closer than a label, every k-th
    // decade is (k the smallest of 1, 2, 3, 5, 10, 20, 50 that the room allows, the same k along the axis).
    const positive = values.filter((v) => v > 0 && Number.isFinite(v));
    const lo = Math.ceil(Math.log10(Math.min(...positive))), hi = Math.floor(Math.log10(Math.max(...positive)));
    const decades = labels.filter((l) => Number.isInteger(Math.round(Math.log10(l.v) * 1e9) / 1e9));
    const exps = decades.map((l) => Math.round(Math.log10(l.v)));
    const step = exps.length >= 2 ? Math.min(...exps.slice(1).map((e, i) => e - exps[i])) : 1;
    if (step > 1) {
      const perDecade = Math.abs(decades[1].at - decades[0].at) / step;
      const widest = Math.max(...texts.map((e) => (e.text ?? "").length));
      const room = side === "bottom" ? 6.5 * widest + 8 : 14;
      const smaller = [1, 2, 3, 5, 10, 20, 50].filter((k) => k < step).at(-1)!;
      assert.ok(perDecade * smaller < room, `decades ${perDecade} px apart, yet only every ${step}-th is labelled`);
    }
    for (let k = lo; k <= hi; k++) {
      if (k % step !== 0) continue;
      assert.ok(exps.includes(k), `${side} axis labels decade 1e${k}: ${labels.map((l) => l.v)}`);
    }
  }
  return { root, marks, area };
}

Deno.test("every figure kind keeps marks inside the axes, legends off the data and every log decade labelled, on adversarial data", async (t) => {
  const long = "a series label long enough to cover a third of the plot";
  const n = 40, xs = Array.from({ length: n }, (_, i) => i);
  await t.step("line plots", () => {
    auditFigure(linePlot({ series: [{ x: [3], y: [7], markers: true, label: "one point" }] }));
    auditFigure(linePlot({ series: [{ x: [-1e9, 0, 1e9], y: [1e-9, -1e9, 1e9], markers: true, label: long }] }));
    const wide = xs.map((i) => 10 ** (i - 20));
    auditFigure(
      linePlot({
        series: [{ x: wide, y: wide.map((v) => 1 / v), markers: true, label: long }],
        xScale: "log",
        yScale: "log",
      }),
      [{ side: "bottom", values: wide }, { side: "left", values: wide }],
    );
    // Twelve series filling the plot, one on a twin log axis, with error bars and a gap (NaN).
    const many = Array.from({ length: 12 }, (_, k) => ({
      x: xs,
      y: xs.map((i) => (i === 7 ? NaN : Math.sin(i / 5 + k) * (k + 1))),
      errors: xs.map(() => 0.3),
      markers: true,
      label: `series ${k} ${k === 3 ? long : ""}`,
    }));
    const right = xs.map((i) => 2 ** i);
    auditFigure(
      linePlot({
        series: [...many, { x: xs, y: right, axis: "right", markers: true, label: "twin" }],
        y2Scale: "log",
        title: long + long,
      }),
      [{ side: "right", values: right }],
    );
  });
  await t.step("scatter plots", () => {
    auditFigure(scatterPlot({ x: [1], y: [1], classes: [0], classLabels: ["alone"] }));
    // Points in every corner and the middle: the class key must go beside the plot.
    const grid = Array.from({ length: 121 }, (_, i) => i);
    auditFigure(
      scatterPlot({
        x: grid.map((i) => (i % 11) * 1e8),
        y: grid.map((i) => Math.floor(i / 11) * 1e-8),
        classes: grid.map((i) => i % 3),
        classLabels: ["first class", "second", long],
      }),
    );
  });
  await t.step("histograms, linear and log density", () => {
    auditFigure(histogram({ values: [5], label: "one value" }));
    const heavy = Array.from({ length: 4000 }, (_, i) => Math.tan(Math.PI * ((i + 0.5) / 4000 - 0.5)) / 50);
    for (const yScale of ["linear", "log"] as const) {
      const fig = histogram({
        values: heavy,
        bins: 60,
        yScale,
        label: "samples",
        curves: [{ label: long, density: (x) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI) }],
      });
      const { marks } = auditFigure(fig);
      if (yScale === "log") {
        // The tails are drawn: every non-empty bin is a bar at least a few pixels tall.
        const nonEmpty = histogramDensity(heavy, 60).heights.filter((h) => h > 0).length;
        const bars = marks.filter((m) => m.what.startsWith("bar"));
        assert.equal(bars.length, nonEmpty);
        assert.ok(bars.every((m) => m.box.bottom - m.box.top >= 3), "the rarest bin is visible");
      }
    }
  });
  await t.step("heatmaps with points at the extremes and a class key", () => {
    const nx = 30, values = Array.from({ length: nx * nx }, (_, i) => 10 ** ((i % nx) - 15));
    const fig = heatmap({
      values,
      nx,
      ny: nx,
      xDomain: [-1, 1],
      yDomain: [-1, 1],
      logColor: true,
      points: { x: [-1, 1, -1, 1, 0], y: [-1, -1, 1, 1, 0], classes: [0, 1, 0, 1, 2], labels: ["zero", "one", "two"] },
    });
    const { root } = auditFigure(fig);
    const key = byClass(root, "point-key")[0];
    assert.equal(all(key, (e) => e.name === "circle").length, 3, "one key entry per class");
    // Class 0 and 1 markers contrast with any field colour: white ringed black, black ringed white.
    const points = all(byClass(root, "points")[0], (e) => e.name === "circle");
    assert.deepEqual(points.slice(0, 2).map((e) => [e.attrs.fill, e.attrs.stroke]), [["white", "black"], [
      "black",
      "white",
    ]]);
  });
});

Deno.test("every figure in docs/ passes the geometric audit panel by panel and stays under 300 KB", async () => {
  const names = [...Deno.readDirSync(new URL("../docs/", import.meta.url))].map((e) => e.name)
    .filter((n) => n.endsWith(".svg")).sort();
  assert.ok(names.length >= 15, `${names.length} figures`);
  for (const name of names) {
    const text = await Deno.readTextFile(new URL(`../docs/${name}`, import.meta.url));
    assert.ok(text.length < 300_000, `${name}: ${text.length} bytes`);
    const root = parseSvg(text);
    // A panel is an <svg> with its own axes (composed figures nest one per panel).
    const panels = all(root, (e) => e.name === "svg" && e.children.some((c) => (c.attrs.class ?? "").includes("axis")));
    const direct = root.children.some((c) => (c.attrs.class ?? "").includes("axis"));
    assert.ok(panels.length > 0 || direct, `${name} has axes`);
    for (const panel of panels) {
      try {
        auditPanel(panel);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  }
});
