/**
 * A cell's comparison status and the counts of a comparison. Dependency-free: the comparison
 * panel's webview counts its live rows with the same function.
 */

export type CellStatus =
  | 'identical'
  | 'within-tolerance'
  | 'nondeterministic'
  | 'differs'
  | 'error-container'
  | 'error-notebook'
  | 'not-run'
  | 'skipped'
  | 'no-reference';

export interface Summary {
  readonly cells: number;
  readonly identical: number;
  readonly withinTolerance: number;
  readonly differs: number;
  /** Cells that differ and are likely nondeterministic, counted apart (settings: allowNondeterministic). */
  readonly nondeterministic: number;
  readonly errors: number;
  readonly notRun: number;
  readonly noReference: number;
}

/** Counts by status; statuses outside CellStatus (a row still pending) count as cells only. */
export function summarise(cells: readonly { readonly status: string }[]): Summary {
  const count = (...s: CellStatus[]): number => cells.filter((c) => (s as string[]).includes(c.status)).length;
  return {
    cells: cells.length,
    identical: count('identical'),
    withinTolerance: count('within-tolerance'),
    differs: count('differs'),
    nondeterministic: count('nondeterministic'),
    errors: count('error-container', 'error-notebook'),
    notRun: count('not-run', 'skipped'),
    noReference: count('no-reference'),
  };
}
