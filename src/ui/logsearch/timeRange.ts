/** The log search's time ranges: the fixed choices and a custom "since" typed by the user. Pure. */

export interface TimeRangeChoice {
  readonly label: string;
  /** How far back from now; undefined for all of the log; 'custom' asks for a time. */
  readonly back: number | undefined | 'custom';
}

const MINUTE = 60_000;

export const TIME_RANGES: readonly TimeRangeChoice[] = [
  { label: 'Last 15 minutes', back: 15 * MINUTE },
  { label: 'Last hour', back: 60 * MINUTE },
  { label: 'Last 24 hours', back: 24 * 60 * MINUTE },
  { label: 'All of the log', back: undefined },
  { label: 'Since…', back: 'custom' },
];

/** The `since` of a fixed choice, from `now`; undefined for all of the log. */
export function sinceOf(choice: TimeRangeChoice, now: Date): Date | undefined {
  return typeof choice.back === 'number' ? new Date(now.getTime() - choice.back) : undefined;
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: MINUTE, h: 60 * MINUTE, d: 24 * 60 * MINUTE };

/**
 * A custom "since": a duration back from now (`90s`, `30m`, `2h`, `3d`, `1h30m`), a time today
 * (`14:05`, `14:05:30`, local), or a date and time (`2026-12-02 14:05`, `2026-12-02T14:05:00Z`;
 * local unless it names its zone). An error message when it is none of these or in the future.
 */
export function parseSince(input: string, now: Date): Date | string {
  const text = input.trim();
  if (text === '') return 'Type a duration back from now (30m, 2h, 3d), a time today (14:05) or a date and time (2026-12-02 14:05).';
  if (/^(\d+\s*[smhd]\s*)+$/i.test(text)) {
    let ms = 0;
    for (const m of text.matchAll(/(\d+)\s*([smhd])/gi)) ms += Number(m[1]) * (UNITS[m[2]!.toLowerCase()] ?? 0);
    return new Date(now.getTime() - ms);
  }
  const clock = /^(\d{1,2}):(\d\d)(?::(\d\d))?$/.exec(text);
  let when: Date | undefined;
  if (clock) {
    const [hours, minutes, seconds] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (hours > 23 || minutes > 59 || seconds > 59) return `${text} is not a time of day.`;
    when = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes, seconds);
  } else if (/^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?$/.test(text)) {
    // "2026-12-02" alone is the start of that day, local; Date.parse takes a date alone as UTC
    const local = /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00` : text.replace(' ', 'T');
    const ms = Date.parse(local);
    if (!Number.isNaN(ms)) when = new Date(ms);
  }
  if (when === undefined || Number.isNaN(when.getTime())) return `"${text}" is not a time: type 30m, 2h, 3d, 14:05 or 2026-12-02 14:05.`;
  if (when.getTime() > now.getTime()) return `${text} is in the future.`;
  return when;
}

/** A short description of a search's window, for the view's message. */
export function describeWindow(since: Date | undefined, now: Date): string {
  if (since === undefined) return 'all of the log';
  const minutes = Math.round((now.getTime() - since.getTime()) / MINUTE);
  if (minutes < 60) return `last ${minutes} min`;
  if (minutes < 48 * 60 && minutes % 60 === 0) return `last ${minutes / 60} h`;
  return `since ${localTime(since)}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local date and time to the millisecond: 2026-12-02 14:05:30.123. */
export function localTime(time: Date): string {
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`
  );
}

/** A result's time, short: the time of day when it is today (local), else the date too. */
export function shortTime(time: Date, now: Date): string {
  const full = localTime(time);
  return full.slice(0, 10) === localTime(now).slice(0, 10) ? full.slice(11) : full;
}
