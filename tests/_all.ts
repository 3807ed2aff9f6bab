/**
 * Everything public, for tests: the root entry point and every subpath entry point together.
 *
 * @module
 */
import { quietMesa } from "../experiments/_common.ts";

// Test processes start WebGPU too: keep Mesa's runtime-directory warning out of the test output.
quietMesa();

export * from "../mod.ts";
export * from "../kernels/mod.ts";
export * from "../linalg/mod.ts";
export * from "../nn/mod.ts";
export * from "../analysis/mod.ts";
export * from "../plot/mod.ts";
export * from "../data/mod.ts";
export * from "../cli/mod.ts";
export * from "../ops/autodiff.ts";
export * from "../ops/conv.ts";
export * from "../ops/elementwise.ts";
export * from "../ops/jacobian.ts";
export * from "../ops/layout.ts";
export * from "../ops/matmul.ts";
export * from "../ops/random.ts";
export * from "../ops/arithmetic.ts";
export * from "../ops/scope.ts";
export * from "../ops/softmax.ts";
export * from "../ops/tensor.ts";
export * from "../ops/update_in_place.ts";
