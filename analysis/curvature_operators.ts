/**
 * Curvature as matrix-free operators over a model's parameters: the Hessian of the loss (double
 * backprop), the generalised Gauss–Newton matrix Jᵀ H_ℓ J, the empirical Fisher, and the NTK J Jᵀ over
 * inputs. Each is a {@linkcode SymmetricOperator} for the engine in `linalg/` (Lanczos, SLQ, Hutch++),
 * with `toMatrix()` forming it explicitly for small models.
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { grad } from "../ops/autodiff.ts";
import { add, mul, sum } from "../ops/arithmetic.ts";
import { full } from "../ops/elementwise.ts";
import { concat, slice } from "../ops/layout.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkBoolean, checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import { retainScope } from "../ops/_scope.ts";
import { checkLayer, type ForwardMode, type Layer } from "../model/parameterized.ts";
import type { SymmetricOperator } from "../linalg/_operator.ts";

/** A loss of predictions and targets that is a mean over examples (every rankscope loss is). */
export type MeanLoss = (pred: Tensor, target: Tensor) => Tensor;

/** The examples a curvature operator is taken over: inputs and targets with one row per example. */
export interface CurvatureBatch {
  /** Inputs, rows = examples. */
  x: Tensor;
  /** Targets (one-hot rows for cross-entropy, values for MSE), rows = examples. */
  y: Tensor;
}

/** Options for the curvature operators. */
export interface CurvatureOptions {
  /** Examples per forward pass (default: all); products are accumulated over the chunks. */
  chunkSize?: number;
  /** Forward mode (default "eval": BatchNorm's running statistics, so that examples stay independent). */
  mode?: ForwardMode;
  /**
   * Keep each chunk's forward pass and first backward pass from the first product on, so that a product
   * costs only the remaining backward passes (default false). The operator then describes the parameters
   * as they were at its first product: call `dispose()` and build a new one after changing them.
   */
  keepGraph?: boolean;
}

/** A symmetric operator that can also be formed explicitly. */
export interface CurvatureOperator extends SymmetricOperator {
  /** Which matrix this is. */
  readonly kind: "hessian" | "ggn" | "fisher" | "ntk";
  /**
   * The matrix formed column by column (dim products), row-major float64; refused above 4,096.
   *
   * @returns dim × dim values.
   */
  toMatrix(): Promise<Float64Array>;
  /** Frees the graphs kept with `keepGraph` (a no-op otherwise); the operator stays usable. */
  dispose(): void;
}

/** Largest dim {@linkcode CurvatureOperator.toMatrix} forms. */
export const CURVATURE_MATRIX_MAX_DIM = 4096;

interface Prepared {
  model: Layer;
  params: Tensor[];
  dim: number;
  chunks: { x: Tensor; y: Tensor | null; rows: number }[];
  examples: number;
  mode: ForwardMode;
  keepGraph: boolean;
}

/** The batch's x and y, refusing a batch that is not an object by name. */
function batchOf(context: string, batch: unknown): { x: unknown; y: unknown } {
  if (typeof batch !== "object" || batch === null || Array.isArray(batch)) {
    throw new TypeError(`Cannot ${context}: batch must be { x, y } with Tensors (got ${describe(batch)})`);
  }
  return batch as { x: unknown; y: unknown };
}

function prepare(context: string, model: unknown, x: unknown, y: unknown, options: CurvatureOptions): Prepared {
  const layer = checkLayer<Layer>(context, "model", model);
  checkOptions(context, options, ["chunkSize", "mode", "keepGraph"]);
  const inputs = checkTensor(context, "x", x);
  const n = inputs.shape[0];
  if (y !== null) {
    const targets = checkTensor(context, "y", y);
    if (targets.shape[0] !== n) {
      throw new RangeError(`Cannot ${context}: x has ${n} examples and y has ${targets.shape[0]} (rows must match)`);
    }
  }
  const chunkSize = checkNumber(context, "options.chunkSize", options.chunkSize ?? n, { integer: true, min: 1 });
  const mode = checkChoice(context, "options.mode", options.mode ?? "eval", ["eval", "train"] as const);
  const keepGraph = checkBoolean(context, "options.keepGraph", options.keepGraph ?? false);
  const params = layer.parameters();
  if (params.length === 0) throw new RangeError(`Cannot ${context}: the model has no parameters`);
  const rowsOf = (t: Tensor, start: number, rows: number) =>
    start === 0 && rows === n ? t : slice(t, [start, ...t.shape.slice(1).map(() => 0)], [rows, ...t.shape.slice(1)]);
  const chunks = [];
  for (let start = 0; start < n; start += chunkSize) {
    const rows = Math.min(chunkSize, n - start);
    chunks.push({ x: rowsOf(inputs, start, rows), y: y === null ? null : rowsOf(y as Tensor, start, rows), rows });
  }
  const dim = params.reduce((s, p) => s + p.size, 0);
  return { model: layer, params, dim, chunks, examples: n, mode, keepGraph };
}

