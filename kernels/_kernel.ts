/**
 * Kernel descriptors: each kernel family is defined once as a function from its options to a descriptor
 * `{ key, wgsl, workgroups }`, computed once per distinct options and memoised on the key (the JSON of
 * every option, so a new option can never silently reuse a wrong shader). The grid is computed once and
 * handed to the WGSL generator, which needs its x extent to recover linear indices. One generic dispatch
 * binds the buffers.
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import type { Grid } from "./linear_grid.ts";
export type { Grid };

/** One kernel launch's shape: what to compile and how many workgroups to run. */
export interface KernelDescriptor {
  /** Family name plus the JSON of every option: the memo key. */
  readonly key: string;
  /** WGSL source (entry point `main`); also the pipeline-cache key. */
  readonly wgsl: string;
  /** Workgroups along x, y and z. */
  readonly workgroups: Grid;
}

/** How a kernel family turns its options into a descriptor. */
export interface KernelDefinition<O> {
  /** Family name, for keys and messages. */
  name: string;
  /** Throws a RangeError for options the kernel cannot run (before anything is compiled or recorded). */
  validate?: (options: O) => void;
  /** The grid, from the options. */
  workgroups: (options: O) => Grid;
  /** The WGSL, from the options and the grid computed for them. */
  wgsl: (options: O, grid: Grid) => string;
}

/** Descriptors kept per family before its memo is cleared (distinct shapes in a long run). */
const MAX_MEMOISED = 4096;

/**
 * Defines a kernel family: returns the memoised function from options to descriptor.
 *
 * @param definition Name, validation, grid and WGSL of the family.
 * @returns options → descriptor (validated on first use of each distinct options).
 */
export function defineKernel<O>(definition: KernelDefinition<O>): (options: O) => KernelDescriptor {
  const memo = new Map<string, KernelDescriptor>();
  return (options: O): KernelDescriptor => {
    const key = `${definition.name} ${JSON.stringify(options)}`;
    let descriptor = memo.get(key);
    if (!descriptor) {
      definition.validate?.(options);
      const workgroups = definition.workgroups(options);
      descriptor = { key, workgroups, wgsl: definition.wgsl(options, workgroups) };
      if (memo.size >= MAX_MEMOISED) memo.clear();
      memo.set(key, descriptor);
    }
    return descriptor;
  };
}

/**
 * Records one launch of a described kernel: storage buffers at bindings 0..n-1, then the optional
 * uniform words.
 *
 * @param rt Runtime to record on.
 * @param kernel The descriptor.
 * @param buffers Storage buffers in binding order.
 * @param uniforms 32-bit uniform words, bound after the buffers.
 */
export function runKernel(
  rt: Runtime,
  kernel: KernelDescriptor,
  buffers: GPUBuffer[],
  uniforms?: Uint32Array<ArrayBuffer>,
): void {
  rt.dispatch({ wgsl: kernel.wgsl, buffers, uniforms, workgroups: kernel.workgroups });
}

/**
 * The per-invocation loop budget: lavapipe silently stops a WGSL loop after 65,535 iterations per
 * invocation (nested loops count together), so every kernel keeps each invocation's loops at or below
 * this quarter of it, and every per-invocation cap (inner dimension, axis lengths, chunk sizes) is
 * derived from it.
 */
export const LOOP_BUDGET = 16384;

/**
 * WGSL expression of the linear invocation index under a `linearGrid` dispatch (builtin `gid`).
 *
 * @param gridX The grid's x extent, in workgroups.
 * @param workgroupSize Invocations per workgroup.
 * @returns The expression.
 */
export function linearInvocationIndex(gridX: number, workgroupSize: number): string {
  return `gid.x + gid.y * ${gridX * workgroupSize}u`;
}

/**
 * WGSL expression of the linear workgroup index under a `linearGrid` dispatch (builtin `wid`).
 *
 * @param gridX The grid's x extent, in workgroups.
 * @returns The expression.
 */
export function linearWorkgroupIndex(gridX: number): string {
  return `wid.x + wid.y * ${gridX}u`;
}
