import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { StatsFromWebview, StatsPoint, StatsSeries, StatsToWebview } from '../../src/ui/webview/protocol';
import { formatBytes } from '../../src/core/project/units';
import { addStyle, connect, el } from '../vscodeApi';

const SVG = 'http://www.w3.org/2000/svg';

function sparkline(values: readonly number[], max: number, className: string): SVGSVGElement {
  const width = 160;
  const height = 32;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', `spark ${className}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  if (values.length > 1) {
    const top = Math.max(max, 1e-9);
    const step = width / (values.length - 1);
    const points = values
      .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (Math.min(v, top) / top) * (height - 2)).toFixed(1)}`)
      .join(' ');
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points);
    svg.append(line);
  }
  return svg;
}

function metric(label: string, value: string, spark?: SVGSVGElement): HTMLElement {
  return el(
    'div',
    { className: 'metric' },
    el('div', { className: 'label', text: label }),
    el('div', { className: 'value', text: value }),
    ...(spark ? [spark] : []),
  );
}

function card(series: StatsSeries): HTMLElement {
  const last: StatsPoint | undefined = series.points.at(-1);
  const head = el(
    'div',
    { className: 'head' },
    el('span', { className: 'name', text: series.name }),
    el('vscode-badge', { text: series.feed === 'stopped' ? 'stopped' : series.state }),
  );
  const feed =
    series.feed === 'stopped'
      ? last
        ? `Stopped: the figures below are the last ones seen (${new Date(last.t).toLocaleTimeString()}). They resume when it starts.`
        : 'Stopped: no live figures. They start when it does.'
      : series.feed === 'waiting'
        ? 'Waiting for the first sample…'
        : `${series.points.length} samples · last ${new Date(last?.t ?? 0).toLocaleTimeString()}`;
  const note = el('p', { className: 'muted feed', text: feed });
  note.dataset.feed = series.feed;
  note.dataset.samples = String(series.points.length);
  note.dataset.last = String(last?.t ?? 0);
  if (!last) return el('section', { className: 'card' }, head, note);
  const cpu = series.points.map((p) => p.cpuPercent);
  const mem = series.points.map((p) => p.memoryUsage);
  const metrics = [
    metric('CPU', `${last.cpuPercent.toFixed(1)} %`, sparkline(cpu, Math.max(100, ...cpu), 'cpu')),
    metric('Memory', `${formatBytes(last.memoryUsage)} / ${formatBytes(last.memoryLimit)}`, sparkline(mem, last.memoryLimit, 'mem')),
    metric('Network', `↓ ${formatBytes(last.netRxRate)}/s  ↑ ${formatBytes(last.netTxRate)}/s`),
    metric('Block I/O', `read ${formatBytes(last.blockReadRate)}/s  write ${formatBytes(last.blockWriteRate)}/s`),
    metric('PIDs', String(last.pids)),
  ];
  for (const [i, g] of (last.gpu ?? []).entries()) {
    metric(
      `GPU ${i}`,
      `${g.utilization} % · ${g.memoryUsedMiB} / ${g.memoryTotalMiB} MiB`,
      sparkline(
        series.points.map((p) => p.gpu?.[i]?.utilization ?? 0),
        100,
        'gpu',
      ),
    );
  }
  if (series.gpuNote) metrics.push(metric('GPU', series.gpuNote));
  return el('section', { className: 'card', title: series.id }, head, note, el('div', { className: 'metrics' }, ...metrics));
}

const app = document.getElementById('app')!;
let paused = false;
const pause = el('vscode-button', { text: 'Pause' });
pause.setAttribute('secondary', '');
const cards = el('div', { className: 'cards' });
app.append(el('div', { className: 'toolbar' }, pause), cards);

const api = connect<StatsToWebview, StatsFromWebview>((message) => {
  if (message.type === 'series') {
    if (!paused) cards.replaceChildren(...message.series.map(card));
  } else {
    cards.replaceChildren(el('p', { className: 'error', text: message.message }));
  }
});
pause.addEventListener('click', () => {
  paused = !paused;
  pause.textContent = paused ? 'Resume' : 'Pause';
  api.postMessage({ type: 'togglePause', paused });
});

addStyle(`
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
.toolbar { margin-bottom: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px; }
.head { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
.name { font-weight: 600; }
.metrics { display: grid; gap: 6px; }
.metric { display: grid; grid-template-columns: 80px 1fr 160px; align-items: center; gap: 8px; }
.label, .muted { color: var(--vscode-descriptionForeground); }
.spark polyline { fill: none; stroke-width: 1.5; }
.spark.cpu polyline { stroke: var(--vscode-charts-blue); }
.spark.mem polyline { stroke: var(--vscode-charts-purple); }
.spark.gpu polyline { stroke: var(--vscode-charts-green); }
.error { color: var(--vscode-errorForeground); }
`);
api.postMessage({ type: 'ready' });
