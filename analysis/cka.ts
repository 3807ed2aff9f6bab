/**
 * Similarity of representations and kernels: centred kernel alignment (CKA, linear or RBF, biased or
 * debiased), minibatch CKA for more examples than memory holds, and (centred) kernel–target alignment.
 * Products run on the GPU in float32; every centring, sum and ratio is taken on the host in float64.
 *
 * @module
 */
import { noGrad, tidy } from "../ops/scope.ts";
import { Tensor } from "../ops/tensor.ts";
import { gram } from "../ops/matmul.ts";
import { checkTensor } from "../ops/_args.ts";
import { checkArrayLike, checkBoolean, checkChoice, checkNumber, checkOptions, describe } from "../check/args.ts";
import { centreColumns, checkMatrixTensor } from "./_matrix_args.ts";
import { featureSpaceLinearCka, frobeniusDot, hostValues } from "./_linear_cka.ts";
import { withDisplay } from "./_display.ts";

/** Largest example count the n×n (RBF, debiased or alignment) paths take: four float64 n×n matrices. */
export const GRAM_PATH_MAX_EXAMPLES = 4096;

/** Options for {@linkcode cka}. */
export interface CkaOptions {
  /** "linear" (default): k(x, x') = x·x'; "rbf": exp(−‖x − x'‖² / 2σ²). */
  kernel?: "linear" | "rbf";
  /** The unbiased HSIC estimator (Song et al. 2012) through U-centred Grams (default false; needs n ≥ 4). */
  debiased?: boolean;
  /** RBF only: σ = bandwidth × the median distance between distinct rows (default 0.5). */
  bandwidth?: number;
}

/** The CKA of two representations. */
export interface CkaResult {
  /** CKA in [0, 1] (the debiased estimate can be slightly negative). */
  value: number;
  /** The kernel used. */
  kernel: "linear" | "rbf";
  /** Whether the unbiased estimator was used. */
  debiased: boolean;
  /** Examples compared. */
  examples: number;
}

const context = "compute CKA";

/** The row sums of an n×n matrix and their total. */
function rowSums(k: Float64Array, n: number): { sums: Float64Array; total: number } {
  const sums = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j];
    sums[i] = s;
    total += s;
  }
  return { sums, total };
}

/** H K H with H = I − 11ᵀ/n, in place (K symmetric, so column means are the row means). */
function centreGram(k: Float64Array, n: number): Float64Array {
  const { sums, total } = rowSums(k, n);
  const grand = total / (n * n), means = sums.map((s) => s / n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] += grand - means[i] - means[j];
  return k;
}

/**
 * U-centring (Székely & Rizzo 2014), in place: zero diagonal, then rows and columns centred so that
 * ⟨K̃, L̃⟩ / (n(n − 3)) is the unbiased HSIC estimator of Song et al. (2012). Needs n ≥ 4.
 */
function uCentreGram(k: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) k[i * n + i] = 0;
  const { sums, total } = rowSums(k, n);
  const shift = total / ((n - 1) * (n - 2)) / 2;
  const means = sums.map((s) => s / (n - 2) - shift);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) k[i * n + j] = i === j ? 0 : k[i * n + j] - means[i] - means[j];
  }
  return k;
}

/** The n×n kernel of a representation's centred features, in float64. */
async function kernelOf(name: string, x: Tensor, kernel: "linear" | "rbf", bandwidth: number): Promise<Float64Array> {
  const n = x.shape[0];
  const g = await hostValues(
    context,
    name,
    noGrad(() => tidy(() => gram(centreColumns(x)))),
  );
  if (kernel === "linear") return g;
  const d2 = new Float64Array(n * n);
  const distances: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      d2[i * n + j] = i === j ? 0 : Math.max(0, g[i * n + i] + g[j * n + j] - 2 * g[i * n + j]);
      if (j > i) distances.push(Math.sqrt(d2[i * n + j]));
    }
  }
  distances.sort((a, b) => a - b);
  const h = distances.length >> 1;
  const median = distances.length % 2 ? distances[h] : (distances[h - 1] + distances[h]) / 2;
  if (!(median > 0)) {
    throw new RangeError(`Cannot ${context}: the median distance between rows of ${name} is 0 (no RBF bandwidth)`);
  }
  const sigma = bandwidth * median;
  for (let i = 0; i < d2.length; i++) d2[i] = Math.exp(-d2[i] / (2 * sigma * sigma));
  return d2;
}

