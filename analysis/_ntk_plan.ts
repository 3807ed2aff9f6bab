/**
 * The plan behind the empirical NTK (see ./ntk.ts): the chunks of examples, each chunk's per-example
 * factors of every weight layer, the kernel block between two chunks (summed over the layers, or one
 * block per layer), and the panel schedule that keeps factors within the memory budget.
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { matmul } from "../ops/matmul.ts";
import { add, mul } from "../ops/arithmetic.ts";
import { concat, slice } from "../ops/layout.ts";
import {
  convExampleGradients,
  forwardScales,
  layerSignalsForOutputs,
  structureOf,
  type WeightStructure,
} from "../model/layer_signals.ts";
import { checkChoice } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";

/** Options for {@linkcode empiricalNtk} and {@linkcode empiricalNtkHost}. */
export interface EmpiricalNtkOptions {
  /** "traced": Σ_o Θ_oo, N x N (default); "full": every output pair, NK x NK with index n·K + o. */
  mode?: "traced" | "full";
  /**
   * Examples per forward/backward pass (default 128, lowered so that one chunk's largest factor fits
   * the device's binding limit): bounds activation memory.
   */
  chunk?: number;
  /**
   * Bytes of per-example factors kept on the device at once (default: 4 × the largest tensor the device
   * can bind, at most 2 GiB: 512 MiB on a software adapter). When every chunk's factors fit, each chunk is differentiated once; when
   * not, the kernel is computed in panels of chunks whose factors stay cached while every later chunk's
   * factors are recomputed and streamed past them, so N is limited by time, not memory.
   */
  memoryBudget?: number;
  /**
   * The weight layers whose parameters the kernel sums over: indices among the model's dense and
   * convolution layers, in order (default: all). `[l]` gives layer l's share Θ_l = J_l J_lᵀ; the
   * shares of all layers sum to the whole kernel.
   */
  layers?: readonly number[];
}

/** One chunk's per-example factors of one weight layer, per output o. */
export type Factors = {
  /** Traced mode: the outputs are summed (main holds one concatenated factor, or one per output for a convolution). */
  traced?: boolean;
  /** Dense only: inputs scaled by c_w, [n, din]. */
  a: Tensor | null;
  /** Dense: Δ_o [n, dout]; conv: g_o [n, kh·kw·c·f]. */
  main: Tensor[];
  /** Conv only: δ_o summed over positions [n, f] (the bias gradient). */
  bias: Tensor[];
};

function layerFactors(structure: WeightStructure, signals: { input: Tensor; delta: Tensor }[]): Factors {
  const { cw } = forwardScales(structure);
  const scale = (t: Tensor) => (cw === 1 ? t : mul(t, cw));
  const input = signals[0].input;
  if (structure.kind === "dense") return { a: scale(input), main: signals.map((s) => s.delta), bias: [] };
  const { filters, bias } = convExampleGradients(structure, input, signals.map((s) => s.delta));
  return { a: null, main: filters.map(scale), bias };
}

/** Each layer's term of Θ between the examples of two chunks, for outputs `oa` (rows) and `ob` (columns). */
function layerTerms(structures: WeightStructure[], fa: Factors[], fb: Factors[], oa: number, ob: number): Tensor[] {
  return structures.map((s, l) => {
    const { cb } = forwardScales(s);
    const cb2 = s.bias ? cb * cb : 0;
    // Traced convolutions keep one factor per output (see planNtk): Σ_o g_o g_o'ᵀ, product by product.
    const products = fa[l].main.length > 1 && oa === 0 && ob === 0 && fa[l].traced
      ? fa[l].main.map((m, o) => matmul(m, fb[l].main[o], { transposeB: true }))
      : [matmul(fa[l].main[oa], fb[l].main[ob], { transposeB: true })];
    const dd = products.reduce((acc, t) => add(acc, t));
    if (s.kind === "dense") {
      const aa = matmul(fa[l].a!, fb[l].a!, { transposeB: true });
      return mul(cb2 ? add(aa, cb2) : aa, dd);
    }
    const bias = cb2 ? mul(matmul(fa[l].bias[oa], fb[l].bias[ob], { transposeB: true }), cb2) : null;
    return bias ? add(dd, bias) : dd;
  });
}

