// Pictures compared by their pixels, and a PNG's size read from its header before any decoding
// (a 20000×20000 one is refused with a note).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { compareCell } from '../../../../src/core/notebook/compareCells';
import { comparePng, pngSize } from '../../../../src/core/notebook/images';
import { bilevelPng, canvas, encode, gradient, withChanged } from './pngs';
import { cellWith, completed, ranCut } from './cells';

describe('comparePng and pngSize: pictures, not bytes', () => {
  const base = canvas(100, 100, gradient);

  test('the same pixels encoded with other deflate levels, filters and colour type: identical although the bytes differ', () => {
    const a = encode(base, { deflateLevel: 0, filterType: 0 });
    const b = encode(base, { deflateLevel: 9, filterType: 4 });
    const c = encode(base, { colorType: 2, filterType: 1 });
    assert.notEqual(a, b);
    assert.notEqual(b, c);
    assert.deepEqual(comparePng(a, b, 0), { kind: 'identical', width: 100, height: 100 });
    assert.deepEqual(comparePng(b, c, 0), { kind: 'identical', width: 100, height: 100 });
  });

  test('antialiasing-sized channel differences (up to 16 of 255) do not count', () => {
    assert.equal(comparePng(encode(base), encode(withChanged(base, 10_000, 16)), 0).kind, 'identical');
    assert.equal(comparePng(encode(base), encode(withChanged(base, 10_000, 17)), 0).kind, 'differs');
  });

  test('a few changed pixels: within tolerance, with the share in the reason', () => {
    const v = comparePng(encode(base), encode(withChanged(base, 50)), 0.01);
    assert.deepEqual(v, { kind: 'within-tolerance', reason: '0.5 % of pixels differ (100×100)', ratio: 0.005 });
  });

  test('a single pixel in ten thousand shows with more decimals', () => {
    const v = comparePng(encode(base), encode(withChanged(base, 1)), 0.01);
    assert.ok(v.kind === 'within-tolerance');
    assert.equal(v.reason, '0.010 % of pixels differ (100×100)');
  });

  test('many changed pixels: differs', () => {
    assert.deepEqual(comparePng(encode(base), encode(withChanged(base, 500)), 0.01), {
      kind: 'differs',
      reason: '5.0 % of pixels differ (100×100)',
      ratio: 0.05,
    });
  });

  test('different sizes: differs, naming both', () => {
    const v = comparePng(encode(base), encode(canvas(100, 80, gradient)), 0.5);
    assert.deepEqual(v, { kind: 'differs', reason: 'image size 100×100 in the notebook, 100×80 in the container' });
  });

  test('garbage base64: differs, "could not be decoded", naming the side', () => {
    const good = encode(base);
    const v1 = comparePng('bm90IGEgcG5nIGF0IGFsbA==', good, 1);
    assert.equal(v1.kind, 'differs');
    assert.ok(v1.kind === 'differs' && /^a PNG could not be decoded \(notebook: /.test(v1.reason));
    const v2 = comparePng(good, good.slice(0, 60), 1);
    assert.ok(v2.kind === 'differs' && /^a PNG could not be decoded \(container: /.test(v2.reason));
  });

  test('base64 with line breaks (and the trailing newline Jupyter writes) decodes', () => {
    const b64 = encode(base);
    const wrapped = `${b64.replace(/(.{76})/g, '$1\n')}\n`;
    assert.deepEqual(comparePng(wrapped, b64, 0), { kind: 'identical', width: 100, height: 100 });
  });

  test('pngSize reads the header; undefined for anything else', () => {
    assert.deepEqual(pngSize(encode(canvas(640, 480, () => [255, 255, 255, 255]))), { width: 640, height: 480 });
    assert.deepEqual(pngSize(encode(canvas(3, 1000, gradient))), { width: 3, height: 1000 });
    assert.equal(pngSize('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA=='), undefined); // a JPEG
    assert.equal(pngSize('iVBORw0K'), undefined);
    assert.equal(pngSize(''), undefined);
  });
});

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
      ranCut(plan.index, [{ kind: 'display', data: { 'image/png': hugeDot, 'text/plain': '<Figure>' } }]),
      completed,
    );
    assert.equal(c.status, 'differs');
    assert.match(c.reason, /image too large to compare pixel by pixel \(20000×20000\)/);
  });
});
