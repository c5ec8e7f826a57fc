import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type {
  CompareEnvironmentRow,
  CompareFromWebview,
  CompareRow,
  CompareStatus,
  CompareSummary,
  CompareToWebview,
} from '../../src/ui/webview/protocol';
import { summarise } from '../../src/core/notebook/summary';
import { addStyle, connect, el } from '../vscodeApi';

/** How each status reads in the table: a symbol and words. */
const STATUS: Record<CompareStatus, { symbol: string; label: string; tone: string }> = {
  identical: { symbol: '✓', label: 'identical', tone: 'pass' },
  'within-tolerance': { symbol: '≈', label: 'within tolerance', tone: 'pass' },
  nondeterministic: { symbol: '~', label: 'nondeterministic', tone: 'warn' },
  differs: { symbol: '≠', label: 'differs', tone: 'fail' },
  'error-container': { symbol: '✗', label: 'error in container', tone: 'fail' },
  'error-notebook': { symbol: '!', label: 'error in notebook', tone: 'warn' },
  'not-run': { symbol: '–', label: 'not run', tone: 'muted' },
  skipped: { symbol: '⤼', label: 'skipped', tone: 'muted' },
  'no-reference': { symbol: '?', label: 'no saved output', tone: 'muted' },
  pending: { symbol: '·', label: 'pending', tone: 'muted' },
  running: { symbol: '…', label: 'running', tone: 'running' },
};

function button(id: string, text: string, secondary = false): HTMLElement {
  const b = el('vscode-button', { text });
  b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  return b;
}

const app = document.getElementById('app')!;
const title = el('h2', { text: 'Notebook vs container' });
const subtitle = el('div', { className: 'muted' });
subtitle.id = 'image';
const cancel = button('cancel', 'Cancel');
const rerun = button('rerun', 'Run Again', true);
const changeImage = button('change-image', 'Change Image…', true);
const exportJson = button('export', 'Export JSON', true);
const ring = el('vscode-progress-ring');
const phase = el('span', { className: 'muted' });
phase.id = 'phase';
const summary = el('div', { className: 'summary' });
summary.id = 'summary';
const message = el('div', { className: 'message' });
message.id = 'message';
const tableBody = el('vscode-table-body');
tableBody.setAttribute('slot', 'body');
const headerCells = ['#', 'Cell', 'Status', 'Why', 'Time'].map((t) => el('vscode-table-header-cell', { text: t }));
const header = el('vscode-table-header', {}, ...headerCells);
header.setAttribute('slot', 'header');
const table = el('vscode-table', {}, header, tableBody);
table.id = 'cells';
table.setAttribute('zebra', '');
table.setAttribute('bordered-rows', '');
const COLUMNS = ['5%', '28%', '17%', '40%', '10%'];
table.setAttribute('columns', JSON.stringify(COLUMNS));
const detail = el('section', { className: 'detail' });
detail.id = 'detail';
const envBody = el('vscode-table-body');
envBody.setAttribute('slot', 'body');
const envHeader = el(
  'vscode-table-header',
  {},
  ...['', 'Container', 'Notebook', 'Local'].map((t) => el('vscode-table-header-cell', { text: t })),
);
envHeader.setAttribute('slot', 'header');
const envTable = el('vscode-table', {}, envHeader, envBody);
envTable.id = 'environment';
envTable.setAttribute('bordered-rows', '');
const envSection = el('vscode-collapsible', {}, envTable);
envSection.setAttribute('title', 'Environment');
envSection.setAttribute('open', '');

app.append(
  title,
  subtitle,
  el('div', { className: 'toolbar' }, cancel, rerun, changeImage, exportJson, ring, phase),
  summary,
  message,
  table,
  detail,
  envSection,
);

let rows = new Map<number, CompareRow>();
let selected: number | undefined;
let running = false;

function setRunning(on: boolean): void {
  running = on;
  cancel.style.display = on ? '' : 'none';
  rerun.toggleAttribute('disabled', on);
  changeImage.toggleAttribute('disabled', on);
  exportJson.toggleAttribute('disabled', on);
  ring.style.display = on ? '' : 'none';
}