/** Σ over layers of Θ between the examples of two chunks, for outputs `oa` (rows) and `ob` (columns). */
function block(structures: WeightStructure[], fa: Factors[], fb: Factors[], oa: number, ob: number): Tensor {
  return layerTerms(structures, fa, fb, oa, ob).reduce((total, term) => add(total, term));
}

/** The chunks, factors and blocks of one NTK computation. */
export interface NtkPlan {
  /** The included weight layers, in model order. */
  structures: WeightStructure[];
  /** Their indices among all the model's weight layers. */
  layers: number[];
  /** Outputs K. */
  k: number;
  /** Rows and columns of the kernel: N (traced) or N·K (full). */
  size: number;
  /** First example of each chunk. */
  starts: number[];
  /** Examples per chunk. */
  chunk: number;
  /** Chunks per panel (all of them when every chunk's factors fit the budget). */
  panel: number;
  /** The factors of chunk i (tensors the caller disposes). */
  factors(i: number): Factors[];
  /** The kernel block between chunks i and j (rows of i, columns of j). */
  block(fi: Factors[], fj: Factors[]): Tensor;
  /** Traced mode: each included layer's term of the block between chunks i and j. */
  layerBlocks(fi: Factors[], fj: Factors[]): Tensor[];
  /** Rows of chunk i's block. */
  rows(i: number): number;
}

/** Work of one factor computation, in units of one block product (measured: about 4 on the seed CNN). */
export const FACTOR_WORK = 4;

/** Bytes per example of all of a chunk's factors, and of its largest single factor tensor. */
function factorBytes(structures: WeightStructure[], k: number, traced: boolean) {
  const widths = structures.map((s) => {
    const main = s.kind === "dense" ? s.weights.shape[1] : s.filters.shape.reduce((p, d) => p * d, 1);
    const input = s.kind === "dense" ? s.weights.shape[0] : 0;
    const bias = s.kind === "conv" ? s.filters.shape[3] : 0;
    // Traced dense factors are concatenated over the outputs; convolutions keep one per output.
    const largest = Math.max(main * (traced && s.kind === "dense" ? k : 1), input);
    return { largest, total: input + (main + bias) * k };
  });
  return {
    perExample: 4 * widths.reduce((t, w) => t + w.total, 0),
    largest: 4 * Math.max(...widths.map((w) => w.largest)),
  };
}

