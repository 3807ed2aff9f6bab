/**
 * The s-rank study's configuration and run record (see srank_evolution.ts).
 *
 * @module
 */

/** The configuration of a run (flags after --quick). */
export interface SrankConfig {
  /** Full-batch Adam steps of every run. */
  steps: number;
  /** Steps between s-rank measurements. */
  every: number;
  /** RFF frequency scales and seeds of the sweep. */
  scales: number[];
  seeds: number[];
  lr: number;
  /** Where the target's phase lives: per point (the original's comb) or one random phase per frequency. */
  target: "per-point" | "per-frequency";
  /** Init of every Dense layer: PyTorch's default U(±1/√fan_in) for W and b, or He normal with zero bias. */
  init: "torch" | "he";
  /** RFF layer: 40 trainable sin(π(Bx + b)) features, or 20 frozen cos/sin pairs of 2πBx. */
  rff: "sine" | "fourier";
  /** Training loss. */
  loss: "smooth-l1" | "mse";
}

/** Which network a run trains. */
export type Kind = "rff" | "mlp";

/** One training run: loss and s-rank every `every` steps, and the final fit. */
export interface Run {
  kind: Kind;
  scale: number | null;
  seed: number;
  /** Steps at which loss and s-rank were recorded (0 = initialisation). */
  step: number[];
  loss: number[];
  srank: number[];
  /** Final prediction on the grid. */
  fit: number[];
}
