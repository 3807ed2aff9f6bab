/**
 * The empirical neural tangent kernel Θ_oo'(x, x') = Σ_θ ∂f_o(x)/∂θ · ∂f_o'(x')/∂θ of a traceable model,
 * from layer structure instead of a full Jacobian: a dense layer contributes (c_w² A Aᵀ + c_b²) ⊙ Δ_o Δ_o'ᵀ
 * (A its inputs, Δ_o the per-example gradients of output o at its output), a convolution g_o g_o'ᵀ with
 * its per-example weight gradients g = c_w patchesᵀ δ, plus c_b² times the product of the summed δ.
 *
 * @module
 */
import { formatShape, Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { matmul } from "../ops/matmul.ts";
import { add, mul } from "../ops/arithmetic.ts";
import { concat, slice, transpose } from "../ops/layout.ts";
import {
  convExampleGradients,
  forwardScales,
  layerSignalsForOutputs,
  structureOf,
  type WeightStructure,
} from "../model/layer_signals.ts";
import { checkChoice, checkOptions } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";
import { autodiffNtk, describedByLayers } from "./_ntk_autodiff.ts";

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
}

/** One chunk's per-example factors of one weight layer, per output o. */
type Factors = {
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

/** Σ over layers of Θ between the examples of two chunks, for outputs `oa` (rows) and `ob` (columns). */
function block(structures: WeightStructure[], fa: Factors[], fb: Factors[], oa: number, ob: number): Tensor {
  let total: Tensor | null = null;
  structures.forEach((s, l) => {
    const { cb } = forwardScales(s);
    const cb2 = s.bias ? cb * cb : 0;
    // Traced convolutions keep one factor per output (see planNtk): Σ_o g_o g_o'ᵀ, product by product.
    const products = fa[l].main.length > 1 && oa === 0 && ob === 0 && fa[l].traced
      ? fa[l].main.map((m, o) => matmul(m, fb[l].main[o], { transposeB: true }))
      : [matmul(fa[l].main[oa], fb[l].main[ob], { transposeB: true })];
    const dd = products.reduce((acc, t) => add(acc, t));
    let term: Tensor;
    if (s.kind === "dense") {
      const aa = matmul(fa[l].a!, fb[l].a!, { transposeB: true });
      term = mul(cb2 ? add(aa, cb2) : aa, dd);
    } else {
      const bias = cb2 ? mul(matmul(fa[l].bias[oa], fb[l].bias[ob], { transposeB: true }), cb2) : null;
      term = bias ? add(dd, bias) : dd;
    }
    total = total ? add(total, term) : term;
  });
  return total!;
}

/** The chunks, factor sizes and panels of one NTK computation (see {@linkcode EmpiricalNtkOptions}). */
interface NtkPlan {
  structures: WeightStructure[];
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
  /** Rows of chunk i's block. */
  rows(i: number): number;
}

/** Work of one factor computation, in units of one block product (measured: about 4 on the seed CNN). */
const FACTOR_WORK = 4;

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

function planNtk(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions): NtkPlan {
  checkLayer("compute the NTK", "model", model, true);
  checkTensor("compute the NTK", "x", x);
  checkChoice("compute the NTK", "options.mode", options.mode ?? "traced", ["traced", "full"]);
  const n = x.shape[0], rest = x.shape.slice(1);
  const structures = model.layers.map(structureOf).filter((s): s is WeightStructure =>
    s.kind === "dense" || s.kind === "conv"
  );
  if (structures.length === 0) throw new RangeError(`Cannot compute the NTK of ${model.name}: it has no weight layers`);
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
        const layers = structures.map((s, l) => layerFactors(s, signals.map((perOutput) => perOutput[l])));
        // Traced: Σ_o X_o Y_oᵀ = [X_0 … X_K][Y_0 … Y_K]ᵀ, so concatenate the outputs' factors once.
        return traced
          ? layers.map((f, l) => ({
            a: f.a,
            // A convolution's per-output factors are long (kh·kw·c·f each): products of the K of them
            // run twice as fast as one product of their concatenation, and skip the copy.
            main: structures[l].kind === "conv" ? f.main : [concat(f.main, 1)],
            bias: f.bias.length ? [concat(f.bias, 1)] : [],
            traced: true,
          }))
          : layers;
      }),
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

