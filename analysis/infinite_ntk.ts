/**
 * Infinite-width NNGP and NTK kernels (NTK parameterization, as neural-tangents defines them) of Dense,
 * Conv, AvgPool, Flatten and activation stacks, computed in float64 on the host.
 *
 * Dense: K' = σ_w² K + σ_b², Θ' = K' + σ_w² Θ (K of the input is x·x'/d). Activation φ:
 * K' = E[φ(u)φ(v)], Θ' = E[φ'(u)φ'(v)] Θ with (u, v) ~ N(0, [[K_xx, K_xx'], [K_xx', K_x'x']]) — closed forms
 * for relu (arc-cosine) and erf, 2-D Gauss–Hermite quadrature otherwise. Conv (weights shared over
 * positions): K'(s, s') = σ_w²/(kh·kw) Σ_δ K(s+δ, s'+δ) + σ_b² (zero padding contributes 0). AvgPool
 * averages both positions over their windows; Flatten averages K(s, s) over positions. For a CNN that
 * ends in Flatten only position pairs within the receptive offsets that reach the readout are tracked.
 *
 * @module
 */
import { structureOf } from "../model/layer_signals.ts";
import { gaussianExpectations } from "./gaussian_expectations.ts";
import { convGeometry, denseMatrixPhase, type InfiniteKernels, type KernelLayer, radii } from "./_kernel_phases.ts";

export type { InfiniteKernels, KernelLayer } from "./_kernel_phases.ts";
import { checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import { checkLayer, type LayerStructure, type TraceableModel } from "../model/parameterized.ts";
import { ACTIVATION_FUNCTIONS } from "../model/activations.ts";

/** Activations without a Gaussian-expectation rule in gaussian_expectations.ts. */
const NO_KERNEL_RULE: readonly string[] = ["gelu", "gelu_tanh", "silu"];

/**
 * Checks an architecture (a Sequential, or KernelLayer[] with every field in range) and an input of the
 * given shape, and returns the layers.
 *
 * @param context What the caller was doing, after "Cannot ".
 * @param architecture The caller's architecture.
 * @param x Input values.
 * @param shape Shape of `x`.
 * @returns The kernel layers.
 * @throws {TypeError} For an architecture that is neither; {RangeError} for a field out of range, a
 *   shape that is not positive integers, or a value that is not finite.
 */
export function checkKernelInputs(
  context: string,
  architecture: unknown,
  x: ArrayLike<number>,
  shape: readonly number[],
): KernelLayer[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`Cannot ${context}: shape must be positive integers (got ${describe(shape)})`);
  }
  if (typeof x !== "object" || x === null || !Array.prototype.every.call(x, Number.isFinite)) {
    throw new RangeError(`Cannot ${context}: x must be an array of finite numbers (got ${describe(x)})`);
  }
  const layers = Array.isArray(architecture)
    ? architecture as KernelLayer[]
    : kernelArchitecture(checkLayer(context, "architecture", architecture, true));
  layers.forEach((l, i) => {
    const at = `architecture[${i}]`;
    const kind = checkChoice(context, `${at}.kind`, l?.kind, ["dense", "conv", "activation", "avgpool", "flatten"]);
    if (kind === "dense" || kind === "conv") {
      const w = l as { weightStd: number; biasStd: number };
      checkNumber(context, `${at}.weightStd`, w.weightStd, { min: 0 });
      checkNumber(context, `${at}.biasStd`, w.biasStd, { min: 0 });
    }
    if (l.kind === "conv") {
      l.kernel.forEach((k, d) => checkNumber(context, `${at}.kernel[${d}]`, k, { integer: true, min: 1 }));
      checkNumber(context, `${at}.stride`, l.stride, { integer: true, min: 1 });
      checkChoice(context, `${at}.padding`, l.padding, ["valid", "same"]);
    }
    if (l.kind === "activation") {
      checkChoice(context, `${at}.fn`, l.fn, Object.keys(ACTIVATION_FUNCTIONS));
      if (NO_KERNEL_RULE.includes(l.fn)) {
        throw new RangeError(`Cannot ${context}: ${at} is the activation "${l.fn}", which has no infinite-width rule`);
      }
    }
    if (l.kind === "avgpool") checkNumber(context, `${at}.size`, l.size, { integer: true, min: 1 });
  });
  return layers;
}

