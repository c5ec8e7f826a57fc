/**
 * The Prometheus text exposition format (0.0.4, and the OpenMetrics text that shares its lines)
 * read into metric families: `# HELP` / `# TYPE` metadata, samples with escaped label values,
 * `+Inf`/`-Inf`/`NaN`, optional timestamps. A scrape of a container is untrusted text: a line that
 * is not valid is skipped and said in `errors`, never thrown.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'untyped' | 'unknown';

export interface ExpositionSample {
  /** The sample's own name (a histogram's `x_bucket`, `x_sum`, `x_count`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** ms since the epoch, when the line carries one. */
  readonly timestamp?: number;
}

export interface MetricFamily {
  readonly name: string;
  /** 'untyped' when no `# TYPE` line names it. */
  readonly type: MetricType;
  readonly help?: string;
  readonly samples: readonly ExpositionSample[];
}

export interface Exposition {
  /** By family name, in the order first seen. */
  readonly families: ReadonlyMap<string, MetricFamily>;
  /** Lines that could not be read: "line 12: …". */
  readonly errors: readonly string[];
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'untyped', 'unknown']);

/** The sample-name suffixes each type's samples may carry after the family name. */
const SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/** A float as Go's ParseFloat reads the format's values: decimal, exponent, ±Inf, NaN (any case). */
export function parseValue(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === '+inf' || t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** HELP text: `\\` and `\n` are the only escapes. */
function unescapeHelp(text: string): string {
  return text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

class LineError extends Error {}

/** Reads one sample line; throws a LineError saying what is wrong. */
function parseSampleLine(line: string): ExpositionSample {
  let i = 0;
  const skipBlanks = (): void => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  const start = i;
  if (!NAME_START.test(line[i] ?? '')) throw new LineError('a metric name must start the line');
  while (i < line.length && NAME_CHAR.test(line[i] ?? '')) i++;
  const name = line.slice(start, i);
  const labels: Record<string, string> = {};
  let blank = i;
  skipBlanks();
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipBlanks();
      if (line[i] === '}') {
        i++;
        break;
      }
      const ls = i;
      if (!LABEL_START.test(line[i] ?? '')) throw new LineError(`a label name expected at column ${i + 1}`);
      while (i < line.length && LABEL_CHAR.test(line[i] ?? '')) i++;
      const label = line.slice(ls, i);
      skipBlanks();
      if (line[i] !== '=') throw new LineError(`'=' expected after label ${label}`);
      i++;
      skipBlanks();
      if (line[i] !== '"') throw new LineError(`a quoted value expected for label ${label}`);
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new LineError(`the value of label ${label} is not closed`);
        i++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i];
          i++;
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new LineError(`unknown escape \\${e ?? ''} in label ${label}`);
        } else value += c;
      }
      if (Object.hasOwn(labels, label)) throw new LineError(`label ${label} given twice`);
      labels[label] = value;
      skipBlanks();
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new LineError(`',' or '}' expected after label ${label}`);
    }
    blank = i;
    skipBlanks();
  }
  if (i === blank || i >= line.length) throw new LineError('a value expected after the name and labels');
  // OpenMetrics exemplars (" # {…} …") follow the value: not needed here
  const rest = line
    .slice(i)
    .replace(/\s+#.*$/, '')
    .trim();
  const [valueText = '', timestampText, extra] = rest.split(/[ \t]+/);
  if (extra !== undefined) throw new LineError('text after the timestamp');
  const value = parseValue(valueText);
  if (value === undefined) throw new LineError(`not a number: ${valueText}`);
  let timestamp: number | undefined;
  if (timestampText !== undefined) {
    // 0.0.4: an int64 in ms; OpenMetrics: seconds, possibly fractional
    if (/^-?\d+$/.test(timestampText)) timestamp = Number(timestampText);
    else if (/^-?\d+\.\d+$/.test(timestampText)) timestamp = Number(timestampText) * 1000;
    else throw new LineError(`not a timestamp: ${timestampText}`);
  }
  return { name, labels, value, ...(timestamp === undefined ? {} : { timestamp }) };
}

interface Building {
  name: string;
  type: MetricType;
  help?: string;
  samples: ExpositionSample[];
}

/** The family a sample belongs to: the declared one its name extends by its type's suffix, else its own name. */
function familyOf(name: string, declared: ReadonlyMap<string, Building>, current: Building | undefined): string {
  const fits = (family: Building): boolean =>
    family.name === name || (SUFFIXES[family.type] ?? []).some((suffix) => name === family.name + suffix);
  if (current && fits(current)) return current.name;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created', '_gsum', '_gcount', '_info']) {
    if (!name.endsWith(suffix)) continue;
    const family = declared.get(name.slice(0, -suffix.length));
    if (family && fits(family)) return family.name;
  }
  return name;
}

export function parseExposition(text: string): Exposition {
  const families = new Map<string, Building>();
  const errors: string[] = [];
  let current: Building | undefined;
  const family = (name: string): Building => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(line);
      if (!meta) continue; // a comment (and OpenMetrics' # EOF, # UNIT)
      const f = family(meta[2] ?? '');
      const rest = meta[3] ?? '';
      if (meta[1] === 'HELP') f.help = unescapeHelp(rest);
      else {
        const type = rest.trim().toLowerCase() as MetricType;
        if (!TYPES.has(type)) {
          errors.push(`line ${n + 1}: unknown type '${rest.trim()}'`);
          continue;
        }
        if (f.samples.length > 0 && f.type !== type) {
          errors.push(`line ${n + 1}: TYPE of ${f.name} after its samples`);
          continue;
        }
        f.type = type;
      }
      current = f;
      continue;
    }
    let sample: ExpositionSample;
    try {
      sample = parseSampleLine(line);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      errors.push(`line ${n + 1}: ${err.message}`);
      continue;
    }
    const f = family(familyOf(sample.name, families, current));
    f.samples.push(sample);
    current = f;
  }
  const out = new Map<string, MetricFamily>();
  for (const f of families.values()) {
    out.set(f.name, { name: f.name, type: f.type, ...(f.help === undefined ? {} : { help: f.help }), samples: f.samples });
  }
  return { families: out, errors };
}

/**
 * Whether an answer is Prometheus metrics: the format's content types say so; plain text says so
 * when it reads as samples without a fault (an HTML page or a JSON 404 does not).
 */
export function isExposition(contentType: string | null | undefined, parsed: Exposition): boolean {
  const type = (contentType ?? '').toLowerCase();
  const samples = [...parsed.families.values()].reduce((n, f) => n + f.samples.length, 0);
  if (/version=0\.0\.4|application\/openmetrics-text/.test(type)) return parsed.errors.length <= samples;
  if (type !== '' && !type.startsWith('text/plain')) return false;
  return samples > 0 && parsed.errors.length === 0;
}
