/**
 * What the matrix-free solvers share: symmetric operators given as products, seeded Rademacher and
 * Gaussian probes from the Philox streams, device dot products, and an orthonormal basis kept in blocks
 * of rows (classical Gram–Schmidt applied twice against it).
 *
 * @module
 */
import { Tensor } from "../ops/tensor.ts";
import { matmul } from "../ops/matmul.ts";
import { add, mul, sub, sum } from "../ops/arithmetic.ts";
import { full, map } from "../ops/elementwise.ts";
import { randomUniform } from "../ops/random.ts";
import { noGrad, tidy } from "../ops/scope.ts";
import { checkNumber, describe } from "../check/args.ts";

/**
 * A symmetric linear operator A on vectors of length `dim` that live on the device: `apply(v)` returns
 * A v as a new [dim] tensor and leaves v alone.
 */
export interface SymmetricOperator {
  /** The length of the vectors A acts on. */
  readonly dim: number;
  /** A v for a [dim] vector v. */
  apply(v: Tensor): Tensor;
}

/** An operator, or a bare product function whose dimension comes from the options. */
export type OperatorLike = SymmetricOperator | ((v: Tensor) => Tensor);

/** Product counting and checking around an operator. */
export interface CheckedOperator {
  readonly dim: number;
  /** A v, counted, checked for shape. */
  apply(v: Tensor): Tensor;
  /** Products taken so far. */
  products: number;
}

/** Resolves an operator argument, refusing a missing or bad dimension by name. */
export function checkOperator(context: string, op: unknown, dim: unknown): CheckedOperator {
  let apply: (v: Tensor) => Tensor, size: unknown;
  if (typeof op === "function") {
    apply = op as (v: Tensor) => Tensor;
    size = dim;
    if (size === undefined) {
      throw new TypeError(`Cannot ${context}: a bare product function needs options.dim (the vector length)`);
    }
  } else if (op !== null && typeof op === "object" && typeof (op as SymmetricOperator).apply === "function") {
    apply = (v) => (op as SymmetricOperator).apply(v);
    size = (op as SymmetricOperator).dim;
    if (dim !== undefined && dim !== size) {
      throw new RangeError(`Cannot ${context}: options.dim ${describe(dim)} differs from the operator's dim ${size}`);
    }
  } else {
    throw new TypeError(
      `Cannot ${context}: op must be a SymmetricOperator ({ dim, apply }) or a function v => A v (got ${describe(op)})`,
    );
  }
  const n = checkNumber(context, "the operator's dim", size, { integer: true, min: 1 });
  const checked: CheckedOperator = {
    dim: n,
    products: 0,
    apply(v: Tensor) {
      const out = apply(v);
      checked.products++;
      if (!(out instanceof Tensor) || out.size !== n) {
        throw new RangeError(
          `Cannot ${context}: the product returned ${
            out instanceof Tensor ? `a tensor of ${out.size} elements` : describe(out)
          } (need a [${n}] tensor)`,
        );
      }
      return out.rank === 1 ? out : out.reshape([n]);
    },
  };
  return checked;
}

/** A Rademacher (±1) vector from Philox stream `stream` of `seed`. */
export function rademacher(dim: number, seed: number, stream: number): Tensor {
  return noGrad(() => tidy(() => map([randomUniform([dim], { seed, stream })], "select(-1.0, 1.0, x0 > 0.5)")));
}

/** The mean of per-probe estimates and its standard error (sample deviation over √n; NaN for one). */
export function meanAndError(values: ArrayLike<number>): { mean: number; standardError: number } {
  const v = Array.from(values), n = v.length, mean = v.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, standardError: Math.sqrt(variance / n) };
}

/** ⟨a, b⟩ as a device scalar. */
export function dot(a: Tensor, b: Tensor): Tensor {
  return sum(mul(a, b));
}

/**
 * An orthonormal set of [dim] vectors stored as rows of fixed [rows, dim] blocks (each at most `maxBytes`,
 * zero rows unused), so that products against the whole set are a few matmuls of one shape each step
 * (shapes that grew each step would compile new pipelines each step).
 */
export class BlockBasis {
  readonly dim: number;
  readonly #blockRows: number;
  #blocks: Tensor[] = [];
  #count = 0;

  /** @param capacity The most vectors that will be pushed (sizes the blocks). */
  constructor(dim: number, capacity: number, maxBytes = 64 * 2 ** 20) {
    this.dim = dim;
    // At most 8 rows a block: the unused rows of the last block cost work in every product against it.
    this.#blockRows = Math.max(1, Math.min(8, capacity, Math.floor(maxBytes / (4 * dim))));
  }

  /** Vectors held. */
  get count(): number {
    return this.#count;
  }

  /** Appends a unit vector (copied into the block store; the caller keeps `v`). */
  push(v: Tensor): void {
    const row = this.#count % this.#blockRows;
    if (row === 0) this.#blocks.push(full([this.#blockRows, this.dim], 0, { runtime: v.runtime }));
    const block = this.#blocks[this.#blocks.length - 1];
    block.runtime.copy(v.buffer, block.buffer, 4 * this.dim, 0, 4 * this.dim * row);
    this.#count++;
  }

  /** w − V Vᵀ w, applied twice (classical Gram–Schmidt with reorthogonalisation). */
  orthogonalize(w: Tensor): Tensor {
    if (this.#count === 0) return w;
    return noGrad(() =>
      tidy(() => {
        let out = w.reshape([1, this.dim]);
        for (let pass = 0; pass < 2; pass++) {
          for (const block of this.#blocks) {
            // Coefficients by a row reduction (no k-split of a long inner dimension), then one product.
            const c = sum(mul(block, out), { axis: 1 }).reshape([1, block.shape[0]]);
            out = sub(out, matmul(c, block));
          }
        }
        return out.reshape([this.dim]);
      })
    );
  }

  /** Σ_j coefficients[j] v_j over the held vectors (float64 values sent as float32). */
  combine(coefficients: ArrayLike<number>): Tensor {
    return noGrad(() =>
      tidy(() => {
        let out: Tensor | null = null;
        this.#blocks.forEach((block, b) => {
          const c = Tensor.fromArray(
            Array.from({ length: this.#blockRows }, (_, i) => coefficients[b * this.#blockRows + i] ?? 0),
            [1, this.#blockRows],
            { runtime: block.runtime },
          );
          const part = matmul(c, block);
          out = out ? add(out, part) : part;
        });
        return out!.reshape([this.dim]);
      })
    );
  }

  /** Frees every block. */
  dispose(): void {
    this.#blocks.forEach((b) => b.dispose());
    this.#blocks = [];
    this.#count = 0;
  }
}
