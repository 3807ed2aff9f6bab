/**
 * rankscope: measure the spectra of neural networks on WebGPU — hand-written WGSL kernels (matmul,
 * Gram, reductions, Jacobi SVD, Philox RNG) under a small reverse-mode autodiff layer.
 *
 * This entry point holds what a user calls: tensors and their ops, gradients, the linear algebra,
 * layers and training, the spectral analyses, the plots and the data sets. Each area's full surface is a
 * subpath: `./linalg`, `./nn`, `./analysis`, `./plot`, `./data`, `./cli`, and `./kernels` for people
 * writing their own WGSL.
 *
 * @example Multiply on the GPU
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, matmul, Tensor } from "./mod.ts";
 * await initGpu();
 * const c = matmul(Tensor.fromArray([1, 2], [1, 2]), Tensor.fromArray([3, 4], [2, 1]));
 * assert.deepEqual([...await c.toArray()], [11]);
 * ```
 *
 * @module
 */

export * from "./browser.ts";
export { loadMnist, type MnistOptions } from "./data/mnist.ts";
