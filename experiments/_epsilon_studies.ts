/**
 * The ε-rank study's PINN and random-feature least squares (see epsilon_rank.ts).
 *
 * @module
 */
import {
  Adam,
  add,
  deriveSeed,
  epsilonRank,
  grad,
  lstsq,
  mean,
  mul,
  poissonProblem,
  type Sequential,
  slice,
  square,
  sum,
  Tensor,
  tidy,
} from "../mod.ts";
import { trapezoidWeights } from "../analysis/mod.ts";
import { hostRandom } from "../kernels/mod.ts";
import type { UnitContext } from "./_program.ts";
import { type Curve, type EpsilonConfig, mlp, type Problem1d, ranksOf } from "./_epsilon_models.ts";

/** A PINN curve: a Curve plus the relative L² error against the exact solution. */
export type PinnCurve = Curve & { error: number[] };

/** The PINN's evaluation grid with tensor-product trapezoid weights and the exact solution on it. */
function pinnGrid(g: number, exactAt: (x: number, y: number) => number) {
  const axis = Float32Array.from({ length: g }, (_, i) => i / (g - 1));
  const w1 = trapezoidWeights(axis);
  const points = new Float32Array(g * g * 2), weights = new Float64Array(g * g), exact = new Float32Array(g * g);
  for (let j = 0; j < g; j++) {
    for (let i = 0; i < g; i++) {
      points.set([axis[i], axis[j]], 2 * (j * g + i));
      weights[j * g + i] = w1[i] * w1[j];
      exact[j * g + i] = exactAt(axis[i], axis[j]);
    }
  }
  return { grid: Tensor.fromArray(points, [g * g, 2]), weights, exact };
}

/** The PINN's loss: mean squared residual of −Δu = f plus 100 × the boundary's mean square. */
function pinnLoss(model: Sequential, interior: Tensor, boundary: Tensor, source: Tensor): Tensor {
  const n = interior.shape[0];
  // −Δu via second derivatives through the graph: u_xx + u_yy from the gradient's columns.
  const x = interior.reshape([n, 2]);
  x.requiresGrad = true;
  const u = model.forward(x, "eval");
  const [du] = grad(sum(u), [x], { createGraph: true });
  const [dxx] = grad(sum(slice(du, [0, 0], [n, 1])), [x], { createGraph: true });
  const [dyy] = grad(sum(slice(du, [0, 1], [n, 1])), [x], { createGraph: true });
  const laplacian = add(slice(dxx, [0, 0], [n, 1]), slice(dyy, [0, 1], [n, 1]));
  const residual = mean(square(add(laplacian, source)));
  return add(residual, mul(mean(square(model.forward(boundary, "eval"))), 100));
}

/** PINN for −Δu = 2π² sin πx sin πy on [0,1]², u = 0 on the boundary, from Xavier or UDI initialization. */
export async function pinnRun(
  config: EpsilonConfig,
  init: "glorot" | "udi",
  context?: Pick<UnitContext<PinnCurve>, "tick">,
): Promise<PinnCurve> {
  const { every, epsilon, pinnSteps } = config;
  const problem = poissonProblem({ interior: config.pinnPoints, boundary: config.pinnPoints });
  const nIn = problem.source.length, nB = problem.boundaryValues.length;
  const evaluation = pinnGrid(config.pinnGrid, problem.exact);
  const interior = Tensor.fromArray(problem.interior, [nIn, 2]);
  const boundary = Tensor.fromArray(problem.boundary, [nB, 2]);
  const source = Tensor.fromArray(problem.source, [nIn, 1]);
  const model = mlp({ depth: 2, width: config.pinnWidth, init }, config.seed, 2, [0, 1], config.udi);
  const params = model.parameters();
  const optimizer = new Adam({ lr: 1e-3 });
  const curve: PinnCurve = { label: init === "glorot" ? "Xavier" : "UDI", step: [], loss: [], rank: [[]], error: [] };
  const record = async (step: number, loss: number) => {
    const u = tidy(() => model.forward(evaluation.grid, "eval"));
    const values = await u.toArray();
    u.dispose();
    let err = 0, norm = 0;
    for (let k = 0; k < values.length; k++) {
      err += evaluation.weights[k] * (values[k] - evaluation.exact[k]) ** 2;
      norm += evaluation.weights[k] * evaluation.exact[k] ** 2;
    }
    curve.step.push(step);
    curve.loss.push(loss);
    curve.error.push(Math.sqrt(err / norm));
    curve.rank[0].push((await ranksOf(model, evaluation.grid, evaluation.weights, "last", epsilon)).rank[0]);
  };
  let ticked = 0;
  for (let step = 0; step <= pinnSteps; step++) {
    const read = step % Math.max(1, Math.round(every / 4)) === 0 || step === pinnSteps;
    const loss = tidy(() => {
      const value = pinnLoss(model, interior, boundary, source);
      optimizer.step(params, grad(value, params));
      return read ? value : undefined;
    });
    if (loss) {
      const v = await loss.item();
      loss.dispose();
      if (step % every === 0 || step === pinnSteps) await record(step, v);
      context?.tick(step - ticked, `loss ${v.toPrecision(3)}`);
      ticked = step;
    }
  }
  [...params, interior, boundary, source, evaluation.grid].forEach((t) => t.dispose());
  return curve;
}

