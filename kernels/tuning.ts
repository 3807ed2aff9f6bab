/**
 * The kernel autotuner: where a kernel family has variants (matmul and Gram: register-blocked or
 * workgroup-memory tiled; the Jacobi SVD: scalar rounds or block rotations), it times each on the adapter for a representative shape of every shape class, keeps the
 * fastest, and remembers the choice per adapter identity and tuning version in a store (in memory by
 * default; a Deno program can pass one backed by a file). Variants compute the same result up to float32
 * rounding, so tuning changes speed, never answers.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { dispatchMatmul, MATMUL_VARIANTS, type MatmulVariant } from "./matmul.ts";
import { dispatchGram } from "./gram.ts";
import { dispatchJacobiSweep } from "./jacobi.ts";
import { blockPlan, dispatchBlockJacobiSweep, JACOBI_BLOCK } from "./block_jacobi.ts";

/** Variant names per family (the first is the default). */
export const VARIANTS: Record<string, readonly string[]> = {
  matmul: MATMUL_VARIANTS,
  gram: MATMUL_VARIANTS,
  jacobi: ["scalar", "block"],
};

/** Bump when variants or shape classes change: stored choices of another version are ignored. */
export const TUNING_VERSION = 3;

/** Where the tuner keeps its choices: one record of `family:class → variant` per key (matmul and gram share the variant names). */
export interface TuningStore {
  /** The choices stored under `key`, or null. */
  read(key: string): Promise<Record<string, string> | null>;
  /** Stores choices under `key`. */
  write(key: string, choices: Record<string, string>): Promise<void>;
}

/** A store that lives as long as the process (or page). */
export function memoryTuningStore(): TuningStore {
  const records = new Map<string, Record<string, string>>();
  return {
    read: (key) => Promise.resolve(records.get(key) ?? null),
    write: (key, choices) => {
      records.set(key, { ...choices });
      return Promise.resolve();
    },
  };
}

/** How {@linkcode initGpu} tunes: "auto" (default) times the variants once per adapter and store; "off" keeps the defaults. */
export interface TuningOptions {
  /** "auto" or "off" (reproducible timing: every family uses its default variant). */
  tuning?: "auto" | "off";
  /** Where choices persist (default: in memory, for this process). */
  store?: TuningStore;
}

/** The representative square size timed for each shape class of both families (see `matmulShapeClass`). */
const REPRESENTATIVE = { small: 256, large: 512 } as const;

/** The store key of a runtime's adapter at this tuning version. */
export function tuningKey(rt: Runtime): string {
  return `${rt.adapterIdentity} | rankscope tuning v${TUNING_VERSION}`;
}

/**
 * Seconds per run of each variant of a family at n x n x n (Gram: n x n from n x n; best of two timed
 * runs after a warm-up, one sync each).
 *
 * @param rt Runtime.
 * @param family "matmul" or "gram".
 * @param n Size.
 * @returns Seconds per variant.
 */
export async function timeVariants(
  rt: Runtime,
  family: "matmul" | "gram",
  n: number,
): Promise<Record<MatmulVariant, number>> {
  const bytes = n * n * 4;
  const [a, c] = [rt.pool.acquire(bytes), rt.pool.acquire(bytes)];
  rt.write(a, new Float32Array(n * n).fill(1));
  const out = {} as Record<MatmulVariant, number>;
  try {
    for (const variant of MATMUL_VARIANTS) {
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        if (family === "gram") dispatchGram(rt, { a, g: c, m: n, k: n, variant });
        else dispatchMatmul(rt, { a, b: a, c, m: n, n, k: n, transposeA: false, transposeB: false, variant });
        await rt.sync();
        if (r > 0) best = Math.min(best, (performance.now() - t) / 1000);
      }
      out[variant] = best;
    }
  } finally {
    rt.pool.release(a);
    rt.pool.release(c);
  }
  return out;
}

/**
 * Seconds per sweep of the scalar and the block one-sided Jacobi on an n x n matrix (V accumulated; best
 * of two timed sweeps after a warm-up). Both need about as many sweeps, so a sweep's time decides.
 *
 * @param rt Runtime.
 * @param n Columns (and rows), a multiple of 4.
 * @returns Seconds per variant.
 */
export async function timeJacobiSweeps(rt: Runtime, n: number): Promise<{ scalar: number; block: number }> {
  const length = 2 * n, geometry = { batch: 1, n, m: n, length, tol: 1e-6 };
  const values = Float32Array.from({ length: n * length }, (_, i) => ((i * 7919) % 1009) / 1009 - 0.5);
  const [w, status, scratch] = [
    rt.pool.acquire(values.byteLength),
    rt.pool.acquire(4),
    rt.pool.acquire(blockPlan(n).pairs * (2 * JACOBI_BLOCK) ** 2 * 4),
  ];
  const out = { scalar: Infinity, block: Infinity };
  try {
    for (const variant of ["scalar", "block"] as const) {
      for (let r = 0; r < 3; r++) {
        rt.write(w, values);
        const t = performance.now();
        if (variant === "block") dispatchBlockJacobiSweep(rt, { ...geometry, w, status, scratch });
        else dispatchJacobiSweep(rt, { ...geometry, w, status });
        await rt.sync();
        if (r > 0) out[variant] = Math.min(out[variant], (performance.now() - t) / 1000);
      }
    }
  } finally {
    [w, status, scratch].forEach((b) => rt.pool.release(b));
  }
  return out;
}

/**
 * Loads the runtime's tuning choices from the store, or measures them (and stores them) when the store
 * has none for this adapter and version. Sets `rt.tuning`.
 *
 * @param rt Runtime.
 * @param store Where choices persist.
 * @returns The choices, `family:class → variant`.
 */
export async function tuneKernels(rt: Runtime, store: TuningStore): Promise<Record<string, string>> {
  const key = tuningKey(rt);
  let choices = await store.read(key);
  // A stored record must name a known variant for every choice this version makes.
  const keys = [
    ...(["matmul", "gram"] as const).flatMap((f) => Object.keys(REPRESENTATIVE).map((c) => `${f}:${c}`)),
    "jacobi:all",
  ];
  const valid = (c: Record<string, string> | null): c is Record<string, string> =>
    !!c && keys.every((k) => VARIANTS[k.split(":")[0]].includes(c[k]));
  if (!valid(choices)) {
    choices = {};
    for (const family of ["matmul", "gram"] as const) {
      for (const [cls, n] of Object.entries(REPRESENTATIVE)) {
        const seconds = await timeVariants(rt, family, n);
        choices[`${family}:${cls}`] = MATMUL_VARIANTS.reduce((a, b) => (seconds[b] < seconds[a] ? b : a));
      }
    }
    const sweeps = await timeJacobiSweeps(rt, 128);
    choices["jacobi:all"] = sweeps.block < sweeps.scalar ? "block" : "scalar";
    await store.write(key, choices);
  }
  rt.tuning.clear();
  for (const [k, v] of Object.entries(choices)) rt.tuning.set(k, v);
  return choices;
}
