/**
 * The line colours the experiments' figures share: subsets of plot's Tableau 10 `PALETTE`.
 *
 * @module
 */
import { PALETTE } from "../plot/mod.ts";

export { PALETTE };

/** Six well-separated colours for line series (Tableau 10 without its pale teal, yellow, pink and grey). */
export const SERIES_COLORS: readonly string[] = [0, 1, 2, 4, 6, 8].map((i) => PALETTE[i]);

/** The colour of series `i`, cycling through the first `count` of {@linkcode SERIES_COLORS}. */
export function seriesColor(i: number, count: number = SERIES_COLORS.length): string {
  return SERIES_COLORS[i % count];
}
