/**
 * A minimal PNG encoder (8-bit RGB, no interlace) for rasters inside SVG figures: the pixels go into
 * stored (uncompressed) deflate blocks, so it is synchronous and needs no zlib. A 100 x 100 heatmap is
 * about 40 KB as a data URI, against megabytes of `<rect>` elements.
 *
 * @module
 */

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309) of bytes, as PNG chunks need. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 of bytes, the zlib stream's checksum. */
function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  for (const v of bytes) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length), view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A zlib stream of stored deflate blocks (at most 65,535 bytes each). */
function storedZlib(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + 5 * blocks + 4), view = new DataView(out.buffer);
  out[0] = 0x78, out[1] = 0x01; // deflate, 32 KiB window, no preset dictionary, fastest
  let at = 2;
  for (let k = 0; k < blocks; k++) {
    const part = raw.subarray(k * 65535, Math.min(raw.length, (k + 1) * 65535));
    out[at] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    view.setUint16(at + 1, part.length, true);
    view.setUint16(at + 3, ~part.length & 0xffff, true);
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  view.setUint32(at, adler32(raw));
  return out;
}

/**
 * Encodes a raster as a PNG data URI: 8-bit RGB, or 8-bit indices into a palette of up to 256 colours
 * (a third of the size, which is what a colour-mapped heatmap needs).
 *
 * @param width Pixels per row.
 * @param height Rows, top to bottom.
 * @param pixels `width · height · 3` RGB bytes, or `width · height` palette indices, row-major from the top left.
 * @param palette RGB bytes of the palette (3 per colour) when `pixels` holds indices.
 * @returns `data:image/png;base64,...`.
 * @throws {RangeError} When the sizes disagree.
 */
export function pngDataUri(width: number, height: number, pixels: Uint8Array, palette?: Uint8Array): string {
  const channels = palette ? 1 : 3;
  if (!(width >= 1 && height >= 1) || pixels.length !== width * height * channels) {
    throw new RangeError(
      `Cannot encode PNG: ${pixels.length} bytes for ${width}x${height} pixels of ${channels} bytes`,
    );
  }
  if (palette && !(palette.length % 3 === 0 && palette.length >= 3 && palette.length <= 768)) {
    throw new RangeError(`Cannot encode PNG: a palette of ${palette.length} bytes is not 1 to 256 RGB colours`);
  }
  // Every scanline starts with filter type 0 (none).
  const row = channels * width;
  const raw = new Uint8Array(height * (1 + row));
  for (let r = 0; r < height; r++) raw.set(pixels.subarray(r * row, (r + 1) * row), r * (1 + row) + 1);
  const header = new Uint8Array(13), view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  // Bit depth 8, colour type 3 (palette) or 2 (RGB), deflate, adaptive filtering, no interlace.
  header.set([8, palette ? 3 : 2, 0, 0, 0], 8);
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    ...(palette ? [chunk("PLTE", palette)] : []),
    chunk("IDAT", storedZlib(raw)),
    chunk("IEND", new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) png.set(p, (at += p.length) - p.length);
  let binary = "";
  for (let i = 0; i < png.length; i += 8192) binary += String.fromCharCode(...png.subarray(i, i + 8192));
  return `data:image/png;base64,${btoa(binary)}`;
}
