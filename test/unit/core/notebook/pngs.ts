// PNGs made for the comparison tests: painted with pngjs, or written byte by byte (a 1-bit
// PNG of any size, small on disk, for the size bounds).
import * as zlib from 'node:zlib';
import { PNG, type PackerOptions } from 'pngjs';

// ---------------------------------------------------------------------------------------------
// PNGs made here, with pngjs

export type Rgba = readonly [number, number, number, number];
export function canvas(width: number, height: number, paint: (x: number, y: number) => Rgba): PNG {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(paint(x, y), (y * width + x) * 4);
  return png;
}
export const gradient = (x: number, y: number): Rgba => [(x * 5) % 256, (y * 7) % 256, (x * y) % 256, 255];
export const encode = (png: PNG, options: PackerOptions = {}): string => PNG.sync.write(png, options).toString('base64');
/** A copy of `png` with the red channel of its first `n` pixels (row by row) moved by `by`, away from the nearer end. */
export function withChanged(png: PNG, n: number, by = 128): PNG {
  const copy = canvas(png.width, png.height, (x, y) => {
    const i = (y * png.width + x) * 4;
    return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!, png.data[i + 3]!];
  });
  for (let p = 0; p < n; p++) {
    const v = copy.data[p * 4]!;
    copy.data[p * 4] = v < 128 ? v + by : v - by;
  }
  return copy;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid black-and-white PNG (1 bit per pixel), all black but `dot` pixels in the first row; base64. */
export function bilevelPng(width: number, height: number, dot = 0): string {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const stride = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(stride * height); // filter 0 and black everywhere
  for (let x = 0; x < dot; x++) raw[1 + (x >> 3)]! |= 0x80 >> (x & 7);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}
