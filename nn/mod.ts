/**
 * Neural networks: layers, initialisation, losses, optimizers, the training loop, per-example gradients, and the model-description interfaces a custom layer implements.
 *
 * @module
 */
export * from "./accuracy.ts";
export * from "./activation.ts";
export * from "./attention.ts";
export * from "./avg_pool2d.ts";
export * from "./batch_norm1d.ts";
export * from "./conv2d.ts";
export * from "./dense.ts";
export * from "./dropout.ts";
export * from "./embedding.ts";
export * from "./flatten.ts";
export * from "./init.ts";
export * from "./layer_norm.ts";
export * from "./losses.ts";
export * from "./max_pool2d.ts";
export * from "./mlp.ts";
export * from "./optimizers.ts";
export * from "./per_example.ts";
export * from "./residual.ts";
export * from "./rff.ts";
export * from "./safetensors.ts";
export * from "./sequential.ts";
export * from "./state.ts";
export * from "./train.ts";
export * from "./transformer_block.ts";
export * from "./weight_options.ts";
export * from "./weights.ts";
export * from "../model/parameterized.ts";
export * from "../model/activations.ts";
export * from "../model/layer_signals.ts";
export * from "../ops/update_in_place.ts";
export * from "../ops/jacobian.ts";
export type { CreateOptions } from "../ops/tensor.ts";
