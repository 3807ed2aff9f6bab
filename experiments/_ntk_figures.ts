/**
 * The NTK-entropy experiment's report (see ./ntk_entropy.ts): results.json's numbers, the five figures
 * and the three tables, from every unit's record.
 *
 * @module
 */
import { linePlot, subplots } from "../mod.ts";
import { table, trapezoidArea } from "./_common.ts";
import type { Report } from "./_program.ts";
import {
  type EpochRecord,
  type InfiniteRecord,
  NORMALIZATION,
  type NtkEntropyConfig,
  type NtkRecord,
  type SizeRecord,
} from "./_ntk_types.ts";

/** What the figures and tables show: the records, and the per-subset numbers derived from them. */
interface ReportData {
  subsets: number[];
  inf: InfiniteRecord;
  epochs: EpochRecord[];
  sizes: SizeRecord[];
  first: EpochRecord;
  last: EpochRecord;
  /** Epoch numbers and test accuracy per evaluation. */
  ep: number[];
  acc: number[];
  /** Information transfer S(start) − S(end) and the area ∫ S dt, per subset size. */
  transfer: number[];
  area: number[];
  /** One entropy-per-epoch curve per subset size. */
  perSubset: { x: number[]; y: number[]; label: string }[];
}

/** The report of the records: results.json's numbers, the figures and the tables. */
export function report(config: NtkEntropyConfig, records: Record<string, NtkRecord>): Report {
  const { subsets } = config;
  const inf = records.infinite as InfiniteRecord;
  const epochs = (records.training as { epochs: EpochRecord[] }).epochs;
  const sizes = config.sizes.map((size) => records[`size ${size}`] as SizeRecord);
  const first = epochs[0], last = epochs.at(-1)!;
  const ep = epochs.map((r) => r.epoch);
  const acc = epochs.map((r) => r.testAccuracy);
  const transfer = subsets.map((_, i) => first.entropy[i] - last.entropy[i]);
  const area = subsets.map((_, i) => trapezoidArea(ep, epochs.map((r) => r.entropy[i])));
  const perSubset = subsets.map((n, i) => ({ x: ep, y: epochs.map((r) => r.entropy[i]), label: `N = ${n}` }));
  const data: ReportData = { subsets, inf, epochs, sizes, first, last, ep, acc, transfer, area, perSubset };
  const figures: Report["figures"] = { ...trainingFigures(data), ...perSizeFigures(config, data) };
  const text = reportText(config, data);
  return { results: { infinite: inf, epochs, sizes }, figures, text };
}

/** Study 1's figures: entropy against epoch, against the subset size, and against test accuracy. */
function trainingFigures(data: ReportData): Report["figures"] {
  const { subsets, inf, first, last, ep, acc, perSubset } = data;
  const figures: Report["figures"] = {};
  figures.entropy_vs_epoch = {
    data: { epoch: ep, subsets, entropy: perSubset.map((s) => s.y), testAccuracy: acc },
    svg: linePlot({
      title: "Empirical NTK entropy during training",
      series: [...perSubset.map((s) => ({ ...s, markers: true })), {
        x: ep,
        y: acc,
        label: "test accuracy",
        axis: "right",
        dashed: true,
        color: "#333333", // ten subsets use the ten palette colours
      }],
      xLabel: "epoch",
      yLabel: "von Neumann entropy S (nats)",
      y2Label: "test accuracy",
    }),
  };
  figures.entropy_vs_subset = {
    data: { subsets, initial: first.entropy, final: last.entropy, infinite: inf.entropy },
    svg: linePlot({
      title: "Entropy vs number of examples",
      series: [
        { x: subsets, y: first.entropy, label: "empirical, init", markers: true },
        { x: subsets, y: last.entropy, label: "empirical, trained", markers: true },
        { x: subsets, y: inf.entropy, label: "infinite width", markers: true, dashed: true },
        { x: subsets, y: subsets.map(Math.log), label: "ln N (maximum)", dashed: true },
      ],
      xLabel: "examples N",
      xScale: "log",
      yLabel: "entropy S (nats)",
    }),
  };
  figures.entropy_vs_accuracy = {
    data: { accuracy: acc, entropy: perSubset.map((s) => s.y), subsets },
    svg: linePlot({
      title: "Entropy vs test accuracy (one point per epoch, numbered on the top curve)",
      series: perSubset.map((s, k) => ({
        x: acc,
        y: s.y,
        label: s.label,
        markers: true,
        pointLabels: k === perSubset.length - 1 ? ep.map(String) : undefined,
      })),
      xLabel: "test accuracy",
      yLabel: "entropy S (nats)",
    }),
  };
  return figures;
}

