/**
 * RG flow of preactivations at initialization.
 *
 * Question: how do the preactivation statistics of random ReLU networks flow with depth at finite width?
 * At criticality (C_W = 2) the variance K stays fixed while the connected four-point correlator, i.e. the
 * excess kurtosis, grows like depth/width (Roberts & Yaida: V/(nK²) = 5(ℓ−1)/n, excess kurtosis
 * 3V/(nK²) ≈ 15(ℓ−1)/n).
 *
 * Exact finite-width curve (derived here): with zero biases and one input, layer ℓ+1 is Gaussian given
 * layer ℓ with variance G_{ℓ+1} = G_ℓ · (C_W/n) S, where S = Σ_j B_j χ²_j (B_j ~ Bernoulli(1/2)) is independent
 * of G_ℓ. Since E[S²]/E[S]² = 1 + 5/n and z⁴ = 3G² for a Gaussian of variance G, the excess kurtosis
 * is exactly κ_ℓ = 3((1 + 5/n)^(ℓ−1) − 1), whose leading order is 15(ℓ−1)/n.
 *
 * Run: `deno run -A experiments/rg_flow.ts [--nets 2000] [--width 256] [--depth 3] [--max-depth 12]
 *       [--widths 32,64,128,256] [--input 128] [--seed 0] [--out out/rg_flow] [--quick]`
 *
 * Outputs (in --out): results.json, figures.json, variance.svg, histograms.svg, kurtosis_depth.svg,
 * kurtosis_width.svg; tables on stdout, progress on stderr.
 */
import {
  connectedFourPoint,
  deriveSeed,
  ensemblePreactivations,
  excessKurtosis,
  type Figure,
  histogram,
  hotellingT2,
  initGpu,
  linePlot,
  type LineSeries,
  subplots,
} from "../mod.ts";
import { hostRandom } from "../kernels/mod.ts";
import { ProgressBar } from "../cli/mod.ts";
import { experimentFlags, resultsWriter, stderrWriter, table, writeAtomic, writeJson } from "./_common.ts";

const { flags, quick, out: outDir, config } = experimentFlags("rg_flow", {
  nets: { default: "2000", kind: "count", min: 2, help: "Random networks in each ensemble" },
  width: { default: "256", kind: "count", min: 1, help: "Hidden width of the first study's networks" },
  depth: { default: "3", kind: "count", min: 1, help: "Hidden layers of the first study's networks" },
  "max-depth": { default: "12", kind: "count", min: 1, help: "Deepest layer of the width/depth sweep" },
  widths: { default: "32,64,128,256", kind: "counts", min: 1, help: "Widths of the width/depth sweep" },
  input: { default: "128", kind: "count", min: 1, help: "Input dimension" },
  seed: { default: "0", kind: "count", help: "Seed of the ensembles and the input" },
});
const nets = quick ? 300 : flags.nets;
const width = quick ? 32 : flags.width;
const depth = quick ? 3 : flags.depth;
const maxDepth = quick ? 4 : flags["max-depth"];
const widths = quick ? [16, 32] : flags.widths;
const inputDim = quick ? 16 : flags.input;
const seed = flags.seed;
if (nets <= width) throw new RangeError(`--nets (${nets}) must exceed --width (${width}) for Hotelling's T²`);
const groups = 10;

const rt = await initGpu();
console.error(`adapter: ${rt.adapterName}`);
// A fixed input, standardised to mean 0 and variance 1 (so |x|²/n₀ = 1).
const raw = hostRandom(inputDim, { seed: deriveSeed(seed, "input"), distribution: "normal" });
const mean0 = raw.reduce((a, b) => a + b, 0) / inputDim;
const std0 = Math.sqrt(raw.reduce((a, b) => a + (b - mean0) ** 2, 0) / inputDim);
const x = raw.map((v) => (v - mean0) / std0);
const x2 = x.reduce((a, b) => a + b * b, 0);

const CW = 2;
const exactKurtosis = (l: number, n: number) => 3 * ((1 + 5 / n) ** (l - 1) - 1);
const leadingKurtosis = (l: number, n: number) => (15 * (l - 1)) / n;
/** Theory for K_ℓ: fan-in scaling keeps C_W·|x|²/n₀ at criticality; without it each layer multiplies by n. */
const theoryK = (l: number, scaled: boolean) =>
  scaled ? CW * (x2 / inputDim) * (CW / 2) ** (l - 1) : CW * x2 * width ** (l - 1);

const started = performance.now();
const results: Record<string, unknown> = {
  config: { nets, width, depth, maxDepth, widths, inputDim, seed, cw: CW, groups, adapter: rt.adapterName },
};
const save = resultsWriter(outDir, config, () => results);
const work = 2 * depth * width + widths.reduce((t, n) => t + maxDepth * n, 0);
const bar = new ProgressBar({ total: work, label: "rg_flow", write: stderrWriter });
let done = 0;

