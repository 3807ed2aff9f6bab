/**
 * The embedding-restrictions study's figures and summary tables (see embedding_restrictions.ts).
 *
 * @module
 */
import { heatmap, imageGrid, linePlot, subplots } from "../mod.ts";
import { table } from "./_common.ts";
import { PALETTE, seriesColor } from "./_palette.ts";
import type { Report } from "./_program.ts";
import type { Checkpoint, Dataset, EmbeddingConfig, GridMaps, RunRecord, StagedRecord } from "./_embedding_models.ts";

/** float32's machine epsilon: a singular value ratio below it is rank deficiency at float32 resolution. */
const FLOAT32_EPSILON = 2 ** -23;
/** Colour floor of σ_min/σ_max maps (a computed ratio of exactly zero gets this colour). */
const RATIO_FLOOR = 1e-10;

/** σ_min/σ_max of the hidden Jacobian at each grid point (0 where σ_max is 0). */
function conditionRatio(m: GridMaps): number[] {
  return m.jacobianMin.map((s, i) => (m.jacobianMax[i] > 0 ? s / m.jacobianMax[i] : 0));
}

/** Share of grid points whose σ_min/σ_max is below float32 resolution (numerically rank one). */
function belowResolution(ratios: number[]): number {
  return ratios.filter((r) => r < FLOAT32_EPSILON).length / ratios.length;
}

/** The median of a list. */
function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b), h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** The test points drawn on the decision maps. */
function testPoints(data: Dataset) {
  return {
    x: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i]),
    y: Array.from({ length: data.test.y.length }, (_, i) => data.test.x[2 * i + 1]),
    classes: Array.from(data.test.y),
    labels: ["class 0 (test)", "class 1 (test)"],
  };
}

/** Decision maps of the first seed's models, and their training losses. */
function decisionFigures(
  config: EmbeddingConfig,
  data: Dataset,
  first: RunRecord[],
  m: Record<string, GridMaps>,
): Report["figures"] {
  const { gridSize, seeds, models, extent } = config;
  const figures: Report["figures"] = {};
  figures[`${data.name}_decision`] = {
    data: { grid: gridSize, extent: extent, models: Object.fromEntries(models.map((k) => [k, m[k].probability])) },
    svg: subplots({
      panels: models.map((k) =>
        heatmap({
          values: m[k].probability,
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          colorDomain: [0, 1],
          boundary: 0.5,
          colorLabel: "p(class 1)",
          xLabel: "x₁",
          yLabel: "x₂",
          points: testPoints(data),
          width: 420,
          height: 360,
        })
      ),
      columns: 3,
      titles: models.map((k) => `${k}: test ${(100 * first.find((r) => r.model === k)!.testAccuracy).toFixed(0)}%`),
      title: `Decision boundaries on ${data.name} (test points; seed ${seeds[0]})`,
    }),
  };
  figures[`${data.name}_loss`] = {
    data: Object.fromEntries(first.map((r) => [r.model, r.loss])),
    svg: linePlot({
      title: `Training loss on ${data.name}`,
      series: first.map((r) => ({ x: r.loss.map((p) => p.step), y: r.loss.map((p) => p.loss), label: r.model })),
      xLabel: "step",
      yLabel: "binary cross-entropy",
      yScale: "log",
    }),
  };
  return figures;
}

// Floor for log colour: exact zeros would otherwise have no colour. Panels that are compared share
// one colour scale (the range over all of them).
const floor = (v: number[], at = 1e-7) => v.map((s) => Math.max(s, at));
const shared = (arrays: number[][], at = 1e-7): [number, number] => {
  const all = arrays.flatMap((a) => floor(a, at));
  return [all.reduce((a, b) => Math.min(a, b)), all.reduce((a, b) => Math.max(a, b))];
};

