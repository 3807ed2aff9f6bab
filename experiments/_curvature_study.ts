/**
 * The curvature experiment's configuration, records and unit (see ./curvature.ts): one full-batch
 * gradient-descent run of the seed CNN per learning rate, measuring the sharpness (the top Hessian
 * eigenvalue) every few steps, the top Hessian and Gauss–Newton eigenvalues and the Hessian trace at
 * regular points, and the Hessian and Gauss–Newton densities at the start, the middle and the end.
 *
 * @module
 */
import { grad, noGrad, type Sequential, Sgd, softmaxCrossEntropy, Tensor, tidy } from "../mod.ts";
import { hutchPlusPlus, lanczos, slq } from "../linalg/mod.ts";
import { type CurvatureOperator, ggnOperator, hessianOperator } from "../analysis/mod.ts";
import type { ImageSet } from "../data/mod.ts";
import type { UnitContext } from "./_program.ts";
import { buildCnn, imagesTensor } from "./_ntk_model.ts";

/** The configuration of a run (flags after --quick). */
export interface CurvatureConfig {
  /** MNIST training digits: the full batch of gradient descent and of every curvature measure. */
  train: number;
  /** One run per learning rate η of full-batch gradient descent (no momentum). */
  lrs: number[];
  /** Gradient-descent steps per run. */
  steps: number;
  /** The sharpness is measured every `every` steps (and at the last). */
  every: number;
  /** The top eigenvalues and the trace are measured every `measureEvery` steps (and at the last). */
  measureEvery: number;
  /** Top eigenvalues measured (Hessian and Gauss–Newton). */
  top: number;
  /** Hutch++ products for the Hessian trace. */
  traceProducts: number;
  /** SLQ probes and Lanczos steps per probe for the densities at the start, middle and end. */
  probes: number;
  slqSteps: number;
  /** Gauss–Newton eigenvalues found at each density point, among which outliers are counted. */
  outlierK: number;
  /** Seed of the network's initialisation and of every probe. */
  seed: number;
  /** Relative residual each eigenvalue is found to. */
  tol: number;
}

/** One sharpness measurement. */
export interface SharpnessPoint {
  step: number;
  /** The full-batch loss at this step (before the step's update). */
  loss: number;
  /** The top Hessian eigenvalue, its measured residual and whether it met the tolerance. */
  sharpness: number;
  residual: number;
  converged: boolean;
  /** Hessian-vector products spent. */
  products: number;
}

/** One point of the top eigenvalues and trace. */
export interface MeasurePoint {
  step: number;
  loss: number;
  accuracy: number;
  hessianTop: number[];
  hessianConverged: boolean[];
  ggnTop: number[];
  ggnConverged: boolean[];
  trace: number;
  traceError: number;
}

/** One density point: the Hessian's and the Gauss–Newton matrix's densities, and the outlier count. */
export interface DensityPoint {
  step: number;
  /** Each SLQ probe's nodes and weights (6 significant digits); the report smooths them on one grid. */
  hessian: { nodes: number[][]; weights: number[][] };
  ggn: { nodes: number[][]; weights: number[][] };
  /** The top `outlierK` Gauss–Newton eigenvalues (Lanczos, descending). */
  ggnTop: number[];
  /** Eigenvalues above the largest ratio gap λᵢ/λᵢ₊₁ among them: the outliers, and that ratio. */
  outliers: number;
  gapRatio: number;
}

/** One learning rate's run. */
export interface LrRecord {
  lr: number;
  sharpness: SharpnessPoint[];
  measures: MeasurePoint[];
  densities: DensityPoint[];
  /** Products spent, and seconds: the cost per product beside each figure. */
  products: { hessian: number; ggn: number };
  seconds: { training: number; hessian: number; ggn: number };
}

/** The step indices of each kind of measurement. */
export function schedule(config: CurvatureConfig): { sharpness: number[]; measures: number[]; densities: number[] } {
  const every = (k: number) => {
    const out: number[] = [];
    for (let s = 0; s < config.steps; s += k) out.push(s);
    out.push(config.steps);
    return out;
  };
  return {
    sharpness: every(config.every),
    measures: every(config.measureEvery),
    densities: [0, Math.round(config.steps / 2), config.steps],
  };
}

