import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { PlaygroundFromWebview, PlaygroundMethod, PlaygroundSample, PlaygroundToWebview } from '../../src/ui/webview/protocol';
import { addStyle, connect, el } from '../vscodeApi';
import { AB_STYLE, AbSection } from './ab';
import { CHAT_STYLE, ChatSection } from './chat';

interface ValueElement extends HTMLElement {
  value: string;
}

function field<T extends ValueElement>(tag: string, attrs: Record<string, string> = {}): T {
  const node = document.createElement(tag) as T;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

const app = document.getElementById('app')!;
const title = el('h2', { text: 'Playground' });
const method = field<ValueElement>('vscode-single-select', { id: 'method' });
const METHODS: readonly PlaygroundMethod[] = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
method.append(...METHODS.map((m) => el('vscode-option', { text: m })));
const pathField = field<ValueElement>('vscode-textfield', { id: 'path', placeholder: '/predict' });
const send = el('vscode-button', { text: 'Send' });
send.id = 'send';
const sampleSelect = field<ValueElement>('vscode-single-select', { id: 'sample' });
const sampleName = field<ValueElement>('vscode-textfield', { id: 'sample-name', placeholder: 'sample name' });
const save = el('vscode-button', { text: 'Save Sample' });
save.setAttribute('secondary', '');
const body = field<ValueElement>('vscode-textarea', { id: 'body', rows: '8', placeholder: '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' });
const status = el('vscode-badge', { text: '—' });
status.id = 'status';
const latency = el('span', { className: 'muted', text: '' });
latency.id = 'latency';
const responseBody = el('pre', { className: 'response' });
responseBody.id = 'response';
const count = field<ValueElement>('vscode-textfield', { id: 'count', value: '100', type: 'number' });
const runMany = el('vscode-button', { text: 'Run N Requests' });
runMany.id = 'run-batch';
runMany.setAttribute('secondary', '');
const batchResult = el('div', { className: 'batch' });
batchResult.id = 'batch';
const abMode = el('vscode-button', { text: 'A/B…' });
abMode.id = 'ab-mode';
abMode.setAttribute('secondary', '');
abMode.title = 'Send the same requests to this container and another target, side by side';
const chatMode = el('vscode-button', { text: 'Chat' });
chatMode.id = 'chat-mode';
chatMode.setAttribute('secondary', '');
chatMode.title = 'Chat with an OpenAI-compatible server: streaming, time to first token, tokens/s';

// what only one target's requests show: hidden while the A/B section is open
const single = el(
  'div',
  {},
  el('div', { className: 'row' }, el('span', { text: 'Response' }), status, latency),
  responseBody,
  el('div', { className: 'row' }, count, runMany),
  batchResult,
);
single.id = 'single';

// the JSON request of the HTTP mode: hidden while the Chat mode is open
const http = el(
  'div',
  {},
  el('div', { className: 'row' }, method, pathField, send, abMode),
  el('div', { className: 'row' }, sampleSelect, sampleName, save),
  body,
  single,
);
http.id = 'http';

app.append(el('div', { className: 'row' }, title, chatMode), http);

let samples: readonly PlaygroundSample[] = [];
function showSamples(list: readonly PlaygroundSample[]): void {
  samples = list;
  sampleSelect.replaceChildren(el('vscode-option', { text: '(samples)' }), ...list.map((s) => el('vscode-option', { text: s.name })));
}

// the extension host checks the method again before any request
const currentMethod = (): PlaygroundMethod => method.value as PlaygroundMethod;

const api = connect<PlaygroundToWebview, PlaygroundFromWebview>((m) => {
  // an OpenAI-compatible server opens in the Chat mode (unless a mode was chosen already)
  if (m.type === 'llm' && m.side === 'a' && m.info !== undefined && !chatOpened) chat.toggle(true);
  if (chat.onMessage(m)) return;
  if (ab.onMessage(m)) return;
  switch (m.type) {
    case 'init':
      title.textContent = `Playground: ${m.container} — ${m.baseUrl}${m.via === undefined ? '' : ` (${m.via})`}`;
      pathField.value = m.path;
      showSamples(m.samples);
      if (m.samples[0]) body.value = m.samples[0].body.trim();
      ab.init(m.container, m.baseUrl, m.path, m.tolerance);
      break;
    case 'samples':
      showSamples(m.samples);
      break;
    case 'response':
      status.textContent = m.response.error ? 'no answer' : String(m.response.status);
      status.className = m.response.status >= 200 && m.response.status < 300 ? 'ok' : 'bad';
      latency.textContent = `${m.response.latencyMs.toFixed(1)} ms`;
      responseBody.textContent = m.response.error ?? pretty(m.response.body);
      break;
    case 'batchRefused':
      batchResult.textContent = `Not run: ${m.message}`;
      batchResult.className = 'batch bad';
      break;
    case 'progress':
      batchResult.textContent = `${m.done} of ${m.total}…`;
      break;
    case 'batch': {
      const b = m.batch;
      batchResult.className = 'batch';
      const statuses = Object.entries(b.statuses)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      batchResult.replaceChildren(
        el(
          'table',
          {},
          ...[
            ['requests', String(b.count)],
            ['p50', `${b.p50.toFixed(1)} ms`],
            ['p95', `${b.p95.toFixed(1)} ms`],
            ['p99', `${b.p99.toFixed(1)} ms`],
            ['error rate', `${(b.errorRate * 100).toFixed(1)} %`],
            ['throughput', `${b.throughputPerS.toFixed(0)} req/s`],
            ['statuses', statuses],
            ...b.errorSamples
              .slice(0, 3)
              .map((e, i) => [i === 0 ? 'first errors' : '', `${e.status === 0 ? 'no answer' : e.status}: ${e.message}`]),
          ].map(([k, v]) => el('tr', {}, el('th', { text: k ?? '' }), el('td', { text: v ?? '' }))),
        ),
      );
      break;
    }
  }
});

const ab = new AbSection({
  post: (message) => api.postMessage(message),
  method: currentMethod,
  path: () => pathField.value,
  body: () => body.value,
  toggled: (open) => {
    single.hidden = open;
    abMode.textContent = open ? 'Single' : 'A/B…';
  },
});
http.append(ab.root);
let chatOpened = false;
const chat = new ChatSection({
  post: (message) => api.postMessage(message),
  toggled: (open) => {
    chatOpened = true;
    http.hidden = open;
    chatMode.textContent = open ? 'HTTP' : 'Chat';
  },
});
app.append(chat.root);
chatMode.addEventListener('click', () => chat.toggle());
abMode.addEventListener('click', () => ab.toggle());
send.addEventListener('click', () => {
  status.textContent = '…';
  api.postMessage({ type: 'send', method: currentMethod(), path: pathField.value, body: body.value });
});
runMany.addEventListener('click', () => {
  batchResult.textContent = 'running…';
  api.postMessage({ type: 'batch', method: currentMethod(), path: pathField.value, body: body.value, count: Number(count.value) || 100 });
});
sampleSelect.addEventListener('change', () => {
  const picked = samples.find((s) => s.name === sampleSelect.value);
  if (picked) body.value = picked.body.trim();
});
save.addEventListener('click', () => {
  const name = sampleName.value.trim();
  if (name !== '') api.postMessage({ type: 'saveSample', name, body: body.value });
});

addStyle(`
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
.row { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
#path, #sample-name { flex: 1; }
h2 { flex: 1; margin: 8px 0; }
#body { width: 100%; font-family: var(--vscode-editor-font-family); }
.response { background: var(--vscode-textCodeBlock-background); padding: 8px; max-height: 40vh; overflow: auto; white-space: pre-wrap; }
.muted { color: var(--vscode-descriptionForeground); }
.batch table { border-collapse: collapse; }
.bad { color: var(--vscode-errorForeground); }
.batch th { text-align: left; padding-right: 16px; color: var(--vscode-descriptionForeground); font-weight: normal; }
`);
addStyle(AB_STYLE);
addStyle(CHAT_STYLE);
api.postMessage({ type: 'ready' });