function disposeFactors(f: Factors[]): void {
  for (const layer of f) [layer.a, ...layer.main, ...layer.bias].forEach((t) => t?.dispose());
}

/**
 * The schedule of the upper blocks (i ≤ j) in panel order: each panel's chunks keep their factors while
 * every chunk from the panel on has its factors computed (or taken from the panel), then dropped. One
 * step per column j of a panel: the panel's rows i ≤ j, and the step's work (one factor computation,
 * weighted {@linkcode FACTOR_WORK}, plus one unit per block).
 */
function schedule(plan: NtkPlan): { p0: number; j: number; rows: number[]; work: number }[] {
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

/** Runs {@linkcode schedule}: yields each column's blocks (i, j) as they are computed. */
function* panels(plan: NtkPlan): Generator<{ j: number; blocks: { i: number; block: Tensor }[]; work: number }> {
  const cache = new Map<number, Factors[]>();
  for (const { p0, j, rows, work } of schedule(plan)) {
    if (j === p0) cache.forEach(disposeFactors), cache.clear(); // a new panel
    const inPanel = j < p0 + plan.panel;
    const fj = plan.factors(j);
    if (inPanel) cache.set(j, fj);
    const blocks = rows.map((i) => ({ i, block: plan.block(cache.get(i)!, fj) }));
    if (!inPanel) disposeFactors(fj);
    yield { j, blocks, work };
  }
  cache.forEach(disposeFactors);
}

/**
 * Whether a model goes by its explicit Jacobian (./_ntk_autodiff.ts) instead of its layer structure: any
 * layer with parameters other than dense and convolution weights (attention, normalisation, embeddings).
 */
function byJacobian(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions): boolean {
  checkLayer("compute the NTK", "model", model);
  checkTensor("compute the NTK", "x", x);
  checkChoice("compute the NTK", "options.mode", options.mode ?? "traced", ["traced", "full"]);
  return !describedByLayers(model);
}

/**
 * Empirical NTK of a model at a batch of inputs, traced over outputs (N x N) or full (NK x NK), as a
 * tensor on the device. Factors are cached or streamed within `memoryBudget` (see
 * {@linkcode EmpiricalNtkOptions}); the blocks are assembled on the device, so the kernel must fit the
 * binding limit ({@linkcode empiricalNtkHost} assembles any size on the host, with progress).
 *
 * @param model A model of dense/conv weight layers and parameter-free layers (run in eval mode), or any
 *   other model, whose NTK then comes from its explicit Jacobian (N·K backward passes; `chunk` and
 *   `memoryBudget` do not apply).
 * @param x Inputs [N, ...].
 * @param options Mode, chunk size, memory budget.
 * @returns The kernel.
 * @throws {RangeError} For unsupported layers, a model whose output is not [batch, K], options out of
 *   range, or a kernel larger than the device can bind.
 * @example The NTK of a linear model f(x) = x w is the Gram matrix of the inputs
 * ```ts
 * import assert from "node:assert";
 * import { Dense, empiricalNtk, initGpu, Sequential, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Sequential([new Dense(2, 1, { bias: false, seed: 0 })]);
 * const theta = empiricalNtk(model, Tensor.fromArray([1, 0, 1, 2], [2, 2]));
 * assert.deepEqual([...await theta.toArray()], [1, 1, 1, 5]);
 * ```
 */
export function empiricalNtk(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions = {}): Tensor {
  checkOptions("compute the NTK", options, ["mode", "chunk", "memoryBudget"]);
  if (byJacobian(model, x, options)) return autodiffNtk(model, x, (options.mode ?? "traced") === "traced");
  const plan = planNtk(model, x, options);
  if (plan.size * plan.size * 4 > Tensor.maxBytes(x.runtime)) {
    throw new RangeError(
      `Cannot hold the ${plan.size}x${plan.size} NTK on the device (${plan.size * plan.size * 4} bytes; the binding ` +
        `limit is ${Tensor.maxBytes(x.runtime)}): use empiricalNtkHost, which assembles it on the host`,
    );
  }
  return tidy(() => {
    const count = plan.starts.length;
    const upper: Tensor[][] = Array.from({ length: count }, () => new Array(count));
    for (const { j, blocks } of panels(plan)) for (const { i, block } of blocks) upper[i][j] = block;
    // Θ is symmetric: blocks below the diagonal are transposes of blocks above it.
    const rows = upper.map((row, i) => {
      const parts = Array.from({ length: count }, (_, j) => (j < i ? transpose(upper[j][i]) : row[j]));
      return parts.length === 1 ? parts[0] : concat(parts, 1);
    });
    return rows.length === 1 ? rows[0] : concat(rows, 0);
  });
}

/**
 * {@linkcode empiricalNtk} assembled on the host: any N (the device holds the factors within
 * `memoryBudget` and one column of blocks at a time), with progress as blocks finish.
 *
 * @param model Traceable model of dense/conv weight layers and parameter-free layers (run in eval mode).
 * @param x Inputs [N, ...].
 * @param options Mode, chunk size, memory budget, and `onProgress(done, total)` in units of work (a block
 *   product is one; a chunk's factors are {@linkcode FACTOR_WORK}).
 * @returns The kernel, size x size row-major (size = N traced, N·K full), and its size.
 * @throws {RangeError} For unsupported layers, a model whose output is not [batch, K], or options out of range.
 * @example On the host too, a linear model's NTK is the Gram matrix of its inputs
 * ```ts
 * import assert from "node:assert";
 * import { Dense, empiricalNtkHost, initGpu, Sequential, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Sequential([new Dense(2, 1, { bias: false, seed: 0 })]);
 * const { kernel, size } = await empiricalNtkHost(model, Tensor.fromArray([1, 0, 1, 2], [2, 2]));
 * assert.deepEqual([size, ...kernel], [2, 1, 1, 1, 5]);
 * ```
 */
export async function empiricalNtkHost(
  model: TraceableModel,
  x: Tensor,
  options: EmpiricalNtkOptions & { onProgress?: (done: number, total: number) => void } = {},
): Promise<{ kernel: Float32Array; size: number }> {
  checkOptions("compute the NTK", options, ["mode", "chunk", "memoryBudget", "onProgress"]);
  if (byJacobian(model, x, options)) {
    const k = autodiffNtk(model, x, (options.mode ?? "traced") === "traced");
    options.onProgress?.(0, 1);
    const kernel = await k.toArray();
    k.dispose();
    options.onProgress?.(1, 1);
    return { kernel, size: k.shape[0] };
  }
  const plan = planNtk(model, x, options);
  const size = plan.size, kernel = new Float32Array(size * size);
  const offsets = plan.starts.map((_, i) => plan.starts.slice(0, i).reduce((t, _s, q) => t + plan.rows(q), 0));
  const total = schedule(plan).reduce((t, step) => t + step.work, 0);
  let done = 0;
  options.onProgress?.(0, total);
  for (const step of panels(plan)) {
    // One read-back per column: the column's blocks stacked.
    const column = tidy(() =>
      step.blocks.length === 1 ? step.blocks[0].block : concat(step.blocks.map((b) => b.block), 0)
    );
    const values = await column.toArray();
    column.dispose();
    step.blocks.forEach(({ block }) => block.dispose());
    const cols = plan.rows(step.j), c0 = offsets[step.j];
    let r = 0;
    for (const { i } of step.blocks) {
      for (let a = 0; a < plan.rows(i); a++, r++) {
        const row = offsets[i] + a;
        for (let b = 0; b < cols; b++) {
          const v = values[r * cols + b];
          kernel[row * size + c0 + b] = v;
          kernel[(c0 + b) * size + row] = v;
        }
      }
    }
    options.onProgress?.(done += step.work, total);
    // Idle buffers (the streamed chunk's intermediates) go back to the system: the device then holds the
    // cached factors, one chunk's work and one column, not up to the pool's idle cap on top.
    x.runtime.pool.trim();
  }
  return { kernel, size };
}
