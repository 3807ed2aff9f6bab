/**
 * The empirical neural tangent kernel Θ_oo'(x, x') = Σ_θ ∂f_o(x)/∂θ · ∂f_o'(x')/∂θ of a traceable model,
 * from layer structure instead of a full Jacobian: a dense layer contributes (c_w² A Aᵀ + c_b²) ⊙ Δ_o Δ_o'ᵀ
 * (A its inputs, Δ_o the per-example gradients of output o at its output), a convolution g_o g_o'ᵀ with
 * its per-example weight gradients g = c_w patchesᵀ δ, plus c_b² times the product of the summed δ.
 * The plan (chunks, factors, panels) is in ./_ntk_plan.ts.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { tidy } from "../ops/scope.ts";
import { concat, transpose } from "../ops/layout.ts";
import { checkChoice, checkOptions } from "../check/args.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkLayer, type TraceableModel } from "../model/parameterized.ts";
import { structureOf } from "../model/layer_signals.ts";
import { assembleOnHost, type EmpiricalNtkOptions, panels, planNtk } from "./_ntk_plan.ts";
import { autodiffNtk, describedByLayers } from "./_ntk_autodiff.ts";

export type { EmpiricalNtkOptions } from "./_ntk_plan.ts";

/**
 * Whether a model goes by its explicit Jacobian (./_ntk_autodiff.ts) instead of its layer structure: any
 * layer with parameters other than dense and convolution weights (attention, normalisation, embeddings).
 */
function byJacobian(model: TraceableModel, x: Tensor, options: EmpiricalNtkOptions): boolean {
  checkLayer("compute the NTK", "model", model);
  checkTensor("compute the NTK", "x", x);
  checkChoice("compute the NTK", "options.mode", options.mode ?? "traced", ["traced", "full"]);
  const name = model.name;
  if (describedByLayers(model)) return false;
  if (options.layers !== undefined) {
    throw new RangeError(
      `Cannot compute the NTK of ${name} by layer: options.layers needs a model of dense and convolution ` +
        `weight layers (its NTK comes from its explicit Jacobian)`,
    );
  }
  return true;
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
  checkOptions("compute the NTK", options, ["mode", "chunk", "memoryBudget", "layers"]);
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
 *   product is one; a chunk's factors are about four).
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
  checkOptions("compute the NTK", options, ["mode", "chunk", "memoryBudget", "layers", "onProgress"]);
  if (byJacobian(model, x, options)) {
    const k = autodiffNtk(model, x, (options.mode ?? "traced") === "traced");
    options.onProgress?.(0, 1);
    const kernel = await k.toArray();
    k.dispose();
    options.onProgress?.(1, 1);
    return { kernel, size: k.shape[0] };
  }
  const plan = planNtk(model, x, options);
  const [kernel] = await assembleOnHost(plan, x.runtime, 1, (fi, fj) => [plan.block(fi, fj)], options.onProgress);
  return { kernel, size: plan.size };
}

/** Options for {@linkcode empiricalNtkLayers}: those of {@linkcode empiricalNtkHost} but `mode` (the shares are traced). */
export interface EmpiricalNtkLayersOptions {
  /** Examples per forward/backward pass (see {@linkcode EmpiricalNtkOptions.chunk}). */
  chunk?: number;
  /** Bytes of per-example factors kept on the device at once (see {@linkcode EmpiricalNtkOptions.memoryBudget}). */
  memoryBudget?: number;
  /** The weight layers to split out (default: all; see {@linkcode EmpiricalNtkOptions.layers}). */
  layers?: readonly number[];
  /** Called with the work done and the total as blocks finish. */
  onProgress?: (done: number, total: number) => void;
}

/** Each weight layer's share of the traced empirical NTK (see {@linkcode empiricalNtkLayers}). */
export interface NtkLayerShares {
  /** One N x N kernel per included weight layer, row-major: Θ_l = Σ_o J_l,o J_l,oᵀ over that layer's parameters. */
  kernels: Float32Array[];
  /** Each kernel's layer: its index among the model's weight (dense and convolution) layers. */
  layers: number[];
  /** Each kernel's layer: its index in `model.layers`. */
  modelLayers: number[];
  /** N. */
  size: number;
}

/**
 * The traced empirical NTK split by the weight layers whose parameters it sums over: Θ = Σ_l Θ_l with
 * Θ_l = Σ_o J_l,o J_l,oᵀ, J_l,o the Jacobian of output o with respect to layer l's weights and bias. All
 * shares come from one pass over the chunks (the cost of one {@linkcode empiricalNtkHost}), assembled on
 * the host.
 *
 * @param model Traceable model of dense/conv weight layers and parameter-free layers (run in eval mode).
 * @param x Inputs [N, ...].
 * @param options Chunk size, memory budget, `layers` (default: every weight layer) and `onProgress`.
 * @returns One kernel per layer, in model order.
 * @throws {RangeError} For unsupported layers, a model whose output is not [batch, K], an unknown option
 *   (`mode` too: the shares are traced), or options out of range (a layer index outside the model's
 *   weight layers, or listed twice).
 * @example The two layers' shares of a two-layer linear network, and their sum the whole kernel
 * ```ts
 * import assert from "node:assert";
 * import { Dense, empiricalNtkHost, empiricalNtkLayers, initGpu, Sequential, Tensor } from "../mod.ts";
 * await initGpu();
 * const model = new Sequential([new Dense(2, 3, { seed: 0 }), new Dense(3, 1, { seed: 1 })]);
 * const x = Tensor.fromArray([1, 0, 1, 2, -1, 3], [3, 2]);
 * const { kernels, modelLayers } = await empiricalNtkLayers(model, x);
 * const { kernel } = await empiricalNtkHost(model, x);
 * assert.deepEqual(modelLayers, [0, 1]);
 * kernel.forEach((v, i) => assert.ok(Math.abs(kernels[0][i] + kernels[1][i] - v) <= 1e-5 * Math.abs(v) + 1e-6));
 * ```
 */
export async function empiricalNtkLayers(
  model: TraceableModel,
  x: Tensor,
  options: EmpiricalNtkLayersOptions = {},
): Promise<NtkLayerShares> {
  checkOptions("compute the NTK by layer", options, ["chunk", "memoryBudget", "layers", "onProgress"]);
  const plan = planNtk(model, x, options);
  const kernels = await assembleOnHost(
    plan,
    x.runtime,
    plan.layers.length,
    (fi, fj) => plan.layerBlocks(fi, fj),
    options.onProgress,
  );
  const weightLayers = model.layers.flatMap((layer, i) => {
    const kind = structureOf(layer).kind;
    return kind === "dense" || kind === "conv" ? [i] : [];
  });
  return { kernels, layers: plan.layers, modelLayers: plan.layers.map((l) => weightLayers[l]), size: plan.size };
}