/**
 * The kernel-recursion description of a traceable model (σ_w, σ_b from each layer's structure: the NTK
 * parameterization's values, or for standard layers the init std times √fan_in and the bias init std).
 *
 * @param model Model whose layers describe themselves.
 * @returns Layers for {@linkcode infiniteNtk}.
 * @throws {RangeError} For layers without an infinite-width rule (batch norm, RFF, residual).
 */
export function kernelArchitecture(model: TraceableModel): KernelLayer[] {
  return model.layers.map((layer) => {
    const s: LayerStructure = structureOf(layer);
    switch (s.kind) {
      case "dense":
        return { kind: "dense", weightStd: s.weightStd, biasStd: s.bias ? s.biasStd : 0 };
      case "conv":
        return {
          kind: "conv",
          kernel: [s.filters.shape[0], s.filters.shape[1]],
          stride: s.stride,
          padding: s.padding,
          weightStd: s.weightStd,
          biasStd: s.bias ? s.biasStd : 0,
        };
      case "activation":
        return { kind: "activation", fn: s.fn };
      case "avgpool":
        return { kind: "avgpool", size: s.size };
      case "flatten":
        return { kind: "flatten" };
      default:
        throw new RangeError(`No infinite-width kernel rule for layer ${layer.name}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Spatial phase: per example pair, K(s, s + Δ) for positions s and offsets |Δ| <= R.

interface SpatialKernel {
  h: number;
  w: number;
  /** Offset radius along each axis. */
  r: number;
  /** K at [((y * w + x) * side + dy + r) * side + dx + r], side = 2r + 1. */
  k: Float64Array;
  /** Θ likewise (null before the first weight layer). */
  t: Float64Array | null;
}

const at = (s: { w: number; r: number }, y: number, x: number, dy: number, dx: number) => {
  const side = 2 * s.r + 1;
  return ((y * s.w + x) * side + dy + s.r) * side + dx + s.r;
};

/** Visits every tracked entry (position (y, x), offset (dy, dx)) whose second position is inside the grid. */
function forEachEntry(
  s: { h: number; w: number; r: number },
  visit: (y: number, x: number, dy: number, dx: number, index: number) => void,
): void {
  for (let y = 0; y < s.h; y++) {
    for (let x = 0; x < s.w; x++) {
      for (let dy = -s.r; dy <= s.r; dy++) {
        for (let dx = -s.r; dx <= s.r; dx++) {
          if (y + dy < 0 || y + dy >= s.h || x + dx < 0 || x + dx >= s.w) continue;
          visit(y, x, dy, dx, at(s, y, x, dy, dx));
        }
      }
    }
  }
}

function spatialInput(xi: Float64Array, xj: Float64Array, h: number, w: number, c: number, r: number): SpatialKernel {
  const side = 2 * r + 1;
  const s: SpatialKernel = { h, w, r, k: new Float64Array(h * w * side * side), t: null };
  forEachEntry(s, (y, x, dy, dx, idx) => {
    let acc = 0;
    for (let ch = 0; ch < c; ch++) acc += xi[(y * w + x) * c + ch] * xj[((y + dy) * w + x + dx) * c + ch];
    s.k[idx] = acc / c;
  });
  return s;
}

function spatialConv(s: SpatialKernel, layer: Extract<KernelLayer, { kind: "conv" }>, rOut: number): SpatialKernel {
  const [kh, kw] = layer.kernel, st = layer.stride;
  const { oh, ow, pt, pl } = convGeometry(layer, s.h, s.w);
  const side = 2 * rOut + 1;
  const out: SpatialKernel = { h: oh, w: ow, r: rOut, k: new Float64Array(oh * ow * side * side), t: null };
  const tOut = new Float64Array(out.k.length);
  const w2 = layer.weightStd ** 2 / (kh * kw), b2 = layer.biasStd ** 2;
  forEachEntry(out, (y, x, dy, dx, o) => {
    let sk = 0, sth = 0;
    for (let u = 0; u < kh; u++) {
      const iy = y * st - pt + u, iy2 = iy + dy * st;
      if (iy < 0 || iy >= s.h || iy2 < 0 || iy2 >= s.h) continue;
      for (let v = 0; v < kw; v++) {
        const ix = x * st - pl + v, ix2 = ix + dx * st;
        if (ix < 0 || ix >= s.w || ix2 < 0 || ix2 >= s.w) continue;
        const idx = at(s, iy, ix, dy * st, dx * st);
        sk += s.k[idx];
        if (s.t) sth += s.t[idx];
      }
    }
    out.k[o] = w2 * sk + b2;
    tOut[o] = out.k[o] + w2 * sth;
  });
  out.t = tOut;
  return out;
}

function spatialActivation(
  s: SpatialKernel,
  fn: string,
  diagI: Float64Array,
  diagJ: Float64Array,
): SpatialKernel {
  const out: SpatialKernel = { ...s, k: new Float64Array(s.k.length), t: s.t ? new Float64Array(s.k.length) : null };
  forEachEntry(s, (y, x, dy, dx, idx) => {
    const [e1, e2] = gaussianExpectations(fn, diagI[y * s.w + x], diagJ[(y + dy) * s.w + x + dx], s.k[idx]);
    out.k[idx] = e1;
    if (s.t) out.t![idx] = e2 * s.t[idx];
  });
  return out;
}

function spatialPool(s: SpatialKernel, p: number, rOut: number): SpatialKernel {
  const oh = Math.floor(s.h / p), ow = Math.floor(s.w / p), side = 2 * rOut + 1;
  const out: SpatialKernel = { h: oh, w: ow, r: rOut, k: new Float64Array(oh * ow * side * side), t: null };
  const tOut = s.t ? new Float64Array(out.k.length) : null;
  const norm = 1 / (p * p * p * p);
  forEachEntry(out, (y, x, dy, dx, o) => {
    let sk = 0, sth = 0;
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        for (let a2 = 0; a2 < p; a2++) {
          for (let b2 = 0; b2 < p; b2++) {
            const idx = at(s, p * y + a, p * x + b, p * dy + a2 - a, p * dx + b2 - b);
            sk += s.k[idx];
            if (s.t) sth += s.t[idx];
          }
        }
      }
    }
    out.k[o] = sk * norm;
    if (tOut) tOut[o] = sth * norm;
  });
  out.t = tOut;
  return out;
}

/** Diagonal K(s, s) of a spatial kernel. */
function diagonalOf(s: SpatialKernel): Float64Array {
  return Float64Array.from({ length: s.h * s.w }, (_, i) => s.k[at(s, Math.floor(i / s.w), i % s.w, 0, 0)]);
}

/**
 * Infinite-width NNGP and NTK of an architecture at N inputs.
 *
 * @param architecture Layers (see {@linkcode kernelArchitecture}), or a model to describe.
 * @param x Inputs: [N, d] values for dense stacks, [N, H, W, C] for stacks with convolutions.
 * @param shape Shape of `x`.
 * @param options `onProgress(done, total)`, called as pairs of examples finish (convolutional stacks compute
 *   N(N + 1)/2 pairs, each in host float64; dense stacks finish at once).
 * @returns NNGP and NTK (N x N, per output unit).
 * @throws {RangeError} For a spatial stack without Flatten, mismatched shapes, or unknown layers.
 * @example The NTK of one dense layer is K = σ_w² x·x'/d + σ_b²
 * ```ts
 * import assert from "node:assert";
 * import { infiniteNtk } from "../mod.ts";
 * const { ntk } = infiniteNtk([{ kind: "dense", weightStd: 2, biasStd: 1 }], [1, 0, 0, 1], [2, 2]);
 * assert.deepEqual([...ntk], [3, 1, 1, 3]);
 * ```
 */
export function infiniteNtk(
  architecture: KernelLayer[] | TraceableModel,
  x: ArrayLike<number>,
  shape: readonly number[],
  options: { onProgress?: (done: number, total: number) => void } = {},
): InfiniteKernels {
  checkOptions("compute kernels", options, ["onProgress"]);
  const layers = checkKernelInputs("compute kernels", architecture, x, shape);
  const n = shape[0];
  const per = shape.slice(1).reduce((p, d) => p * d, 1);
  if (x.length !== n * per) {
    throw new RangeError(`Cannot compute kernels: ${x.length} values for shape ${shape.join("x")}`);
  }
  const rows = Array.from({ length: n }, (_, i) => Float64Array.from({ length: per }, (_, k) => x[i * per + k]));
  if (shape.length === 2) {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) k[i * n + j] = rows[i].reduce((s, v, q) => s + v * rows[j][q], 0) / per;
    }
    return denseMatrixPhase(layers, k, null, n);
  }
  if (shape.length !== 4) {
    throw new RangeError(`Cannot compute kernels: input must be [N, d] or [N, H, W, C] (got ${shape.join("x")})`);
  }
  const flat = layers.findIndex((l) => l.kind === "flatten");
  if (flat < 0) throw new RangeError("Cannot compute kernels of a convolutional stack without Flatten");
  const [, h, w, c] = shape;
  const r = radii(layers, flat);
  // Run one example pair through the spatial layers; `diags` supplies K(s, s) before each activation.
  const run = (
    i: number,
    j: number,
    diags: (Float64Array[] | null)[],
  ): { k: number; t: number; own: Float64Array[] } => {
    let s = spatialInput(rows[i], rows[j], h, w, c, r[0]);
    const own: Float64Array[] = [];
    for (let l = 0; l < flat; l++) {
      const layer = layers[l];
      if (layer.kind === "conv") s = spatialConv(s, layer, r[l + 1]);
      else if (layer.kind === "avgpool") s = spatialPool(s, layer.size, r[l + 1]);
      else if (layer.kind === "activation") {
        const d = diagonalOf(s);
        own.push(d);
        const di = diags[i]?.[own.length - 1] ?? d, dj = diags[j]?.[own.length - 1] ?? d;
        s = spatialActivation(s, layer.fn, di, dj);
      } else throw new RangeError(`Layer ${layer.kind} cannot come before Flatten in a convolutional stack`);
    }
    const diag = diagonalOf(s);
    const tdiag = s.t
      ? Float64Array.from({ length: s.h * s.w }, (_, q) => s.t![at(s, Math.floor(q / s.w), q % s.w, 0, 0)])
      : null;
    const mean = (a: Float64Array) => a.reduce((p, v) => p + v, 0) / a.length;
    return { k: mean(diag), t: tdiag ? mean(tdiag) : 0, own };
  };
  const diags: (Float64Array[] | null)[] = new Array(n).fill(null);
  const k = new Float64Array(n * n), t = new Float64Array(n * n);
  const total = (n * (n + 1)) / 2;
  for (let i = 0; i < n; i++) {
    const self = run(i, i, diags);
    diags[i] = self.own;
    k[i * n + i] = self.k;
    t[i * n + i] = self.t;
  }
  options.onProgress?.(n, total);
  const hasTheta = layers.slice(0, flat).some((l) => l.kind === "conv");
  for (let i = 0, done = n; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const pair = run(i, j, diags);
      k[i * n + j] = k[j * n + i] = pair.k;
      t[i * n + j] = t[j * n + i] = pair.t;
    }
    done += n - 1 - i;
    options.onProgress?.(done, total);
  }
  return denseMatrixPhase(layers.slice(flat + 1), k, hasTheta ? t : null, n);
}
