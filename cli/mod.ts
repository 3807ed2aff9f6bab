/**
 * Command-line helpers: a progress bar with an honest ETA for stderr.
 *
 * @module
 */
export * from "./progress.ts";