// Progress units are about one training step each; a Hessian product costs about two.
/** The progress weight of one run. */
export function runUnits(config: CurvatureConfig): number {
  const s = schedule(config);
  return config.steps + 2 * (s.sharpness.length * 6 + s.measures.length * (4 * config.top + 20 + config.traceProducts) +
        s.densities.length * (2 * config.probes * config.slqSteps + 3 * config.outlierK));
}

const sig = (v: number) => Number(v.toPrecision(6));

/** The largest ratio gap among descending positive eigenvalues: how many lie above it, and the ratio. */
export function outliersOf(values: readonly number[]): { outliers: number; gapRatio: number } {
  let best = 0, ratio = 1;
  for (let i = 0; i + 1 < values.length; i++) {
    if (!(values[i + 1] > 0)) break;
    const r = values[i] / values[i + 1];
    if (r > ratio) [best, ratio] = [i + 1, r];
  }
  return { outliers: best, gapRatio: ratio };
}

/** The full-batch loss and accuracy, without a graph. */
async function lossAndAccuracy(model: Sequential, x: Tensor, y: Tensor, labels: Uint8Array) {
  const logits = noGrad(() => tidy(() => model.forward(x, "eval")));
  const loss = noGrad(() => tidy(() => softmaxCrossEntropy(logits, y)));
  const [values, value] = [await logits.toArray(), await loss.item()];
  [logits, loss].forEach((t) => t.dispose());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = values.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  return { loss: value, accuracy: correct / labels.length };
}

/** Runs `f` on an operator of the model kept for the call, counting its products and seconds. */
async function withOp<T>(
  make: typeof hessianOperator,
  model: Sequential,
  batch: { x: Tensor; y: Tensor },
  cost: { products: number; seconds: number },
  f: (op: CurvatureOperator) => Promise<T>,
): Promise<T> {
  const op = make(model, softmaxCrossEntropy, batch, { keepGraph: true });
  const counted: CurvatureOperator = { ...op, apply: (v) => (cost.products++, op.apply(v)) };
  const t0 = performance.now();
  try {
    return await f(counted);
  } finally {
    op.dispose();
    cost.seconds += (performance.now() - t0) / 1000;
  }
}

const quadrature = (r: { probes: { nodes: Float64Array; weights: Float64Array }[] }) => ({
  nodes: r.probes.map((p) => Array.from(p.nodes, sig)),
  weights: r.probes.map((p) => Array.from(p.weights, sig)),
});

/** What one run's measurements share: the model on its batch, the product costs, the warm-start vector. */
interface RunState {
  config: CurvatureConfig;
  model: Sequential;
  batch: { x: Tensor; y: Tensor };
  hessian: { products: number; seconds: number };
  ggn: { products: number; seconds: number };
  start?: Tensor;
}

/** The sharpness, warm-started from the previous top eigenvector (the Hessian moves little between measurements). */
async function sharpnessAt(s: RunState, step: number, loss: number): Promise<SharpnessPoint> {
  const before = s.hessian.products;
  const { tol, seed } = s.config;
  const r = await withOp(
    hessianOperator,
    s.model,
    s.batch,
    s.hessian,
    (op) => lanczos(op, { k: 1, tol, seed, checkSymmetry: false, start: s.start, vectors: true }),
  );
  s.start?.dispose();
  const top = r.largest[0];
  s.start = top.vector;
  const products = s.hessian.products - before;
  return {
    step,
    loss: sig(loss),
    sharpness: sig(top.value),
    residual: sig(top.residual),
    converged: top.converged,
    products,
  };
}

/** The top eigenvalues of both matrices and the Hessian trace. */
async function measuresAt(s: RunState, step: number, loss: number, accuracy: number): Promise<MeasurePoint> {
  const { top: k, tol, seed, traceProducts } = s.config;
  const opts = { k, tol, seed, checkSymmetry: false };
  const h = await withOp(hessianOperator, s.model, s.batch, s.hessian, (op) => lanczos(op, opts));
  const t = await withOp(
    hessianOperator,
    s.model,
    s.batch,
    s.hessian,
    (op) => hutchPlusPlus(op, { products: traceProducts, seed }),
  );
  const g = await withOp(ggnOperator, s.model, s.batch, s.ggn, (op) => lanczos(op, opts));
  return {
    step,
    loss: sig(loss),
    accuracy,
    hessianTop: h.largest.map((e) => sig(e.value)),
    hessianConverged: h.largest.map((e) => e.converged),
    ggnTop: g.largest.map((e) => sig(e.value)),
    ggnConverged: g.largest.map((e) => e.converged),
    trace: sig(t.value),
    traceError: sig(t.standardError),
  };
}