interface LayerStats {
  layer: number;
  k: number;
  kStderr: number;
  kTheory: number;
  kurtosis: number;
  kurtosisStderr: number;
  kurtosisExact: number;
  kurtosisLeading: number;
  fourPointDiagonal: number;
  fourPointOffDiagonal: number;
}

function layerStats(z: Float32Array, l: number, n: number, scaled: boolean): LayerStats {
  // K and its error bar over groups of networks (neurons of one network are not independent).
  const size = Math.floor(nets / groups);
  const groupK = Array.from({ length: groups }, (_, g) => {
    let s = 0;
    for (let i = g * size * n; i < (g + 1) * size * n; i++) s += z[i] * z[i];
    return s / (size * n);
  });
  const k = z.reduce((s, v) => s + v * v, 0) / z.length;
  const kMean = groupK.reduce((a, b) => a + b, 0) / groups;
  const kStderr = Math.sqrt(groupK.reduce((s, v) => s + (v - kMean) ** 2, 0) / (groups - 1) / groups);
  const kurt = excessKurtosis(z, n, { groups });
  const four = connectedFourPoint(z, n);
  return {
    layer: l,
    k,
    kStderr,
    kTheory: theoryK(l, scaled),
    kurtosis: kurt.mean.value,
    kurtosisStderr: kurt.mean.stderr,
    kurtosisExact: exactKurtosis(l, n),
    kurtosisLeading: leadingKurtosis(l, n),
    fourPointDiagonal: four.diagonal.value,
    fourPointOffDiagonal: four.offDiagonal.value,
  };
}

// ---- Study 1: the default ensemble, critical and unscaled ------------------------------------
const variants = [
  { name: "critical", scaled: true, label: "C_W = 2, N(0, C_W/fan_in)" },
  { name: "unscaled", scaled: false, label: "std √2, N(0, 2) without fan-in scaling" },
] as const;
const perVariant: Record<string, LayerStats[]> = {};
let critical: Float32Array[] = [];
for (const v of variants) {
  const zs = await ensemblePreactivations(x, {
    nets,
    widths: new Array(depth).fill(width),
    weightVariance: CW,
    scaling: v.scaled ? "fan-in" : "none",
    seed: deriveSeed(seed, "ensemble", v.name),
  });
  perVariant[v.name] = zs.map((z, l) => layerStats(z, l + 1, width, v.scaled));
  if (v.scaled) critical = zs;
  bar.update(done += depth * width, `${v.name} ensemble`);
}
const last = critical[depth - 1];
const hotelling = hotellingT2(last, width);
results.study1 = { variants: perVariant, hotelling };
await save();

// ---- Study 2: depth and width sweep at criticality --------------------------------------------
const sweep: { width: number; layers: LayerStats[] }[] = [];
for (const n of widths) {
  const zs = await ensemblePreactivations(x, {
    nets,
    widths: new Array(maxDepth).fill(n),
    weightVariance: CW,
    seed: deriveSeed(seed, "width sweep", n),
  });
  sweep.push({ width: n, layers: zs.map((z, l) => layerStats(z, l + 1, n, true)) });
  results.sweep = sweep;
  await save();
  bar.update(done += maxDepth * n, `width ${n}`);
}
bar.finish(`${((performance.now() - started) / 1000).toFixed(0)} s`);

