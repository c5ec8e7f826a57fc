/**
 * A log search's pattern: plain text (case-insensitive unless asked otherwise) or a regular
 * expression written `/…/flags`. Parsed once, then asked of every line for the ranges it matches,
 * which is what a result highlights.
 */

/** A pattern the user wrote that cannot be searched for; its message says why and what to write. */
export class LogSearchQueryError extends Error {
  override readonly name = 'LogSearchQueryError';
}

/** Half-open [start, end) offsets (UTF-16 code units) of one match in a line. */
export type MatchRange = readonly [start: number, end: number];

export interface LinePattern {
  /** What the user wrote. */
  readonly source: string;
  readonly kind: 'text' | 'regex';
  /** The matched ranges of a line (non-empty ones, in order); undefined when the line does not match. */
  match(line: string): MatchRange[] | undefined;
}

/** `/body/flags` with JavaScript's flag letters; `/usr/lib` (no flags after the last slash) is text. */
const REGEX_LITERAL = /^\/(.+)\/([dgimsuvy]*)$/s;
/** A match-everything line longer than this is not asked for more ranges (a highlight needs a few). */
const MAX_RANGES = 100;

/**
 * Parse what the user typed. `/…/flags` (a slash at both ends, then only flag letters: i, m, s,
 * u, v; d, g and y are accepted and change nothing) is a regular expression; anything else is
 * text, matched case-insensitively unless `caseSensitive`. Throws LogSearchQueryError for an empty pattern or a regular expression that does not compile.
 */
export function parsePattern(input: string, options: { caseSensitive?: boolean } = {}): LinePattern {
  if (input.trim() === '') throw new LogSearchQueryError('Type some text to search for, or a regular expression as /pattern/flags.');
  const regex = REGEX_LITERAL.exec(input);
  if (regex?.[1] !== undefined) {
    const body = regex[1];
    const written = regex[2] ?? '';
    if (new Set(written).size !== written.length) throw new LogSearchQueryError(`Invalid regular expression ${input}: a flag is repeated.`);
    if (written.includes('u') && written.includes('v'))
      throw new LogSearchQueryError(`Invalid regular expression ${input}: use flag u or v, not both.`);
    // every match is found anyway (g), from anywhere in the line (not y); d is of no use here
    const flags = written.replace(/[dgy]/g, '');
    let compiled: RegExp;
    try {
      compiled = new RegExp(body, `${flags}g`);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : String(err);
      throw new LogSearchQueryError(`Invalid regular expression ${input}: ${why}.`);
    }
    return { source: input, kind: 'regex', match: (line) => regexRanges(compiled, line) };
  }
  // text: an escaped regular expression, so case folding never moves an offset
  const text = new RegExp(escapeRegExp(input), options.caseSensitive === true ? 'gu' : 'giu');
  return { source: input, kind: 'text', match: (line) => regexRanges(text, line) };
}

/** Check a pattern as it is typed: the error message, or undefined when it can be searched for. */
export function patternProblem(input: string): string | undefined {
  try {
    parsePattern(input);
    return undefined;
  } catch (err) {
    return err instanceof LogSearchQueryError ? err.message : String(err);
  }
}

function regexRanges(pattern: RegExp, line: string): MatchRange[] | undefined {
  pattern.lastIndex = 0;
  let matched = false;
  const ranges: [number, number][] = [];
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    matched = true;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      // an empty match (/^/, /x*/) matches the line but highlights nothing; step past it
      pattern.lastIndex = m.index + (pattern.unicode || pattern.flags.includes('v') ? codePointLength(line, m.index) : 1);
      if (pattern.lastIndex > line.length) break;
      continue;
    }
    ranges.push([m.index, end]);
    if (ranges.length >= MAX_RANGES) break;
  }
  return matched ? ranges : undefined;
}

function codePointLength(line: string, index: number): number {
  const c = line.codePointAt(index);
  return c !== undefined && c > 0xffff ? 2 : 1;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
