/**
 * Linear algebra: the GPU Jacobi SVD with its float64 polish, symmetric eigendecomposition, least squares, and the float64 host Householder reductions, bisection and QL solvers.
 *
 * @module
 */
export * from "./bisection.ts";
export * from "./eigh.ts";
export * from "./householder.ts";
export * from "./lstsq.ts";
export * from "./svd.ts";
export * from "./symmetric_eigen.ts";
export * from "./lanczos.ts";
export * from "./slq.ts";
export * from "./trace_estimators.ts";
