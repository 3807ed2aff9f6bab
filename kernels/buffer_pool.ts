/**
 * A pool of GPU storage buffers, bucketed by size, so that long runs reuse memory instead of
 * allocating a fresh buffer per op.
 *
 * @module
 */

/** Storage buffers in the pool can be bound, copied from (read back) and written to. */
export const STORAGE_USAGE: number = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

/** Uniform buffers (a kernel's scalar operands) are bound and written to. */
export const UNIFORM_USAGE: number = 0x40 /* UNIFORM */ | 0x08; /* COPY_DST */

/**
 * Rounds a byte size up to its pool bucket: multiples of 256 bytes up to 4 KiB, then four buckets per
 * power of two (so at most 25% of a buffer is slack).
 *
 * @param bytes Requested size in bytes (> 0).
 * @returns The bucket size in bytes.
 * @throws {RangeError} When `bytes` is not a positive finite number.
 * @example Bucket sizes
 * ```ts
 * import assert from "node:assert";
 * import { bucketSize } from "./buffer_pool.ts";
 * assert.equal(bucketSize(1), 256);
 * assert.equal(bucketSize(5000), 5120);
 * ```
 */
export function bucketSize(bytes: number): number {
  if (!(bytes > 0) || !Number.isFinite(bytes)) {
    throw new RangeError(`Cannot size buffer: byte size must be positive (got ${bytes})`);
  }
  if (bytes <= 4096) return Math.ceil(bytes / 256) * 256;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

/**
 * Size-bucketed pool of GPU buffers of one usage (storage by default; the runtime keeps a second pool for
 * uniform buffers). Buffers released while commands that use them are still being
 * recorded are parked until {@linkcode BufferPool.recycle} is called after the commands are submitted,
 * so that a later `writeBuffer` can never overwrite data a pending command still reads.
 *
 * Reuse is replayable: each idle list is kept in creation order (the oldest buffer handed out first), so
 * which buffer a request gets depends on which buffers are idle, not on the order they came back in. A
 * loop that repeats the same work then gets the same buffers each time, and the runtime's bind-group
 * cache hits instead of creating a bind group per dispatch (whose native memory only the garbage
 * collector frees).
 */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, GPUBuffer[]>();
  #parked: GPUBuffer[] = [];
  /** Each buffer's creation number (for replayable reuse). */
  #serial = new WeakMap<GPUBuffer, number>();
  #created = 0;
  #bytesInUse = 0;
  #bytesFree = 0;
  #bytesParked = 0;
  #peakHeld = 0;
  /** Largest number of idle bytes kept for reuse; beyond it released buffers are destroyed. */
  readonly maxFreeBytes: number;
  /** Largest buffer a kernel can bind whole: min(maxStorageBufferBindingSize, maxBufferSize). */
  readonly maxBindableBytes: number;
  /** The usage flags of every buffer the pool creates. */
  readonly usage: number;

  /**
   * Creates an empty pool.
   *
   * @param device The device buffers are created on.
   * @param maxFreeBytes Idle bytes kept for reuse (default 1 GiB).
   * @param usage Usage flags of its buffers (default {@linkcode STORAGE_USAGE}).
   */
  constructor(device: GPUDevice, maxFreeBytes = 1 << 30, usage = STORAGE_USAGE) {
    this.#device = device;
    this.maxFreeBytes = maxFreeBytes;
    this.usage = usage;
    this.maxBindableBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  }

  /** Buffers the pool has created (a loop that reuses its buffers stops adding to it). */
  get created(): number {
    return this.#created;
  }

  /** Bytes held by live (acquired, not released) buffers. */
  get bytesInUse(): number {
    return this.#bytesInUse;
  }

  /** Bytes held by idle buffers waiting for reuse. */
  get bytesFree(): number {
    return this.#bytesFree;
  }

  /** Bytes of every buffer the pool holds: live, idle, and released but not yet reusable. */
  get bytesHeld(): number {
    return this.#bytesInUse + this.#bytesFree + this.#bytesParked;
  }

  /** The high-water mark of {@linkcode BufferPool.bytesHeld} since creation or the last {@linkcode BufferPool.resetPeak}. */
  get peakBytesHeld(): number {
    return this.#peakHeld;
  }

  /** Starts a new high-water mark from what the pool holds now. */
  resetPeak(): void {
    this.#peakHeld = this.bytesHeld;
  }

  /**
   * Returns a storage buffer of at least `bytes` bytes (contents undefined).
   *
   * @param bytes Minimum size in bytes.
   * @returns A buffer whose `size` is the bucket size (or exactly `bytes`, rounded up to 256, where the
   *   bucket would pass the binding limit).
   * @throws {RangeError} When `bytes` exceeds the largest buffer a kernel can bind.
   */
  acquire(bytes: number): GPUBuffer {
    if (bytes > this.maxBindableBytes) {
      throw new RangeError(
        `Cannot allocate GPU buffer: ${bytes} bytes exceed the device's binding limit of ${this.maxBindableBytes} bytes`,
      );
    }
    // Bucket slack must not push a bindable request past the binding limit.
    const bucket = bucketSize(bytes);
    const size = bucket <= this.maxBindableBytes ? bucket : Math.ceil(bytes / 256) * 256;
    const list = this.#free.get(size);
    const reused = list?.pop();
    this.#bytesInUse += size;
    let buffer: GPUBuffer;
    if (reused) {
      this.#bytesFree -= size;
      buffer = reused;
    } else {
      this.#peakHeld = Math.max(this.#peakHeld, this.bytesHeld);
      buffer = this.#device.createBuffer({ size, usage: this.usage });
      this.#serial.set(buffer, this.#created++);
    }
    return buffer;
  }

  /**
   * Gives a buffer back. It becomes reusable after the next {@linkcode BufferPool.recycle}.
   *
   * @param buffer A buffer obtained from {@linkcode BufferPool.acquire}.
   */
  release(buffer: GPUBuffer): void {
    this.#bytesInUse -= buffer.size;
    this.#bytesParked += buffer.size;
    this.#parked.push(buffer);
  }

  /** Makes parked buffers reusable; call right after submitting the commands that used them. */
  recycle(): void {
    const touched = new Set<GPUBuffer[]>();
    for (const buffer of this.#parked) {
      if (this.#bytesFree + buffer.size > this.maxFreeBytes) {
        buffer.destroy();
        continue;
      }
      let list = this.#free.get(buffer.size);
      if (!list) this.#free.set(buffer.size, list = []);
      list.push(buffer);
      touched.add(list);
      this.#bytesFree += buffer.size;
    }
    // Newest first, so the oldest is on top (lists are popped from the end).
    const serial = (b: GPUBuffer) => this.#serial.get(b) ?? -1;
    for (const list of touched) list.sort((a, b) => serial(b) - serial(a));
    this.#parked = [];
    this.#bytesParked = 0;
  }

  /** Destroys every idle buffer. */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.#bytesFree = 0;
  }
}