/** The hidden Jacobian's scale and rank maps, and the output's gradient norm, on shared colour scales. */
function jacobianFigures(config: EmbeddingConfig, data: Dataset, m: Record<string, GridMaps>): Report["figures"] {
  const { gridSize, models, extent } = config;
  const figures: Report["figures"] = {};
  const ratio = (k: string) => conditionRatio(m[k]);
  const maxDomain = shared(models.map((k) => m[k].jacobianMax));
  const ratioDomain = shared(models.map(ratio), RATIO_FLOOR);
  figures[`${data.name}_jacobian`] = {
    data: Object.fromEntries(models.map((k) => [k, { min: m[k].jacobianMin, max: m[k].jacobianMax }])),
    svg: subplots({
      panels: models.flatMap((k) => [
        heatmap({
          values: floor(m[k].jacobianMax),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: maxDomain,
          colorLabel: "σₘₐₓ",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        }),
        heatmap({
          values: floor(ratio(k), RATIO_FLOOR),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: ratioDomain,
          colorLabel: "σₘᵢₙ / σₘₐₓ",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        }),
      ]),
      columns: 2,
      titles: models.flatMap((k) => [
        `${k}: largest singular value`,
        `${k}: σₘᵢₙ/σₘₐₓ (${(100 * belowResolution(ratio(k))).toFixed(0)}% below float32 ε)`,
      ]),
      title:
        `Input Jacobian of the last hidden layer on ${data.name}: scale and rank (each column one log colour scale)`,
    }),
  };
  return { ...figures, ...gradientFigure(config, data, m) };
}

/** The output probability's gradient norm |∇ₓ p| on one shared log colour scale. */
function gradientFigure(config: EmbeddingConfig, data: Dataset, m: Record<string, GridMaps>): Report["figures"] {
  const { gridSize, models, extent } = config;
  const figures: Report["figures"] = {};
  const gradientDomain = shared(models.map((k) => m[k].outputGradient));
  figures[`${data.name}_gradient`] = {
    data: { grid: gridSize, extent, models: Object.fromEntries(models.map((k) => [k, m[k].outputGradient])) },
    svg: subplots({
      panels: models.map((k) =>
        heatmap({
          values: floor(m[k].outputGradient),
          nx: gridSize,
          ny: gridSize,
          xDomain: extent,
          yDomain: extent,
          logColor: true,
          colorDomain: gradientDomain,
          colorLabel: "|∇p|",
          xLabel: "x₁",
          yLabel: "x₂",
          width: 380,
          height: 320,
        })
      ),
      columns: 3,
      titles: models.map((k) => k),
      title: `Gradient norm of the output probability on ${data.name} (the original's maps; one log colour scale)`,
    }),
  };
  return figures;
}

/** The maps of one dataset: decision boundaries, losses, hidden Jacobian and output gradient. */
export function mapFigures(
  config: EmbeddingConfig,
  data: Dataset,
  runs: RunRecord[],
  m: Record<string, GridMaps>,
): Report["figures"] {
  const first = runs.filter((r) => r.dataset === data.name && r.seed === config.seeds[0]);
  return { ...decisionFigures(config, data, first, m), ...jacobianFigures(config, data, m) };
}

/** Per staged model: the decision map and the weight singular values after every stage. */
export function stagedFigures(config: EmbeddingConfig, data: Dataset, staged: StagedRecord): Report["figures"] {
  const key = staged.model.replaceAll(" ", "_"), extent = config.extent, n = config.gridSize;
  const points = testPoints(data);
  const layers = staged.stages[0].singular.map((_, l) => l + 1);
  return {
    [`staged_${key}_decision`]: {
      data: staged.stages.map((s) => ({ epoch: s.epoch, testAccuracy: s.testAccuracy, probability: s.probability })),
      svg: subplots({
        panels: staged.stages.map((s) =>
          heatmap({
            values: s.probability,
            nx: n,
            ny: n,
            xDomain: extent,
            yDomain: extent,
            colorDomain: [0, 1],
            boundary: 0.5,
            colorLabel: "p(class 1)",
            points,
            width: 380,
            height: 320,
          })
        ),
        columns: 3,
        titles: staged.stages.map((s) => `epoch ${s.epoch}: test ${(100 * s.testAccuracy).toFixed(0)}%`),
        title: `${staged.model} on ${data.name}, trained in stages`,
      }),
    },
    [`staged_${key}_spectra`]: {
      data: staged.stages.map((s) => ({ epoch: s.epoch, singular: s.singular })),
      svg: linePlot({
        title: `${staged.model}: weight singular values per layer after each stage (solid σ₁, dashed σₘᵢₙ)`,
        series: staged.stages.flatMap((s, i) => [
          {
            x: layers,
            y: s.singular.map((v) => v[0]),
            label: `epoch ${s.epoch}`,
            markers: true,
            color: PALETTE[i % PALETTE.length],
          },
          {
            x: layers,
            y: s.singular.map((v) => Math.max(v[v.length - 1], 1e-7)),
            dashed: true,
            color: PALETTE[i % PALETTE.length],
          },
        ]),
        xLabel: "layer",
        yLabel: "singular value",
        yScale: "log",
        width: 760,
      }),
    },
  };
}

