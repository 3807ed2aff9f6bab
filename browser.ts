/**
 * rankscope for browsers: everything in the root entry point except `loadMnist` (which reads its npm
 * package's data from disk). Nothing here touches `Deno.*`; `deno task build:web` bundles this module,
 * d3 included, into one ES module (`web/rankscope.js`) for a page to import.
 *
 * @example Multiply on the GPU (in a page with WebGPU, or in Deno)
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, matmul, Tensor } from "./browser.ts";
 * await initGpu();
 * const c = matmul(Tensor.fromArray([1, 2], [1, 2]), Tensor.fromArray([3, 4], [2, 1]));
 * assert.deepEqual([...await c.toArray()], [11]);
 * ```
 *
 * @module
 */

// The GPU and randomness.
export { Runtime } from "./kernels/runtime.ts";
export { initGpu } from "./kernels/init_gpu.ts";
export type { TuningOptions, TuningStore } from "./kernels/tuning_store.ts";
export { deriveSeed } from "./kernels/host_random.ts";

// Tensors, ops and gradients.
export { type BackwardRule, type CreateOptions, type GradNode, Tensor } from "./ops/tensor.ts";
export { keep, noGrad, type TensorContainer, tidy } from "./ops/scope.ts";
export { grad, type GradOptions } from "./ops/autodiff.ts";
export {
  abs,
  cos,
  elu,
  erf,
  exp,
  full,
  log,
  map,
  relu,
  sigmoid,
  sin,
  sqrt,
  square,
  tanh,
  type TensorLike,
} from "./ops/elementwise.ts";
export { add, broadcastTo, div, maximum, mul, neg, sub } from "./ops/arithmetic.ts";
export { max, mean, min, type ReduceOptions, sum } from "./ops/arithmetic.ts";
export { logSoftmax, softmax } from "./ops/softmax.ts";
export { gram, matmul, type MatmulOptions } from "./ops/matmul.ts";
export { concat, pad, slice, transpose } from "./ops/layout.ts";
export { randomNormal, type RandomOptions, randomUniform } from "./ops/random.ts";
export { avgPool2d, conv2d, type Padding, type WindowOptions } from "./ops/conv.ts";
export { inputJacobian, type JacobianOptions } from "./ops/jacobian.ts";

// Linear algebra.
export {
  type BatchedSvdResult,
  type SpectrumAccuracy,
  type SpectrumMethod,
  type SpectrumOptions,
  svd,
  type SvdOptions,
  type SvdResult,
  svdvals,
  svdvalsBatched,
  svdvalsHost,
} from "./linalg/svd.ts";
export { eigh, type EighResult, eigvalsh, eigvalshHost } from "./linalg/eigh.ts";
export { lstsq, type LstsqOptions } from "./linalg/lstsq.ts";

// Neural networks.
export type { Layer } from "./model/parameterized.ts";
export { Dense } from "./nn/dense.ts";
export { RFF, type RffOptions } from "./nn/rff.ts";
export { Conv2d } from "./nn/conv2d.ts";
export { AvgPool2d } from "./nn/avg_pool2d.ts";
export { MaxPool2d, type MaxPool2dOptions } from "./nn/max_pool2d.ts";
export { Dropout, type DropoutOptions } from "./nn/dropout.ts";
export { Embedding, type EmbeddingOptions } from "./nn/embedding.ts";
export { LayerNorm, type LayerNormOptions } from "./nn/layer_norm.ts";
export { MultiHeadSelfAttention, type MultiHeadSelfAttentionOptions } from "./nn/attention.ts";
export { TransformerBlock, type TransformerBlockOptions } from "./nn/transformer_block.ts";
export { Flatten } from "./nn/flatten.ts";
export { BatchNorm1d } from "./nn/batch_norm1d.ts";
export { Residual } from "./nn/residual.ts";
export { Activation, type ActivationName } from "./nn/activation.ts";
export { Sequential } from "./nn/sequential.ts";
export { type LayerState, saveState, type StatefulLayer } from "./nn/state.ts";
export {
  loadWeights,
  type LoadWeightsOptions,
  type LoadWeightsResult,
  saveWeights,
  type SaveWeightsOptions,
} from "./nn/weights.ts";
export { parseSafetensors, type Safetensors, serializeSafetensors } from "./nn/safetensors.ts";
export { mlp, type MlpOptions } from "./nn/mlp.ts";
export { accuracy, type AccuracyOptions } from "./nn/accuracy.ts";
export { type InitScheme, initWeights } from "./nn/init.ts";
export type { WeightOptions } from "./nn/weight_options.ts";
export { bceLoss, mseLoss, softmaxCrossEntropy } from "./nn/losses.ts";
export { Adam, type Optimizer, Sgd } from "./nn/optimizers.ts";
export { type Dataset, fit, type FitOptions, type FitResult, type StepInfo } from "./nn/train.ts";

