/**
 * rankscope: measure the spectra of neural networks on WebGPU — hand-written WGSL kernels (matmul,
 * Gram, reductions, Philox RNG) under a small reverse-mode autodiff layer.
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
export * from "./kernels/device.ts";
export * from "./kernels/runtime.ts";
export * from "./kernels/buffer_pool.ts";
export * from "./kernels/pipeline_cache.ts";
export * from "./kernels/matmul.ts";
export * from "./kernels/gram.ts";
export * from "./kernels/elementwise.ts";
export * from "./kernels/reduce.ts";
export * from "./kernels/softmax.ts";
export * from "./kernels/philox.ts";
export * from "./ops/tensor.ts";
export * from "./ops/autodiff.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/reduce.ts";
export * from "./ops/softmax.ts";
export * from "./ops/matmul.ts";
export * from "./ops/layout.ts";
export * from "./kernels/host_random.ts";
export * from "./ops/random.ts";
export * from "./kernels/jacobi.ts";
export * from "./linalg/svd.ts";
export * from "./linalg/eigh.ts";
export * from "./linalg/householder.ts";
export * from "./linalg/bisection.ts";
export * from "./linalg/symmetric_eigen.ts";
export * from "./kernels/im2col.ts";
export * from "./ops/conv.ts";
export * from "./kernels/optimizer.ts";
export * from "./ops/update_in_place.ts";
export * from "./cli/progress.ts";
export * from "./model/parameterized.ts";
export * from "./nn/init.ts";
export * from "./nn/weight_options.ts";
export * from "./nn/dense.ts";
export * from "./nn/activation.ts";
export * from "./nn/rff.ts";
export * from "./nn/conv2d.ts";
export * from "./nn/avg_pool2d.ts";
export * from "./nn/flatten.ts";
export * from "./nn/batch_norm1d.ts";
export * from "./nn/residual.ts";
export * from "./nn/sequential.ts";
export * from "./nn/losses.ts";
export * from "./nn/optimizers.ts";
export * from "./nn/train.ts";
export * from "./ops/jacobian.ts";
export * from "./nn/per_example.ts";
export * from "./plot/figure.ts";
export * from "./plot/line_plot.ts";
export * from "./plot/scatter_plot.ts";
export * from "./plot/heatmap.ts";
export * from "./plot/histogram.ts";
export * from "./plot/image_grid.ts";
export * from "./plot/subplots.ts";
export * from "./data/mnist.ts";
export * from "./data/toy.ts";
export * from "./data/targets.ts";
export * from "./model/layer_signals.ts";
export * from "./analysis/entropy.ts";
export * from "./analysis/von_neumann.ts";
export * from "./analysis/epsilon_rank.ts";
export * from "./analysis/statistics.ts";
export * from "./analysis/ntk.ts";
export * from "./analysis/gaussian_expectations.ts";
export * from "./analysis/infinite_ntk.ts";
export * from "./analysis/jacobian_spectra.ts";
export * from "./analysis/ensemble.ts";
