/** What the Log Search view holds: matches grouped by container in time order however they arrive, failures, counts, the limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogMatch } from '../../../../src/core/logsearch/search';
import { describeCount, ResultSet } from '../../../../src/ui/logsearch/resultSet';

const match = (containerId: string, second: number, line: string): LogMatch => {
  const timestamp = `2026-12-02T10:00:${String(second).padStart(2, '0')}.000000000Z`;
  return { containerId, containerName: `c-${containerId}`, stream: 'stdout', time: new Date(timestamp), timestamp, line, ranges: [] };
};

describe('ResultSet', () => {
  test('matches grouped by container, each group in time order whatever the arrival order', () => {
    const set = new ResultSet();
    set.add({
      kind: 'started',
      containers: [
        { id: 'a', name: 'c-a' },
        { id: 'b', name: 'c-b' },
      ],
    });
    for (const m of [match('a', 5, 'a5'), match('b', 1, 'b1'), match('a', 3, 'a3'), match('a', 7, 'a7'), match('a', 5, 'a5 again')])
      assert.equal(set.add({ kind: 'match', match: m }), true);
    assert.deepEqual(
      set.containers().map((c) => [c.container.name, c.matches.map((m) => m.line)]),
      [
        ['c-a', ['a3', 'a5', 'a5 again', 'a7']],
        ['c-b', ['b1']],
      ],
    );
    assert.equal(set.total, 5);
    assert.equal(set.planned, 2);
  });

  test('done and failed count toward progress; a failure is kept with its container; the limit is remembered', () => {
    const set = new ResultSet();
    set.add({
      kind: 'started',
      containers: [
        { id: 'a', name: 'c-a' },
        { id: 'b', name: 'c-b' },
      ],
    });
    assert.equal(
      set.add({ kind: 'done', container: { id: 'a', name: 'c-a' }, lines: 10, matches: 0 }),
      false,
      'no row for a container without matches',
    );
    set.add({
      kind: 'failed',
      container: { id: 'b', name: 'c-b' },
      reason: 'removed',
      message: 'c-b was removed during the search; its log is gone.',
      error: undefined,
    });
    assert.equal(set.finished, 2);
    assert.deepEqual(
      set.failures().map((c) => c.failure),
      ['c-b was removed during the search; its log is gone.'],
    );
    set.add({ kind: 'limit', maxResults: 1000 });
    assert.equal(set.limit, 1000);
  });

  test('counts in words', () => {
    assert.equal(describeCount(0, 0), 'no matches');
    assert.equal(describeCount(1, 1), '1 match in 1 container');
    assert.equal(describeCount(12, 3), '12 matches in 3 containers');
  });
});
