/**
 * Figures: line, scatter, heatmap, histogram and image-grid plots as standalone SVG, and subplots.
 *
 * @module
 */
export * from "./esd_plot.ts";
export * from "./figure.ts";
export * from "./heatmap.ts";
export * from "./histogram.ts";
export * from "./image_grid.ts";
export * from "./line_plot.ts";
export * from "./scatter_plot.ts";
export * from "./subplots.ts";
export * from "./table.ts";
export * from "./measures_plot.ts";
export * from "./spectral_density_plot.ts";
