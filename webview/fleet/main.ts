import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css';
import type { FleetRow, FleetSample } from '../../src/core/fleet/types';
import type { FleetFromWebview, FleetOpen, FleetToWebview } from '../../src/ui/webview/protocol';
import { formatBytes } from '../../src/core/project/units';
import { addStyle, connect, el } from '../vscodeApi';

interface ValueElement extends HTMLElement {
  value: string;
}

/** A column of the table: its header, how a row shows in it, and how rows sort by it. */
interface Column {
  readonly key: string;
  readonly title: string;
  readonly numeric: boolean;
  text(row: FleetRow): string;
  sortValue(row: FleetRow): number | string;
}

const dash = '–';
const ms = (v: number | undefined): string => (v === undefined ? dash : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const pct = (v: number | undefined, digits = 1): string => (v === undefined ? dash : `${v.toFixed(digits)} %`);
const num = (v: number | undefined): number => v ?? -1;

const COLUMNS: readonly Column[] = [
  { key: 'name', title: 'Container', numeric: false, text: (r) => r.name, sortValue: (r) => r.name },
  {
    key: 'state',
    title: 'State',
    numeric: false,
    text: (r) => (r.health ? `${r.state} (${r.health})` : r.state),
    sortValue: (r) => `${r.health === 'unhealthy' ? 0 : 1}${r.state}`,
  },
  {
    key: 'rps',
    title: 'req/s',
    numeric: true,
    text: (r) => (r.latest?.rps === undefined ? dash : r.latest.rps.toFixed(r.latest.rps < 10 ? 2 : 1)),
    sortValue: (r) => num(r.latest?.rps),
  },
  { key: 'p50', title: 'p50', numeric: true, text: (r) => ms(r.latest?.p50Ms), sortValue: (r) => num(r.latest?.p50Ms) },
  { key: 'p95', title: 'p95', numeric: true, text: (r) => ms(r.latest?.p95Ms), sortValue: (r) => num(r.latest?.p95Ms) },
  { key: 'p99', title: 'p99', numeric: true, text: (r) => ms(r.latest?.p99Ms), sortValue: (r) => num(r.latest?.p99Ms) },
  {
    key: 'errors',
    title: 'Errors',
    numeric: true,
    text: (r) => (r.latest?.errorRate === undefined ? dash : pct(r.latest.errorRate * 100)),
    sortValue: (r) => num(r.latest?.errorRate),
  },
  { key: 'cpu', title: 'CPU', numeric: true, text: (r) => pct(r.latest?.cpuPercent), sortValue: (r) => num(r.latest?.cpuPercent) },
  {
    key: 'memory',
    title: 'Memory',
    numeric: true,
    text: (r) => {
      const used = r.latest?.memoryBytes;
      if (used === undefined) return dash;
      return r.memoryLimitBytes ? `${formatBytes(used)} / ${formatBytes(r.memoryLimitBytes)}` : formatBytes(used);
    },
    sortValue: (r) =>
      r.memoryLimitBytes && r.latest?.memoryBytes !== undefined ? r.latest.memoryBytes / r.memoryLimitBytes : num(r.latest?.memoryBytes),
  },
  {
    key: 'gpu',
    title: 'GPU',
    numeric: true,
    text: (r) =>
      !r.gpu
        ? dash
        : r.latest?.gpuPercent === undefined
          ? 'requested'
          : `${pct(r.latest.gpuPercent, 0)}${r.latest.gpuMemoryBytes === undefined ? '' : ` · ${formatBytes(r.latest.gpuMemoryBytes)}`}`,
    sortValue: (r) => num(r.latest?.gpuPercent),
  },
  { key: 'restarts', title: 'Restarts', numeric: true, text: (r) => String(r.restarts), sortValue: (r) => r.restarts },
  { key: 'oom', title: 'OOM', numeric: true, text: (r) => String(r.oomKills), sortValue: (r) => r.oomKills },
  {
    key: 'source',
    title: 'Figures from',
    numeric: false,
    text: (r) => (r.source === 'metrics' ? '/metrics' : r.source === 'traffic' ? 'Berth’s requests' : dash),
    sortValue: (r) => r.source,
  },
];

const app = document.getElementById('app')!;
const filter = document.createElement('vscode-textfield') as ValueElement;
filter.id = 'filter';
filter.setAttribute('placeholder', 'Filter by name, image, project or service');
const summary = el('span', { className: 'muted', text: 'Waiting for the first sample…' });
summary.id = 'summary';
const pause = el('vscode-button', { text: 'Pause' });
pause.setAttribute('secondary', '');
const table = el('table');
table.id = 'fleet';
const detail = el('section', { className: 'detail' });
detail.id = 'detail';
const message = el('p', { className: 'error' });
app.append(el('div', { className: 'toolbar' }, filter, pause, summary), message, el('div', { className: 'table' }, table), detail);

let rows: readonly FleetRow[] = [];
let sortKey = 'rps';
let descending = true;
let paused = false;
let selected: string | undefined;
let charts: uPlot[] = [];

const api = connect<FleetToWebview, FleetFromWebview>((m) => {
  if (m.type === 'snapshot') {
    message.textContent = '';
    if (paused) return;
    rows = m.snapshot.rows;
    renderTable();
    if (selected !== undefined && !rows.some((r) => r.id === selected)) select(undefined);
  } else if (m.type === 'history') {
    if (!paused && m.id === selected) renderDetail(m.samples);
  } else {
    message.textContent = m.message;
  }
});

function visibleRows(): FleetRow[] {
  const q = filter.value.trim().toLowerCase();
  const column = COLUMNS.find((c) => c.key === sortKey) ?? COLUMNS[0]!;
  return rows
    .filter(
      (r) => q === '' || [r.name, r.image, r.project ?? '', r.service ?? '', r.profile ?? ''].some((t) => t.toLowerCase().includes(q)),
    )
    .sort((a, b) => {
      const x = column.sortValue(a);
      const y = column.sortValue(b);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (descending ? -order : order) || a.name.localeCompare(b.name);
    });
}

function button(text: string, what: FleetOpen, row: FleetRow): HTMLElement {
  const b = el('vscode-button', { text, title: `${text} of ${row.name}` });
  b.setAttribute('secondary', '');
  b.className = `open-${what}`;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    api.postMessage({ type: 'open', id: row.id, what });
  });
  return b;
}

