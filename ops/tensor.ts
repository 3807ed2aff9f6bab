/**
 * `Tensor`: a float32 GPU buffer with a shape. Tensors are immutable; ops return new tensors. Memory is
 * released by {@linkcode Tensor.dispose}, by `using`, or by `tidy` scopes (ops/scope.ts).
 *
 * @module
 */
import type { Runtime } from "../kernels/runtime.ts";
import { runtime } from "../kernels/init_gpu.ts";
import { isRecording, register, release } from "./_scope.ts";

export { ASYNC_SCOPES_ISOLATED } from "./_scope.ts";
export { formatShape, shapeSize } from "./shape.ts";
import { formatShape, shapeSize } from "./shape.ts";
import { checkOptions, float32Data } from "../check/args.ts";

/** A GPU buffer shared by tensors that view it (reshape shares storage), and the runtime it lives on. */
interface Storage {
  buffer: GPUBuffer;
  refs: number;
  runtime: Runtime;
}

/** Options of the functions that create tensors from nothing. */
export interface CreateOptions {
  /** The runtime to create the tensor on (default: the shared one from `initGpu`). */
  runtime?: Runtime;
}

/**
 * A backward rule: given the gradient of the output and which parents need a gradient, the gradients of
 * each parent (null where none is needed). Rules are written with differentiable ops, so gradients of
 * gradients work.
 */