// Spectral analysis.
export { deltaRank, effectiveRank, spectralEntropy, sRank } from "./analysis/entropy.ts";
export { vonNeumannEntropy, type VonNeumannOptions, type VonNeumannResult } from "./analysis/von_neumann.ts";
export {
  epsilonRank,
  type EpsilonRankOptions,
  type EpsilonRankResult,
  hiddenEpsilonRanks,
} from "./analysis/epsilon_rank.ts";
export {
  empiricalNtk,
  empiricalNtkHost,
  empiricalNtkLayers,
  type EmpiricalNtkLayersOptions,
  type EmpiricalNtkOptions,
  type NtkLayerShares,
} from "./analysis/ntk.ts";
export { type InfiniteKernels, infiniteNtk } from "./analysis/infinite_ntk.ts";
export { infiniteNtkGpu, type InfiniteNtkGpuOptions } from "./analysis/infinite_ntk_gpu.ts";
export { inputJacobianSpectra, type JacobianSpectra } from "./analysis/jacobian_spectra.ts";
export { fitPowerLaw, type FitPowerLawOptions, type PowerLawFit } from "./analysis/power_law.ts";
export {
  type MarchenkoPastur,
  weightSpectra,
  type WeightSpectraOptions,
  type WeightSpectrum,
} from "./analysis/weight_spectra.ts";
export { type EnsembleOptions, ensemblePreactivations } from "./analysis/ensemble.ts";
export {
  cka,
  type CkaOptions,
  type CkaResult,
  kernelAlignment,
  type KernelAlignmentOptions,
  MinibatchCka,
} from "./analysis/cka.ts";
export { agop, type AgopOptions, type AgopResult } from "./analysis/agop.ts";
export {
  type CustomMeasure,
  type FeatureMeasureName,
  type ModelMeasureName,
  track,
  Tracker,
  type TrackOptions,
  type TrackRow,
} from "./analysis/track.ts";
export {
  alphaReq,
  type AlphaReqOptions,
  type AlphaReqResult,
  rankMe,
  type RankMeResult,
  stableRank,
  type StableRankResult,
} from "./analysis/representation_rank.ts";
export {
  type CurvatureDensityOptions,
  type CurvatureDensityResult,
  type CurvatureEigenOptions,
  type CurvatureEigenResult,
  type CurvatureMatrix,
  type CurvatureTraceOptions,
  type CurvatureTraceResult,
  hessianDensity,
  hessianTopEigenvalues,
  hessianTrace,
} from "./analysis/curvature.ts";
export { type CurvatureBatch } from "./analysis/curvature_operators.ts";
export {
  connectedFourPoint,
  ensembleMoments,
  type Estimate,
  excessKurtosis,
  type HotellingResult,
  hotellingT2,
} from "./analysis/statistics.ts";

// Figures.
export { Figure, type FigureOptions } from "./plot/figure.ts";
export { linePlot, type LinePlotOptions, type LineSeries } from "./plot/line_plot.ts";
export { scatterPlot, type ScatterPlotOptions } from "./plot/scatter_plot.ts";
export { heatmap, type HeatmapOptions } from "./plot/heatmap.ts";
export { type EsdLayer, esdPlot, type EsdPlotOptions } from "./plot/esd_plot.ts";
export { histogram, type HistogramOptions } from "./plot/histogram.ts";
export {
  spectralDensityPlot,
  type SpectralDensityPlotOptions,
  type SpectralDensitySeries,
} from "./plot/spectral_density_plot.ts";
export { imageGrid, type ImageGridOptions } from "./plot/image_grid.ts";
export { subplots, type SubplotsOptions } from "./plot/subplots.ts";
export { type MeasureRow, measuresPlot, type MeasuresPlotOptions } from "./plot/measures_plot.ts";

// Data.
export {
  columnMoments,
  concentricCircles,
  type PointSet,
  standardize,
  type ToyOptions,
  trainTestSplit,
  xorPoints,
} from "./data/toy.ts";
export { grid1d, grid2d, poissonProblem, sineSumTarget } from "./data/targets.ts";
