/**
 * The safetensors file format (Hugging Face's; what `safetensors.torch.save_file` writes), read and written
 * in plain TypeScript from bytes, so it runs in a browser as well: an 8-byte little-endian unsigned header
 * length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {key: value}}`, then the tensors' little-endian, row-major bytes; offsets count from the first byte after
 * the header, and the tensors tile the data exactly (no overlap, no hole, nothing after the last one).
 *
 * @module
 */
import { describe } from "../check/args.ts";

/** The element types read: floats (converted to float32) and the integers of PyTorch's counters. */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32";

/** Bytes per element of every supported dtype. */
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const SUPPORTED = Object.keys(DTYPE_BYTES).join(", ");

/** The largest header read, in bytes (the reference implementation's limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors file, its values converted to float32. */
export interface SafetensorsTensor {
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
  /** Shape, outermost first (`[]` for a scalar). */
  shape: number[];
  /** Row-major values as float32 (F64 rounded to nearest, integers above 2²⁴ rounded). */
  data: Float32Array;
}

/** The contents of a safetensors file. */
export interface Safetensors {
  /** Name → tensor, in the header's order. */
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
}

/** A tensor to write: float32 values, row-major. */
export interface SafetensorsInput {
  /** Shape, outermost first. */
  shape: readonly number[];
  /** Row-major values (length = product of the shape). */
  data: Float32Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(reason: string): never {
  throw new RangeError(`Cannot parse safetensors: ${reason}`);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Float16 bits → value (subnormals, infinities and NaN included). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Decodes `count` little-endian elements of `dtype` starting at `view`'s byte 0. */
function decode(dtype: SafetensorsDtype, view: DataView, count: number): Float32Array {
  const out = new Float32Array(count);
  if (dtype === "F32" && LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset, count * 4));
  } else if (dtype === "F32") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === "BF16") {
    // bfloat16 is the top half of a float32: shifting its bits up is exact, NaN payloads included.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else if (dtype === "F16") {
    for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
  } else if (dtype === "F64") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (dtype === "I64") {
    for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true));
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
  }
  return out;
}

/** The header's JSON object, after the length checks. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8 of the header length`);
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail(`the header length is ${size} bytes, over the limit of ${SAFETENSORS_MAX_HEADER_BYTES}`);
  }
  const n = Number(size);
  if (8 + n > bytes.length) {
    fail(`the file is truncated: the header needs ${n} bytes after the first 8 but only ${bytes.length - 8} follow`);
  }
  let text: string, header: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("the header is not valid UTF-8");
  }
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail(`the header must be a JSON object (got ${describe(header)})`);
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + n };
}

/** One header entry checked: its dtype, shape and offsets, consistent with each other and the data. */
function readEntry(
  name: string,
  entry: unknown,
  dataBytes: number,
): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    fail(`${what} must be an object with dtype, shape and data_offsets (got ${describe(entry)})`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    fail(`${what} has dtype ${describe(dtype)}, which is not supported (supported: ${SUPPORTED})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`${what} has shape ${describe(shape)}; it must be an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`${what} has data_offsets ${describe(offsets)}; they must be two integers begin <= end`);
  }
  const [begin, end] = offsets as number[];
  if (end > dataBytes) {
    fail(`${what} has data_offsets [${begin}, ${end}] outside the data (${dataBytes} bytes)`);
  }
  const elements = shape.reduce((p: number, d: number) => p * d, 1);
  const needed = elements * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (end - begin !== needed) {
    fail(
      `${what} holds ${end - begin} bytes but ${dtype} of shape [${shape.join(", ")}] needs ${needed}`,
    );
  }
  return { dtype: dtype as SafetensorsDtype, shape: [...shape], begin, end };
}

/** Checks that the tensors tile the data: sorted by offset, each begins where the previous ends. */
function checkTiling(spans: { name: string; begin: number; end: number }[], dataBytes: number): void {
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const sorted = spans.filter((s) => s.end > s.begin).sort((a, b) => a.begin - b.begin);
  let at = 0, previous = "";
  for (const s of sorted) {
    if (s.begin < at) {
      fail(`tensors ${JSON.stringify(previous)} and ${JSON.stringify(s.name)} overlap (bytes ${s.begin} to ${at})`);
    }
    if (s.begin > at) fail(`bytes ${at} to ${s.begin} of the data belong to no tensor`);
    [at, previous] = [s.end, s.name];
  }
  if (at !== dataBytes) fail(`${dataBytes - at} bytes follow the last tensor's data (the data has ${dataBytes})`);
}