export type BackwardRule = (grad: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

/** How a tensor was computed: its parents and the rule that sends gradients to them. */
export interface GradNode {
  /** Inputs of the op that produced the tensor. */
  readonly parents: readonly Tensor[];
  /** The op's derivative rule. */
  readonly backward: BackwardRule;
  /** Op name, for error messages. */
  readonly op: string;
}

let liveTensors = 0;

/** Releases one tensor's hold on its storage: the buffer goes back to the pool with the last holder. */
function releaseStorage(storage: Storage): void {
  liveTensors--;
  if (--storage.refs === 0) storage.runtime.pool.release(storage.buffer);
}

/**
 * Tensors that are garbage-collected without `dispose()` give their storage back here, so a loop that
 * forgets `tidy` still reuses memory (later than `dispose()` would: whenever the collector runs). The
 * pool parks released buffers until the commands recorded so far are submitted, so work already
 * recorded on a collected tensor's buffer still reads its data.
 */
const reclaim = new FinalizationRegistry<Storage>(releaseStorage);

/**
 * The runtime of an op's tensor operands (the shared runtime when there are none).
 *
 * @param operands The op's inputs (numbers are ignored).
 * @param op Op name for the error.
 * @returns The runtime they all live on.
 * @throws {RangeError} When tensors from different runtimes are combined.
 */
export function runtimeOf(operands: readonly unknown[], op: string): Runtime {
  let rt: Runtime | null = null;
  for (const x of operands) {
    if (!(x instanceof Tensor)) continue;
    if (rt && x.runtime !== rt) {
      throw new RangeError(`Cannot ${op}: the tensors live on different runtimes (devices); move them to one first`);
    }
    rt = x.runtime;
  }
  return rt ?? runtime();
}

/** A float32 tensor stored in a GPU buffer. */
export class Tensor {
  /** Dimensions (row-major). A scalar has shape `[]`. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  #storage: Storage | null;
  /** Whether gradients flow to this tensor (set on parameters and inputs to differentiate). */
  requiresGrad = false;
  /** Autodiff record of the op that produced this tensor (null for leaves or when not recording). */
  gradNode: GradNode | null = null;

  /**
   * Wraps storage; use {@linkcode Tensor.fromArray}, {@linkcode Tensor.empty} or ops instead.
   *
   * @param storage Buffer and its reference count (incremented here).
   * @param shape Dimensions.
   */
  private constructor(storage: Storage, shape: readonly number[]) {
    if (typeof storage?.refs !== "number") throw new TypeError("Cannot create tensor: use Tensor.fromArray or full");
    this.size = shapeSize(shape);
    this.shape = Object.freeze([...shape]);
    storage.refs++;
    reclaim.register(this, storage, this);
    this.#storage = storage;
    liveTensors++;
    register(this);
  }

  /**
   * Uploads values into a new tensor.
   *
   * @param data Values, row-major.
   * @param shape Dimensions (default `[data.length]`).
   * @returns The tensor.
   * @throws {RangeError} When `data.length` differs from the shape's size.
   * @example Round trip
   * ```ts
   * import assert from "node:assert";
   * import { initGpu } from "../kernels/init_gpu.ts";
   * import { Tensor } from "./tensor.ts";
   * await initGpu();
   * using t = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
   * assert.deepEqual([...await t.toArray()], [1, 2, 3, 4, 5, 6]);
   * ```
   */
  static fromArray(
    data: ArrayLike<number>,
    shape?: readonly number[],
    options: CreateOptions = {},
  ): Tensor {
    checkOptions("create tensor", options, ["runtime"]);
    const values = float32Data("create tensor", data);
    if (shape === undefined) shape = [values.length];
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new RangeError(
        `Cannot create tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${size} elements)`,
      );
    }
    const t = Tensor.empty(shape, "Tensor.fromArray", options.runtime);
    t.runtime.write(
      t.buffer,
      values,
    );
    return t;
  }

  /**
   * The largest tensor the device can hold and bind, in bytes (its storage-binding and buffer limits).
   *
   * @param rt The runtime (default: the shared one from `initGpu`).
   * @returns Bytes.
   */
  static maxBytes(rt: Runtime = runtime()): number {
    return rt.pool.maxBindableBytes;
  }

  /**
   * Allocates a tensor with undefined contents (for kernels that write every element).
   *
   * @param shape Dimensions.
   * @param op The op allocating it, named in the error when the device cannot hold it.
   * @param rt The runtime (default: the shared one from `initGpu`).
   * @returns The tensor.
   * @throws {RangeError} When the tensor exceeds the device's storage-binding or buffer-size limit.
   */
  static empty(shape: readonly number[], op = "Tensor.empty", rt: Runtime = runtime()): Tensor {
    const bytes = shapeSize(shape) * 4;
    const limit = rt.pool.maxBindableBytes;
    if (bytes > limit) {
      throw new RangeError(
        `Cannot allocate ${op} output ${formatShape(shape)}: ${bytes.toLocaleString("en-US")} bytes exceed the ` +
          `device's storage-binding limit of ${limit.toLocaleString("en-US")} bytes (${rt.adapterName}; rankscope ` +
          `already requests the adapter's maximum limits). Work in chunks below the limit (e.g. fewer examples ` +
          `per call), or use an adapter with higher limits.`,
      );
    }
    return new Tensor({ buffer: rt.pool.acquire(bytes), refs: 0, runtime: rt }, shape);
  }

  /**
   * The runtime this tensor lives on; ops run on their operands' runtime.
   *
   * @throws {Error} When the tensor was disposed.
   */
  get runtime(): Runtime {
    if (!this.#storage) throw new Error(`Tensor ${formatShape(this.shape)} was used after dispose()`);
    return this.#storage.runtime;
  }

  /** Number of tensors created and neither disposed nor garbage-collected yet (for leak checks). */
  static get liveCount(): number {
    return liveTensors;
  }

  /**
   * The GPU buffer (it may be larger than `size * 4` bytes).
   *
   * @throws {Error} When the tensor was disposed.
   */
  get buffer(): GPUBuffer {
    if (!this.#storage) throw new Error(`Tensor ${formatShape(this.shape)} was used after dispose()`);
    return this.#storage.buffer;
  }

  /** Whether {@linkcode Tensor.dispose} was called. */
  get disposed(): boolean {
    return this.#storage === null;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * Attaches an autodiff record to an op's output when any parent requires gradients and recording
   * is on (see {@linkcode noGrad}).
   *
   * @param out The op's output.
   * @param op Op name.
   * @param parents The op's tensor inputs.
   * @param backward Gradient rule.
   * @returns `out`.
   */
  static record(out: Tensor, op: string, parents: readonly Tensor[], backward: BackwardRule): Tensor {
    if (isRecording() && parents.some((p) => p.requiresGrad)) {
      out.requiresGrad = true;
      out.gradNode = { parents, backward, op };
    }
    return out;
  }

  /**
   * A tensor with the same values and a new shape, sharing storage (no copy); differentiable.
   *
   * @param shape New dimensions; one may be -1 (inferred).
   * @returns The view.
   * @throws {RangeError} When the sizes differ.
   */
  reshape(shape: readonly number[]): Tensor {
    const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    if (shape.filter((d) => d === -1).length > 1 || shapeSize(resolved) !== this.size) {
      throw new RangeError(
        `Cannot reshape tensor: ${formatShape(this.shape)} has ${this.size} elements, [${shape.join(", ")}] does not`,
      );
    }
    this.buffer; // throws when disposed
    const from = this.shape;
    return Tensor.record(new Tensor(this.#storage!, resolved), "reshape", [this], (g) => [g.reshape(from)]);
  }

  /**
   * Reads the values back (one GPU→CPU sync; batch reads where you can).
   *
   * @returns A copy of the values, row-major.
   */
  toArray(): Promise<Float32Array> {
    return this.runtime.read(this.buffer, this.size);
  }

  /**
   * Reads a one-element tensor as a number.
   *
   * @returns The value.
   * @throws {RangeError} When the tensor has more than one element.
   */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new RangeError(`Cannot read item: tensor ${formatShape(this.shape)} has ${this.size} elements`);
    }
    return (await this.toArray())[0];
  }

  /**
   * Deno's Jupyter display protocol: shape, dtype and adapter, and the first values of a small tensor
   * (at most 4096 elements are read back; a larger tensor is never read in full for display).
   *
   * @returns The MIME bundle.
   */
  async [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> {
    const head = `Tensor [${this.shape.join(", ")}] float32 on ${this.runtime.adapterName}`;
    const values = this.size <= 4096 ? Array.from((await this.toArray()).subarray(0, 8), (v) => v.toPrecision(5)) : [];
    const tail = values.length === 0
      ? `${this.size} values (not read back; await t.toArray())`
      : `[${values.join(", ")}${this.size > 8 ? `, … ${this.size - 8} more` : ""}]`;
    return { "text/plain": `${head}\n${tail}` };
  }

  /** Releases the storage (when no other view holds it). Safe to call twice. */
  dispose(): void {
    const storage = this.#storage;
    if (!storage) return;
    this.#storage = null;
    reclaim.unregister(this);
    release(this);
    releaseStorage(storage);
  }

  /** `using t = ...` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
