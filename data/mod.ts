/**
 * Data: MNIST digits, toy 2-D sets, 1-D and 2-D targets and grids.
 *
 * @module
 */
export * from "./mnist.ts";
export * from "./targets.ts";
export * from "./toy.ts";
