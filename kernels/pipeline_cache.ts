/**
 * Compute-pipeline cache keyed by the WGSL text itself, with compilation messages surfaced together
 * with the numbered shader source.
 *
 * @module
 */

/** A WGSL shader failed to compile or its pipeline failed validation. */
export class WgslCompileError extends Error {
  /** The shader source that failed. */
  readonly source: string;
  /**
   * Formats the compiler messages with the numbered source.
   *
   * @param message The compiler's messages.
   * @param source The shader source, appended to the message with line numbers.
   */
  constructor(message: string, source: string) {
    super(`WGSL compilation failed: ${message.trim()}\n--- shader source ---\n${numberLines(source)}`);
    this.name = "WgslCompileError";
    this.source = source;
  }
}

/**
 * Prefixes every line with its 1-based number, as compiler messages refer to them.
 *
 * @param source Text to number.
 * @returns The numbered text.
 * @example Number two lines
 * ```ts
 * import assert from "node:assert";
 * import { numberLines } from "./pipeline_cache.ts";
 * assert.equal(numberLines("a\nb"), "   1 | a\n   2 | b");
 * ```
 */
export function numberLines(source: string): string {
  return source.split("\n").map((line, i) => `${String(i + 1).padStart(4)} | ${line}`).join("\n");
}

/**
 * Creates compute pipelines synchronously (so ops can record work without awaiting) and keeps them by
 * WGSL text. Compilation problems are collected and thrown by {@linkcode PipelineCache.check}, which the
 * runtime calls at every sync point; {@linkcode PipelineCache.compile} checks one shader at once.
 */
export class PipelineCache {
  #device: GPUDevice;
  #pipelines = new Map<string, GPUComputePipeline>();
  #pending: Promise<void>[] = [];

  /**
   * Creates an empty cache.
   *
   * @param device The device pipelines are created on.
   */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Number of distinct pipelines compiled so far. */
  get size(): number {
    return this.#pipelines.size;
  }

  /**
   * Returns the pipeline for a WGSL compute shader (entry point `main`), compiling it on first use.
   *
   * @param wgsl Shader source; also the cache key.
   * @returns The pipeline (errors, if any, surface at the next {@linkcode PipelineCache.check}).
   */
  get(wgsl: string): GPUComputePipeline {
    const cached = this.#pipelines.get(wgsl);
    if (cached) return cached;
    const device = this.#device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ code: wgsl });
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "main" },
    });
    const scope = device.popErrorScope();
    this.#pending.push(
      Promise.all([module.getCompilationInfo(), scope]).then(([info, error]) => {
        const errors = info.messages.filter((m) => m.type === "error");
        if (errors.length > 0) {
          throw new WgslCompileError(errors.map((m) => m.message).join("\n"), wgsl);
        }
        if (error) throw new WgslCompileError(error.message, wgsl);
      }),
    );
    this.#pipelines.set(wgsl, pipeline);
    return pipeline;
  }

  /**
   * Compiles a shader and waits for its messages.
   *
   * @param wgsl Shader source.
   * @returns The pipeline.
   * @throws {WgslCompileError} With the compiler's messages and the numbered source.
   */
  async compile(wgsl: string): Promise<GPUComputePipeline> {
    const had = this.#pipelines.has(wgsl);
    const pipeline = this.get(wgsl);
    try {
      await this.check();
    } catch (e) {
      if (!had) this.#pipelines.delete(wgsl);
      throw e;
    }
    return pipeline;
  }

  /**
   * Waits for all compilations started since the last check.
   *
   * @throws {WgslCompileError} For the first shader that failed; the failed pipeline is evicted.
   */
  async check(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    const results = await Promise.allSettled(pending);
    for (const r of results) {
      if (r.status === "rejected") {
        if (r.reason instanceof WgslCompileError) this.#pipelines.delete(r.reason.source);
        throw r.reason;
      }
    }
  }
}
