/**
 * Types and colours shared by every plot function.
 *
 * @module
 */

/** Axis scale type. */
export type ScaleType = "linear" | "log";

/** Ten distinguishable colours (Tableau 10). */
export const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Viridis colour stops, for heatmaps. */
export const VIRIDIS: readonly string[] = [
  "#440154",
  "#482878",
  "#3e4989",
  "#31688e",
  "#26828e",
  "#1f9e89",
  "#35b779",
  "#6ece58",
  "#b5de2b",
  "#fde725",
];

/** Common layout options of every plot. */
export interface FigureOptions {
  /** Figure width in pixels (default 640). */
  width?: number;
  /** Figure height in pixels (default 400). */
  height?: number;
  /** Title above the plot. */
  title?: string;
}
