/**
 * WebGPU adapter and device acquisition. This module (with the rest of `kernels/`) is the only
 * place in rankscope that touches `navigator.gpu`.
 *
 * @module
 */

/** Options for {@linkcode requestGpuDevice}. */
export interface RequestGpuDeviceOptions {
  /** Power preference passed to `requestAdapter` (default: `"high-performance"`). */
  powerPreference?: GPUPowerPreference;
}

/** What to tell a user whose machine offers no WebGPU adapter. */
export const NO_ADAPTER_HELP: string =
  "No WebGPU adapter found. rankscope runs its kernels on WebGPU: use Deno 2.x (WebGPU is built in) " +
  "on a machine with a GPU driver, or a software adapter. On headless Debian/Ubuntu install Mesa's " +
  "Vulkan drivers (`apt-get install mesa-vulkan-drivers`), which provide the lavapipe adapter.";

/**
 * Requests a WebGPU adapter and a device with the adapter's largest buffer limits (and its `subgroups`
 * feature when it has one).
 *
 * @param options Adapter preferences.
 * @returns The adapter's description and a fresh device.
 * @throws {Error} When `navigator.gpu` is missing or no adapter is found; the message says how to get one.
 * @example Use the shared device instead of requesting a second one
 * ```ts
 * import assert from "node:assert";
 * import { initGpu } from "./init_gpu.ts";
 * // Most code should share one device through initGpu(); a second device in the same process is
 * // possible but doubles memory, and destroying it while others live has crashed Mesa at exit.
 * const { device, adapterName } = await initGpu();
 * assert.ok(device.limits.maxStorageBufferBindingSize > 0);
 * assert.equal(typeof adapterName, "string");
 * ```
 */
export async function requestGpuDevice(
  options: RequestGpuDeviceOptions = {},
): Promise<{ device: GPUDevice; adapterName: string; adapterIdentity: string; fallback: boolean }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error(`${NO_ADAPTER_HELP} (navigator.gpu is undefined)`);
  const adapter = await gpu.requestAdapter({
    powerPreference: options.powerPreference ?? "high-performance",
  });
  if (!adapter) throw new Error(NO_ADAPTER_HELP);
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    // Subgroup operations let the reduction and softmax kernels combine without workgroup trees.
    requiredFeatures: adapter.features.has("subgroups") ? ["subgroups" as GPUFeatureName] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: Math.min(limits.maxComputeInvocationsPerWorkgroup, 256),
      maxComputeWorkgroupSizeX: Math.min(limits.maxComputeWorkgroupSizeX, 256),
      maxComputeWorkgroupSizeY: Math.min(limits.maxComputeWorkgroupSizeY, 256),
    },
  });
  const info = adapter.info;
  // Browsers often leave the description empty: name the vendor and architecture (e.g. "google
  // swiftshader") rather than the vendor alone.
  const adapterName = info.description ||
    [info.vendor, info.architecture, info.device].filter((v) => v).join(" ") || "unknown adapter";
  // Identity for per-adapter caches (the tuner's choices): every field the adapter reports, with its
  // subgroup sizes and features, which tell apart one device reached through two backends (Mesa's
  // llvmpipe answers with the same description through Vulkan and through OpenGL, where workgroup-memory
  // kernels compile a hundred times slower).
  const sizes = info as { subgroupMinSize?: number; subgroupMaxSize?: number };
  const adapterIdentity = [
    info.vendor,
    info.architecture,
    info.device,
    info.description,
    `subgroups ${sizes.subgroupMinSize ?? "?"}-${sizes.subgroupMaxSize ?? "?"}`,
    [...adapter.features].sort().join(","),
  ].join("|");
  // A CPU (software) adapter such as lavapipe or SwiftShader reports itself as a fallback adapter.
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { device, adapterName, adapterIdentity, fallback };
}