/** The parameters' pieces of a flat [dim] vector. */
function split(v: Tensor, params: Tensor[]): Tensor[] {
  let start = 0;
  return params.map((p) => {
    const piece = slice(v, [start], [p.size]).reshape(p.shape);
    start += p.size;
    return piece;
  });
}

function flatten(parts: Tensor[]): Tensor {
  return concat(parts.map((p) => p.reshape([p.size])));
}

/** Σ ⟨a_i, b_i⟩ over matching lists of tensors, as a scalar. */
function pairedDot(a: Tensor[], b: Tensor[]): Tensor {
  return a.map((t, i) => sum(mul(t, b[i]))).reduce((s, t) => add(s, t));
}

/** A detached copy of t that requires gradients (a new leaf). */
function leaf(t: Tensor): Tensor {
  const out = noGrad(() => mul(t, 1));
  out.requiresGrad = true;
  return out;
}

/**
 * An operator from a per-chunk `build` (the forward pass and what the product reuses) and the `product`
 * of the built chunks with a vector; with keepGraph the built chunks are kept.
 */
function operator<S>(
  kind: CurvatureOperator["kind"],
  dim: number,
  p: Prepared,
  build: (chunk: Prepared["chunks"][number]) => S,
  product: (states: S[], v: Tensor) => Tensor,
): CurvatureOperator {
  let kept: { value: S[]; release: () => void } | null = null;
  const apply = (v: Tensor) =>
    tidy(() => {
      if (p.keepGraph && !kept) kept = retainScope(() => p.chunks.map(build));
      return product(kept?.value ?? p.chunks.map(build), v);
    });
  return {
    kind,
    dim,
    apply,
    dispose() {
      kept?.release();
      kept = null;
    },
    async toMatrix() {
      if (dim > CURVATURE_MATRIX_MAX_DIM) {
        throw new RangeError(
          `Cannot form the ${kind} matrix: dim ${dim} exceeds ${CURVATURE_MATRIX_MAX_DIM} (use its products)`,
        );
      }
      const out = new Float64Array(dim * dim);
      for (let j = 0; j < dim; j++) {
        const e = Tensor.fromArray(Array.from({ length: dim }, (_, i) => (i === j ? 1 : 0)));
        const column = apply(e);
        const values = await column.toArray();
        [e, column].forEach((t) => t.dispose());
        for (let i = 0; i < dim; i++) out[i * dim + j] = values[i];
      }
      return out;
    },
  };
}

/** A product that is a sum over chunks of each chunk's own product. */
function perChunk<S>(p: Prepared, each: (state: S, v: Tensor, chunk: Prepared["chunks"][number]) => Tensor) {
  return (states: S[], v: Tensor) => states.map((st, i) => each(st, v, p.chunks[i])).reduce((s, t) => add(s, t));
}

/** A chunk's outputs with the graph of g(s) = Jᵀ s for a dummy s (for J v by the double-VJP trick). */
function linearised(p: Prepared, x: Tensor) {
  const pred = p.model.forward(x, p.mode);
  const s = full(pred.shape, 0);
  s.requiresGrad = true;
  return { pred, s, jts: grad(pred, p.params, { seed: s, createGraph: true, allowUnused: true }) };
}

/** J u from a linearised chunk: ∂⟨g(s), u⟩/∂s. */
function jvpOf(l: ReturnType<typeof linearised>, u: Tensor[]): Tensor {
  return grad(pairedDot(l.jts, u), [l.s], { allowUnused: true })[0];
}

function checkLoss(context: string, loss: unknown): MeanLoss {
  if (typeof loss !== "function") {
    throw new TypeError(`Cannot ${context}: loss must be a function (pred, target) => scalar (got ${describe(loss)})`);
  }
  return loss as MeanLoss;
}