function renderTable(): void {
  const head = el(
    'tr',
    {},
    ...COLUMNS.map((c) => {
      const th = el('th', { text: c.key === sortKey ? `${c.title} ${descending ? '▾' : '▴'}` : c.title, title: `Sort by ${c.title}` });
      th.dataset.key = c.key;
      if (c.numeric) th.className = 'num';
      th.addEventListener('click', () => {
        if (sortKey === c.key) descending = !descending;
        else {
          sortKey = c.key;
          descending = c.numeric;
        }
        renderTable();
      });
      return th;
    }),
    el('th', { text: '' }),
  );
  const shown = visibleRows();
  const body = shown.map((r) => {
    const tr = el(
      'tr',
      { title: r.problem ?? r.image },
      ...COLUMNS.map((c) => {
        const td = el('td', { text: c.text(r) });
        td.dataset.key = c.key;
        if (c.numeric) td.className = 'num';
        return td;
      }),
      el('td', { className: 'actions' }, button('Logs', 'logs', r), button('Stats', 'stats', r), button('Playground', 'playground', r)),
    );
    tr.dataset.id = r.id;
    tr.dataset.name = r.name;
    if (r.id === selected) tr.className = 'selected';
    if (r.health === 'unhealthy' || (r.latest?.errorRate ?? 0) > 0.05) tr.classList.add('bad');
    tr.addEventListener('click', () => select(r.id === selected ? undefined : r.id));
    return tr;
  });
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
  const withMetrics = rows.filter((r) => r.source === 'metrics').length;
  summary.textContent =
    rows.length === 0
      ? 'No running model containers (Berth runs and Compose services show here).'
      : `${rows.length} model container${rows.length === 1 ? '' : 's'} · ${withMetrics} with /metrics${shown.length < rows.length ? ` · ${shown.length} shown` : ''}`;
}

function select(id: string | undefined): void {
  selected = id;
  for (const tr of table.querySelectorAll('tbody tr')) tr.classList.toggle('selected', (tr as HTMLElement).dataset.id === id);
  if (id === undefined) {
    for (const c of charts) c.destroy();
    charts = [];
    drawn = undefined;
    detail.replaceChildren();
  }
  api.postMessage({ type: 'select', id });
}

interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly { label: string; value: (s: FleetSample) => number | undefined; color: string }[];
}

const mib = (s: FleetSample): number | undefined => (s.memoryBytes === undefined ? undefined : s.memoryBytes / 2 ** 20);
const errorPercent = (s: FleetSample): number | undefined => (s.errorRate === undefined ? undefined : s.errorRate * 100);

/** The charts of a row: requests, latency percentiles, errors, CPU, memory, and GPU when it has one. */
function specsFor(row: FleetRow): ChartSpec[] {
  return [
    { title: 'Requests', unit: '', series: [{ label: 'req/s', value: (s) => s.rps, color: '--vscode-charts-blue' }] },
    {
      title: 'Latency',
      unit: ' ms',
      series: [
        { label: 'p50', value: (s) => s.p50Ms, color: '--vscode-charts-green' },
        { label: 'p95', value: (s) => s.p95Ms, color: '--vscode-charts-yellow' },
        { label: 'p99', value: (s) => s.p99Ms, color: '--vscode-charts-red' },
      ],
    },
    { title: 'Errors', unit: ' %', series: [{ label: 'error %', value: errorPercent, color: '--vscode-charts-red' }] },
    { title: 'CPU', unit: ' %', series: [{ label: 'CPU %', value: (s) => s.cpuPercent, color: '--vscode-charts-purple' }] },
    { title: 'Memory', unit: ' MiB', series: [{ label: 'MiB', value: mib, color: '--vscode-charts-orange' }] },
    ...(row.gpu
      ? [
          {
            title: 'GPU',
            unit: ' %',
            series: [{ label: 'GPU %', value: (s: FleetSample) => s.gpuPercent, color: '--vscode-charts-green' }],
          },
        ]
      : []),
  ];
}