export function planNtk(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions): NtkPlan {
  checkLayer("compute the NTK", "model", model, true);
  checkTensor("compute the NTK", "x", x);
  checkChoice("compute the NTK", "options.mode", options.mode ?? "traced", ["traced", "full"]);
  const n = x.shape[0], rest = x.shape.slice(1);
  const all = model.layers.map(structureOf).filter((s): s is WeightStructure =>
    s.kind === "dense" || s.kind === "conv"
  );
  if (all.length === 0) throw new RangeError(`Cannot compute the NTK of ${model.name}: it has no weight layers`);
  const layers = chosenLayers(all.length, options.layers), structures = layers.map((l) => all[l]);
  const budget = options.memoryBudget ?? Math.min(4 * Tensor.maxBytes(x.runtime), 2 ** 31);
  if (!(budget > 0 && budget < Infinity)) {
    throw new RangeError(`Cannot compute the NTK: memoryBudget must be a finite number of bytes > 0 (got ${budget})`);
  }
  if (options.chunk !== undefined && !(Number.isInteger(options.chunk) && options.chunk >= 1)) {
    throw new RangeError(`Cannot compute the NTK: chunk must be an integer >= 1 (got ${options.chunk})`);
  }
  const probe = tidy(() => model.forward(slice(x, x.shape.map(() => 0), [1, ...rest]), "eval"));
  if (probe.rank !== 2) {
    const shape = probe.shape;
    probe.dispose();
    throw new RangeError(`Cannot compute the NTK: model output must be [batch, K] (got ${formatShape(shape)})`);
  }
  const k = probe.shape[1];
  probe.dispose();
  const traced = (options.mode ?? "traced") === "traced";
  const { perExample, largest } = factorBytes(structures, k, traced);
  const fitsBinding = Math.max(1, Math.floor(Tensor.maxBytes(x.runtime) / largest));
  const chunk = Math.min(options.chunk ?? 128, fitsBinding, n);
  const starts = Array.from({ length: Math.ceil(n / chunk) }, (_, i) => i * chunk);
  const cached = Math.floor(budget / (perExample * chunk));
  if (cached < 2 && starts.length > 1) {
    throw new RangeError(
      `Cannot compute the NTK: memoryBudget (${budget} bytes) holds fewer than two chunks of factors (` +
        `${perExample * chunk} bytes each at chunk ${chunk}); raise it or lower chunk`,
    );
  }
  const outputs = Array.from({ length: k }, (_, o) => o);
  return {
    structures,
    layers,
    k,
    size: traced ? n : n * k,
    starts,
    chunk,
    panel: cached >= starts.length ? starts.length : cached - 1,
    rows: (i) => (Math.min(chunk, n - starts[i])) * (traced ? 1 : k),
    factors: (i) =>
      tidy(() => {
        const xc = slice(x, [starts[i], ...rest.map(() => 0)], [Math.min(chunk, n - starts[i]), ...rest]);
        const signals = layerSignalsForOutputs(model, xc, outputs);
        const factors = structures.map((s, q) => layerFactors(s, signals.map((perOutput) => perOutput[layers[q]])));
        // Traced: Σ_o X_o Y_oᵀ = [X_0 … X_K][Y_0 … Y_K]ᵀ, so concatenate the outputs' factors once.
        return traced
          ? factors.map((f, l) => ({
            a: f.a,
            // A convolution's per-output factors are long (kh·kw·c·f each): products of the K of them
            // run twice as fast as one product of their concatenation, and skip the copy.
            main: structures[l].kind === "conv" ? f.main : [concat(f.main, 1)],
            bias: f.bias.length ? [concat(f.bias, 1)] : [],
            traced: true,
          }))
          : factors;
      }),
    layerBlocks: (fi, fj) => layerTerms(structures, fi, fj, 0, 0),
    block: (fi, fj) => {
      if (traced) return block(structures, fi, fj, 0, 0);
      // Full: [na, K, nb, K] from the K² output pairs, flattened to index n·K + o.
      const na = fi[0].main[0].shape[0], nb = fj[0].main[0].shape[0];
      const rows = outputs.map((o) =>
        concat(outputs.map((o2) => block(structures, fi, fj, o, o2).reshape([na, 1, nb, 1])), 3)
      );
      return (k === 1 ? rows[0] : concat(rows, 1)).reshape([na * k, nb * k]);
    },
  };
}

/** Disposes a chunk's factors. */
export function disposeFactors(f: Factors[]): void {
  for (const layer of f) [layer.a, ...layer.main, ...layer.bias].forEach((t) => t?.dispose());
}

/**
 * The schedule of the upper blocks (i ≤ j) in panel order: each panel's chunks keep their factors while
 * every chunk from the panel on has its factors computed (or taken from the panel), then dropped. One
 * step per column j of a panel: the panel's rows i ≤ j, and the step's work (one factor computation,
 * weighted {@linkcode FACTOR_WORK}, plus one unit per block).
 */
export function schedule(plan: NtkPlan): { p0: number; j: number; rows: number[]; work: number }[] {
  const count = plan.starts.length, steps = [];
  for (let p0 = 0; p0 < count; p0 += plan.panel) {
    const members = Array.from({ length: Math.min(plan.panel, count - p0) }, (_, q) => p0 + q);
    for (let j = p0; j < count; j++) {
      const rows = members.filter((i) => i <= j);
      steps.push({ p0, j, rows, work: FACTOR_WORK + rows.length });
    }
  }
  return steps;
}

