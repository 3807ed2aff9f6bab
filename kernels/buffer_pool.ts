/**
 * A pool of GPU storage buffers, bucketed by size, so that long runs reuse memory instead of
 * allocating a fresh buffer per op.
 *
 * @module
 */

/** Storage buffers in the pool can be bound, copied from (read back) and written to. */
export const STORAGE_USAGE: number = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

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
 * Size-bucketed pool of storage buffers. Buffers released while commands that use them are still being
 * recorded are parked until {@linkcode BufferPool.recycle} is called after the commands are submitted,
 * so that a later `writeBuffer` can never overwrite data a pending command still reads.
 */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, GPUBuffer[]>();
  #parked: GPUBuffer[] = [];
  #bytesInUse = 0;
  #bytesFree = 0;
  #bytesParked = 0;
  #peakHeld = 0;
  /** Largest number of idle bytes kept for reuse; beyond it released buffers are destroyed. */
  readonly maxFreeBytes: number;
  /** Largest buffer a kernel can bind whole: min(maxStorageBufferBindingSize, maxBufferSize). */
  readonly maxBindableBytes: number;

  /**
   * Creates an empty pool.
   *
   * @param device The device buffers are created on.
   * @param maxFreeBytes Idle bytes kept for reuse (default 1 GiB).
   */
  constructor(device: GPUDevice, maxFreeBytes = 1 << 30) {
    this.#device = device;
    this.maxFreeBytes = maxFreeBytes;
    this.maxBindableBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
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
    if (reused) {
      this.#bytesFree -= size;
      return reused;
    }
    this.#peakHeld = Math.max(this.#peakHeld, this.bytesHeld);
    return this.#device.createBuffer({ size, usage: STORAGE_USAGE });
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
    for (const buffer of this.#parked) {
      if (this.#bytesFree + buffer.size > this.maxFreeBytes) {
        buffer.destroy();
        continue;
      }
      let list = this.#free.get(buffer.size);
      if (!list) this.#free.set(buffer.size, list = []);
      list.push(buffer);
      this.#bytesFree += buffer.size;
    }
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