/** The centred (or U-centred) Grams' ⟨K, L⟩ / (‖K‖ ‖L‖), refusing a zero centred Gram by name. */
function alignment(k: Float64Array, l: Float64Array, what: string, names: [string, string]): number {
  const kk = frobeniusDot(k, k), ll = frobeniusDot(l, l);
  for (const [norm, name] of [[kk, names[0]], [ll, names[1]]] as const) {
    if (!(norm > 0)) throw new RangeError(`Cannot ${what}: the centred Gram of ${name} is zero (a constant input)`);
  }
  return frobeniusDot(k, l) / Math.sqrt(kk) / Math.sqrt(ll);
}

function checkPair(what: string, x: unknown, y: unknown): number {
  const [n] = checkMatrixTensor(what, "x", x);
  const [ny] = checkMatrixTensor(what, "y", y);
  if (n !== ny) throw new RangeError(`Cannot ${what}: x has ${n} examples and y has ${ny} (rows must match)`);
  return n;
}

/**
 * Centred kernel alignment (Kornblith, Norouzi, Lee & Hinton, ICML 2019) of two representations of the
 * same n examples: HSIC(K, L) / √(HSIC(K, K) HSIC(L, L)) of their kernel matrices. Linear CKA without
 * debiasing never forms an n×n matrix: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred columns. The debiased form
 * uses the unbiased HSIC estimator (Song et al., JMLR 2012) through U-centred Grams, which removes plain
 * CKA's upward bias at small n (Davari et al. 2022). RBF: σ = `bandwidth` × the median distance over
 * distinct pairs of rows.
 *
 * @param x [n, d₁] representation.
 * @param y [n, d₂] representation.
 * @param options Kernel, debiasing, RBF bandwidth.
 * @returns The value with the kernel, estimator and example count.
 * @throws {TypeError} When x or y is not a Tensor, or an option is unknown or has the wrong type.
 * @throws {RangeError} When the row counts differ, n < 2 (n < 4 debiased), an n×n path needs more than
 *   4,096 examples, a value is NaN/±Infinity, or an input is constant.
 * @example CKA is 1 between a representation and a rotated, scaled, shifted copy of it
 * ```ts
 * import assert from "node:assert";
 * import { add, cka, initGpu, matmul, mul, Tensor } from "../mod.ts";
 * await initGpu();
 * const x = Tensor.fromArray([1, 2, 0, 3, 1, 1, 2, 2, 5, 0, 1, 4], [6, 2]);
 * const rotate = Tensor.fromArray([0.6, -0.8, 0.8, 0.6], [2, 2]);
 * const { value } = await cka(x, add(mul(matmul(x, rotate), 3), 7));
 * assert.ok(Math.abs(value - 1) < 1e-5);
 * ```
 */
export async function cka(x: Tensor, y: Tensor, options: CkaOptions = {}): Promise<CkaResult> {
  const n = checkPair(context, x, y);
  checkOptions(context, options, ["kernel", "debiased", "bandwidth"]);
  const kernel = checkChoice(context, "options.kernel", options.kernel ?? "linear", ["linear", "rbf"] as const);
  const debiased = checkBoolean(context, "options.debiased", options.debiased ?? false);
  if (options.bandwidth !== undefined && kernel !== "rbf") {
    throw new TypeError(`Cannot ${context}: options.bandwidth applies to the "rbf" kernel only`);
  }
  const bandwidth = checkNumber(context, "options.bandwidth", options.bandwidth ?? 0.5, { above: 0 });
  const need = debiased ? 4 : 2;
  if (n < need) {
    throw new RangeError(
      `Cannot ${context}: ${n} examples (the ${debiased ? "debiased " : ""}estimator needs ${need})`,
    );
  }
  let value: number;
  if (kernel === "linear" && !debiased) {
    value = await featureSpaceLinearCka(context, x, y);
  } else {
    if (n > GRAM_PATH_MAX_EXAMPLES) {
      throw new RangeError(
        `Cannot ${context}: ${n} examples exceed ${GRAM_PATH_MAX_EXAMPLES} for the n×n path (use MinibatchCka)`,
      );
    }
    const centre = debiased ? uCentreGram : centreGram;
    const k = centre(await kernelOf("x", x, kernel, bandwidth), n);
    const l = centre(await kernelOf("y", y, kernel, bandwidth), n);
    value = alignment(k, l, context, ["x", "y"]);
  }
  return withDisplay({ value, kernel, debiased, examples: n }, "CKA", [
    ["CKA", value],
    ["kernel", kernel],
    ["estimator", debiased ? "debiased (unbiased HSIC)" : "biased"],
    ["examples", n],
  ]);
}

