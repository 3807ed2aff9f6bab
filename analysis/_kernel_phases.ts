/**
 * The parts of the infinite-width kernel recursion shared by the host and device paths: the offset radii
 * of a convolutional stack and the dense phase after Flatten (on N x N matrices, in float64).
 *
 * @module
 */
import { gaussianExpectations } from "./gaussian_expectations.ts";
import type { ActivationName } from "../model/activations.ts";

/** One layer of an architecture, as the kernel recursion sees it. */
export type KernelLayer =
  | { kind: "dense"; weightStd: number; biasStd: number }
  | {
    kind: "conv";
    kernel: [number, number];
    stride: number;
    padding: "valid" | "same";
    weightStd: number;
    biasStd: number;
  }
  | { kind: "activation"; fn: ActivationName }
  | { kind: "avgpool"; size: number }
  | { kind: "flatten" };

/** NNGP and NTK matrices of the outputs (per output unit: the full NTK is Θ ⊗ I_K). */
export interface InfiniteKernels {
  /** NNGP kernel, N x N row-major. */
  nngp: Float64Array;
  /** NTK, N x N row-major. */
  ntk: Float64Array;
  /** N. */
  n: number;
}

/** The dense phase: dense layers and activations on N x N kernels (Θ null before the first weight layer). */
export function denseMatrixPhase(
  layers: KernelLayer[],
  k: Float64Array,
  theta: Float64Array | null,
  n: number,
): InfiniteKernels {
  let th = theta;
  for (const layer of layers) {
    if (layer.kind === "dense") {
      const w2 = layer.weightStd ** 2, b2 = layer.biasStd ** 2;
      const next = k.map((v) => w2 * v + b2);
      th = th ? next.map((v, i) => v + w2 * th![i]) : next.slice();
      k = next;
    } else if (layer.kind === "activation") {
      const diag = Float64Array.from({ length: n }, (_, i) => k[i * n + i]);
      const nk = new Float64Array(n * n), nt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          const [e1, e2] = gaussianExpectations(layer.fn, diag[i], diag[j], k[i * n + j]);
          nk[i * n + j] = nk[j * n + i] = e1;
          const t = th ? e2 * th[i * n + j] : 0;
          nt[i * n + j] = nt[j * n + i] = t;
        }
      }
      k = nk;
      th = th ? nt : null;
    } else if (layer.kind === "flatten") {
      continue; // already flat
    } else {
      throw new RangeError(`Layer ${layer.kind} needs spatial input (NHWC), but the kernel is already flat`);
    }
  }
  return { nngp: k, ntk: th ?? new Float64Array(n * n), n };
}

/** Offset radius each spatial layer's output must provide, from the Flatten at `flat` backwards. */
export function radii(layers: KernelLayer[], flat: number): number[] {
  const out = new Array(flat + 1).fill(0);
  let r = 0;
  for (let l = flat - 1; l >= 0; l--) {
    out[l + 1] = r;
    const layer = layers[l];
    if (layer.kind === "avgpool") r = layer.size * r + layer.size - 1;
    else if (layer.kind === "conv") r = layer.stride * r;
  }
  out[0] = r;
  return out;
}

/** Output size and top/left padding of a convolution layer over an h x w grid. */
export function convGeometry(
  layer: Extract<KernelLayer, { kind: "conv" }>,
  h: number,
  w: number,
): { oh: number; ow: number; pt: number; pl: number } {
  const [kh, kw] = layer.kernel, st = layer.stride;
  if (layer.padding === "valid") {
    return { oh: Math.floor((h - kh) / st) + 1, ow: Math.floor((w - kw) / st) + 1, pt: 0, pl: 0 };
  }
  const oh = Math.ceil(h / st), ow = Math.ceil(w / st);
  return {
    oh,
    ow,
    pt: Math.floor(Math.max((oh - 1) * st + kh - h, 0) / 2),
    pl: Math.floor(Math.max((ow - 1) * st + kw - w, 0) / 2),
  };
}
