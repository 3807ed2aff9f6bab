/**
 * The ε-rank study's configuration, 1-D problem, networks and ε-rank measurement (see epsilon_rank.ts).
 *
 * @module
 */
import {
  Activation,
  type ActivationName,
  type Dense,
  epsilonRank,
  mlp as buildMlp,
  Residual,
  type Sequential,
  Tensor,
  tidy,
} from "../mod.ts";
import { udiInit } from "../nn/mod.ts";
import { meanKeyedWeights, trapezoidWeights } from "../analysis/mod.ts";

/** Every study of the experiment, in order. */
export const ALL_STUDIES = ["staircase", "layers", "activations", "init", "resnet", "pinn", "rfm"] as const;
/** The studies of the experiment. */
export type Study = (typeof ALL_STUDIES)[number];

/** The configuration of a run (flags after --quick). */
export interface EpsilonConfig {
  studies: Study[];
  /** Training steps of every 1-D network; ε-rank every `every` steps. */
  steps: number;
  every: number;
  epsilon: number;
  seed: number;
  /** Grid points of the 1-D problem on [−1, 1]. */
  points: number;
  /** Widths of the staircase study. */
  staircaseWidths: number[];
  /** Width of the layers study's depth-4 networks. */
  layersWidth: number;
  /** The networks (depth, width) of the initialisation study. */
  initNets: { depth: number; width: number }[];
  /** UDI: the deterministic grid of hyperplanes, or the paper's random one (a uniform on the sphere, r ~ U(0, R)). */
  udi: "deterministic" | "random";
  /** Width of the PINN's two hidden layers. */
  pinnWidth: number;
  /** Activations of the random features. */
  featureActivations: ("tanh" | "cos")[];
  /** Quadrature of the chapter-2 studies' ε-rank (staircase, layers, activations): the grid x, or the original's rows keyed by the mean of the previous representation g. */
  keying: "x" | "g";
  /** PINN: collocation points per side, evaluation grid per side, training steps. */
  pinnPoints: number;
  pinnGrid: number;
  pinnSteps: number;
  /** Random features in total (9 subdomains for the RFM). */
  features: number;
}

/** The 1-D fitting problem: grid, target, trapezoid weights. */
export interface Problem1d {
  xs: Float32Array;
  target: Float32Array;
  weights: Float64Array;
  grid: Tensor;
}

/** The 1-D target at x. */
const targetAt = (x: number): number =>
  Math.sin(Math.PI * x) + Math.sin(4 * Math.PI * x) / 2 + Math.sin(9 * Math.PI * x) / 3 +
  Math.sin(16 * Math.PI * x) / 4;

/** The 1-D target f(x) = sin(πx) + sin(4πx)/2 + sin(9πx)/3 + sin(16πx)/4 on `points` points of [−1, 1]. */
export function problem1d(points: number): Problem1d {
  const { xs, target } = problem1dHost(points);
  return { xs, target, weights: trapezoidWeights(xs), grid: Tensor.fromArray(xs, [points, 1]) };
}

/** The grid and target on the host (the report needs no GPU). */
export function problem1dHost(points: number): { xs: Float32Array; target: Float32Array } {
  const xs = Float32Array.from({ length: points }, (_, i) => -1 + (2 * i) / (points - 1));
  return { xs, target: xs.map(targetAt) };
}

/** An MLP of the 1-D studies (tanh and Glorot unless given). */
export interface MlpSpec {
  depth: number;
  width: number;
  activation?: ActivationName;
  init?: "glorot" | "udi";
  residual?: boolean;
}

/** The MLP of a spec, seeded (one stream per layer, zero biases); UDI replaces the first layer. */
export function mlp(
  spec: MlpSpec,
  modelSeed: number,
  inputs = 1,
  domain: [number, number] = [-1, 1],
  udi: "deterministic" | "random" = "deterministic",
): Sequential {
  const widths = [inputs, ...Array.from({ length: spec.depth }, () => spec.width), 1];
  const model = buildMlp(widths, {
    activation: spec.activation ?? "tanh",
    init: "glorot",
    residual: spec.residual ?? false,
    seed: modelSeed,
  });
  if (spec.init === "udi") {
    const first = model.layers[0] as Dense;
    const { weights, bias } = udiInit(inputs, spec.width, domain, { variant: udi, seed: modelSeed });
    first.weights.dispose();
    first.bias?.dispose();
    [first.weights, first.bias] = [weights, bias];
  }
  return model;
}

/** Indices of the layers whose outputs are hidden representations (after each nonlinearity / block). */
function hiddenOutputs(model: Sequential): number[] {
  return model.layers.map((l, i) => (l instanceof Activation || l instanceof Residual ? i : -1)).filter((i) =>
    i >= 0 && i < model.layers.length - 1
  );
}

/**
 * ε-ranks of the chosen hidden outputs on the grid with weights `w`, and (when `byG`) with the original
 * chapter-2 weights keyed by the previous representation (the input for the first hidden layer).
 */
export async function ranksOf(
  model: Sequential,
  input: Tensor,
  w: ArrayLike<number>,
  which: "last" | "all",
  epsilon: number,
  byG = false,
): Promise<{ rank: number[]; rankByG: number[] }> {
  const acts = tidy(() => model.trace(input, "eval"));
  const idx = hiddenOutputs(model);
  const chosen = which === "last" ? [idx[idx.length - 1]] : idx;
  const rank: number[] = [], rankByG: number[] = [];
  for (const i of chosen) {
    rank.push((await epsilonRank(acts[i + 1], { weights: w, epsilon })).rank);
    if (!byG) continue;
    const pos = idx.indexOf(i), g = pos > 0 ? acts[idx[pos - 1] + 1] : input;
    const keyed = meanKeyedWeights(await g.toArray(), g.shape[1]);
    rankByG.push((await epsilonRank(acts[i + 1], { weights: keyed, epsilon })).rank);
  }
  acts.slice(1).forEach((a) => a !== input && a.dispose());
  return { rank, rankByG };
}

/** A training curve: loss and ε-ranks every `every` steps. */
export interface Curve {
  label: string;
  step: number[];
  loss: number[];
  /** ε-rank per tracked hidden layer (rows: layers). */
  rank: number[][];
  /** The same keyed by the previous representation g (recorded when the run's keying is "g"). */
  rankByG?: number[][];
}
