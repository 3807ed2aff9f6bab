/**
 * The tuner's stopwatch, shared by the kernel families' `time` functions.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";

/**
 * Seconds per call of `record`: the fastest of two timed runs after a warm-up. A run makes enough calls
 * in one submit (up to 8) to take about 20 ms by the warm-up's measure, so one sync does not swamp short
 * kernels, and slow variants are not run more than needed.
 *
 * @param rt Runtime the calls record on.
 * @param record Records one call.
 * @returns Seconds per call.
 */
export async function bestSeconds(rt: Runtime, record: () => void): Promise<number> {
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