/**
 * The Hessian of the mean loss over a batch with respect to every parameter, as a matrix-free operator:
 * H v by double backprop (Pearlmutter 1994), accumulated over chunks of the batch weighted by their
 * share of the examples.
 *
 * @param model The model (its parameters, in `parameters()` order, are the operator's coordinates).
 * @param loss A loss that is a mean over examples (e.g. `softmaxCrossEntropy`, `mseLoss`).
 * @param batch Inputs and targets.
 * @param options Chunk size and forward mode.
 * @returns The operator, with `dim` = the parameter count and `toMatrix()`.
 * @throws {TypeError} For a model that is not a layer, a loss that is not a function, a non-tensor batch.
 * @throws {RangeError} When x and y rows differ, or the model has no parameters.
 * @example The Hessian of a linear model under MSE is 2XᵀX/(nC)
 * ```ts
 * import assert from "node:assert";
 * import { Dense, initGpu, mseLoss, Tensor } from "../mod.ts";
 * import { hessianOperator } from "./curvature_operators.ts";
 * await initGpu();
 * const model = new Dense(1, 1, { seed: 0, bias: false });
 * const x = Tensor.fromArray([1, 2], [2, 1]), y = Tensor.fromArray([0, 0], [2, 1]);
 * const h = await hessianOperator(model, mseLoss, { x, y }).toMatrix();
 * assert.ok(Math.abs(h[0] - 5) < 1e-5); // 2 (1² + 2²) / 2
 * ```
 */
export function hessianOperator(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureOptions = {},
): CurvatureOperator {
  const context = "build the Hessian operator";
  const f = checkLoss(context, loss);
  const { x: bx, y: by } = batchOf(context, batch);
  const p = prepare(context, model, bx, by, options);
  return operator(
    "hessian",
    p.dim,
    p,
    ({ x, y }) => {
      // The gradient with its graph: H v = ∂⟨g, v⟩/∂θ.
      return grad(f(p.model.forward(x, p.mode), y!), p.params, { createGraph: true, allowUnused: true });
    },
    perChunk(p, (g, v, { rows }) => {
      const hv = grad(pairedDot(g, split(v, p.params)), p.params, { allowUnused: true });
      return mul(flatten(hv), rows / p.examples);
    }),
  );
}

/**
 * The generalised Gauss–Newton matrix G = Jᵀ H_ℓ J (Schraudolph 2002; Martens 2020), J the Jacobian of
 * the model's outputs in its parameters and H_ℓ the Hessian of the loss in the outputs, as an operator:
 * J v by the double-VJP trick, H_ℓ (J v) by double backprop through the loss alone, then a VJP. Exact for
 * any twice-differentiable loss (for MSE and softmax cross-entropy G is positive semi-definite).
 *
 * @param model The model.
 * @param loss A loss that is a mean over examples.
 * @param batch Inputs and targets.
 * @param options Chunk size and forward mode.
 * @returns The operator, with `dim` = the parameter count and `toMatrix()`.
 * @throws {TypeError} For a model that is not a layer, a loss that is not a function, a non-tensor batch.
 * @throws {RangeError} When x and y rows differ, or the model has no parameters.
 * @example For a linear model under MSE the GGN is the Hessian
 * ```ts
 * import assert from "node:assert";
 * import { Dense, initGpu, mseLoss, Tensor } from "../mod.ts";
 * import { ggnOperator } from "./curvature_operators.ts";
 * await initGpu();
 * const model = new Dense(1, 1, { seed: 0, bias: false });
 * const x = Tensor.fromArray([1, 2], [2, 1]), y = Tensor.fromArray([3, 1], [2, 1]);
 * const g = await ggnOperator(model, mseLoss, { x, y }).toMatrix();
 * assert.ok(Math.abs(g[0] - 5) < 1e-5);
 * ```
 */
export function ggnOperator(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureOptions = {},
): CurvatureOperator {
  const context = "build the Gauss–Newton operator";
  const f = checkLoss(context, loss);
  const { x: bx, y: by } = batchOf(context, batch);
  const p = prepare(context, model, bx, by, options);
  return operator(
    "ggn",
    p.dim,
    p,
    ({ x, y }) => {
      const l = linearised(p, x), out = leaf(l.pred);
      return { l, out, lg: grad(f(out, y!), [out], { createGraph: true })[0] };
    },
    perChunk(p, ({ l, out, lg }, v, { rows }) => {
      const u = jvpOf(l, split(v, p.params));
      const [hu] = grad(sum(mul(lg, u)), [out]);
      return mul(flatten(grad(l.pred, p.params, { seed: hu, allowUnused: true })), rows / p.examples);
    }),
  );
}

