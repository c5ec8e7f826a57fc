// Notebook cells and runner outputs for the comparison tests: outputs as the runner reports them,
// cells typed in by hand, and the code cells of the nbformat fixtures with their plans.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS, type CompareContext } from '../../../../src/core/notebook/compareCells';
import type { ExecutedCell } from '../../../../src/core/notebook/containerRun';
import { parseNotebook, type CellOutput, type NotebookCell } from '../../../../src/core/notebook/nbformat';
import { planNotebook, type CellPlan } from '../../../../src/core/notebook/plan';

export const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../../fixtures/notebooks', name), 'utf8');

// ---------------------------------------------------------------------------------------------
// outputs as the runner reports them

export const stdout = (text: string): CellOutput => ({ kind: 'stream', name: 'stdout', text });
export const stderr = (text: string): CellOutput => ({ kind: 'stream', name: 'stderr', text });
export const result = (text: string): CellOutput => ({ kind: 'result', data: { 'text/plain': text } });
export const display = (data: Record<string, string>): CellOutput => ({ kind: 'display', data });
export const error = (ename: string, evalue: string, ordinal = 1): CellOutput => ({
  kind: 'error',
  ename,
  evalue,
  traceback: ['Traceback (most recent call last):', `  File "<cell ${ordinal}>", line 1, in <module>`, `${ename}: ${evalue}`],
});
export const ran = (plan: CellPlan, outputs: CellOutput[], timedOut = false): ExecutedCell => ({
  index: plan.index,
  outputs,
  durationMs: 41,
  timedOut,
});
export const ctx = (over: Partial<CompareContext> = {}): CompareContext => ({
  settings: DEFAULT_SETTINGS,
  outcome: { kind: 'completed' },
  ...over,
});

/** A code cell typed in by hand (index 0, ordinal 1 unless said). */
export function handCell(source: string, outputs: CellOutput[], executionCount: number | null = 1, index = 0, ordinal = 1) {
  const nb = parseNotebook(
    JSON.stringify({
      cells: [
        ...Array.from({ length: index }, () => ({ cell_type: 'markdown', metadata: {}, source: 'notes' })),
        { cell_type: 'code', execution_count: executionCount, metadata: {}, outputs: [], source },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  const saved: NotebookCell = { ...nb.cells[index]!, outputs };
  const plan: CellPlan = { ...planNotebook(nb)[0]!, ordinal };
  return { plan, saved };
}

export const nb44 = parseNotebook(fixture('v4.4-all-outputs.ipynb'));
export const plans44 = planNotebook(nb44);
export const nb45 = parseNotebook(fixture('v4.5-ids-attachments.ipynb'));
export const plans45 = planNotebook(nb45);
export const nb40 = parseNotebook(fixture('v4.0-strings.ipynb'));
export const plans40 = planNotebook(nb40);
/** The plan and the saved cell of a fixture's code cell, by its 1-based ordinal. */
export function codeCell(nb: typeof nb44, plans: CellPlan[], ordinal: number): { plan: CellPlan; saved: NotebookCell } {
  const plan = plans[ordinal - 1]!;
  return { plan, saved: nb.cells[plan.index]! };
}

/** A one-cell notebook ("x") whose saved outputs are these. */
export function cellWith(outputs: CellOutput[]): { plan: CellPlan; saved: NotebookCell } {
  const nb = parseNotebook(
    JSON.stringify({
      cells: [{ cell_type: 'code', execution_count: 1, metadata: {}, outputs: [], source: 'x' }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  return { plan: planNotebook(nb)[0]!, saved: { ...nb.cells[0]!, outputs } };
}

/** A cell's result from the container, `cut` characters of it cut. */
export const ranCut = (index: number, outputs: CellOutput[], cut?: number): ExecutedCell => ({
  index,
  outputs,
  durationMs: 1,
  timedOut: false,
  ...(cut ? { cut } : {}),
});

/** The context of a run that completed, with the default settings. */
export const completed = { settings: DEFAULT_SETTINGS, outcome: { kind: 'completed' } as const };
