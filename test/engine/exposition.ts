/**
 * Reads the Prometheus text exposition format (0.0.4) into samples and families, for checking
 * values; whether the text is valid is for promtool to say (`promtool check metrics`).
 */
import assert from 'node:assert/strict';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** TYPE per metric family. */
  readonly types: ReadonlyMap<string, string>;
  /** HELP per metric family. */
  readonly help: ReadonlyMap<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  assert.ok(!Number.isNaN(n), `not a number: ${text}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? help : types).set(meta[2] ?? '', meta[3] ?? '');
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    let read = 0;
    LABEL.lastIndex = 0;
    for (let l = LABEL.exec(body); l !== null; l = LABEL.exec(body)) {
      labels[l[1] ?? ''] = unescape(l[2] ?? '');
      read = LABEL.lastIndex;
    }
    assert.equal(read, body.length, `labels of: ${line}`);
    samples.push({ name: m[1] ?? '', labels, value: number(m[3] ?? '') });
  }
  return { samples, types, help };
}

/** The samples of `name` whose labels include all of `labels`. */
export function select(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` with exactly these labels (0 when there is none, as for an unseen counter). */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const found = select(exposition, name, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  assert.ok(found.length <= 1, `one series ${name}${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