/**
 * Reads a safetensors file: every tensor converted to float32 (F32, F16, BF16 and F64, and the integer
 * dtypes I64 and I32 that PyTorch uses for counters such as BatchNorm's `num_batches_tracked`).
 *
 * @example Read back what was written
 * ```ts
 * import assert from "node:assert";
 * import { parseSafetensors, serializeSafetensors } from "./safetensors.ts";
 * const bytes = serializeSafetensors({ "0.bias": { shape: [2], data: new Float32Array([1, -2]) } });
 * const file = parseSafetensors(bytes);
 * assert.deepEqual(file.tensors.get("0.bias"), { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) });
 * ```
 *
 * @param bytes The whole file (an ArrayBuffer, or a Uint8Array such as `Deno.readFile`'s or a `fetch`'s).
 * @returns The tensors by name and the metadata.
 * @throws {TypeError} When `bytes` is neither an ArrayBuffer nor a Uint8Array.
 * @throws {RangeError} For a malformed file, naming what is wrong: shorter than its header, a header over
 *   {@linkcode SAFETENSORS_MAX_HEADER_BYTES} or not JSON, an unsupported dtype, a tensor whose byte length is
 *   not dtype × shape or whose offsets lie outside the data, tensors that overlap or leave a hole, or bytes
 *   after the last tensor.
 */
export function parseSafetensors(bytes: ArrayBuffer | Uint8Array): Safetensors {
  if (!(bytes instanceof ArrayBuffer) && !(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot parse safetensors: bytes must be an ArrayBuffer or a Uint8Array (got ${describe(bytes)})`,
    );
  }
  const all = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { header, dataStart } = readHeader(all);
  const dataBytes = all.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: ({ name: string } & ReturnType<typeof readEntry>)[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name !== "__metadata__") {
      entries.push({ name, ...readEntry(name, entry, dataBytes) });
      continue;
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      fail(`__metadata__ must be an object of strings (got ${describe(entry)})`);
    }
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value !== "string") {
        fail(`__metadata__[${JSON.stringify(key)}] must be a string (got ${describe(value)})`);
      }
      Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  checkTiling(entries, dataBytes);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    const view = new DataView(all.buffer, all.byteOffset + dataStart + begin, end - begin);
    tensors.set(name, { dtype, shape, data: decode(dtype, view, (end - begin) / DTYPE_BYTES[dtype]) });
  }
  return { tensors, metadata };
}

/** Checks the tensors to write and returns them with their shapes copied. */
function checkInputs(tensors: Record<string, SafetensorsInput>): [string, SafetensorsInput][] {
  const context = "Cannot serialize safetensors";
  if (typeof tensors !== "object" || tensors === null || Array.isArray(tensors)) {
    throw new TypeError(`${context}: tensors must be an object of { shape, data } by name (got ${describe(tensors)})`);
  }
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === "" || name === "__metadata__") {
      throw new RangeError(`${context}: ${JSON.stringify(name)} cannot name a tensor`);
    }
    const shape = (t as Partial<SafetensorsInput> | null)?.shape, data = (t as Partial<SafetensorsInput> | null)?.data;
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw new RangeError(
        `${context}: tensor ${JSON.stringify(name)} needs a shape of non-negative integers (got ${describe(shape)})`,
      );
    }
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`${context}: tensor ${JSON.stringify(name)} needs Float32Array data (got ${describe(data)})`);
    }
    const size = shape.reduce((p, d) => p * d, 1);
    if (data.length !== size) {
      throw new RangeError(
        `${context}: tensor ${JSON.stringify(name)} has ${data.length} values but shape [${
          shape.join(", ")
        }] needs ${size}`,
      );
    }
  }
  return entries;
}

/**
 * Writes tensors as a safetensors file of F32 little-endian data, in the order given, the header padded with
 * spaces to a multiple of 8 bytes as the reference implementation pads it (so the data is aligned).
 *
 * @example Write two tensors with metadata
 * ```ts
 * import assert from "node:assert";
 * import { parseSafetensors, serializeSafetensors } from "./safetensors.ts";
 * const bytes = serializeSafetensors(
 *   { w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { shape: [], data: new Float32Array([5]) } },
 *   { format: "pt" },
 * );
 * assert.equal(bytes.length % 8, 4); // 8 + header (a multiple of 8) + 20 data bytes
 * assert.deepEqual(parseSafetensors(bytes).metadata, { format: "pt" });
 * ```
 *
 * @param tensors Name → shape and float32 values.
 * @param metadata Strings stored as `__metadata__` (omitted when not given).
 * @returns The file's bytes.
 * @throws {TypeError} When `tensors` is not an object, data is not a Float32Array, or a metadata value is not
 *   a string.
 * @throws {RangeError} When a name is empty or `__metadata__`, a shape is not non-negative integers, or the
 *   data length differs from the shape's size.
 */
export function serializeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = checkInputs(tensors);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw new TypeError(
        `Cannot serialize safetensors: metadata must be an object of strings (got ${describe(metadata)})`,
      );
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new TypeError(
          `Cannot serialize safetensors: metadata[${JSON.stringify(key)}] must be a string (got ${describe(value)})`,
        );
      }
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, { shape, data }] of entries) {
    const info = { dtype: "F32", shape: [...shape], data_offsets: [offset, offset += data.length * 4] };
    // Written key by key: a tensor named "__proto__" would be lost through an object literal.
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  if (header.length % 8 !== 0) {
    const padded = new Uint8Array(header.length + 8 - (header.length % 8)).fill(0x20);
    padded.set(header);
    header = padded;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const [, { data }] of entries) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * 4), at);
    else data.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    at += data.length * 4;
  }
  return out;
}