/**
 * Minibatch linear CKA (Nguyen, Raghu & Kornblith, ICLR 2021) for more examples than fit at once: the
 * unbiased HSIC of each batch's Grams, summed over batches, gives
 * CKA = Σ HSIC_u(K_b, L_b) / √(Σ HSIC_u(K_b, K_b) · Σ HSIC_u(L_b, L_b)). Memory is one batch's Grams.
 * With one batch this is the debiased linear {@linkcode cka}.
 *
 * @example Batches of a representation against itself give 1
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, MinibatchCka, Tensor } from "../mod.ts";
 * await initGpu();
 * const acc = new MinibatchCka();
 * for (const seed of [1, 2]) {
 *   const x = Tensor.fromArray(Array.from({ length: 12 }, (_, i) => Math.sin(seed * 7 + i * i)), [6, 2]);
 *   await acc.add(x, x);
 * }
 * assert.ok(Math.abs(acc.result().value - 1) < 1e-9);
 * ```
 */
export class MinibatchCka {
  #xy = 0;
  #xx = 0;
  #yy = 0;
  #batches = 0;
  #examples = 0;

  /**
   * Adds one batch: the same examples' rows in both representations.
   *
   * @param x [b, d₁] batch of the first representation (b ≥ 4).
   * @param y [b, d₂] batch of the second.
   * @throws {TypeError} When x or y is not a Tensor.
   * @throws {RangeError} When the row counts differ, b < 4 or b > 4,096, or a
   *   value is NaN/±Infinity.
   */
  async add(x: Tensor, y: Tensor): Promise<void> {
    const what = "add a batch to minibatch CKA";
    const b = checkPair(what, x, y);
    if (b < 4 || b > GRAM_PATH_MAX_EXAMPLES) {
      throw new RangeError(`Cannot ${what}: ${b} examples (a batch needs 4 to ${GRAM_PATH_MAX_EXAMPLES})`);
    }
    const k = uCentreGram(await kernelOf("x", x, "linear", 1), b);
    const l = uCentreGram(await kernelOf("y", y, "linear", 1), b);
    const scale = 1 / (b * (b - 3));
    this.#xy += frobeniusDot(k, l) * scale;
    this.#xx += frobeniusDot(k, k) * scale;
    this.#yy += frobeniusDot(l, l) * scale;
    this.#batches++;
    this.#examples += b;
  }