/** Per-layer weight singular values and weight heatmaps at the checkpoints. */
export function checkpointFigures(checkpoints: Checkpoint[]): Report["figures"] {
  const layers = checkpoints[0].singular.map((_, l) => l + 1);
  return {
    weight_spectra: {
      data: checkpoints.map((c) => ({ step: c.step, singular: c.singular })),
      svg: linePlot({
        title: "Per-layer weight singular values, narrow tanh on circles (solid σ₁, dashed σₘᵢₙ)",
        series: checkpoints.flatMap((c, i) => [
          {
            x: layers,
            y: c.singular.map((s) => s[0]),
            label: `step ${c.step}`,
            markers: true,
            color: seriesColor(i, 4),
          },
          { x: layers, y: c.singular.map((s) => s[s.length - 1]), dashed: true, color: seriesColor(i, 4) },
        ]),
        xLabel: "layer",
        yLabel: "singular value",
        yScale: "log",
        width: 760,
      }),
    },
    weight_heatmaps: {
      data: checkpoints.map((c) => ({ step: c.step, shapes: c.shapes, weights: c.weights })),
      svg: subplots({
        panels: checkpoints.map((c) =>
          imageGrid({
            images: c.weights,
            imageWidth: 2,
            imageHeight: 2,
            sizes: c.shapes.map(([rows, cols]) => [cols, rows] as [number, number]),
            columns: 8,
            colormap: "diverging",
            scale: 14,
            captions: c.weights.map((_, l) => `L${l + 1}`),
          })
        ),
        columns: 1,
        titles: checkpoints.map((c) => `step ${c.step}`),
        title: "Weights of the narrow tanh network (fan-in rows x fan-out columns; red > 0 > blue)",
      }),
    },
  };
}

/** The summary tables: accuracy per dataset and model, and the hidden Jacobian's rank on the grid. */
export function summary(
  config: EmbeddingConfig,
  runs: RunRecord[],
  maps: Record<string, Record<string, GridMaps>>,
): string {
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return [mean, Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(v.length - 1, 1))];
  };
  return [
    `\nEmbedding restrictions (seeds ${config.seeds.join(", ")}, up to ${config.tries} tries per seed)\n`,
    table(
      ["dataset", "model", "test acc (mean)", "± std", "train acc", "tries (total)", "steps (mean)"],
      config.datasets.flatMap((d) =>
        config.models.map((k) => {
          const rs = runs.filter((r) => r.dataset === d && r.model === k);
          const [mean, std] = stats(rs.map((r) => r.testAccuracy));
          return [
            d,
            k,
            mean,
            std,
            stats(rs.map((r) => r.trainAccuracy))[0],
            rs.reduce((s, r) => s + r.tries, 0),
            stats(rs.map((r) => r.steps))[0],
          ];
        })
      ),
    ),
    `\nRank of the last hidden layer's input Jacobian over the ${config.gridSize}² grid (seed ${
      config.seeds[0]
    }): σ_min/σ_max, and the share of points where it is below float32 resolution (ε = 1.2e-7; numerically rank one)\n`,
    table(
      ["dataset", "model", "median σmin/σmax", "max σmin/σmax", "below ε"],
      Object.entries(maps).flatMap(([d, byModel]) =>
        Object.entries(byModel).map(([k, m]) => {
          const r = conditionRatio(m);
          const e = (v: number) => v.toExponential(1);
          return [d, k, e(median(r)), e(Math.max(...r)), `${(100 * belowResolution(r)).toFixed(0)}%`];
        })
      ),
    ),
  ].join("\n");
}