/** Both densities' quadratures and the outliers among the top Gauss–Newton eigenvalues. */
async function densitiesAt(s: RunState, step: number): Promise<DensityPoint> {
  const { probes, slqSteps, seed, outlierK, tol } = s.config;
  const options = { probes, steps: slqSteps, seed, gridPoints: 2 };
  const hd = await withOp(hessianOperator, s.model, s.batch, s.hessian, (op) => slq(op, options));
  const gd = await withOp(ggnOperator, s.model, s.batch, s.ggn, (op) => slq(op, options));
  const top = await withOp(
    ggnOperator,
    s.model,
    s.batch,
    s.ggn,
    (op) => lanczos(op, { k: outlierK, tol, seed, checkSymmetry: false }),
  );
  const values = top.largest.map((e) => e.value);
  return { step, hessian: quadrature(hd), ggn: quadrature(gd), ggnTop: values.map(sig), ...outliersOf(values) };
}

/** One full-batch gradient-descent step; its seconds. */
async function gradientStep(model: Sequential, batch: { x: Tensor; y: Tensor }, optimizer: Sgd): Promise<number> {
  const t0 = performance.now(), params = model.parameters();
  const value = tidy(() => {
    const l = softmaxCrossEntropy(model.forward(batch.x, "train"), batch.y);
    const grads = grad(l, params);
    noGrad(() => optimizer.step(params, grads));
    return l;
  });
  await value.item();
  value.dispose();
  return (performance.now() - t0) / 1000;
}

/** One learning rate's gradient-descent run, measured on its schedule and checkpointed. */
export async function lrStudy(
  config: CurvatureConfig,
  data: ImageSet,
  lr: number,
  context?: Pick<UnitContext<LrRecord>, "tick" | "checkpoint">,
): Promise<LrRecord> {
  const model = buildCnn(config.seed);
  const x = imagesTensor(data), y = Tensor.fromArray(data.oneHot, [config.train, 10]);
  const s: RunState = {
    config,
    model,
    batch: { x, y },
    hessian: { products: 0, seconds: 0 },
    ggn: { products: 0, seconds: 0 },
  };
  const plan = schedule(config);
  const record: LrRecord = {
    lr,
    sharpness: [],
    measures: [],
    densities: [],
    products: { hessian: 0, ggn: 0 },
    seconds: { training: 0, hessian: 0, ggn: 0 },
  };
  const optimizer = new Sgd({ lr });
  let training = 0;
  try {
    for (let step = 0; step <= config.steps; step++) {
      const { loss, accuracy } = await lossAndAccuracy(model, x, y, data.labels);
      if (!Number.isFinite(loss)) throw new RangeError(`gradient descent diverged at η = ${lr}, step ${step}`);
      if (plan.sharpness.includes(step)) {
        record.sharpness.push(await sharpnessAt(s, step, loss));
        context?.tick(12, `η ${lr}: step ${step}, sharpness ${record.sharpness.at(-1)!.sharpness.toFixed(2)}`);
      }
      if (plan.measures.includes(step)) {
        record.measures.push(await measuresAt(s, step, loss, accuracy));
        context?.tick(2 * (4 * config.top + 20 + config.traceProducts), `η ${lr}: step ${step}, top eigenvalues`);
      }
      if (plan.densities.includes(step)) {
        record.densities.push(await densitiesAt(s, step));
        const units = 2 * (2 * config.probes * config.slqSteps + 3 * config.outlierK);
        context?.tick(units, `η ${lr}: step ${step}, densities`);
      }
      record.products = { hessian: s.hessian.products, ggn: s.ggn.products };
      record.seconds = { training: sig(training), hessian: sig(s.hessian.seconds), ggn: sig(s.ggn.seconds) };
      await context?.checkpoint(record);
      if (step === config.steps) break;
      training += await gradientStep(model, s.batch, optimizer);
      context?.tick(1, `η ${lr}: step ${step + 1}/${config.steps}`);
    }
    return record;
  } finally {
    s.start?.dispose();
    [x, y, ...model.parameters()].forEach((t) => t.dispose());
  }
}