  /**
   * The CKA of the batches added so far.
   *
   * @returns The value, with the batch and example counts.
   * @throws {RangeError} Before any batch, or when either representation's HSIC sum is not positive.
   */
  result(): { value: number; batches: number; examples: number } {
    if (this.#batches === 0) throw new RangeError("Cannot compute minibatch CKA: no batch added yet");
    for (const [sum, name] of [[this.#xx, "x"], [this.#yy, "y"]] as const) {
      if (!(sum > 0)) throw new RangeError(`Cannot compute minibatch CKA: the HSIC of ${name} with itself is ${sum}`);
    }
    const value = this.#xy / Math.sqrt(this.#xx) / Math.sqrt(this.#yy);
    return withDisplay({ value, batches: this.#batches, examples: this.#examples }, "minibatch CKA", [
      ["CKA", value],
      ["batches", this.#batches],
      ["examples", this.#examples],
    ]);
  }
}

/** Options for {@linkcode kernelAlignment}. */
export interface KernelAlignmentOptions {
  /** Centre both kernels (H K H, Cortes et al. 2012) first (default true; false: Cristianini et al. 2002). */
  centered?: boolean;
  /** How to read a square [n, n] `target`: "kernel" (default) or "labels" (n examples, n classes). */
  targetKind?: "kernel" | "labels";
}

/**
 * Kernel–target alignment ⟨K, L⟩_F / (‖K‖_F ‖L‖_F) (Cristianini et al. 2002), centred by default
 * (⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖), Cortes, Mohri & Rostamizadeh, JMLR 2012). The target is an n×n kernel, an
 * n×C label or one-hot matrix Y (L = YYᵀ), or n integer class labels (L_ij = 1 when the classes match).
 * With `k` the empirical NTK this is the NTK–target alignment of Baratin et al. (AISTATS 2021).
 *
 * @param k [n, n] kernel.
 * @param target [n, n] kernel, [n, C] labels, or n integer labels.
 * @param options Centring, and how a square target is read.
 * @returns The alignment with whether it was centred.
 * @throws {TypeError} When `k` is not a Tensor, `target` is neither a Tensor nor an array of integers,
 *   or an option is unknown or has the wrong type.
 * @throws {RangeError} When `k` is not square, the sizes differ, n > 4,096, a
 *   value is NaN/±Infinity or a label is not an integer, or a (centred) kernel is zero.
 * @example A kernel aligned with its own labels
 * ```ts
 * import assert from "node:assert";
 * import { initGpu, kernelAlignment, Tensor } from "../mod.ts";
 * await initGpu();
 * const k = Tensor.fromArray([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1], [4, 4]);
 * const { value } = await kernelAlignment(k, [0, 0, 1, 1]);
 * assert.ok(Math.abs(value - 1) < 1e-12);
 * ```
 */
export async function kernelAlignment(
  k: Tensor,
  target: Tensor | ArrayLike<number>,
  options: KernelAlignmentOptions = {},
): Promise<{ value: number; centered: boolean }> {
  const what = "compute kernel alignment";
  checkTensor(what, "k", k);
  if (k.rank !== 2 || k.shape[0] !== k.shape[1]) {
    throw new RangeError(`Cannot ${what}: k must be a square [n, n] kernel (got [${k.shape.join(", ")}])`);
  }
  const n = k.shape[0];
  checkOptions(what, options, ["centered", "targetKind"]);
  const centered = checkBoolean(what, "options.centered", options.centered ?? true);
  const kind = checkChoice(what, "options.targetKind", options.targetKind ?? "kernel", ["kernel", "labels"] as const);
  if (n > GRAM_PATH_MAX_EXAMPLES) {
    throw new RangeError(`Cannot ${what}: ${n} examples exceed ${GRAM_PATH_MAX_EXAMPLES}`);
  }
  const l = await targetKernel(what, target, n, kind);
  const kv = await hostValues(what, "k", k);
  const value = centered
    ? alignment(centreGram(kv, n), centreGram(l, n), what, ["k", "target"])
    : alignment(kv, l, what, ["k", "target"]);
  return withDisplay({ value, centered }, "kernel–target alignment", [
    ["alignment", value],
    ["centred", centered ? "yes" : "no"],
  ]);
}

/** The target's n×n kernel in float64: itself, YYᵀ of labels, or class equality. */
async function targetKernel(what: string, target: unknown, n: number, kind: "kernel" | "labels") {
  const l = new Float64Array(n * n);
  if (target instanceof Tensor) {
    const t = target;
    const [rows, cols] = t.rank === 2 ? t.shape : [-1, -1];
    if (rows !== n) {
      throw new RangeError(`Cannot ${what}: target must be [${n}, n] or [${n}, C] (got [${t.shape.join(", ")}])`);
    }
    const y = await hostValues(what, "target", t);
    if (cols === n && kind === "kernel") return y;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += y[i * cols + c] * y[j * cols + c];
        l[i * n + j] = s;
      }
    }
    return l;
  }
  const labels = checkArrayLike(what, "target", target) as ArrayLike<unknown>;
  if (labels.length !== n) throw new RangeError(`Cannot ${what}: target has ${labels.length} labels for ${n} examples`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i])) {
      throw new RangeError(`Cannot ${what}: target[${i}] is ${describe(labels[i])} (labels must be integers)`);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) l[i * n + j] = labels[i] === labels[j] ? 1 : 0;
  return l;
}
