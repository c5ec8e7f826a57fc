/** A result's label: log text shown as text (controls made visible, offsets kept), long lines cut around the match, highlights that follow. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resultLabel, visibleText } from '../../../../src/ui/logsearch/resultText';

const highlighted = (r: { label: string; highlights: [number, number][] }): string[] => r.highlights.map(([a, b]) => r.label.slice(a, b));

describe('result labels', () => {
  test('control characters become visible, one for one: ESC, CR, BEL, DEL, C1', () => {
    assert.equal(visibleText('\x1b[2Jgone\rover\x07\x7f\x9b'), '\u241b[2Jgone\u240dover\u2407\u2421\ufffd');
    assert.equal(visibleText('\x1b]8;;http://x\x1b\\link').length, '\x1b]8;;http://x\x1b\\link'.length);
  });

  test('the prefix, then the line; highlights shifted past the prefix', () => {
    const r = resultLabel('12:00:00.000  ', 'disk ERROR here', [[5, 10]]);
    assert.equal(r.label, '12:00:00.000  disk ERROR here');
    assert.deepEqual(highlighted(r), ['ERROR']);
  });

  test('highlights still point at the match after controls are made visible', () => {
    const r = resultLabel('', '\x1b[31mERROR\x1b[0m x', [[5, 10]]);
    assert.deepEqual(highlighted(r), ['ERROR']);
    assert.ok(!r.label.includes('\x1b'));
  });

  test('a long line is cut to a window around its first match, with ellipses; ranges outside are dropped or clipped', () => {
    const line = `${'a'.repeat(1000)}NEEDLE${'b'.repeat(1000)}`;
    const r = resultLabel('T ', line, [
      [1000, 1006],
      [1995, 2006],
    ]);
    assert.ok(r.label.startsWith('T …'));
    assert.ok(r.label.endsWith('…'));
    assert.equal(r.label.length, 2 + 1 + 240 + 1);
    assert.deepEqual(highlighted(r), ['NEEDLE'], 'the far match is outside the window');
    const crossing = resultLabel('', 'a'.repeat(600), [[100, 400]]);
    assert.equal(crossing.label, `…${'a'.repeat(240)}…`);
    assert.deepEqual(crossing.highlights, [[41, 241]], 'a clipped highlight stops before the ellipsis');
  });

  test('a cut never splits a surrogate pair', () => {
    const line = `${'😀'.repeat(200)}x`;
    const r = resultLabel('', line, [[400, 401]]);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(r.label), 'no lone surrogate');
    assert.deepEqual(highlighted(r), ['x']);
  });
});
