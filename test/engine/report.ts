/** Reading a comparison report in engine tests: a cell by its ordinal, and the whole report explained for a failed assertion. */
import assert from 'node:assert/strict';
import type { CellComparison } from '../../src/core/notebook/compareCells';
import type { ComparisonReport } from '../../src/core/notebook/comparison';

export function cellOf(report: ComparisonReport, ordinal: number): CellComparison {
  const c = report.cells.find((x) => x.ordinal === ordinal);
  assert.ok(c, `no cell ${ordinal} in the report`);
  return c;
}

/** Every cell's status, reason and notes (with `sides`, both sides' text too), then the outcome, message and stray output. */
export function explainReport(report: ComparisonReport, options: { sides?: boolean } = {}): string {
  const cells = report.cells.map((c) => {
    const line = `[${c.ordinal}] ${c.status}: ${c.reason}${c.notes.length ? ` (${c.notes.join('; ')})` : ''}`;
    return options.sides ? `${line}\n  saved: ${JSON.stringify(c.saved)}\n  container: ${JSON.stringify(c.container)}` : line;
  });
  return `${cells.join('\n')}\noutcome ${JSON.stringify(report.outcome)}; ${report.message}; stray ${JSON.stringify(report.stray).slice(0, 2000)}`;
}
