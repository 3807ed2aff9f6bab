/**
 * Writes web/digits.bin, the page's digits: the first 300 training and 200 test images of rankscope's
 * seeded MNIST split (seed 0), 8-bit grey levels.
 *
 * Layout: "RSD1", then the training and test counts (uint32, little-endian), then every image's 784 pixels
 * (uint8, row-major, training images first), then every label (uint8).
 *
 * Run: `deno run -A web/make_digits.ts`.
 */
import { loadMnist } from "../mod.ts";

const train = 300, test = 200;
const { train: a, test: b } = loadMnist({ train, test, seed: 0 });
const n = train + test;
const out = new Uint8Array(12 + n * 785);
out.set(new TextEncoder().encode("RSD1"), 0);
const view = new DataView(out.buffer);
view.setUint32(4, train, true);
view.setUint32(8, test, true);
for (let i = 0; i < n; i++) {
  const [set, j] = i < train ? [a, i] : [b, i - train];
  for (let p = 0; p < 784; p++) out[12 + i * 784 + p] = Math.round(set.x[j * 784 + p] * 255);
  out[12 + n * 784 + i] = set.labels[j];
}
await Deno.writeFile(new URL("./digits.bin", import.meta.url), out);
console.log(`web/digits.bin: ${train} training and ${test} test digits, ${out.length} bytes`);
