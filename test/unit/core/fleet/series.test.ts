import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pointsFor, Ring, SeriesStore } from '../../../../src/core/fleet/series';

describe('Ring', () => {
  test('keeps the newest `capacity` items, oldest first', () => {
    const r = new Ring<number>(3);
    assert.deepEqual(r.toArray(), []);
    assert.equal(r.last(), undefined);
    r.push(1);
    r.push(2);
    assert.deepEqual(r.toArray(), [1, 2]);
    for (let i = 3; i <= 10; i++) r.push(i);
    assert.deepEqual(r.toArray(), [8, 9, 10]);
    assert.equal(r.size, 3);
    assert.equal(r.last(), 10);
  });

  test('a ring of one; refuses none', () => {
    const r = new Ring<string>(1);
    r.push('a');
    r.push('b');
    assert.deepEqual(r.toArray(), ['b']);
    assert.throws(() => new Ring(0), RangeError);
  });
});

describe('SeriesStore', () => {
  test('one hour at 5 s is 720 points; a day of samples keeps 720', () => {
    assert.equal(pointsFor(3_600_000, 5000), 720);
    assert.equal(pointsFor(3_600_000, 7000), 515);
    const s = new SeriesStore<{ t: number }>(pointsFor(3_600_000, 5000));
    for (let t = 0; t < 24 * 720; t++) s.push('a', { t });
    const h = s.get('a');
    assert.equal(h.length, 720);
    assert.equal(h[0]?.t, 24 * 720 - 720);
    assert.equal(h.at(-1)?.t, 24 * 720 - 1);
    assert.deepEqual(s.sizes(), { keys: 1, points: 720 });
  });

  test('memory stays bounded whatever the churn: forgotten keys let go of their points', () => {
    const s = new SeriesStore<number>(10);
    // 1000 containers come and go, 5 live at a time
    for (let c = 0; c < 1000; c++) {
      for (let i = 0; i < 25; i++) s.push(`c${c}`, i);
      if (c >= 5) s.forget(`c${c - 5}`);
    }
    assert.deepEqual(s.sizes(), { keys: 5, points: 50 });
    s.retain(new Set(['c999', 'c998', 'gone']));
    assert.deepEqual(s.sizes(), { keys: 2, points: 20 });
    assert.deepEqual(s.get('c0'), []);
    assert.equal(s.last('c999'), 24);
  });
});