/**
 * Runs {@linkcode schedule}: yields each column's blocks (i, j) as they are computed, each by `blockOf`
 * (default: the block summed over the included layers).
 */
export function* panels<T = Tensor>(
  plan: NtkPlan,
  blockOf: (fi: Factors[], fj: Factors[]) => T = plan.block as unknown as (fi: Factors[], fj: Factors[]) => T,
): Generator<{ j: number; blocks: { i: number; block: T }[]; work: number }> {
  const cache = new Map<number, Factors[]>();
  for (const { p0, j, rows, work } of schedule(plan)) {
    if (j === p0) cache.forEach(disposeFactors), cache.clear(); // a new panel
    const inPanel = j < p0 + plan.panel;
    const fj = plan.factors(j);
    if (inPanel) cache.set(j, fj);
    const blocks = rows.map((i) => ({ i, block: blockOf(cache.get(i)!, fj) }));
    if (!inPanel) disposeFactors(fj);
    yield { j, blocks, work };
  }
  cache.forEach(disposeFactors);
}

/**
 * Assembles `count` symmetric kernels on the host from {@linkcode panels}: `blockOf` gives each block's
 * `count` parts, every column's parts are read back at once, and idle buffers are trimmed after each.
 */
export async function assembleOnHost(
  plan: NtkPlan,
  runtime: { pool: { trim(): void } },
  count: number,
  blockOf: (fi: Factors[], fj: Factors[]) => Tensor[],
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const size = plan.size, kernels = Array.from({ length: count }, () => new Float32Array(size * size));
  const offsets = plan.starts.map((_, i) => plan.starts.slice(0, i).reduce((t, _s, q) => t + plan.rows(q), 0));
  const total = schedule(plan).reduce((t, step) => t + step.work, 0);
  let done = 0;
  onProgress?.(0, total);
  for (const step of panels(plan, blockOf)) {
    // One read-back per column: every part of the column's blocks stacked.
    const parts = step.blocks.flatMap((b) => b.block);
    const column = tidy(() => parts.length === 1 ? parts[0] : concat(parts, 0));
    const values = await column.toArray();
    column.dispose();
    parts.forEach((t) => t.dispose());
    const cols = plan.rows(step.j), c0 = offsets[step.j];
    let r = 0;
    for (const { i } of step.blocks) {
      for (let c = 0; c < count; c++) {
        const kernel = kernels[c];
        for (let a = 0; a < plan.rows(i); a++, r++) {
          const row = offsets[i] + a;
          for (let b = 0; b < cols; b++) {
            const v = values[r * cols + b];
            kernel[row * size + c0 + b] = v;
            kernel[(c0 + b) * size + row] = v;
          }
        }
      }
    }
    onProgress?.(done += step.work, total);
    // Idle buffers (the streamed chunk's intermediates) go back to the system: the device then holds the
    // cached factors, one chunk's work and one column, not up to the pool's idle cap on top.
    runtime.pool.trim();
  }
  return kernels;
}

/** The weight layers an NTK sums over: `layers` checked against the model's `count` weight layers, or all. */
function chosenLayers(count: number, layers: readonly number[] | undefined): number[] {
  if (layers === undefined) return Array.from({ length: count }, (_, l) => l);
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new RangeError(`Cannot compute the NTK: options.layers must be a non-empty array of weight-layer indices`);
  }
  for (const [q, l] of layers.entries()) {
    if (!(Number.isInteger(l) && l >= 0 && l < count)) {
      throw new RangeError(
        `Cannot compute the NTK: options.layers[${q}] (${l}) must be an integer in [0, ${count}) (the model has ${count} weight layers)`,
      );
    }
    if (layers.indexOf(l) !== q) throw new RangeError(`Cannot compute the NTK: options.layers lists layer ${l} twice`);
  }
  return [...layers].sort((a, b) => a - b);
}
