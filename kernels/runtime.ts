/**
 * The GPU runtime: one device, its buffer pool and pipeline cache, and a command encoder that batches
 * many dispatches into few submits (every GPU→CPU sync is expensive; an extra dispatch is not).
 *
 * @module
 */
import { BufferPool, UNIFORM_USAGE } from "./buffer_pool.ts";
import { PipelineCache } from "./pipeline_cache.ts";
import { MAX_WORKGROUPS_PER_DIMENSION } from "./linear_grid.ts";
import { memoryTuningStore, TunedVariants, type TuningStore } from "./tuning_store.ts";

/** Bind groups kept for reuse before the cache is cleared (a few per distinct kernel and buffer set). */
const MAX_CACHED_BIND_GROUPS = 4096;

/** One kernel launch, described the way every kernel family in `kernels/` builds it. */
export interface KernelCall {
  /** WGSL compute shader with entry point `main`; also the pipeline-cache key. */
  wgsl: string;
  /** Storage buffers, bound to `@group(0) @binding(0..n-1)` in this order. */
  buffers: GPUBuffer[];
  /** Optional 32-bit words bound as a uniform buffer at `@binding(buffers.length)`. */
  uniforms?: Uint32Array<ArrayBuffer>;
  /** Workgroups dispatched along x, y and z. */
  workgroups: readonly [number, number?, number?];
}

/** Counters for benchmarks and memory checks. */
export interface RuntimeStats {
  /** Dispatches recorded. */
  dispatches: number;
  /** Command buffers submitted. */
  submits: number;
  /** GPU→CPU synchronisations (read-backs and waits). */
  syncs: number;
  /** Bind groups created (the rest of the dispatches reused a cached one). */
  bindGroups: number;
}

