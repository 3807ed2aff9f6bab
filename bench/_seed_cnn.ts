/**
 * The seed CNN of the benchmarks (the main experiment's architecture): conv32-relu-avgpool-conv64-relu-
 * avgpool-flatten-dense256-relu-dense10, 431,242 parameters, He init with seed 1.
 *
 * @module
 */
import { Activation, AvgPool2d, Conv2d, Dense, Flatten, Sequential } from "../mod.ts";

/** A fresh seed CNN. */
export function seedCnn(): Sequential {
  return new Sequential([
    new Conv2d(1, 32, 3, { seed: 1, stream: 0 }),
    new Activation("relu"),
    new AvgPool2d(2),
    new Conv2d(32, 64, 3, { seed: 1, stream: 1 }),
    new Activation("relu"),
    new AvgPool2d(2),
    new Flatten(),
    new Dense(1600, 256, { seed: 1, stream: 2 }),
    new Activation("relu"),
    new Dense(256, 10, { seed: 1, stream: 3 }),
  ]);
}
