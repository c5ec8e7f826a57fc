/**
 * The playground's A/B section: B chosen by the extension host, a run with progress and Stop,
 * both latency distributions on one uPlot chart, the summary table and the per-request diff list.
 * Everything from containers is set as text (uPlot too writes labels as text, and styles only
 * through the CSSOM, which the CSP allows).
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import type {
  AbChoice,
  AbExport,
  AbRequestResult,
  AbTargetSummary,
  PlaygroundFromWebview,
  PlaygroundMethod,
  PlaygroundToWebview,
} from '../../src/ui/webview/protocol';
import { addStyle, el } from '../vscodeApi';

interface ValueElement extends HTMLElement {
  value: string;
}
interface CheckElement extends HTMLElement {
  checked: boolean;
}

export interface AbHost {
  post(message: PlaygroundFromWebview): void;
  method(): PlaygroundMethod;
  /** A's path as typed in the playground. */
  path(): string;
  body(): string;
  /** The section was shown or hidden. */
  toggled(open: boolean): void;
}

function field<T extends HTMLElement>(tag: string, attrs: Record<string, string>): T {
  const node = document.createElement(tag) as T;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const labelled = (text: string, control: HTMLElement): HTMLElement => el('label', { className: 'ab-field' }, el('span', { text }), control);

const VERDICT_TEXT: Record<AbRequestResult['verdict'], string> = {
  identical: 'identical',
  'within-tolerance': 'within tolerance',
  differs: 'differs',
  error: 'error',
};

const ms = (x: number): string => `${x.toFixed(1)} ms`;

function cssColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

export class AbSection {
  readonly root = el('section', { className: 'ab' });
  private readonly aLabel = el('span', { className: 'muted' });
  private readonly bLabel = el('span', { className: 'muted', text: '(not chosen)' });
  private readonly pathA = field<ValueElement>('vscode-textfield', { id: 'ab-path-a', placeholder: '/predict' });
  private readonly pathB = field<ValueElement>('vscode-textfield', { id: 'ab-path-b', placeholder: '/models/<name>/predict' });
  private readonly count = field<ValueElement>('vscode-textfield', { id: 'ab-count', value: '100', type: 'number' });
  private readonly concurrency = field<ValueElement>('vscode-textfield', { id: 'ab-concurrency', value: '4', type: 'number' });
  private readonly rtol = field<ValueElement>('vscode-textfield', { id: 'ab-rtol', value: '0.001' });
  private readonly atol = field<ValueElement>('vscode-textfield', { id: 'ab-atol', value: '0.000001' });
  private readonly cycle = field<CheckElement>('vscode-checkbox', { id: 'ab-cycle', label: 'cycle through the samples' });
  private readonly run = el('vscode-button', { text: 'Run A/B' });
  private readonly stop = el('vscode-button', { text: 'Stop' });
  private readonly exportButton = el('vscode-button', { text: 'Export JSON' });
  private readonly status = el('div', { className: 'ab-status' });
  private readonly chart = el('div', { className: 'ab-chart' });
  private readonly summary = el('div', { className: 'ab-summary' });
  private readonly showAll = field<CheckElement>('vscode-checkbox', {
    id: 'ab-all',
    label: 'show every request (not only those that differ)',
  });
  private readonly list = el('div', { className: 'ab-requests' });
  private plot: uPlot | undefined;
  private last: AbExport | undefined;
  private hasB = false;

  constructor(private readonly host: AbHost) {
    addStyle(uplotCss);
    this.root.id = 'ab';
    this.root.hidden = true;
    this.bLabel.id = 'ab-b';
    this.run.id = 'ab-run';
    this.stop.id = 'ab-stop';
    this.stop.setAttribute('secondary', '');
    this.stop.setAttribute('disabled', '');
    this.exportButton.id = 'ab-export';
    this.exportButton.setAttribute('secondary', '');
    this.exportButton.setAttribute('disabled', '');
    this.status.id = 'ab-status';
    this.chart.id = 'ab-chart';
    this.summary.id = 'ab-summary';
    this.list.id = 'ab-requests';
    const choose = el('vscode-button', { text: 'Choose B…' });
    choose.id = 'ab-choose-b';
    choose.setAttribute('secondary', '');
    this.aLabel.id = 'ab-a';
    this.root.append(
      el('h3', { text: 'A/B' }),
      el('div', { className: 'row' }, el('span', { className: 'ab-side', text: 'A' }), this.aLabel, this.pathA),
      el('div', { className: 'row' }, el('span', { className: 'ab-side', text: 'B' }), this.bLabel, choose, this.pathB),
      el(
        'div',
        { className: 'row' },
        labelled('requests', this.count),
        labelled('concurrency', this.concurrency),
        labelled('rtol', this.rtol),
        labelled('atol', this.atol),
        this.cycle,
      ),
      el('div', { className: 'row' }, this.run, this.stop, this.exportButton, this.status),
      el('div', { className: 'ab-results' }, this.chart, this.summary),
      el('div', { className: 'row' }, this.showAll),
      this.list,
    );
    choose.addEventListener('click', () => host.post({ type: 'abChooseB' }));
    this.run.addEventListener('click', () => this.start());
    this.stop.addEventListener('click', () => host.post({ type: 'abStop' }));
    this.exportButton.addEventListener('click', () => host.post({ type: 'abExport' }));
    this.showAll.addEventListener('change', () => {
      if (this.last) this.showRequests(this.last);
    });
  }

  init(container: string, baseUrl: string, path: string, tolerance: { rtol: number; atol: number }): void {
    this.aLabel.textContent = `${container} — ${baseUrl}`;
    this.pathA.value = path;
    if (this.pathB.value === '') this.pathB.value = path;
    this.rtol.value = String(tolerance.rtol);
    this.atol.value = String(tolerance.atol);
  }

  toggle(open = this.root.hidden): void {
    this.root.hidden = !open;
    this.host.toggled(open);
  }

  /** Handle an A/B message; false: not one of its own. */
  onMessage(m: PlaygroundToWebview): boolean {
    switch (m.type) {
      case 'abTarget':
        this.setB(m.target);
        if (m.open === true) this.toggle(true);
        return true;
      case 'abProgress':
        this.status.textContent = `${m.done} of ${m.total}…`;
        return true;
      case 'abRefused':
        this.running(false);
        this.status.textContent = `Not run: ${m.message}`;
        this.status.className = 'ab-status bad';
        return true;
      case 'abResult':
        this.running(false);
        this.show(m.run);
        return true;
      default:
        return false;
    }
  }

  private setB(b: AbChoice): void {
    this.hasB = true;
    this.bLabel.textContent = `${b.label} — ${b.baseUrl}${b.via === undefined ? '' : ` (${b.via})`}`;
    this.bLabel.className = '';
  }

  private running(on: boolean): void {
    if (on) {
      this.run.setAttribute('disabled', '');
      this.stop.removeAttribute('disabled');
    } else {
      this.run.removeAttribute('disabled');
      this.stop.setAttribute('disabled', '');
    }
  }

  private start(): void {
    this.status.className = 'ab-status';
    if (!this.hasB) {
      this.status.textContent = 'Choose B first: another container, or this one with another path.';
      this.status.className = 'ab-status bad';
      return;
    }
    this.running(true);
    this.status.textContent = 'running…';
    this.host.post({
      type: 'abRun',
      method: this.host.method(),
      pathA: this.pathA.value || this.host.path(),
      pathB: this.pathB.value,
      body: this.host.body(),
      cycleSamples: this.cycle.checked,
      count: Number(this.count.value) || 100,
      concurrency: Number(this.concurrency.value) || 4,
      rtol: Number(this.rtol.value),
      atol: Number(this.atol.value),
    });
  }

  private show(run: AbExport): void {
    this.last = run;
    this.exportButton.removeAttribute('disabled');
    const s = run.summary;
    this.status.className = 'ab-status';
    this.status.textContent =
      `${run.requests.length} of ${run.settings.count} requests${run.stopped ? ' (stopped)' : ''} in ${(run.wallMs / 1000).toFixed(1)} s — ` +
      `${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ, ${s.errors} errors`;
    this.showChart(run);
    this.showSummary(run);
    this.showRequests(run);
  }

  private showChart(run: AbExport): void {
    const h = run.summary.histogram;
    this.plot?.destroy();
    this.plot = undefined;
    this.chart.replaceChildren();
    if (h.edgesMs.length < 2) return;
    const centres = h.a.map((_, i) => ((h.edgesMs[i] ?? 0) + (h.edgesMs[i + 1] ?? 0)) / 2);
    const a = cssColor('--vscode-charts-blue', '#3794ff');
    const b = cssColor('--vscode-charts-orange', '#d18616');
    const fg = cssColor('--vscode-foreground', '#cccccc');
    const grid = cssColor('--vscode-editorWidget-border', '#454545');
    const bars = uPlot.paths.bars;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.plot = new uPlot(
      {
        width: Math.max(320, this.chart.clientWidth || this.root.clientWidth || 640),
        height: 220,
        legend: { live: false },
        // from the first bin's lower edge to the last one's upper edge: no bar is cut
        scales: { x: { time: false, range: () => [h.edgesMs[0] ?? 0, h.edgesMs.at(-1) ?? 1] } },
        series: [
          { label: 'latency (ms)', value: (_u, v) => (v === null || v === undefined ? '—' : ms(v)) },
          {
            label: `A: ${run.targets.a.label}${run.targets.a.path}`,
            stroke: a,
            fill: a,
            alpha: 0.8,
            points: { show: false },
            ...(bars ? { paths: bars({ size: [0.45], align: -1 }) } : {}),
          },
          {
            label: `B: ${run.targets.b.label}${run.targets.b.path}`,
            stroke: b,
            fill: b,
            alpha: 0.8,
            points: { show: false },
            ...(bars ? { paths: bars({ size: [0.45], align: 1 }) } : {}),
          },
        ],
        axes: [
          { ...axis, label: 'latency (ms)', labelSize: 20 },
          { ...axis, label: 'requests', labelSize: 20 },
        ],
      },
      [centres, [...h.a], [...h.b]],
      this.chart,
    );
  }

  private showSummary(run: AbExport): void {
    const s = run.summary;
    const rows: [string, (t: AbTargetSummary) => string][] = [
      ['requests', (t) => String(t.count)],
      ['p50', (t) => ms(t.p50)],
      ['p95', (t) => ms(t.p95)],
      ['p99', (t) => ms(t.p99)],
      ['min', (t) => ms(t.min)],
      ['max', (t) => ms(t.max)],
      ['mean', (t) => ms(t.mean)],
      ['error rate', (t) => `${(t.errorRate * 100).toFixed(1)} %`],
      [
        'statuses',
        (t) =>
          Object.entries(t.statuses)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
      ],
    ];
    const head = el(
      'tr',
      {},
      el('th', { text: '' }),
      el('th', { text: `A: ${run.targets.a.label}${run.targets.a.path}` }),
      el('th', { text: `B: ${run.targets.b.label}${run.targets.b.path}` }),
    );
    this.summary.replaceChildren(
      el(
        'table',
        {},
        head,
        ...rows.map(([name, f]) => el('tr', {}, el('th', { text: name }), el('td', { text: f(s.a) }), el('td', { text: f(s.b) }))),
      ),
    );
  }

  private showRequests(run: AbExport): void {
    const all = this.showAll.checked;
    const shown = run.requests.filter((r) => all || r.verdict === 'differs' || r.verdict === 'error');
    const names = run.settings.bodies.map((b) => b.name);
    const items = shown.slice(0, 500).map((r) => {
      const item = el('div', { className: `ab-request ${r.verdict}` });
      item.append(
        el(
          'div',
          { className: 'ab-request-head' },
          el('span', { text: `#${r.index + 1}` }),
          el('span', { className: `ab-verdict ${r.verdict}`, text: VERDICT_TEXT[r.verdict] }),
          el('span', { className: 'muted', text: `${names[r.body] ?? ''} · ${r.reason}` }),
        ),
      );
      if (r.differences.length > 0)
        item.append(el('ul', {}, ...r.differences.map((d) => el('li', { className: 'ab-diff', text: `${d.path}: ${d.a} vs ${d.b}` }))));
      const details = el('details', {}, el('summary', { text: 'both outputs' }));
      details.append(
        el('div', { className: 'ab-outputs' }, el('pre', { text: r.a.error ?? r.a.body }), el('pre', { text: r.b.error ?? r.b.body })),
      );
      item.append(details);
      return item;
    });
    const note =
      shown.length === 0
        ? [el('p', { className: 'muted', text: all ? 'No requests.' : 'No request differs beyond the tolerance.' })]
        : shown.length > items.length
          ? [el('p', { className: 'muted', text: `The first ${items.length} of ${shown.length} (all are in the export).` })]
          : [];
    this.list.replaceChildren(...items, ...note);
  }
}

export const AB_STYLE = `
.ab { border-top: 1px solid var(--vscode-panel-border); margin-top: 16px; padding-top: 4px; }
.ab-side { font-weight: bold; width: 1.5em; }
#ab-path-a, #ab-path-b { flex: 1; }
.ab-field { display: flex; gap: 4px; align-items: center; }
.ab-field vscode-textfield { width: 8em; }
.ab-results { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; align-items: start; }
.ab-chart { margin: 8px 0; min-height: 20px; min-width: 0; }
.ab-summary table { border-collapse: collapse; }
.ab-summary th, .ab-summary td { text-align: left; padding: 2px 16px 2px 0; }
.ab-summary th { color: var(--vscode-descriptionForeground); font-weight: normal; }
.ab-request { border-left: 3px solid var(--vscode-panel-border); padding: 2px 8px; margin: 6px 0; }
.ab-request.differs { border-left-color: var(--vscode-charts-orange); }
.ab-request.error { border-left-color: var(--vscode-errorForeground); }
.ab-request-head { display: flex; gap: 8px; }
.ab-verdict.differs { color: var(--vscode-charts-orange); }
.ab-verdict.error { color: var(--vscode-errorForeground); }
.ab-request ul { margin: 2px 0; padding-left: 20px; }
.ab-diff { font-family: var(--vscode-editor-font-family); white-space: pre-wrap; }
.ab-outputs { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.ab-outputs pre { background: var(--vscode-textCodeBlock-background); padding: 4px; margin: 0; max-height: 20vh; overflow: auto; white-space: pre-wrap; }
.u-legend { color: var(--vscode-foreground); }
`;
