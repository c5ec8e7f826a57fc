/**
 * Comparing PNG outputs by what they show, not by their bytes: two encoders (or two zlib
 * versions) write different bytes for the same pixels. Decoded size first, then the share of
 * pixels whose colour differs by more than a small threshold on any channel.
 */
import type { PNG } from 'pngjs';
import { read as readPng } from 'pngjs/lib/png-sync';

export type ImageVerdict =
  | { readonly kind: 'identical'; readonly width: number; readonly height: number }
  | { readonly kind: 'within-tolerance' | 'differs'; readonly reason: string; readonly ratio?: number };

/** A channel may differ by this much (of 255) before its pixel counts as different (antialiasing). */
const CHANNEL_THRESHOLD = 16;

function decode(base64: string): PNG | string {
  try {
    return readPng(Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    return (err as Error).message;
  }
}

/** Images larger than this (in pixels) are not decoded: 25 megapixels is 100 MB of RGBA per side. */
export const MAX_PIXELS = 25_000_000;

/** Compare two base64 PNGs; `maxRatio` is the share of differing pixels still within tolerance. */
export function comparePng(saved: string, actual: string, maxRatio: number): ImageVerdict {
  // sizes from the headers first: nothing is decoded that is too large to hold, or cannot match
  const sa = pngSize(saved);
  const sb = pngSize(actual);
  const huge = [sa, sb].find((s) => s !== undefined && s.width * s.height > MAX_PIXELS);
  if (huge) {
    const note = `image too large to compare pixel by pixel (${huge.width}×${huge.height})`;
    if (saved.replace(/\s+/g, '') === actual.replace(/\s+/g, '')) return { kind: 'identical', width: huge.width, height: huge.height };
    return { kind: 'differs', reason: `${note}; its bytes differ` };
  }
  if (sa && sb && (sa.width !== sb.width || sa.height !== sb.height))
    return { kind: 'differs', reason: `image size ${sa.width}×${sa.height} in the notebook, ${sb.width}×${sb.height} in the container` };
  const a = decode(saved);
  const b = decode(actual);
  if (typeof a === 'string' || typeof b === 'string')
    return {
      kind: 'differs',
      reason: `a PNG could not be decoded (${typeof a === 'string' ? `notebook: ${a}` : `container: ${b as string}`})`,
    };
  if (a.width !== b.width || a.height !== b.height)
    return { kind: 'differs', reason: `image size ${a.width}×${a.height} in the notebook, ${b.width}×${b.height} in the container` };
  const pixels = a.width * a.height;
  let different = 0;
  for (let p = 0; p < pixels * 4; p += 4) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs((a.data[p + c] ?? 0) - (b.data[p + c] ?? 0)) > CHANNEL_THRESHOLD) {
        different++;
        break;
      }
    }
  }
  if (different === 0) return { kind: 'identical', width: a.width, height: a.height };
  const ratio = different / pixels;
  const share = `${(ratio * 100).toFixed(ratio < 0.001 ? 3 : 1)} % of pixels differ (${a.width}×${a.height})`;
  return { kind: ratio <= maxRatio ? 'within-tolerance' : 'differs', reason: share, ratio };
}

/** Width and height of a base64 PNG, read from its header; undefined when it is not a PNG. */
export function pngSize(base64: string): { width: number; height: number } | undefined {
  const head = Buffer.from(base64.slice(0, 44).replace(/\s+/g, ''), 'base64');
  if (head.length < 24 || head.toString('latin1', 1, 4) !== 'PNG') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