/**
 * The empirical Fisher F = (1/n) Σᵢ gᵢ gᵢᵀ, gᵢ the gradient of example i's loss (Kunstner, Balles &
 * Hennig, NeurIPS 2019, on how it differs from the true Fisher), as an operator that never forms the
 * per-example gradients: with r = ∂L/∂f of the chunk's mean loss, gᵢ·v = n_c rᵢ·(J v)ᵢ, and
 * F v = Jᵀ S with Sᵢ = (n_c²/n) rᵢ (rᵢ·(J v)ᵢ). It needs a loss that is a mean of per-example terms and
 * examples that do not interact (hence "eval" mode by default).
 *
 * @param model The model.
 * @param loss A loss that is a mean over examples.
 * @param batch Inputs and targets.
 * @param options Chunk size and forward mode.
 * @returns The operator, with `dim` = the parameter count and `toMatrix()`.
 * @throws {TypeError} For a model that is not a layer, a loss that is not a function, a non-tensor batch.
 * @throws {RangeError} When x and y rows differ, or the model has no parameters.
 * @example For one example the Fisher is g gᵀ
 * ```ts
 * import assert from "node:assert";
 * import { Dense, initGpu, mseLoss, Tensor } from "../mod.ts";
 * import { fisherOperator } from "./curvature_operators.ts";
 * await initGpu();
 * const model = new Dense(1, 1, { seed: 0, bias: false });
 * const w = (await model.parameters()[0].toArray())[0];
 * const x = Tensor.fromArray([2], [1, 1]), y = Tensor.fromArray([1], [1, 1]);
 * const f = await fisherOperator(model, mseLoss, { x, y }).toMatrix();
 * const g = 2 * (2 * w - 1) * 2; // d/dw (2w − 1)²
 * assert.ok(Math.abs(f[0] - g * g) < 1e-4 * Math.max(1, g * g));
 * ```
 */
export function fisherOperator(
  model: Layer,
  loss: MeanLoss,
  batch: CurvatureBatch,
  options: CurvatureOptions = {},
): CurvatureOperator {
  const context = "build the Fisher operator";
  const f = checkLoss(context, loss);
  const { x: bx, y: by } = batchOf(context, batch);
  const p = prepare(context, model, bx, by, options);
  return operator(
    "fisher",
    p.dim,
    p,
    ({ x, y }) => {
      const l = linearised(p, x), out = leaf(l.pred);
      return { l, r: grad(f(out, y!), [out])[0] };
    },
    perChunk(p, ({ l, r }, v, { rows }) => {
      const c = sum(mul(r, jvpOf(l, split(v, p.params))), { axis: 1, keepDims: true });
      const seed = mul(mul(r, c), (rows * rows) / p.examples);
      return flatten(grad(l.pred, p.params, { seed, allowUnused: true }));
    }),
  );
}

/**
 * The empirical NTK K = J Jᵀ of the model's outputs over `inputs` (Jacot, Gabriel & Hongler 2018), as an
 * operator on vectors of length n·C (example-major, as the outputs flatten): Jᵀ v by a VJP summed over the
 * chunks, then J of that by the double-VJP trick, chunk by chunk.
 *
 * @param model The model.
 * @param inputs Inputs, rows = examples.
 * @param options Chunk size and forward mode.
 * @returns The operator, with `dim` = n·C and `toMatrix()`.
 * @throws {TypeError} For a model that is not a layer or inputs that are not a Tensor.
 * @throws {RangeError} When the model has no parameters.
 * @example The NTK of a bias-free linear map x ↦ xw is x xᵀ
 * ```ts
 * import assert from "node:assert";
 * import { Dense, initGpu, Tensor } from "../mod.ts";
 * import { ntkOperator } from "./curvature_operators.ts";
 * await initGpu();
 * const model = new Dense(1, 1, { seed: 0, bias: false });
 * const k = await ntkOperator(model, Tensor.fromArray([1, 2], [2, 1])).toMatrix();
 * assert.ok([1, 2, 2, 4].every((v, i) => Math.abs(k[i] - v) < 1e-5));
 * ```
 */
export function ntkOperator(model: Layer, inputs: Tensor, options: CurvatureOptions = {}): CurvatureOperator {
  const context = "build the NTK operator";
  const p = prepare(context, model, inputs, null, options);
  const outputs = noGrad(() => tidy(() => p.model.forward(p.chunks[0].x, p.mode).shape.slice(1)));
  const width = outputs.reduce((s, d) => s * d, 1);
  return operator("ntk", p.examples * width, p, ({ x }) => linearised(p, x), (states, v) => {
    // Jᵀ v summed over the chunks, then J of it chunk by chunk.
    let start = 0;
    const jtv = states.map(({ pred }) => {
      const piece = slice(v, [start], [pred.size]).reshape(pred.shape);
      start += pred.size;
      return grad(pred, p.params, { seed: piece, allowUnused: true });
    }).reduce((s, g) => s.map((t, i) => add(t, g[i])));
    return concat(states.map((l) => jvpOf(l, jtv).reshape([l.pred.size])));
  });
}