/** The per-subset-size figure (information transfer) and study 2's figure (training-set size). */
function perSizeFigures(config: NtkEntropyConfig, data: ReportData): Report["figures"] {
  const { subsets, sizes, transfer, area } = data;
  const figures: Report["figures"] = {};
  const panel = { xScale: "log" as const, width: 420, height: 320 };
  figures.information_transfer = {
    data: { subsets, transfer, area },
    svg: subplots({
      panels: [
        linePlot({
          ...panel,
          series: [{ x: subsets, y: transfer, markers: true, label: "S(start) − S(end)" }],
          xLabel: "examples N",
          yLabel: "nats",
        }),
        linePlot({
          ...panel,
          series: [{ x: subsets, y: area, markers: true, label: "∫ S dt" }],
          xLabel: "examples N",
          yLabel: "nats × epochs",
        }),
      ],
      titles: ["Information transfer", "Area under the entropy curve"],
      title: "Per subset size",
    }),
  };
  const sz = sizes.map((r) => r.size);
  figures.training_size = {
    data: sizes,
    svg: subplots({
      panels: [
        linePlot({
          ...panel,
          width: 440,
          series: [
            { x: sz, y: sizes.map((r) => r.entropyBefore), label: "before training", markers: true },
            { x: sz, y: sizes.map((r) => r.entropyAfter), label: "after training", markers: true },
          ],
          xLabel: "training-set size",
          yLabel: config.sizeProbeCap === null
            ? "NTK entropy on the training subset"
            : `NTK entropy, first min(size, ${config.sizeProbeCap}) images`,
        }),
        linePlot({
          ...panel,
          width: 440,
          series: [{ x: sz, y: sizes.map((r) => r.testAccuracy), label: "test accuracy", markers: true }],
          xLabel: "training-set size",
          yLabel: "test accuracy",
        }),
      ],
      titles: ["Entropy before and after", "Test accuracy"],
      title: "Fresh models trained on growing training sets",
    }),
  };
  return figures;
}

/** The three tables printed on stdout: per epoch, per subset size and per training-set size. */
function reportText(config: NtkEntropyConfig, data: ReportData): string {
  const { subsets, inf, epochs, sizes, first, last, transfer, area } = data;
  return [
    `\nNTK entropy during training (${config.train} training / ${config.test} test digits; entropies of the ${
      NORMALIZATION[config.normalization]
    } kernel, both normalisations in results.json)\n`,
    table(
      ["epoch", "train loss", "test loss", "test acc", ...subsets.map((n) => `S(N=${n})`)],
      epochs.map((r) => [r.epoch, r.trainLoss ?? "-", r.testLoss, r.testAccuracy, ...r.entropy]),
    ),
    "\nPer subset size\n",
    table(
      ["N", "S init", "S final", "S infinite", "S final / ln N", "transfer", "area"],
      subsets.map((n, i) => [
        n,
        first.entropy[i],
        last.entropy[i],
        inf.entropy[i],
        last.entropy[i] / Math.log(n),
        transfer[i],
        area[i],
      ]),
    ),
    "\nFresh models per training-set size\n",
    table(
      [
        "size",
        "epochs",
        "steps",
        "final train loss",
        "test acc",
        "probe N",
        `S before (${config.sizeBefore})`,
        `S after (${config.normalization})`,
      ],
      sizes.map((
        r,
      ) => [r.size, r.epochs, r.steps, r.finalTrainLoss, r.testAccuracy, r.probe, r.entropyBefore, r.entropyAfter]),
    ),
  ].join("\n");
}