function statusCell(status: CompareStatus): HTMLElement {
  const s = STATUS[status];
  return el('span', { className: `status ${s.tone}`, text: `${s.symbol} ${s.label}` });
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

interface RowView {
  readonly row: HTMLElement;
  readonly status: HTMLElement;
  readonly reason: HTMLElement;
  readonly time: HTMLElement;
}
const rowViews = new Map<number, RowView>();

/** Build the table's rows once per run (the table sizes its columns from the first row). */
function buildTable(): void {
  rowViews.clear();
  const ordered = [...rows.values()].sort((a, b) => a.index - b.index);
  tableBody.replaceChildren(
    ...ordered.map((r) => {
      const status = el('vscode-table-cell');
      const reason = el('vscode-table-cell');
      const time = el('vscode-table-cell');
      const row = el(
        'vscode-table-row',
        {},
        el('vscode-table-cell', { text: String(r.ordinal) }),
        el('vscode-table-cell', { className: 'code', text: r.title, title: r.title }),
        status,
        reason,
        time,
      );
      row.dataset.index = String(r.index);
      // every row sized like the header (the table itself sizes only the first row it saw)
      [...row.children].forEach((cell, i) => ((cell as HTMLElement).style.width = COLUMNS[i] ?? 'auto'));
      row.addEventListener('click', () => select(r.index, true));
      rowViews.set(r.index, { row, status, reason, time });
      return row;
    }),
  );
  for (const r of ordered) updateRow(r);
}

function updateRow(r: CompareRow): void {
  const view = rowViews.get(r.index);
  if (!view) return;
  view.row.dataset.status = r.status;
  view.row.classList.toggle('selected', r.index === selected);
  view.status.replaceChildren(statusCell(r.status));
  view.reason.textContent = r.reason;
  view.reason.title = [r.reason, ...r.notes].join('\n');
  view.time.textContent = formatMs(r.durationMs);
}

function renderSummary(s: CompareSummary): void {
  const parts: [number, string, string][] = [
    [s.identical, 'identical', 'pass'],
    [s.withinTolerance, 'within tolerance', 'pass'],
    [s.differs, 'differ', 'fail'],
    [s.errors, 'errors', 'fail'],
  ];
  if (s.nondeterministic > 0) parts.push([s.nondeterministic, 'nondeterministic', 'warn']);
  if (s.notRun > 0) parts.push([s.notRun, 'not run', 'muted']);
  if (s.noReference > 0) parts.push([s.noReference, 'without saved output', 'muted']);
  summary.replaceChildren(
    ...parts.map(([n, label, tone]) => {
      const badge = el('vscode-badge', { text: String(n) });
      return el('span', { className: `stat ${n > 0 ? tone : 'muted'}` }, badge, el('span', { text: ` ${label}` }));
    }),
  );
}

const liveSummary = (): CompareSummary => summarise([...rows.values()]);

function sideBySide(r: CompareRow): HTMLElement {
  const table = el('table', { className: 'diff' });
  table.append(el('tr', {}, el('th', { text: 'Notebook (saved)' }), el('th', { text: 'Container' })));
  const diff = r.diff ?? [];
  if (diff.length === 0) {
    table.append(el('tr', {}, el('td', { text: r.saved || '(no output)' }), el('td', { text: r.container || '(no output)' })));
    return table;
  }
  for (const d of diff) {
    const left = el('td', { className: d.left === undefined ? 'gap' : d.kind === 'same' ? '' : 'removed', text: d.left ?? '' });
    const right = el('td', { className: d.right === undefined ? 'gap' : d.kind === 'same' ? '' : 'added', text: d.right ?? '' });
    table.append(el('tr', { className: d.kind }, left, right));
  }
  return table;
}

function images(r: CompareRow): HTMLElement | undefined {
  if (!r.images) return undefined;
  const column = (label: string, list: readonly string[]): HTMLElement =>
    el(
      'div',
      { className: 'images' },
      el('div', { className: 'muted', text: label }),
      ...list.map((b64) => {
        const img = document.createElement('img');
        // base64 only: anything else is not shown
        if (/^[A-Za-z0-9+/=\s]+$/.test(b64)) img.src = `data:image/png;base64,${b64.replace(/\s+/g, '')}`;
        img.alt = `${label} image`;
        return img;
      }),
    );
  return el('div', { className: 'image-row' }, column('Notebook', r.images.saved), column('Container', r.images.container));
}

function select(index: number, reveal: boolean): void {
  const previous = selected;
  selected = index;
  const r = rows.get(index);
  if (previous !== undefined) rowViews.get(previous)?.row.classList.remove('selected');
  rowViews.get(index)?.row.classList.add('selected');
  if (!r) return;
  const revealButton = button('reveal', 'Reveal in Notebook', true);
  revealButton.addEventListener('click', () => api.postMessage({ type: 'reveal', index }));
  const parts: Node[] = [
    el('h3', {}, el('span', { text: `Cell ${r.ordinal} ` }), statusCell(r.status)),
    el('div', { className: 'code', text: r.title }),
    el('p', { text: r.reason }),
  ];
  if (r.notes.length > 0) parts.push(el('ul', {}, ...r.notes.map((n) => el('li', { text: n }))));
  if (r.skipped.length > 0) parts.push(el('p', { className: 'muted', text: `Not run in the container: ${r.skipped.join('; ')}` }));
  parts.push(el('div', { className: 'toolbar' }, revealButton));
  const pictures = images(r);
  if (pictures) parts.push(pictures);
  if (r.status !== 'pending' && r.status !== 'running') parts.push(sideBySide(r));
  detail.replaceChildren(...parts);
  if (reveal) api.postMessage({ type: 'reveal', index });
}

let shownEnvironment = '';
function renderEnvironment(list: readonly CompareEnvironmentRow[]): void {
  const key = JSON.stringify(list);
  if (key === shownEnvironment) return;
  shownEnvironment = key;
  envBody.replaceChildren(
    ...list.map((e) => {
      const row = el(
        'vscode-table-row',
        { className: e.differs ? 'differs' : '' },
        el('vscode-table-cell', { text: `${e.differs ? '≠ ' : ''}${e.name}` }),
        el('vscode-table-cell', { text: e.container ?? '—' }),
        el('vscode-table-cell', { text: e.notebook ?? '—' }),
        el('vscode-table-cell', { text: e.local ?? '—' }),
      );
      row.dataset.name = e.name;
      return row;
    }),
  );
}

const api = connect<CompareToWebview, CompareFromWebview>((m) => {
  switch (m.type) {
    case 'phase':
      setRunning(true);
      phase.textContent = m.message;
      message.textContent = '';
      message.className = 'message';
      break;
    case 'start':
      setRunning(true);
      title.textContent = `Notebook vs container: ${m.notebook}`;
      subtitle.textContent = `Image: ${m.image}${m.localPython ? ` · local Python: ${m.localPython}` : ''}`;
      rows = new Map(m.rows.map((r) => [r.index, r]));
      selected = undefined;
      detail.replaceChildren();
      phase.textContent = `Running ${m.rows.length} code cells…`;
      renderSummary(liveSummary());
      buildTable();
      break;
    case 'running': {
      const r = rows.get(m.index);
      if (r) {
        rows.set(m.index, { ...r, status: 'running' });
        updateRow({ ...r, status: 'running' });
      }
      phase.textContent = `cell ${r?.ordinal ?? '?'} of ${m.total}…`;
      break;
    }
    case 'row':
      rows.set(m.row.index, m.row);
      renderSummary(liveSummary());
      updateRow(m.row);
      if (selected === m.row.index) select(m.row.index, false);
      break;
    case 'environment':
      renderEnvironment(m.rows);
      break;
    case 'done': {
      setRunning(false);
      renderSummary(m.summary);
      phase.textContent = `${formatMs(m.durationMs)} in all, ${formatMs(m.cellsMs)} in the cells`;
      const verdict = m.outcome === 'cancelled' ? 'Cancelled' : m.passed ? 'Matches' : 'Differs';
      message.textContent = `${verdict}: ${m.message}`;
      message.className = `message ${m.passed ? 'pass' : m.outcome === 'cancelled' ? '' : 'fail'}`;
      summary.dataset.passed = String(m.passed);
      const first = [...rows.values()].sort((a, b) => a.index - b.index).find((r) => r.status !== 'identical');
      if (first && selected === undefined) select(first.index, false);
      break;
    }
    case 'failed':
      setRunning(false);
      phase.textContent = '';
      message.textContent = m.message;
      message.className = 'message fail';
      break;
  }
});

cancel.addEventListener('click', () => {
  if (running) api.postMessage({ type: 'cancel' });
});
rerun.addEventListener('click', () => api.postMessage({ type: 'rerun' }));
changeImage.addEventListener('click', () => api.postMessage({ type: 'changeImage' }));
exportJson.addEventListener('click', () => api.postMessage({ type: 'export' }));
setRunning(false);

addStyle(`
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
.toolbar { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
vscode-progress-ring { width: 16px; height: 16px; }
.muted { color: var(--vscode-descriptionForeground); }
.summary { display: flex; gap: 16px; margin: 8px 0; flex-wrap: wrap; }
.stat.fail { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
.stat.pass { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); }
.message { margin: 8px 0; }
.message.fail { color: var(--vscode-errorForeground); }
.status.pass { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); }
.status.fail { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
.status.warn { color: var(--vscode-editorWarning-foreground); }
.status.muted { color: var(--vscode-descriptionForeground); }
vscode-table-row { cursor: pointer; }
vscode-table-row.selected { outline: 1px solid var(--vscode-focusBorder); }
.code { font-family: var(--vscode-editor-font-family); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.detail { margin: 16px 0; }
table.diff { border-collapse: collapse; width: 100%; table-layout: fixed; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
table.diff th { text-align: left; color: var(--vscode-descriptionForeground); font-weight: normal; padding: 2px 6px; }
table.diff td { vertical-align: top; white-space: pre-wrap; word-break: break-all; padding: 0 6px; border-left: 1px solid var(--vscode-panel-border, transparent); }
table.diff td.removed { background: var(--vscode-diffEditor-removedLineBackground, rgba(255,0,0,.15)); }
table.diff td.added { background: var(--vscode-diffEditor-insertedLineBackground, rgba(0,255,0,.15)); }
table.diff td.gap { background: var(--vscode-diffEditor-diagonalFill, transparent); }
.image-row { display: flex; gap: 16px; margin: 8px 0; }
.images img { max-width: 100%; border: 1px solid var(--vscode-panel-border, transparent); background: white; }
#environment vscode-table-row.differs { color: var(--vscode-editorWarning-foreground); }
`);
api.postMessage({ type: 'ready' });