function dataFor(spec: ChartSpec, samples: readonly FleetSample[]): uPlot.AlignedData {
  return [samples.map((s) => s.t / 1000), ...spec.series.map((x) => samples.map((s) => x.value(s) ?? null))];
}

/** One chart in `grid`, as wide as its cell. */
function chart(grid: HTMLElement, spec: ChartSpec, samples: readonly FleetSample[]): uPlot {
  const box = el('div', { className: 'chart' });
  box.dataset.chart = spec.title;
  grid.append(box);
  const width = Math.max(240, box.clientWidth - 14);
  const axis = { stroke: css('--vscode-descriptionForeground'), grid: { stroke: css('--vscode-panel-border'), width: 1 } };
  return new uPlot(
    {
      title: spec.title,
      width,
      height: 160,
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => `${t}${spec.unit}`) }],
      series: [{}, ...spec.series.map((x) => ({ label: x.label, stroke: css(x.color), width: 1.5, spanGaps: false }))],
      legend: { show: true },
    },
    dataFor(spec, samples),
    box,
  );
}

function css(variable: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || '#888';
}

/** Whose charts are drawn, and with which specs: a new sample for the same row only updates their data. */
let drawn: { id: string; specs: ChartSpec[]; head: HTMLElement; note: HTMLElement } | undefined;

function renderDetail(samples: readonly FleetSample[]): void {
  const row = rows.find((r) => r.id === selected);
  if (!row) return;
  const minutes = Math.max(1, Math.round(samples.length > 1 ? (samples.at(-1)!.t - samples[0]!.t) / 60_000 : 0));
  const noteText = `${samples.length} samples${row.metricsUrl ? ` · metrics from ${row.metricsUrl}` : ''}${row.problem ? ` · ${row.problem}` : ''}`;
  if (drawn?.id === row.id && drawn.specs.length === specsFor(row).length && charts.length === drawn.specs.length) {
    drawn.head.textContent = `${row.name} — the last ${minutes} min`;
    drawn.note.textContent = noteText;
    drawn.note.dataset.samples = String(samples.length);
    const specs = drawn.specs;
    charts.forEach((c, i) => c.setData(dataFor(specs[i]!, samples)));
    return;
  }
  for (const c of charts) c.destroy();
  const head = el('h3', { text: `${row.name} — the last ${minutes} min` });
  const note = el('p', { className: 'muted', text: noteText });
  note.dataset.samples = String(samples.length);
  const grid = el('div', { className: 'charts' });
  detail.replaceChildren(head, note, grid);
  const specs = specsFor(row);
  charts = specs.map((spec) => chart(grid, spec, samples));
  drawn = { id: row.id, specs, head, note };
}

// the panel resized (the side bar toggled, the editor split): each chart as wide as its cell again
new ResizeObserver(() => {
  const boxes = detail.querySelectorAll<HTMLElement>('.chart');
  charts.forEach((c, i) => {
    const width = Math.max(240, (boxes[i]?.clientWidth ?? 254) - 14);
    if (Math.abs(c.width - width) > 1) c.setSize({ width, height: 160 });
  });
}).observe(detail);

filter.addEventListener('input', () => renderTable());
pause.addEventListener('click', () => {
  paused = !paused;
  pause.textContent = paused ? 'Resume' : 'Pause';
});

addStyle(uPlotCss);
addStyle(`
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
.toolbar { display: flex; gap: 8px; align-items: center; margin-bottom: 10px; }
#filter { width: 320px; }
.muted { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); }
div.table { overflow-x: auto; }
table { border-collapse: collapse; min-width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); white-space: nowrap; text-align: left; }
th { cursor: pointer; user-select: none; color: var(--vscode-descriptionForeground); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--vscode-list-hoverBackground); }
tbody tr.selected { background: var(--vscode-list-inactiveSelectionBackground); }
tbody tr.bad td[data-key="state"], tbody tr.bad td[data-key="errors"] { color: var(--vscode-errorForeground); }
.actions vscode-button { margin-right: 4px; }
.detail h3 { margin: 16px 0 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.chart { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 6px; }
.u-title { font-size: 12px; font-weight: 600; color: var(--vscode-foreground); }
.u-legend { color: var(--vscode-foreground); font-size: 11px; }
`);
api.postMessage({ type: 'ready' });