/** One random-feature fit: its relative L² error, the features' ε-rank and the fit on the grid. */
export interface FeatureFit {
  method: string;
  activation: "tanh" | "cos";
  error: number;
  rank: number;
  prediction: number[];
}

/** Random features on the grid: 9 local blocks (partition of unity) or one global set. */
function randomFeatures(
  config: EpsilonConfig,
  xs: Float32Array,
  local: boolean,
  activation: "tanh" | "cos",
): Float32Array {
  const act = activation === "tanh" ? Math.tanh : Math.cos;
  const total = config.features, blocks = 9, perBlock = total / blocks, rows = xs.length;
  const d = new Float32Array(rows * total);
  // Random slopes and offsets in (−1, 1), from the one host generator.
  const u = hostRandom(2 * total, { seed: deriveSeed(config.seed, "random features"), distribution: "uniform" });
  for (let j = 0; j < total; j++) {
    const block = Math.floor(j / perBlock);
    const lo = -1 + (2 * block) / blocks, hi = lo + 2 / blocks, center = (lo + hi) / 2, half = (hi - lo) / 2;
    // Local features are scaled to their subdomain.
    const a = (u[2 * j] * 2 - 1) * (local ? 1 / half : blocks), b = u[2 * j + 1] * 2 - 1;
    for (let i = 0; i < rows; i++) {
      const x = xs[i];
      const inside = !local || (x >= lo && (x < hi || (block === blocks - 1 && x <= hi)));
      d[i * total + j] = inside ? act(a * (local ? x - center : x) + b * (local ? 1 : blocks / 2)) : 0;
    }
  }
  return d;
}

/** Random features by least squares (ridge 1e-10): partition of unity (RFM) vs one global set (ELM). */
export async function randomFeatureStudy(
  config: EpsilonConfig,
  problem: Problem1d,
  context?: Pick<UnitContext<EpsilonRecord>, "tick">,
): Promise<FeatureFit[]> {
  const { xs, target, weights } = problem, rows = xs.length, total = config.features;
  const out: FeatureFit[] = [];
  const methods = config.featureActivations.flatMap((activation) =>
    [["RFM", true], ["ELM", false]].map(([name, local]) => ({
      name: name as string,
      local: local as boolean,
      activation,
    }))
  );
  for (const { name, local, activation } of methods) {
    const method = `${name} ${activation} (${local ? `9 subdomains x ${total / 9}` : `${total} global`})`;
    const d = randomFeatures(config, xs, local, activation);
    const dt = Tensor.fromArray(d, [rows, total]);
    const coef = await lstsq(dt, Tensor.fromArray(target, [rows, 1]), { ridge: 1e-10 });
    // The residual in float64 on the host: the ELM's coefficients are large and cancel, so a float32
    // product would add its own rounding error to the fit's.
    const c = await coef.toArray();
    let err = 0, norm = 0;
    const prediction: number[] = [];
    for (let i = 0; i < rows; i++) {
      let p = 0;
      for (let j = 0; j < total; j++) p += d[i * total + j] * c[j];
      prediction.push(p);
      err += weights[i] * (p - target[i]) ** 2;
      norm += weights[i] * target[i] ** 2;
    }
    const rank = (await epsilonRank(dt, { weights, epsilon: config.epsilon })).rank;
    out.push({ method, activation, error: Math.sqrt(err / norm), rank, prediction });
    [dt, coef].forEach((t) => t.dispose());
    context?.tick(config.steps, `${method}: ${out.length}/${methods.length} fits`);
  }
  return out;
}

/** What a unit of the experiment records. */
export type EpsilonRecord = Curve | PinnCurve | FeatureFit[];
