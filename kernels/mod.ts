/**
 * WGSL kernels and the WebGPU runtime, for people writing their own kernels: the runtime, buffer pool and pipeline cache, every kernel family's WGSL generator and dispatcher, and the host twin of the random generator.
 *
 * @module
 */
export * from "./buffer_pool.ts";
export * from "./device.ts";
export * from "./elementwise.ts";
export * from "./gram.ts";
export * from "./host_random.ts";
export * from "./im2col.ts";
export * from "./jacobi.ts";
export * from "./matmul.ts";
export * from "./optimizer.ts";
export * from "./philox.ts";
export * from "./pipeline_cache.ts";
export * from "./reduce.ts";
export * from "./runtime.ts";
export * from "./softmax.ts";
export * from "./ntk_recursion.ts";
export * from "./matmul_shared.ts";
export * from "./matmul_subgroup.ts";
export * from "./subgroup_probe.ts";
export * from "./tuning.ts";
export * from "./block_jacobi.ts";
