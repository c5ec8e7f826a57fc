/**
 * A matching log line as a tree row's label: the container's text shown as text (control characters
 * become their visible Control Pictures, one for one, so no offset moves), cut to a window around
 * the first match when long, with the match ranges as the label's highlights. Pure.
 */
import type { MatchRange } from '../../core/logsearch/query';

export interface ResultLabel {
  readonly label: string;
  readonly highlights: [number, number][];
}

/** C0 controls (tab included), DEL and C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Log text made inert for a label: C0 controls show as their Control Pictures (ESC as ␛, TAB as ␉),
 * DEL as ␡, C1 controls as the replacement sign; each stays one code unit, so ranges still point at
 * the same characters.
 */
export function visibleText(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

const ELLIPSIS = '…';

/**
 * The label of a result: `prefix` (e.g. its time) then the line, at most `max` characters of the
 * line, starting a little before the first match when the line is longer; highlights shifted to
 * match, cut ones clipped, those past the end dropped.
 */
export function resultLabel(prefix: string, line: string, ranges: readonly MatchRange[], max = 240): ResultLabel {
  let from = 0;
  let text = line;
  let lead = '';
  if (line.length > max) {
    const first = ranges[0]?.[0] ?? 0;
    from = Math.max(0, Math.min(first - 40, line.length - max));
    // never cut a surrogate pair
    if (from > 0 && isLowSurrogate(line.charCodeAt(from))) from++;
    let to = Math.min(line.length, from + max);
    if (to < line.length && isLowSurrogate(line.charCodeAt(to))) to--;
    text = line.slice(from, to) + (to < line.length ? ELLIPSIS : '');
    lead = from > 0 ? ELLIPSIS : '';
  }
  const shown = visibleText(text);
  const offset = prefix.length + lead.length - from;
  const end = prefix.length + lead.length + shown.length - (shown.endsWith(ELLIPSIS) && line.length > max ? ELLIPSIS.length : 0);
  const highlights: [number, number][] = [];
  for (const [start, stop] of ranges) {
    const a = Math.max(start + offset, prefix.length + lead.length);
    const b = Math.min(stop + offset, end);
    if (a < b) highlights.push([a, b]);
  }
  return { label: `${prefix}${lead}${shown}`, highlights };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
