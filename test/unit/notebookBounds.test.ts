/**
 * Memory and work bounds of the comparison: a PNG's size is read from its header before anything
 * is decoded (a 20000×20000 one is refused with a note), diffs of huge or very different outputs
 * are not attempted, and a cell whose output was cut says so.
 */
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { compareCell, DEFAULT_SETTINGS, DIFF_LIMITS, sideBySide } from '../../src/core/notebook/compareCells';
import type { ExecutedCell } from '../../src/core/notebook/containerRun';
import { comparePng, pngSize } from '../../src/core/notebook/images';
import { parseNotebook, type CellOutput, type NotebookCell } from '../../src/core/notebook/nbformat';
import { planNotebook } from '../../src/core/notebook/plan';

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
function bilevelPng(width: number, height: number, dot = 0): string {
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

function cellWith(outputs: CellOutput[]): { plan: ReturnType<typeof planNotebook>[number]; saved: NotebookCell } {
  const nb = parseNotebook(
    JSON.stringify({
      cells: [{ cell_type: 'code', execution_count: 1, metadata: {}, outputs: [], source: 'x' }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  return { plan: planNotebook(nb)[0]!, saved: { ...nb.cells[0]!, outputs } };
}
const ran = (index: number, outputs: CellOutput[], cut?: number): ExecutedCell => ({
  index,
  outputs,
  durationMs: 1,
  timedOut: false,
  ...(cut ? { cut } : {}),
});
const ctx = { settings: DEFAULT_SETTINGS, outcome: { kind: 'completed' } as const };

describe('PNG size is checked from the header before any decoding', () => {
  test('the generator makes real PNGs (a small one decodes to what it says)', () => {
    const png = PNG.sync.read(Buffer.from(bilevelPng(20, 10, 3), 'base64'));
    assert.equal(png.width, 20);
    assert.equal(png.height, 10);
    assert.deepEqual([...png.data.subarray(0, 4)], [255, 255, 255, 255]);
    assert.deepEqual([...png.data.subarray(12, 16)], [0, 0, 0, 255]);
  });

  const huge = bilevelPng(20000, 20000);
  const hugeDot = bilevelPng(20000, 20000, 5);

  test('a 20000×20000 PNG (small on disk) is read from its header only', () => {
    assert.ok(huge.length < 200_000, `the file is small (${huge.length} base64 characters)`);
    assert.deepEqual(pngSize(huge), { width: 20000, height: 20000 });
  });

  test('two different 20000×20000 PNGs: differs, "image too large to compare pixel by pixel (20000×20000)"', () => {
    const v = comparePng(huge, hugeDot, 0.01);
    assert.ok(v.kind === 'differs' && v.reason.startsWith('image too large to compare pixel by pixel (20000×20000)'), JSON.stringify(v));
    // one side huge is enough
    const w = comparePng(bilevelPng(10, 10), huge, 0.01);
    assert.ok(w.kind !== 'identical' && /too large to compare pixel by pixel \(20000×20000\)/.test(w.reason));
  });

  test('the same 20000×20000 PNG on both sides: identical, by its bytes', () => {
    assert.deepEqual(comparePng(huge, huge, 0.01), { kind: 'identical', width: 20000, height: 20000 });
  });

  test('in a cell: the reason carries the note', () => {
    const { plan, saved } = cellWith([{ kind: 'display', data: { 'image/png': huge, 'text/plain': '<Figure>' } }]);
    const c = compareCell(
      plan,
      saved,
      ran(plan.index, [{ kind: 'display', data: { 'image/png': hugeDot, 'text/plain': '<Figure>' } }]),
      ctx,
    );
    assert.equal(c.status, 'differs');
    assert.match(c.reason, /image too large to compare pixel by pixel \(20000×20000\)/);
  });
});

describe('diffs are bounded', () => {
  const numbered = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join('\n');

  test('inputs past the size limit: one row saying so, with both sizes', () => {
    const left = numbered(DIFF_LIMITS.lines, 'a');
    const right = numbered(DIFF_LIMITS.lines, 'b');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.left ?? '', /^\[outputs too large to diff, sizes [\d,]+ and [\d,]+ characters \(20,000 and 20,000 lines\)/);
  });

  test('within the size limit but too different: the edit search gives up, one row saying so', () => {
    const left = numbered(DIFF_LIMITS.edits + 1000, 'a');
    const right = numbered(DIFF_LIMITS.edits + 1000, 'b');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.left ?? '', /outputs too large to diff/);
  });

  test('a few changes in a long output are still diffed line by line', () => {
    const left = numbered(5000, 'a');
    const right = left.replace('a line 2500', 'changed');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 5000);
    assert.deepEqual(
      rows.filter((r) => r.kind !== 'same'),
      [{ kind: 'changed', left: 'a line 2500', right: 'changed' }],
    );
  });

  test('in a cell: the note names the sizes', () => {
    const { plan, saved } = cellWith([{ kind: 'stream', name: 'stdout', text: numbered(30_000, 'a') }]);
    const c = compareCell(plan, saved, ran(plan.index, [{ kind: 'stream', name: 'stdout', text: numbered(30_000, 'b') }]), ctx);
    assert.equal(c.status, 'differs');
    assert.ok(
      c.notes.some((n) => n.startsWith('outputs too large to diff, sizes')),
      JSON.stringify(c.notes),
    );
  });
});

describe('a cell whose output was cut', () => {
  test('says it was truncated and by how much', () => {
    const { plan, saved } = cellWith([{ kind: 'stream', name: 'stdout', text: 'x\n' }]);
    const c = compareCell(plan, saved, ran(plan.index, [{ kind: 'stream', name: 'stdout', text: 'x\n' }], 104_857_600), ctx);
    assert.ok(
      c.notes.includes("truncated: 104,857,600 characters of the container's output were cut (its first and last part are kept)"),
      JSON.stringify(c.notes),
    );
  });
});
