/**
 * The kernel autotuner: where a kernel family has variants (matmul and Gram: register-blocked,
 * workgroup-memory tiled, or subgroup shuffles where the device has them; the Jacobi SVD: scalar rounds or block rotations; reductions and softmax:
 * serial, workgroup tree, or subgroup operations where the device has them), it times each on the
 * adapter for a representative shape of every shape class, keeps the
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
import { dispatchReduce, SERIAL_REDUCE_MAX_AXIS } from "./reduce.ts";
import { dispatchSoftmax, SERIAL_SOFTMAX_MAX_AXIS } from "./softmax.ts";
import { REDUCE_VARIANTS, type ReduceVariant, SOFTMAX_VARIANTS, type SoftmaxVariant, variantRuns } from "./_variant.ts";

/** Variant names per family (the first is the default). */
export const VARIANTS: Record<string, readonly string[]> = {
  matmul: MATMUL_VARIANTS,
  gram: MATMUL_VARIANTS,
  jacobi: ["scalar", "block"],
  reduce: REDUCE_VARIANTS,
  softmax: SOFTMAX_VARIANTS,
};

/** Bump when variants or shape classes change: stored choices of another version are ignored. */
export const TUNING_VERSION = 4;

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
 * Seconds per run of each variant of a family the device can run at n x n x n (Gram: n x n from n x n; best of two timed
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
): Promise<Partial<Record<MatmulVariant, number>>> {
  const bytes = n * n * 4;
  const [a, c] = [rt.pool.acquire(bytes), rt.pool.acquire(bytes)];
  rt.write(a, new Float32Array(n * n).fill(1));
  const out: Partial<Record<MatmulVariant, number>> = {};
  try {
    for (const variant of MATMUL_VARIANTS) {
      if (variant === "subgroup" && !rt.subgroups) continue;
      out[variant] = await bestSeconds(
        rt,
        () =>
          family === "gram"
            ? dispatchGram(rt, { a, g: c, m: n, k: n, variant })
            : dispatchMatmul(rt, { a, b: a, c, m: n, n, k: n, transposeA: false, transposeB: false, variant }),
      );
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

/** Representative [outer, axis, inner] per shape class of the reductions and softmax (about 1M entries each). */
export const ROW_SHAPES = {
  "reduce:short": [8192, 16, 8],
  "reduce:medium": [64, 1024, 16],
  "reduce:long": [1, 1 << 20, 1],
  "softmax:short": [16384, 10, 1],
  "softmax:long": [256, 1024, 1],
} as const;

/**
 * Seconds per call of `record`: the fastest of two timed runs after a warm-up. A run makes enough calls
 * in one submit (up to 8) to take about 20 ms by the warm-up's measure, so one sync does not swamp short
 * kernels, and slow variants are not run more than needed.
 */
async function bestSeconds(rt: Runtime, record: () => void): Promise<number> {
  let t = performance.now();
  record();
  await rt.sync();
  const repeats = Math.max(1, Math.min(8, Math.ceil(20 / (performance.now() - t))));
  let best = Infinity;
  for (let r = 0; r < 2; r++) {
    t = performance.now();
    for (let i = 0; i < repeats; i++) record();
    await rt.sync();
    best = Math.min(best, (performance.now() - t) / 1000 / repeats);
  }
  return best;
}

/**
 * Seconds per run of each variant this device can run, for a reduction (sum) or softmax shape class.
 *
 * @param rt Runtime.
 * @param key "reduce:short", "reduce:medium", "reduce:long", "softmax:short" or "softmax:long".
 * @returns Seconds per runnable variant.
 */
export async function timeRowVariants(
  rt: Runtime,
  key: keyof typeof ROW_SHAPES,
): Promise<Partial<Record<ReduceVariant | SoftmaxVariant, number>>> {
  const [outer, axis, inner] = ROW_SHAPES[key];
  const softmax = key.startsWith("softmax");
  const [x, y] = [rt.pool.acquire(outer * axis * inner * 4), rt.pool.acquire((softmax ? axis : 1) * outer * inner * 4)];
  rt.write(x, Float32Array.from({ length: outer * axis * inner }, (_, i) => (i % 97) / 97));
  const out: Partial<Record<ReduceVariant | SoftmaxVariant, number>> = {};
  try {
    for (const variant of softmax ? SOFTMAX_VARIANTS : REDUCE_VARIANTS) {
      if (!variantRuns(rt, variant, axis, softmax ? SERIAL_SOFTMAX_MAX_AXIS : SERIAL_REDUCE_MAX_AXIS)) continue;
      out[variant] = await bestSeconds(
        rt,
        () =>
          softmax
            ? dispatchSoftmax(rt, { x, y, outer, axis, inner, variant: variant as SoftmaxVariant })
            : dispatchReduce(rt, { x, y, outer, axis, inner, op: "sum", variant: variant as ReduceVariant }),
      );
    }
  } finally {
    rt.pool.release(x);
    rt.pool.release(y);
  }
  return out;
}

/** The fastest entry of a record of seconds. */
function fastest(seconds: Record<string, number>): string {
  return Object.keys(seconds).reduce((a, b) => (seconds[b] < seconds[a] ? b : a));
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
    ...Object.keys(ROW_SHAPES),
  ];
  // ... and one this device can run (a subgroup choice stored for the same adapter by a device without them is not).
  const valid = (c: Record<string, string> | null): c is Record<string, string> =>
    !!c && keys.every((k) => VARIANTS[k.split(":")[0]].includes(c[k]) && (c[k] !== "subgroup" || rt.subgroups));
  if (!valid(choices)) {
    choices = {};
    for (const family of ["matmul", "gram"] as const) {
      for (const [cls, n] of Object.entries(REPRESENTATIVE)) {
        choices[`${family}:${cls}`] = fastest(await timeVariants(rt, family, n) as Record<string, number>);
      }
    }
    choices["jacobi:all"] = fastest(await timeJacobiSweeps(rt, 128));
    for (const k of Object.keys(ROW_SHAPES) as (keyof typeof ROW_SHAPES)[]) {
      choices[k] = fastest(await timeRowVariants(rt, k) as Record<string, number>);
    }
    await store.write(key, choices);
  }
  rt.tuning.clear();
  for (const [k, v] of Object.entries(choices)) rt.tuning.set(k, v);
  return choices;
}
