/**
 * The infinite-width NNGP and NTK of a convolutional stack with the per-pair spatial recursion on the
 * device: batches of example pairs run through every layer before Flatten in WGSL (float32), then the
 * dense phase runs on the N x N matrices in float64 on the host.
 *
 * @module
 */
import type { TraceableModel } from "../model/parameterized.ts";
import {
  ntkRecursionStep,
  type RecursionCall,
  type RecursionStep,
  recursionStepFits,
  type Stage,
  stageEntries,
} from "../ops/ntk_recursion.ts";
import { Tensor } from "../ops/tensor.ts";
import { checkKernelInputs, type InfiniteKernels, infiniteNtk, type KernelLayer } from "./infinite_ntk.ts";
import { convGeometry, denseMatrixPhase, radii } from "./_kernel_phases.ts";
import { checkOptions } from "../check/args.ts";

/** Activations the device recursion has closed forms for. */
const DEVICE_ACTIVATIONS = new Set(["relu", "erf", "identity"]);

/** Options for {@linkcode infiniteNtkGpu}. */
export interface InfiniteNtkGpuOptions {
  /** Pairs per batch (default: as many as fit the device's binding limit, at most 1024). */
  batch?: number;
  /** Called as batches of pairs finish: pairs done and in total (N(N + 1)/2). */
  onProgress?: (done: number, total: number) => void;
}

/** The recursion steps of the layers before Flatten, for an input of h x w x c with radius r. */
function stepsOf(layers: KernelLayer[], flat: number, h: number, w: number, c: number): SpatialStep[] {
  const r = radii(layers, flat);
  let stage: Stage = { h, w, r: r[0] };
  const steps: SpatialStep[] = [{ kind: "input", out: stage, channels: c }];
  for (let l = 0; l < flat; l++) {
    const layer = layers[l];
    if (layer.kind === "conv") {
      const [kh, kw] = layer.kernel, st = layer.stride;
      const { oh, ow, pt, pl } = convGeometry(layer, stage.h, stage.w);
      const out = { h: oh, w: ow, r: r[l + 1] };
      steps.push({
        kind: "conv",
        in: stage,
        out,
        kh,
        kw,
        stride: st,
        padTop: pt,
        padLeft: pl,
        w2: layer.weightStd ** 2 / (kh * kw),
        b2: layer.biasStd ** 2,
      });
      stage = out;
    } else if (layer.kind === "avgpool") {
      const out = { h: Math.floor(stage.h / layer.size), w: Math.floor(stage.w / layer.size), r: r[l + 1] };
      steps.push({ kind: "pool", in: stage, out, size: layer.size });
      stage = out;
    } else if (layer.kind === "activation") {
      steps.push({ kind: "activation", in: stage, fn: layer.fn as "relu" | "erf" | "identity", self: true });
    } else throw new RangeError(`Layer ${layer.kind} cannot come before Flatten in a convolutional stack`);
  }
  return steps;
}

/** A step of the spatial layers (the readout is recorded separately). */
type SpatialStep = Exclude<RecursionStep, { kind: "readout" }>;

/** Stage a step writes (activations write in place of their input's geometry). */
const outputStage = (s: SpatialStep): Stage => (s.kind === "activation" ? s.in : s.out);

/**
 * The device steps of a convolutional stack, or null when the host recursion must run: no spatial input or
 * Flatten, an activation the device kernels lack, or a step whose per-invocation loop (channels, filter,
 * pooling window, readout positions) would pass the loop budget.
 *
 * @throws {RangeError} For inputs that do not match the shape, a bad batch, or kernels too large to hold.
 */
function devicePlan(
  layers: KernelLayer[],
  x: ArrayLike<number>,
  shape: readonly number[],
): { steps: SpatialStep[]; readout: RecursionStep; n: number } | null {
  const flat = layers.findIndex((l) => l.kind === "flatten");
  const spatial = layers.slice(0, Math.max(flat, 0));
  const covered = shape.length === 4 && flat > 0 &&
    spatial.every((l) => l.kind !== "activation" || DEVICE_ACTIVATIONS.has(l.fn));
  if (!covered) return null;
  const [n, h, w, c] = shape;
  if (x.length !== n * h * w * c) {
    throw new RangeError(`Cannot compute kernels: ${x.length} values for shape ${shape.join("x")}`);
  }
  if (n * n * 4 > Tensor.maxBytes()) {
    throw new RangeError(`Cannot hold the ${n}x${n} kernels on the device: use infiniteNtk (host) for N = ${n}`);
  }
  const steps = stepsOf(layers, flat, h, w, c);
  const readout: RecursionStep = { kind: "readout", in: outputStage(steps[steps.length - 1]), n };
  return [...steps, readout].every(recursionStepFits) ? { steps, readout, n } : null;
}

