/**
 * The check that rankscope's subgroup kernels work on a device before anything uses them. An adapter
 * can list the `subgroups` feature while its shader compiler rejects what the kernels use (the `enable`
 * directive, the `subgroup_uniformity` diagnostic, a builtin), or computes them wrongly; a shader that
 * failed to compile must never reach a command buffer, because a validation error there makes the whole
 * runtime unusable. So the kernels are compiled first (a failure is caught and the shader evicted), then
 * run on inputs whose answers are exact, and the device's subgroups are switched off on any failure.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { dispatchReduce, reduceWgsl } from "./reduce.ts";
import { dispatchSoftmax, softmaxWgsl } from "./softmax.ts";
import { dispatchMatmul, matmulWgsl } from "./matmul.ts";

/** The probe's product: small integers, so that float32 gives the exact answer. */
const PRODUCT = { m: 9, n: 70, k: 33, transposeA: false, transposeB: false } as const;
/** The probe's reduction: sums of ones over a multi-pass-free axis. */
const SUMS = { outer: 3, axis: 1000, inner: 2 } as const;
/** The probe's softmax: equal logits, so every probability is 1/axis. */
const ROWS = { outer: 5, axis: 70, inner: 1 } as const;

/**
 * Checks the subgroup kernels on the runtime's device: compiles the reduction, softmax and matmul
 * subgroup shaders, then runs them on inputs with exact answers.
 *
 * @param rt Runtime whose device has the `subgroups` feature.
 * @param extraShaders More WGSL that must compile (tests use it to force a failure).
 * @returns Null when everything compiled and matched, else why not (the runtime stays usable).
 */
export async function probeSubgroups(rt: Runtime, extraShaders: string[] = []): Promise<string | null> {
  const shaders = [
    reduceWgsl({ ...SUMS, op: "sum", combine: "subgroup" }),
    softmaxWgsl({ ...ROWS, variant: "subgroup" }),
    matmulWgsl({ ...PRODUCT, variant: "subgroup" }),
    ...extraShaders,
  ];
  try {
    for (const wgsl of shaders) await rt.pipelines.compile(wgsl);
  } catch (e) {
    return `a subgroup shader did not compile: ${(e as Error).message.split("\n")[0]}`;
  }
  const { m, n, k } = PRODUCT;
  const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
  const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) for (let q = 0; q < k; q++) want[i * n + j] += a[i * k + q] * b[q * n + j];
  }
  const sizes = [SUMS.outer * SUMS.axis * SUMS.inner, SUMS.outer * SUMS.inner, a.length, b.length, m * n];
  const rowsSize = ROWS.outer * ROWS.axis;
  const buffers = [...sizes, rowsSize, rowsSize].map((s) => rt.pool.acquire(s * 4));
  const [ones, sums, ba, bb, bc, logits, probabilities] = buffers;
  try {
    rt.write(ones, new Float32Array(sizes[0]).fill(1));
    rt.write(ba, a);
    rt.write(bb, b);
    rt.write(logits, new Float32Array(rowsSize));
    dispatchReduce(rt, { x: ones, y: sums, ...SUMS, op: "sum", variant: "subgroup" });
    dispatchMatmul(rt, { a: ba, b: bb, c: bc, ...PRODUCT, variant: "subgroup" });
    dispatchSoftmax(rt, { x: logits, y: probabilities, ...ROWS, variant: "subgroup" });
    const gotSums = await rt.read(sums, sizes[1]);
    const gotProduct = await rt.read(bc, m * n);
    const gotRows = await rt.read(probabilities, rowsSize);
    if (!gotSums.every((v) => v === SUMS.axis)) {
      return `subgroup sums came out ${gotSums.slice(0, 3)}, not ${SUMS.axis}`;
    }
    if (!gotProduct.every((v, i) => v === want[i])) return "the subgroup matmul missed an exact product";
    if (!gotRows.every((p) => Math.abs(p - 1 / ROWS.axis) <= 1e-6)) return "the subgroup softmax missed 1/70";
    return null;
  } finally {
    buffers.forEach((buffer) => rt.pool.release(buffer));
  }
}