// ---- Figures ------------------------------------------------------------------------------------
const layers = Array.from({ length: depth }, (_, l) => l + 1);
const figures: Record<string, { svg: Figure; data: unknown }> = {};
figures.variance = {
  data: perVariant,
  svg: subplots({
    panels: variants.map((v) =>
      linePlot({
        series: [
          {
            x: layers,
            y: perVariant[v.name].map((s) => s.k),
            errors: perVariant[v.name].map((s) => s.kStderr),
            label: "ensemble",
            markers: true,
          },
          { x: layers, y: perVariant[v.name].map((s) => s.kTheory), label: "theory", dashed: true },
        ],
        xLabel: "layer ℓ",
        yLabel: "preactivation variance K",
        yScale: v.scaled ? "linear" : "log",
        yDomain: v.scaled ? [0, 2 * Math.max(...perVariant[v.name].map((s) => s.kTheory))] : undefined,
        width: 440,
        height: 320,
      })
    ),
    titles: variants.map((v) => v.label),
    title: `Variance per layer (${nets} networks, width ${width})`,
  }),
};
figures.histograms = {
  data: critical.map((z, l) => ({
    layer: l + 1,
    kTheory: theoryK(l + 1, true),
    sample: Array.from(z.subarray(0, 5000)),
  })),
  svg: subplots({
    panels: critical.map((z, l) => {
      const k = theoryK(l + 1, true);
      return histogram({
        values: z,
        bins: 60,
        label: "preactivations",
        curves: [{
          label: `N(0, ${k.toFixed(2)})`,
          density: (v) => Math.exp(-(v * v) / (2 * k)) / Math.sqrt(2 * Math.PI * k),
        }],
        xLabel: "z",
        width: 400,
        height: 300,
      });
    }),
    columns: Math.min(3, depth),
    titles: critical.map((_, l) => `layer ${l + 1}`),
    title: "Preactivation histograms at criticality vs the Gaussian of the theory variance",
  }),
};
const depths = Array.from({ length: maxDepth }, (_, l) => l + 1);
figures.kurtosis_depth = {
  data: sweep,
  svg: linePlot({
    title: "Excess kurtosis vs depth (markers: ensemble ± s.e.; solid: exact; dashed: 15(ℓ−1)/n)",
    series: sweep.flatMap((s, i): LineSeries[] => [
      {
        x: depths,
        y: s.layers.map((l) => l.kurtosis),
        errors: s.layers.map((l) => l.kurtosisStderr),
        label: `n = ${s.width}`,
        markers: true,
        color: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"][i % 6],
      },
      {
        x: depths,
        y: depths.map((l) => exactKurtosis(l, s.width)),
        color: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"][i % 6],
      },
      {
        x: depths,
        y: depths.map((l) => leadingKurtosis(l, s.width)),
        dashed: true,
        color: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"][i % 6],
      },
    ]),
    xLabel: "layer ℓ",
    yLabel: "excess kurtosis",
    width: 760,
    height: 460,
  }),
};
const picks = [...new Set([Math.min(3, maxDepth), Math.ceil(maxDepth / 2), maxDepth])];
figures.kurtosis_width = {
  data: { widths, picks, kurtosis: picks.map((l) => sweep.map((s) => s.layers[l - 1].kurtosis)) },
  svg: linePlot({
    title: "Excess kurtosis vs depth/width",
    series: [
      ...picks.map((l): LineSeries => ({
        x: widths.map((n) => (l - 1) / n),
        y: sweep.map((s) => s.layers[l - 1].kurtosis),
        errors: sweep.map((s) => s.layers[l - 1].kurtosisStderr),
        label: `ℓ = ${l}`,
        markers: true,
      })),
      {
        x: [0, (Math.max(...picks) - 1) / Math.min(...widths)],
        y: [0, (15 * (Math.max(...picks) - 1)) / Math.min(...widths)],
        label: "15(ℓ−1)/n",
        dashed: true,
      },
    ],
    xLabel: "(ℓ − 1) / n",
    yLabel: "excess kurtosis",
  }),
};
for (const [name, f] of Object.entries(figures)) await writeAtomic(`${outDir}/${name}.svg`, f.svg.toSvg());
await writeJson(`${outDir}/figures.json`, Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.data])));
await save("complete");

console.log(`\nRG flow at initialization (${rt.adapterName}; ${nets} ReLU networks, input dim ${inputDim})\n`);
for (const v of variants) {
  console.log(`${v.label}, width ${width}:`);
  console.log(table(
    ["layer", "K", "± s.e.", "K theory", "kurtosis", "± s.e.", "exact", "15(ℓ−1)/n", "⟨z⁴⟩c", "⟨zi²zj²⟩c"],
    perVariant[v.name].map((
      s,
    ) => [
      s.layer,
      s.k,
      s.kStderr,
      s.kTheory,
      s.kurtosis,
      s.kurtosisStderr,
      s.kurtosisExact,
      s.kurtosisLeading,
      s.fourPointDiagonal,
      s.fourPointOffDiagonal,
    ]),
  ));
  console.log();
}
console.log(
  `Hotelling T² (last layer, H0: mean 0): T² = ${hotelling.t2.toFixed(2)}, F(${hotelling.df.join(", ")}) = ${
    hotelling.f.toFixed(3)
  }, p = ${hotelling.pValue.toFixed(3)}\n`,
);
console.log("Excess kurtosis at criticality (ensemble / exact):");
console.log(table(
  ["layer", ...widths.map((n) => `n = ${n}`)],
  depths.map((
    l,
  ) => [
    l,
    ...sweep.map((s) => `${s.layers[l - 1].kurtosis.toFixed(3)} / ${s.layers[l - 1].kurtosisExact.toFixed(3)}`),
  ]),
));
console.log(`\nwrote ${outDir}/{results,figures}.json and ${Object.keys(figures).length} SVG figures`);