/**
 * Infinite-width NNGP and NTK (as {@linkcode infiniteNtk}) with the convolutional layers' per-pair
 * recursion on the device in float32, in batches of pairs: the spatial phase of N(N + 1)/2 pairs is the
 * cost that grows with N, and it runs at the device's speed instead of one host thread's (N = 1000 in
 * minutes on a 2-core software adapter instead of hours). The dense phase after Flatten stays on the
 * host in float64. Entries agree with the host recursion to float32 accuracy (about 1e-6 relative).
 * Stacks the device recursion does not cover (no convolution, or activations other than relu, erf and
 * identity before Flatten) run on the host, as {@linkcode infiniteNtk}.
 *
 * @param architecture Layers (see {@linkcode kernelArchitecture}), or a model to describe.
 * @param x Inputs [N, H, W, C] (or [N, d] for dense stacks).
 * @param shape Shape of `x`.
 * @param options Batch size, progress.
 * @returns NNGP and NTK (N x N, per output unit).
 * @throws {RangeError} As {@linkcode infiniteNtk}, and for a batch that is not a positive integer.
 * @example A convolutional stack agrees with the host recursion
 * ```ts
 * import assert from "node:assert";
 * import { infiniteNtk, infiniteNtkGpu, initGpu } from "../mod.ts";
 * import type { KernelLayer } from "./infinite_ntk.ts";
 * await initGpu();
 * const layers: KernelLayer[] = [
 *   { kind: "conv", kernel: [2, 2], stride: 1, padding: "same", weightStd: 1.5, biasStd: 0.1 },
 *   { kind: "activation", fn: "relu" }, { kind: "flatten" }, { kind: "dense", weightStd: 1, biasStd: 0 },
 * ];
 * const x = [1, 2, 0, -1, 3, 1, 2, 0], shape = [2, 2, 2, 1];
 * const gpu = await infiniteNtkGpu(layers, x, shape), host = infiniteNtk(layers, x, shape);
 * assert.ok(gpu.ntk.every((v, i) => Math.abs(v - host.ntk[i]) < 1e-5 * host.ntk[i]));
 * ```
 */
export async function infiniteNtkGpu(
  architecture: KernelLayer[] | TraceableModel,
  x: ArrayLike<number>,
  shape: readonly number[],
  options: InfiniteNtkGpuOptions = {},
): Promise<InfiniteKernels> {
  checkOptions("compute kernels", options, ["batch", "onProgress"]);
  if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch >= 1)) {
    throw new RangeError(`Cannot compute kernels: batch must be an integer >= 1 (got ${options.batch})`);
  }
  const layers = checkKernelInputs("compute kernels", architecture, x, shape);
  const plan = devicePlan(layers, x, shape);
  if (!plan) return infiniteNtk(layers, x, shape, { onProgress: options.onProgress });
  const { steps, readout, n } = plan;
  const largest = Math.max(...steps.map((s) => stageEntries(outputStage(s))));
  const fit = Math.floor(Tensor.maxBytes() / (2 * 4 * largest));
  const total = (n * (n + 1)) / 2;
  const batch = Math.max(1, Math.min(options.batch ?? 1024, fit, total));
  const tensors: Tensor[] = [];
  // Each output is written before it is read (steps, self pass, readout): nothing to zero or upload.
  const make = (size: number) => {
    const t = Tensor.empty([size], "infiniteNtkGpu");
    tensors.push(t);
    return t;
  };
  try {
    const input = Tensor.fromArray(Float32Array.from(x), [x.length]);
    tensors.push(input);
    const stages = [make(2 * batch * largest), make(2 * batch * largest)];
    const diags = steps.map((s) => (s.kind === "activation" ? make(n * s.in.h * s.in.w) : null));
    const kOut = make(n * n), tOut = make(n * n), spare = make(1);
    // Self pairs first (they record every activation's diagonal), then i < j.
    const pairsOf = function* (): Generator<number[]> {
      for (let i = 0; i < n; i++) yield [i, i];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) yield [i, j];
    };
    let done = 0, batchPairs: number[] = [];
    const flush = async (self: boolean) => {
      const count = batchPairs.length / 2;
      if (count === 0) return;
      const pairs = Tensor.fromArray(Float32Array.from(batchPairs), [batchPairs.length]);
      let src = input, dst = stages[0];
      for (const [s, step] of steps.entries()) {
        const call = { ...step, batch, ...(step.kind === "activation" ? { self } : {}) } as RecursionCall;
        ntkRecursionStep(call, { pairs, src, dst, diag: diags[s] ?? spare }, count);
        src = dst;
        dst = dst === stages[0] ? stages[1] : stages[0];
      }
      ntkRecursionStep({ ...readout, batch }, { pairs, src, dst: kOut, diag: tOut }, count);
      pairs.dispose();
      done += count;
      batchPairs = [];
      if (options.onProgress) {
        await kOut.runtime.sync(); // progress that means what it says
        options.onProgress(done, total);
      }
    };
    for (const [i, j] of pairsOf()) {
      batchPairs.push(i, j);
      if (batchPairs.length / 2 === batch || (i === n - 1 && j === n - 1)) await flush(i === j);
    }
    await flush(false);
    const k = Float64Array.from(await kOut.toArray());
    const t = Float64Array.from(await tOut.toArray());
    const flat = layers.findIndex((l) => l.kind === "flatten");
    const hasTheta = layers.slice(0, flat).some((l) => l.kind === "conv");
    return denseMatrixPhase(layers.slice(flat + 1), k, hasTheta ? t : null, n);
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}
