/**
 * The one-sided Jacobi sweep as a kernel family with two variants: "scalar" (jacobi.ts: one dispatch per
 * round of column pairs; the fallback) and "block" (block_jacobi.ts: three dispatches per round of block
 * pairs, from two blocks of columns on). One shape class, "all": both need about as many sweeps, so the
 * time of a sweep at n = 128 decides.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { dispatchJacobiSweep, type JacobiOptions } from "./jacobi.ts";
import { blockPlan, dispatchBlockJacobiSweep, JACOBI_BLOCK } from "./block_jacobi.ts";
import type { Variant, VariantFamily } from "./choose_variant.ts";

/** What the Jacobi variants' run tests need: the columns per matrix. */
export interface JacobiCall {
  /** Columns per matrix. */
  n: number;
}

/** Buffers of one sweep: the columns, the status words, and the block variant's scratch. */
export interface JacobiSweepBuffers {
  /** Columns (batch x n x length, column-major per matrix). */
  w: GPUBuffer;
  /** One u32 per matrix: the sweep's largest relative off-diagonal, as f32 bits. */
  status: GPUBuffer;
  /** Scratch of {@linkcode JacobiFamilyVariant.scratchBytes} bytes (block variant only). */
  scratch?: GPUBuffer;
}

/** A Jacobi variant: its run test, its scratch and how it records a sweep. */
export interface JacobiFamilyVariant extends Variant<JacobiCall> {
  /** Bytes of scratch a sweep needs (0: none). */
  scratchBytes(options: JacobiOptions): number;
  /** Records one full sweep. */
  sweep(rt: Runtime, call: JacobiOptions & JacobiSweepBuffers): void;
}

/**
 * Seconds per sweep of the scalar and the block one-sided Jacobi on an n x n matrix (V accumulated; best
 * of two timed sweeps after a warm-up). Both need about as many sweeps, so a sweep's time decides.
 *
 * @param rt Runtime.
 * @param n Columns (and rows), a multiple of 4.
 * @returns Seconds per variant.
 * @example Time both variants on a 4 x 4 matrix
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * import { timeJacobiSweeps } from "./jacobi_family.ts";
 * const rt = await initGpu();
 * const seconds = await timeJacobiSweeps(rt, 4);
 * assert.ok(Number.isFinite(seconds.scalar) && Number.isFinite(seconds.block));
 * ```
 */
export async function timeJacobiSweeps(rt: Runtime, n: number): Promise<{ scalar: number; block: number }> {
  const length = 2 * n, geometry = { batch: 1, n, m: n, length, tol: 1e-6 };
  const values = Float32Array.from({ length: n * length }, (_, i) => ((i * 7919) % 1009) / 1009 - 0.5);
  const [w, status, scratch] = [
    rt.pool.acquire(values.byteLength),
    rt.pool.acquire(4),
    rt.pool.acquire(JACOBI_FAMILY.variants.block.scratchBytes(geometry)),
  ];
  const out = { scalar: Infinity, block: Infinity };
  try {
    for (const variant of ["scalar", "block"] as const) {
      for (let r = 0; r < 3; r++) {
        rt.write(w, values);
        const t = performance.now();
        JACOBI_FAMILY.variants[variant].sweep(rt, { ...geometry, w, status, scratch });
        await rt.sync();
        if (r > 0) out[variant] = Math.min(out[variant], (performance.now() - t) / 1000);
      }
    }
  } finally {
    [w, status, scratch].forEach((b) => rt.pool.release(b));
  }
  return out;
}

/** The size the tuner times the Jacobi sweeps at. */
const TUNING_COLUMNS = 128;

/** The Jacobi family: "scalar" (the fallback) and "block" (n >= 2 blocks); one shape class, "all". */
export const JACOBI_FAMILY: VariantFamily<JacobiCall, "scalar" | "block", "all", JacobiFamilyVariant> = {
  name: "jacobi",
  verb: "run Jacobi sweep",
  variants: {
    scalar: {
      runs: () => true,
      refusal: () => "",
      scratchBytes: () => 0,
      sweep: (rt, { w, status, scratch: _, ...options }) => dispatchJacobiSweep(rt, { ...options, w, status }),
    },
    block: {
      runs: (_, { n }) => n >= 2 * JACOBI_BLOCK,
      refusal: (_, { n }) =>
        `Cannot run block Jacobi sweep: ${n} columns are fewer than two blocks (${2 * JACOBI_BLOCK} columns)`,
      scratchBytes: ({ batch, n }) => batch * blockPlan(n).pairs * (2 * JACOBI_BLOCK) ** 2 * 4,
      sweep: (rt, call) => {
        if (!call.scratch) throw new TypeError("Cannot run block Jacobi sweep: no scratch buffer given");
        dispatchBlockJacobiSweep(rt, { ...call, scratch: call.scratch });
      },
    },
  },
  shapeClasses: ["all"],
  shapeClass: () => "all",
  fallback: () => "scalar",
  time: (rt) => timeJacobiSweeps(rt, TUNING_COLUMNS),
};