/** The device plus everything that records, submits and reads back work on it. */
export class Runtime {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** Adapter description, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  readonly adapterName: string;
  /** Storage-buffer pool. */
  readonly pool: BufferPool;
  /** Uniform-buffer pool (the kernels' scalar operands); its `created` stays flat once a loop is warm. */
  readonly uniforms: BufferPool;
  /** Pipelines by WGSL text. */
  readonly pipelines: PipelineCache;
  /** The device's limits (rankscope requests the adapter's maximum buffer and binding sizes). */
  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }
  /**
   * Whether kernels may use WGSL subgroup operations: the device was created with the `subgroups` feature
   * (requested whenever the adapter offers it) and, under {@linkcode initGpu}, rankscope's subgroup
   * kernels compiled and computed exact answers on it (kernels/subgroup_probe.ts).
   */
  get subgroups(): boolean {
    return this.#subgroupsOff === null && this.device.features.has("subgroups");
  }
  /** Why the subgroup kernels are off on a device that has the feature (null when they are on or absent). */
  get subgroupsOff(): string | null {
    return this.#subgroupsOff;
  }
  /**
   * Keeps the subgroup kernels off on this device, whatever its features say.
   *
   * @param reason Why (shown by {@linkcode Runtime.subgroupsOff}).
   */
  disableSubgroups(reason: string): void {
    this.#subgroupsOff = reason;
  }
  /** Dispatch, submit and sync counters. */
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, syncs: 0, bindGroups: 0 };
  /** Everything the adapter reports about itself (vendor|architecture|device|description): the tuner's cache key. */
  readonly adapterIdentity: string;
  /**
   * The tuner's choices, `{ family, shapeClass } → variant` (e.g. matmul, large → register); empty means
   * every family's default. Set by {@linkcode initGpu} (see kernels/tuning.ts); read by `chooseVariant`.
   */
  readonly tuning: TunedVariants = new TunedVariants();
  /**
   * Where this runtime's tuned choices persist: the store {@linkcode initGpu} was given (by default one
   * in memory for the process; a fresh one in memory for a runtime made with `new`). `tunedChoice` keeps
   * named choices here too.
   */
  tuningStore: TuningStore = memoryTuningStore();
  /** Dispatches recorded before an automatic submit (the GPU starts while the CPU keeps recording). */
  maxDispatchesPerSubmit = 256;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #recorded = 0;
  #errors: Promise<GPUError | null>[] = [];
  #lost: string | null = null;
  #failed: string | null = null;
  #subgroupsOff: string | null = null;
  #bindGroups = new Map<string, GPUBindGroup>();
  #ids = new WeakMap<GPUBuffer | GPUComputePipeline, number>();
  #nextId = 1;

  /**
   * Wraps a device.
   *
   * @param device A device from `requestGpuDevice` (kernels/device.ts).
   * @param adapterName Adapter description for messages and benchmark tables.
   * @param adapterIdentity Every field the adapter reports, for per-adapter caches (default: the name).
   */
  constructor(device: GPUDevice, adapterName: string, adapterIdentity = adapterName) {
    if (typeof device?.createBuffer !== "function" || typeof adapterName !== "string") {
      throw new TypeError("Cannot create Runtime: it wraps a GPUDevice and its adapter's name; call initGpu() instead");
    }
    this.device = device;
    this.adapterName = adapterName;
    this.adapterIdentity = adapterIdentity;
    this.pool = new BufferPool(device);
    this.uniforms = new BufferPool(device, 1 << 24, UNIFORM_USAGE);
    this.pipelines = new PipelineCache(device);
    device.lost.then((info) => {
      this.#lost = info.message || info.reason || "device lost";
    });
  }

  /**
   * Records one kernel launch into the current batch (nothing runs until the next submit).
   *
   * @param call The kernel, its buffers, uniforms and grid.
   * @throws {RangeError} When the grid is empty or exceeds the per-dimension limit.
   */
  dispatch(call: KernelCall): void {
    this.#assertAlive();
    const [x, y = 1, z = 1] = call.workgroups;
    for (const n of [x, y, z]) {
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_WORKGROUPS_PER_DIMENSION)) {
        throw new RangeError(
          `Cannot dispatch kernel: workgroup grid ${x}x${y}x${z} is outside 1..${MAX_WORKGROUPS_PER_DIMENSION} per dimension`,
        );
      }
    }
    const pipeline = this.pipelines.get(call.wgsl);
    const buffers = [...call.buffers];
    if (call.uniforms) {
      // Parked at once: reusable after this submit (a later write in the same submit would overwrite it).
      const uniform = this.uniforms.acquire(call.uniforms.byteLength);
      this.device.queue.writeBuffer(uniform, 0, call.uniforms);
      this.uniforms.release(uniform);
      buffers.push(uniform);
    }
    const bindGroup = this.#bindGroup(pipeline, buffers);
    const pass = this.#computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
    if (++this.#recorded >= this.maxDispatchesPerSubmit) this.flush();
  }

  /**
   * Uploads data into a buffer. Safe for buffers fresh from the pool: their earlier users were submitted.
   *
   * @param buffer Destination.
   * @param data Values to write at offset 0.
   */
  write(buffer: GPUBuffer, data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>): void {
    this.#assertAlive();
    this.device.queue.writeBuffer(buffer, 0, data);
  }

  /**
   * Records a buffer-to-buffer copy.
   *
   * @param source Buffer read from.
   * @param target Buffer written to.
   * @param bytes Bytes copied (a multiple of 4).
   * @param sourceOffset Byte offset into `source` (multiple of 4).
   * @param targetOffset Byte offset into `target` (multiple of 4).
   */
  copy(source: GPUBuffer, target: GPUBuffer, bytes: number, sourceOffset = 0, targetOffset = 0): void {
    this.#endPass();
    this.#encoder!.copyBufferToBuffer(source, sourceOffset, target, targetOffset, bytes);
  }

  /** Submits everything recorded so far without waiting for it. */
  flush(): void {
    if (!this.#encoder) return;
    this.#endPass();
    this.device.queue.submit([this.#encoder.finish()]);
    this.#errors.push(this.device.popErrorScope());
    this.#encoder = null;
    this.#recorded = 0;
    this.stats.submits++;
    this.pool.recycle();
    this.uniforms.recycle();
  }

  /**
   * Reads `length` 32-bit values from a buffer, after all recorded work (one GPU→CPU sync).
   *
   * @param buffer Source buffer.
   * @param length Number of 32-bit values.
   * @param offset Offset in 32-bit values.
   * @returns A fresh copy of the values.
   * @throws {import("./pipeline_cache.ts").WgslCompileError} When a shader used so far failed to compile.
   * @throws {Error} When a submitted command failed validation or the device was lost.
   */
  async read(buffer: GPUBuffer, length: number, offset = 0): Promise<Float32Array> {
    this.#assertAlive();
    const bytes = length * 4;
    const staging = this.device.createBuffer({
      size: Math.max(4, bytes),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    if (bytes > 0) this.copy(buffer, staging, bytes, offset * 4, 0);
    this.flush();
    try {
      await this.#checkErrors();
      await staging.mapAsync(GPUMapMode.READ);
      this.stats.syncs++;
      return new Float32Array(staging.getMappedRange().slice(0, bytes));
    } finally {
      staging.destroy();
    }
  }

  /**
   * Submits recorded work and waits until the GPU has finished it (one sync).
   *
   * @throws {Error} As {@linkcode Runtime.read}.
   */
  async sync(): Promise<void> {
    this.#assertAlive();
    this.flush();
    await this.#checkErrors();
    await this.device.queue.onSubmittedWorkDone();
    this.stats.syncs++;
    this.#assertAlive();
  }

  async #checkErrors(): Promise<void> {
    // Drain both sources before throwing, so one failure is reported once and later work starts clean.
    const pending = this.#errors;
    this.#errors = [];
    const [compiled, errors] = await Promise.allSettled([this.pipelines.check(), Promise.all(pending)]);
    if (compiled.status === "rejected") throw compiled.reason;
    const first = errors.status === "fulfilled" ? errors.value.find((e) => e !== null) : null;
    if (first) {
      // Work submitted with the failed command may have been skipped, so no later result can be
      // trusted: every later call fails too, instead of reading stale or zero buffers.
      this.#failed = first.message;
      throw new Error(`GPU command failed validation: ${first.message}`);
    }
    this.#assertAlive();
  }

  #assertAlive(): void {
    if (this.#lost !== null) throw new Error(`The GPU device was lost: ${this.#lost}`);
    if (this.#failed !== null) {
      throw new Error(
        `The GPU runtime is unusable after an earlier GPU command failed validation (${this.#failed}); ` +
          "results computed since then are not trustworthy. Restart the process.",
      );
    }
  }

  #computePass(): GPUComputePassEncoder {
    if (!this.#encoder) {
      this.device.pushErrorScope("validation");
      this.#encoder = this.device.createCommandEncoder();
    }
    if (!this.#pass) this.#pass = this.#encoder.beginComputePass();
    return this.#pass;
  }

  #endPass(): void {
    if (!this.#encoder) this.#computePass();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  /**
   * The bind group of `buffers` (bindings 0..n-1) for `pipeline`, reused across dispatches. Creating one
   * per dispatch leaked about 1 KB of native memory each (released only when the JS garbage collector
   * finalised the wrapper, far behind a training loop); pool and uniform buffers are reused, so a small
   * cache hits almost always. It is bounded and cleared when full; buffers the pool destroys get new ids,
   * so a stale entry is never hit.
   */
  #bindGroup(pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
    let key = String(this.#idOf(pipeline));
    for (const b of buffers) key += "," + this.#idOf(b);
    let group = this.#bindGroups.get(key);
    if (!group) {
      if (this.#bindGroups.size >= MAX_CACHED_BIND_GROUPS) this.#bindGroups.clear();
      this.stats.bindGroups++;
      group = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.#bindGroups.set(key, group);
    }
    return group;
  }

  #idOf(object: GPUBuffer | GPUComputePipeline): number {
    let id = this.#ids.get(object);
    if (id === undefined) this.#ids.set(object, id = this.#nextId++);
    return id;
  }
}
