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
 *       [--widths 32,64,128,256] [--input 128] [--seed 0] [--out out/rg_flow] [--quick]
 *       [--shard i/n]`, and `deno run -A experiments/rg_flow.ts merge SHARD_DIR... --out OUT`.
 *
 * Units: the critical and the unscaled ensemble, then one per width of the sweep.
 *
 * Outputs (in --out): results.json, figures.json, variance.svg, histograms.svg, kurtosis_depth.svg,
 * kurtosis_width.svg; tables on stdout, progress on stderr.
 */
import {
  connectedFourPoint,
  deriveSeed,
  ensemblePreactivations,
  excessKurtosis,
  histogram,
  type HotellingResult,
  hotellingT2,
  linePlot,
  type LineSeries,
  subplots,
} from "../mod.ts";
import { type HistogramDensity, histogramDensity } from "../plot/mod.ts";
import { hostRandom } from "../kernels/mod.ts";
import { table } from "./_common.ts";
import { type Experiment, main, type Report } from "./_program.ts";

/** The configuration of a run (flags after --quick). */
export interface RgFlowConfig {
  /** Random networks per ensemble. */
  nets: number;
  /** Width and depth of the first study's networks. */
  width: number;
  depth: number;
  /** Deepest layer and widths of the sweep. */
  maxDepth: number;
  widths: number[];
  /** Input dimension. */
  inputDim: number;
  seed: number;
  /** Weight variance C_W (critical for ReLU at 2). */
  cw: number;
  /** Groups of networks for error bars. */
  groups: number;
}

/** Statistics of one layer's preactivations over an ensemble. */
export interface LayerStats {
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

/** A unit's record: the layers of one ensemble (the critical one also has its test and histograms). */
export interface EnsembleRecord {
  width: number;
  layers: LayerStats[];
  hotelling?: HotellingResult;
  histograms?: HistogramDensity[];
}

const VARIANTS = [
  { name: "critical", scaled: true, label: "C_W = 2, N(0, C_W/fan_in)" },
  { name: "unscaled", scaled: false, label: "std √2, N(0, 2) without fan-in scaling" },
] as const;

/** The exact finite-width excess kurtosis 3((1 + 5/n)^(ℓ−1) − 1) and its leading order 15(ℓ−1)/n. */
export const exactKurtosis = (l: number, n: number): number => 3 * ((1 + 5 / n) ** (l - 1) - 1);
const leadingKurtosis = (l: number, n: number) => (15 * (l - 1)) / n;

/** The fixed input, standardised to mean 0 and variance 1 (so |x|²/n₀ = 1). */
function input(config: RgFlowConfig): Float64Array {
  const raw = hostRandom(config.inputDim, { seed: deriveSeed(config.seed, "input"), distribution: "normal" });
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  const std = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length);
  return raw.map((v) => (v - mean) / std);
}

/** Theory for K_ℓ: fan-in scaling keeps C_W·|x|²/n₀ at criticality; without it each layer multiplies by n. */
function theoryK(config: RgFlowConfig, l: number, scaled: boolean): number {
  const x2 = input(config).reduce((a, b) => a + b * b, 0);
  return scaled
    ? config.cw * (x2 / config.inputDim) * (config.cw / 2) ** (l - 1)
    : config.cw * x2 * config.width ** (l - 1);
}

function layerStats(config: RgFlowConfig, z: Float32Array, l: number, n: number, scaled: boolean): LayerStats {
  // K and its error bar over groups of networks (neurons of one network are not independent).
  const { groups } = config;
  const size = Math.floor(config.nets / groups);
  const groupK = Array.from({ length: groups }, (_, g) => {
    let s = 0;
    for (let i = g * size * n; i < (g + 1) * size * n; i++) s += z[i] * z[i];
    return s / (size * n);
  });
  const kMean = groupK.reduce((a, b) => a + b, 0) / groups;
  const kurt = excessKurtosis(z, n, { groups });
  const four = connectedFourPoint(z, n);
  return {
    layer: l,
    k: z.reduce((s, v) => s + v * v, 0) / z.length,
    kStderr: Math.sqrt(groupK.reduce((s, v) => s + (v - kMean) ** 2, 0) / (groups - 1) / groups),
    kTheory: theoryK(config, l, scaled),
    kurtosis: kurt.mean.value,
    kurtosisStderr: kurt.mean.stderr,
    kurtosisExact: exactKurtosis(l, n),
    kurtosisLeading: leadingKurtosis(l, n),
    fourPointDiagonal: four.diagonal.value,
    fourPointOffDiagonal: four.offDiagonal.value,
  };
}

/**
 * Study 1: the default ensemble (width × depth), at criticality or without fan-in scaling. The critical
 * one also tests the last layer's mean with Hotelling's T² and bins every layer (60 bins).
 */
export async function ensembleStudy(config: RgFlowConfig, variant: "critical" | "unscaled"): Promise<EnsembleRecord> {
  const scaled = variant === "critical";
  const zs = await ensemblePreactivations(input(config), {
    nets: config.nets,
    widths: new Array(config.depth).fill(config.width),
    weightVariance: config.cw,
    scaling: scaled ? "fan-in" : "none",
    seed: deriveSeed(config.seed, "ensemble", variant),
  });
  const layers = zs.map((z, l) => layerStats(config, z, l + 1, config.width, scaled));
  if (!scaled) return { width: config.width, layers };
  return {
    width: config.width,
    layers,
    hotelling: hotellingT2(zs[config.depth - 1], config.width),
    histograms: zs.map((z) => histogramDensity(z, 60)),
  };
}

/** Study 2: one width of the depth sweep at criticality. */
export async function widthStudy(config: RgFlowConfig, n: number): Promise<EnsembleRecord> {
  const zs = await ensemblePreactivations(input(config), {
    nets: config.nets,
    widths: new Array(config.maxDepth).fill(n),
    weightVariance: config.cw,
    seed: deriveSeed(config.seed, "width sweep", n),
  });
  return { width: n, layers: zs.map((z, l) => layerStats(config, z, l + 1, n, true)) };
}

const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f"];

function report(config: RgFlowConfig, records: Record<string, EnsembleRecord>): Report {
  const { nets, width, depth, maxDepth, widths } = config;
  const perVariant = Object.fromEntries(VARIANTS.map((v) => [v.name, records[v.name].layers]));
  const critical = records.critical;
  const sweep = widths.map((n) => records[`width ${n}`]);
  const layers = Array.from({ length: depth }, (_, l) => l + 1);
  const figures: Report["figures"] = {};
  figures.variance = {
    data: perVariant,
    svg: subplots({
      panels: VARIANTS.map((v) =>
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
      titles: VARIANTS.map((v) => v.label),
      title: `Variance per layer (${nets} networks, width ${width})`,
    }),
  };
  figures.histograms = {
    data: critical.histograms!.map((h, l) => ({ layer: l + 1, kTheory: theoryK(config, l + 1, true), ...h })),
    svg: subplots({
      panels: critical.histograms!.map((h, l) => {
        const k = theoryK(config, l + 1, true);
        return histogram({
          values: h,
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
      titles: layers.map((l) => `layer ${l}`),
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
          color: COLORS[i % COLORS.length],
        },
        { x: depths, y: depths.map((l) => exactKurtosis(l, s.width)), color: COLORS[i % COLORS.length] },
        {
          x: depths,
          y: depths.map((l) => leadingKurtosis(l, s.width)),
          dashed: true,
          color: COLORS[i % COLORS.length],
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
  return {
    results: { study1: { variants: perVariant, hotelling: critical.hotelling }, sweep },
    figures,
    text: tables(config, perVariant, critical.hotelling!, sweep),
  };
}

function tables(
  config: RgFlowConfig,
  perVariant: Record<string, LayerStats[]>,
  hotelling: HotellingResult,
  sweep: EnsembleRecord[],
): string {
  const lines = [`\nRG flow at initialization (${config.nets} ReLU networks, input dim ${config.inputDim})\n`];
  for (const v of VARIANTS) {
    lines.push(`${v.label}, width ${config.width}:`);
    lines.push(table(
      ["layer", "K", "± s.e.", "K theory", "kurtosis", "± s.e.", "exact", "15(ℓ−1)/n", "⟨z⁴⟩c", "⟨zi²zj²⟩c"],
      perVariant[v.name].map((s) => [
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
    lines.push("");
  }
  lines.push(
    `Hotelling T² (last layer, H0: mean 0): T² = ${hotelling.t2.toFixed(2)}, F(${hotelling.df.join(", ")}) = ${
      hotelling.f.toFixed(3)
    }, p = ${hotelling.pValue.toFixed(3)}\n`,
  );
  lines.push("Excess kurtosis at criticality (ensemble / exact):");
  const depths = Array.from({ length: config.maxDepth }, (_, l) => l + 1);
  lines.push(table(
    ["layer", ...config.widths.map((n) => `n = ${n}`)],
    depths.map((l) => [
      l,
      ...sweep.map((s) => `${s.layers[l - 1].kurtosis.toFixed(3)} / ${s.layers[l - 1].kurtosisExact.toFixed(3)}`),
    ]),
  ));
  return lines.join("\n");
}

const FLAGS = {
  nets: { default: "2000", kind: "count", min: 2, help: "Random networks in each ensemble" },
  width: { default: "256", kind: "count", min: 1, help: "Hidden width of the first study's networks" },
  depth: { default: "3", kind: "count", min: 1, help: "Hidden layers of the first study's networks" },
  "max-depth": { default: "12", kind: "count", min: 1, help: "Deepest layer of the width/depth sweep" },
  widths: { default: "32,64,128,256", kind: "counts", min: 1, help: "Widths of the width/depth sweep" },
  input: { default: "128", kind: "count", min: 1, help: "Input dimension" },
  seed: { default: "0", kind: "count", help: "Seed of the ensembles and the input" },
} as const;

/** The RG-flow experiment as a program (see experiments/_program.ts). */
export const experiment: Experiment<typeof FLAGS, RgFlowConfig, EnsembleRecord> = {
  name: "rg_flow",
  flags: FLAGS,
  configure(flags, quick) {
    const config: RgFlowConfig = {
      nets: quick ? 300 : flags.nets,
      width: quick ? 32 : flags.width,
      depth: quick ? 3 : flags.depth,
      maxDepth: quick ? 4 : flags["max-depth"],
      widths: quick ? [16, 32] : flags.widths,
      inputDim: quick ? 16 : flags.input,
      seed: flags.seed,
      cw: 2,
      groups: 10,
    };
    if (config.nets <= config.width) {
      throw new RangeError(`--nets (${config.nets}) must exceed --width (${config.width}) for Hotelling's T²`);
    }
    return config;
  },
  units: (config) => [
    ...VARIANTS.map((v) => ({ id: v.name, weight: config.depth * config.width })),
    ...config.widths.map((n) => ({ id: `width ${n}`, weight: config.maxDepth * n })),
  ],
  start: (config) =>
    Promise.resolve((unit) =>
      unit.id.startsWith("width ")
        ? widthStudy(config, Number(unit.id.slice(6)))
        : ensembleStudy(config, unit.id as "critical" | "unscaled")
    ),
  report,
};

if (import.meta.main) await main(experiment);
