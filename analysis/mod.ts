/**
 * Spectral analysis: entropies and ranks, von Neumann entropy, epsilon-rank, empirical and infinite-width NTK, Jacobian and weight spectra, power-law fits, random ensembles and their statistics.
 *
 * @module
 */
export * from "./ensemble.ts";
export * from "./entropy.ts";
export * from "./epsilon_rank.ts";
export * from "./gaussian_expectations.ts";
export * from "./infinite_ntk.ts";
export * from "./jacobian_spectra.ts";
export * from "./power_law.ts";
export * from "./weight_spectra.ts";
export * from "./ntk.ts";
export * from "./statistics.ts";
export * from "./von_neumann.ts";
export * from "./infinite_ntk_gpu.ts";
export * from "./cka.ts";
export * from "./representation_rank.ts";
export * from "./agop.ts";
export * from "./track.ts";
export * from "./curvature_operators.ts";
export * from "./curvature.ts";
