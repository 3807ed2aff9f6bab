/**
 * The alignment experiment's report (see ./alignment.ts): the per-epoch measures averaged over seeds, the
 * cross-seed linear CKA of every pair of layers, the figures and the tables.
 *
 * @module
 */
import { heatmap, linePlot, subplots } from "../mod.ts";
import { table } from "./_common.ts";
import type { Report } from "./_program.ts";
import { SERIES_COLORS } from "./_palette.ts";
import {
  type AlignmentConfig,
  type AlignmentEpoch,
  CKA_NAMES,
  type SeedRecord,
  WEIGHT_NAMES,
} from "./_alignment_study.ts";

/** ⟨A, B⟩_F of two symmetric matrices given by their upper triangles (row by row, diagonal included). */
function frobenius(a: readonly number[], b: readonly number[], n: number): number {
  let s = 0, k = 0;
  for (let i = 0; i < n; i++) {
    s += a[k] * b[k];
    k++;
    for (let j = i + 1; j < n; j++, k++) s += 2 * a[k] * b[k];
  }
  return s;
}

/**
 * Linear CKA ⟨K̃x, K̃y⟩_F / (‖K̃x‖_F ‖K̃y‖_F) of two centred Gram matrices given by their upper triangles
 * (Kornblith et al. 2019: the centred alignment of the linear kernels).
 */
export function linearCkaOfGrams(x: readonly number[], y: readonly number[], n: number): number {
  return frobenius(x, y, n) / Math.sqrt(frobenius(x, x, n) * frobenius(y, y, n));
}

/** The cross-seed CKA matrix of one pair of runs: entry [i][j] compares layer i of `a` with layer j of `b`. */
function ckaMatrix(a: number[][], b: number[][], n: number): number[][] {
  return a.map((ga) => b.map((gb) => linearCkaOfGrams(ga, gb, n)));
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]) =>
  v.length < 2 ? 0 : Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1));

/** Mean and standard deviation over seeds of one per-epoch measure. */
function overSeeds(runs: SeedRecord[], pick: (e: AlignmentEpoch) => number) {
  const epochs = runs[0].epochs.map((e) => e.epoch);
  const values = epochs.map((_, t) => runs.map((r) => pick(r.epochs[t])));
  return { epochs, mean: values.map(mean), sd: values.map(sd) };
}

/** The cross-seed CKA of every pair of seeds, its mean, its diagonal and how often the diagonal dominates. */
function crossSeed(config: AlignmentConfig, runs: SeedRecord[]) {
  const n = config.featureProbe, pairs: { seeds: [number, number]; cka: number[][] }[] = [];
  for (let a = 0; a < runs.length; a++) {
    for (let b = a + 1; b < runs.length; b++) {
      pairs.push({ seeds: [runs[a].seed, runs[b].seed], cka: ckaMatrix(runs[a].grams!, runs[b].grams!, n) });
    }
  }
  const size = CKA_NAMES.length;
  const meanCka = Array.from(
    { length: size },
    (_, i) => Array.from({ length: size }, (_, j) => mean(pairs.map((p) => p.cka[i][j]))),
  );
  const diagonal = meanCka.map((row, i) => row[i]);
  // For layer i of one seed, the most similar layer of the other (Kornblith et al.: the same one, or a
  // neighbour that differs from it by a ReLU or a pooling).
  const closest = meanCka.map((row) => row.indexOf(Math.max(...row)));
  return { pairs, mean: meanCka, diagonal, closest };
}

/** The report of the records: results.json's numbers, the figures and the tables. */
export function report(config: AlignmentConfig, records: Record<string, SeedRecord>): Report {
  const runs = config.seeds.map((s) => records[`seed ${s}`]);
  const alignment = overSeeds(runs, (e) => e.ntkAlignment);
  const layers = WEIGHT_NAMES.map((_, l) => overSeeds(runs, (e) => e.layerAlignment[l]));
  const entropy = overSeeds(runs, (e) => e.ntkEntropy);
  const rank = overSeeds(runs, (e) => e.rankMe), alpha = overSeeds(runs, (e) => e.alphaReq);
  const accuracy = overSeeds(runs, (e) => e.testAccuracy);
  const cross = runs.length >= 2 ? crossSeed(config, runs) : null;
  const ep = alignment.epochs;
  const panel = (series: Parameters<typeof linePlot>[0]["series"], yLabel: string) =>
    linePlot({ series, xLabel: "epoch", yLabel, width: 460, height: 320 });
  const spread = runs.length >= 2 ? " (mean ± sd over seeds)" : "";
  const figures: Report["figures"] = {
    alignment_vs_epoch: {
      data: { epoch: ep, alignment, layers: Object.fromEntries(WEIGHT_NAMES.map((n, l) => [n, layers[l]])) },
      svg: subplots({
        title: `NTK–target alignment and NTK entropy during training${spread}`,
        titles: ["centred NTK–target alignment", "NTK entropy (cosine-normalised kernel)"],
        panels: [
          panel([
            { x: ep, y: alignment.mean, errors: alignment.sd, label: "whole NTK", color: "#222222", markers: true },
            ...layers.map((s, l) => ({
              x: ep,
              y: s.mean,
              errors: s.sd,
              label: `${WEIGHT_NAMES[l]} share`,
              color: SERIES_COLORS[l + 1],
              dashed: true,
            })),
          ], "alignment A(Θ, yyᵀ)"),
          panel([{ x: ep, y: entropy.mean, errors: entropy.sd, markers: true }], "S (nats)"),
        ],
      }),
    },
    features_vs_epoch: {
      data: { epoch: ep, rankMe: rank, alphaReq: alpha, testAccuracy: accuracy },
      svg: subplots({
        title: `Penultimate features (256 wide) on ${config.featureProbe} test digits${spread}`,
        titles: ["RankMe", "α-ReQ (decay exponent of the covariance spectrum)"],
        panels: [
          panel([{ x: ep, y: rank.mean, errors: rank.sd, markers: true }], "RankMe"),
          panel([{ x: ep, y: alpha.mean, errors: alpha.sd, markers: true }], "α"),
        ],
      }),
    },
  };
  if (cross) figures.cross_seed_cka = crossSeedFigure(config, cross);
  return {
    results: { seeds: runs.map(({ grams: _grams, ...rest }) => rest), crossSeedCka: cross, layers: CKA_NAMES },
    figures,
    text: reportText(config, runs, cross),
  };
}

