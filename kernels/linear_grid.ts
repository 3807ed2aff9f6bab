/**
 * The dispatch grid's limit and the 1-D grid helper every kernel family lays its workgroups out with (a
 * leaf module: the runtime checks grids against the limit, the families build grids with the helper).
 *
 * @module
 */

/** Workgroups dispatched along x, y and z. */
export type Grid = readonly [number, number?, number?];

/** Largest workgroup count in one grid dimension (the WebGPU default limit). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * Splits a 1-D count of workgroups into an x/y grid within the per-dimension limit. Kernels recover the
 * linear index as `wid.x + wid.y * grid_x`, where `grid_x` is the first entry.
 *
 * @param count Workgroups needed (>= 1).
 * @returns `[x, y]` with `x * y >= count`.
 * @example A grid too large for one dimension
 * ```ts
 * import assert from "node:assert";
 * import { linearGrid } from "./linear_grid.ts";
 * assert.deepEqual(linearGrid(10), [10, 1]);
 * assert.deepEqual(linearGrid(70000), [35000, 2]);
 * ```
 */
export function linearGrid(count: number): [number, number] {
  if (count <= MAX_WORKGROUPS_PER_DIMENSION) return [Math.max(1, count), 1];
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(count / y), y];
}
