/**
 * The Chat mode's text, without the DOM: an answer's figures in words, and stop sequences as
 * typed.
 */
import type { StreamResult } from '../../src/ui/webview/protocol';

export const ms = (x: number | undefined): string => (x === undefined ? '—' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`);

/** The figures of a finished answer in one line. */
export function metricsLine(r: StreamResult): { key: string; text: string }[] {
  const m = r.metrics;
  const parts: { key: string; text: string }[] = [];
  parts.push({ key: 'ttft', text: `TTFT ${ms(m.ttftMs)}` });
  if (m.interTokenMs) parts.push({ key: 'itl', text: `inter-token p50 ${ms(m.interTokenMs.p50)} · p99 ${ms(m.interTokenMs.p99)}` });
  parts.push({ key: 'tps', text: `${m.tokensPerSecond === undefined ? '—' : m.tokensPerSecond.toFixed(1)} tokens/s` });
  parts.push({ key: 'total', text: `total ${ms(m.totalMs)}` });
  parts.push({
    key: 'tokens',
    text: `${m.promptTokens === undefined ? '' : `${m.promptTokens} prompt + `}${m.completionTokens} completion tokens (${m.tokenSource === 'usage' ? 'from usage' : 'counted'})`,
  });
  if (r.finishReason !== undefined) parts.push({ key: 'finish', text: `finish: ${r.finishReason}` });
  return parts;
}

/** Stop sequences as typed: separated by commas, `\n` and `\t` written as escapes; or a JSON list. */
export function parseStop(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s !== '');
    } catch {
      // not JSON: read as a list
    }
  }
  return text
    .split(',')
    .map((s) => s.trim().replace(/\\n/g, '\n').replace(/\\t/g, '\t'))
    .filter((s) => s !== '');
}