/** Pixels per heatmap cell side. */
const CELL = 16;

/** A square matrix as a CELL-times finer grid, row j of the grid first (the heatmap's layout). */
function upsampled(m: number[][]): number[] {
  const size = m.length, out: number[] = [];
  for (let gy = 0; gy < size * CELL; gy++) {
    for (let gx = 0; gx < size * CELL; gx++) out.push(m[Math.floor(gy / CELL)][Math.floor(gx / CELL)]);
  }
  return out;
}

/** The heatmap of the mean cross-seed CKA and its diagonal against depth. */
function crossSeedFigure(config: AlignmentConfig, cross: NonNullable<ReturnType<typeof crossSeed>>) {
  const size = CKA_NAMES.length;
  return {
    data: { layers: CKA_NAMES, mean: cross.mean, pairs: cross.pairs },
    svg: subplots({
      title: `Linear CKA between seeds after ${config.epochs} epochs (${config.featureProbe} test digits)`,
      titles: ["linear CKA, layer i of one seed vs layer j of another", "the same layer of two seeds"],
      panels: [
        heatmap({
          // Each cell as CELL x CELL pixels, so that a renderer that smooths the raster still shows sharp cells.
          values: upsampled(cross.mean),
          nx: size * CELL,
          ny: size * CELL,
          xDomain: [0.5 + 0.5 / CELL, size + 0.5 - 0.5 / CELL],
          yDomain: [0.5 + 0.5 / CELL, size + 0.5 - 0.5 / CELL],
          colorDomain: [0, 1],
          xLabel: "layer j (1 = conv1 … 9 = logits)",
          yLabel: "layer i",
          width: 460,
          height: 400,
        }),
        linePlot({
          series: [{ x: CKA_NAMES.map((_, i) => i), y: cross.diagonal, markers: true }],
          xCategories: CKA_NAMES,
          xLabel: "layer",
          yLabel: "CKA of the same layer",
          width: 460,
          height: 400,
        }),
      ],
    }),
  };
}

function reportText(
  config: AlignmentConfig,
  runs: SeedRecord[],
  cross: ReturnType<typeof crossSeed> | null,
): string {
  const f = (v: number, d = 3) => v.toFixed(d);
  const rows = runs.flatMap((r) =>
    r.epochs.map((e) => [
      r.seed,
      e.epoch,
      f(100 * e.testAccuracy, 1),
      f(e.ntkAlignment),
      e.layerAlignment.map((v) => f(v)).join(" / "),
      e.layerTrace.map((v) => f(v, 2)).join(" / "),
      f(e.ntkEntropy),
      f(e.rankMe, 1),
      f(e.alphaReq),
    ])
  );
  let text = `NTK on ${config.ntkProbe} training digits, features on ${config.featureProbe} test digits\n` +
    table(
      [
        "seed",
        "epoch",
        "test acc %",
        "NTK align",
        `align by layer (${WEIGHT_NAMES.join(" / ")})`,
        "trace share",
        "NTK entropy",
        "RankMe",
        "α-ReQ",
      ],
      rows,
    );
  if (cross) {
    text += "\nCross-seed linear CKA (mean over seed pairs), layer i (rows) vs layer j\n" +
      table(["", ...CKA_NAMES], cross.mean.map((row, i) => [CKA_NAMES[i], ...row.map((v) => f(v, 2))])) +
      `\nMost similar layer of the other seed: ${
        cross.closest.map((j, i) => `${CKA_NAMES[i]} → ${CKA_NAMES[j]}`).join(", ")
      }\n(the same layer for ${cross.closest.filter((j, i) => j === i).length} of ${CKA_NAMES.length}, ` +
      `within one layer for ${cross.closest.filter((j, i) => Math.abs(j - i) <= 1).length})\n`;
  }
  return text;
}
