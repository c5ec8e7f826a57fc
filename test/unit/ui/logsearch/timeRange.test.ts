/** The log search's time ranges: the fixed choices, a custom "since" in its forms, and bad ones refused with a reason. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeWindow, localTime, parseSince, shortTime, sinceOf, TIME_RANGES } from '../../../../src/ui/logsearch/timeRange';

const NOW = new Date(2026, 11, 2, 14, 30, 0);
const choice = (label: string) => TIME_RANGES.find((c) => c.label === label)!;

describe('time ranges', () => {
  test('the fixed choices reach back from now; all of the log has no since', () => {
    assert.deepEqual(
      TIME_RANGES.map((c) => c.label),
      ['Last 15 minutes', 'Last hour', 'Last 24 hours', 'All of the log', 'Since…'],
    );
    assert.equal(sinceOf(choice('Last 15 minutes'), NOW)?.getTime(), NOW.getTime() - 15 * 60_000);
    assert.equal(sinceOf(choice('Last hour'), NOW)?.getTime(), NOW.getTime() - 3_600_000);
    assert.equal(sinceOf(choice('Last 24 hours'), NOW)?.getTime(), NOW.getTime() - 86_400_000);
    assert.equal(sinceOf(choice('All of the log'), NOW), undefined);
  });

  test('a custom since: durations, a time today, a date and time', () => {
    assert.equal((parseSince('30m', NOW) as Date).getTime(), NOW.getTime() - 30 * 60_000);
    assert.equal((parseSince('1h30m', NOW) as Date).getTime(), NOW.getTime() - 90 * 60_000);
    assert.equal((parseSince(' 2d ', NOW) as Date).getTime(), NOW.getTime() - 2 * 86_400_000);
    assert.equal((parseSince('90s', NOW) as Date).getTime(), NOW.getTime() - 90_000);
    assert.equal((parseSince('14:05', NOW) as Date).getTime(), new Date(2026, 11, 2, 14, 5, 0).getTime());
    assert.equal((parseSince('9:05:30', NOW) as Date).getTime(), new Date(2026, 11, 2, 9, 5, 30).getTime());
    assert.equal((parseSince('2026-12-01 08:00', NOW) as Date).getTime(), new Date(2026, 11, 1, 8, 0, 0).getTime());
    assert.equal((parseSince('2026-12-01', NOW) as Date).getTime(), new Date(2026, 11, 1).getTime(), 'a date alone: its start, local');
    assert.equal((parseSince('2026-12-01T08:00:00Z', NOW) as Date).toISOString(), '2026-12-01T08:00:00.000Z');
  });

  test('what is not a time, or is in the future, is refused with a reason', () => {
    assert.match(parseSince('', NOW) as string, /Type a duration/);
    assert.match(parseSince('yesterday', NOW) as string, /is not a time/);
    assert.match(parseSince('25:00', NOW) as string, /not a time of day/);
    assert.match(parseSince('15:00', NOW) as string, /in the future/);
    assert.match(parseSince('2026-13-45 10:00', NOW) as string, /is not a time/);
  });

  test('the window described for the view', () => {
    assert.equal(describeWindow(undefined, NOW), 'all of the log');
    assert.equal(describeWindow(new Date(NOW.getTime() - 15 * 60_000), NOW), 'last 15 min');
    assert.equal(describeWindow(new Date(NOW.getTime() - 24 * 3_600_000), NOW), 'last 24 h');
    assert.equal(describeWindow(new Date(2026, 10, 20, 8, 0, 0), NOW), 'since 2026-11-20 08:00:00.000');
    assert.equal(localTime(new Date(2026, 0, 5, 7, 8, 9, 45)), '2026-01-05 07:08:09.045');
    assert.equal(shortTime(new Date(2026, 11, 2, 7, 8, 9, 45), NOW), '07:08:09.045', 'today: the time of day');
    assert.equal(shortTime(new Date(2026, 11, 1, 23, 59, 59, 999), NOW), '2026-12-01 23:59:59.999', 'another day: the date too');
  });
});
