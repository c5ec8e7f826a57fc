/**
 * The playground's Chat mode, for OpenAI-compatible servers: system prompt, messages, model and
 * sampling parameters; answers streamed token by token with Stop, and each answer's time to first
 * token, inter-token latency, tokens/s, total time and tokens; a batch of N at concurrency C with
 * percentiles; completions and embeddings; the request copied as code; export as JSON; and an A/B
 * chat: the same conversation to two servers or two models, side by side. Requests are made by
 * the extension host; everything from servers is set as text.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type {
  AbChoice,
  AbSide,
  BatchSummary,
  ChatApi,
  ChatCall,
  ChatMessage,
  CodeFormat,
  EmbedResult,
  LlmServerInfo,
  Percentiles,
  PlaygroundFromWebview,
  PlaygroundToWebview,
  StreamResult,
} from '../../src/ui/webview/protocol';
import { el } from '../vscodeApi';
import { metricsLine, ms, parseStop } from './chatText';

interface ValueElement extends HTMLElement {
  value: string;
}
interface CheckElement extends HTMLElement {
  checked: boolean;
}

export interface ChatHost {
  post(message: PlaygroundFromWebview): void;
  /** The Chat mode was shown or hidden. */
  toggled(open: boolean): void;
}

function field<T extends HTMLElement>(tag: string, attrs: Record<string, string>): T {
  const node = document.createElement(tag) as T;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const labelled = (text: string, control: HTMLElement): HTMLElement =>
  el('label', { className: 'chat-field' }, el('span', { text }), control);

/** A side's answer to one turn: its text as it streams, then its measurements. */
interface Reply {
  readonly side: AbSide;
  readonly root: HTMLElement;
  readonly text: HTMLElement;
  readonly metrics: HTMLElement;
  content: string;
  done: boolean;
  result?: StreamResult;
}

interface Turn {
  readonly api: ChatApi;
  readonly input: string;
  readonly replies: Map<AbSide, Reply>;
}

const FORMATS: readonly [CodeFormat, string][] = [
  ['curl', 'curl'],
  ['pythonOpenAI', 'Python openai'],
  ['pythonRequests', 'Python requests'],
  ['typescript', 'TypeScript fetch'],
];

export class ChatSection {
  readonly root = el('section', { className: 'chat' });
  private readonly server = el('span', { className: 'muted' });
  private readonly api = field<ValueElement>('vscode-single-select', { id: 'chat-api' });
  private readonly model = field<ValueElement>('vscode-single-select', { id: 'chat-model' });
  private readonly abOn = field<CheckElement>('vscode-checkbox', { id: 'chat-ab-on', label: 'A/B: the same conversation to B too' });
  private readonly bRow = el('div', { className: 'row' });
  private readonly bLabel = el('span', { className: 'muted', text: '(not chosen)' });
  private readonly modelB = field<ValueElement>('vscode-single-select', { id: 'chat-model-b' });
  private readonly system = field<ValueElement>('vscode-textarea', {
    id: 'chat-system',
    rows: '2',
    placeholder: 'System prompt (optional)',
  });
  private readonly temperature = field<ValueElement>('vscode-textfield', { id: 'chat-temperature', value: '0.8' });
  private readonly topP = field<ValueElement>('vscode-textfield', { id: 'chat-top-p', value: '1' });
  private readonly maxTokens = field<ValueElement>('vscode-textfield', { id: 'chat-max-tokens', value: '128' });
  private readonly seed = field<ValueElement>('vscode-textfield', { id: 'chat-seed', placeholder: 'random' });
  private readonly stopSeq = field<ValueElement>('vscode-textfield', { id: 'chat-stop-seq', placeholder: 'e.g. \\n\\n, END' });
  private readonly transcript = el('div', { className: 'chat-transcript' });
  private readonly input = field<ValueElement>('vscode-textarea', { id: 'chat-input', rows: '3', placeholder: 'Message' });
  private readonly send = el('vscode-button', { text: 'Send' });
  private readonly stop = el('vscode-button', { text: 'Stop' });
  private readonly clear = el('vscode-button', { text: 'Clear' });
  private readonly exportButton = el('vscode-button', { text: 'Export JSON' });
  private readonly note = el('span', { className: 'chat-note' });
  private readonly n = field<ValueElement>('vscode-textfield', { id: 'chat-n', value: '20', type: 'number' });
  private readonly concurrency = field<ValueElement>('vscode-textfield', { id: 'chat-c', value: '4', type: 'number' });
  private readonly runBatch = el('vscode-button', { text: 'Run Batch' });
  private readonly stopBatch = el('vscode-button', { text: 'Stop Batch' });
  private readonly batchStatus = el('span', { className: 'muted' });
  private readonly batchTable = el('div', { className: 'chat-batch' });

  private readonly infos = new Map<AbSide, LlmServerInfo>();
  private readonly targets = new Map<AbSide, AbChoice>();
  private readonly turns: Turn[] = [];
  private run = 0;
  private streaming = 0;
  /** The last request sent to A: what Copy and Run Batch use while the input is empty. */
  private lastCall: ChatCall | undefined;

  constructor(private readonly host: ChatHost) {
    this.root.id = 'chat';
    this.root.hidden = true;
    this.server.id = 'chat-server';
    this.transcript.id = 'chat-transcript';
    this.bLabel.id = 'chat-b';
    this.note.id = 'chat-note';
    this.batchStatus.id = 'chat-batch-status';
    this.batchTable.id = 'chat-batch';
    const ids: [HTMLElement, string, boolean][] = [
      [this.send, 'chat-send', false],
      [this.stop, 'chat-stop', true],
      [this.clear, 'chat-clear', true],
      [this.exportButton, 'chat-export', true],
      [this.runBatch, 'chat-batch-run', true],
      [this.stopBatch, 'chat-batch-stop', true],
    ];
    for (const [node, id, secondary] of ids) {
      node.id = id;
      if (secondary) node.setAttribute('secondary', '');
    }
    this.stop.setAttribute('disabled', '');
    this.stopBatch.setAttribute('disabled', '');
    this.api.append(...(['chat', 'completions', 'embeddings'] as const).map((a) => el('vscode-option', { text: a })));
    const chooseB = el('vscode-button', { text: 'Choose B…' });
    chooseB.id = 'chat-choose-b';
    chooseB.setAttribute('secondary', '');
    this.bRow.append(el('span', { className: 'chat-side', text: 'B' }), this.bLabel, chooseB, labelled('model', this.modelB));
    this.bRow.hidden = true;
    const copy = FORMATS.map(([format, text]) => {
      const b = el('vscode-button', { text });
      b.id = `chat-copy-${format}`;
      b.setAttribute('secondary', '');
      b.addEventListener('click', () => this.copy(format));
      return b;
    });
    this.root.append(
      el('div', { className: 'row' }, el('h3', { text: 'Chat' }), this.server),
      el('div', { className: 'row' }, labelled('API', this.api), labelled('model', this.model), this.abOn),
      this.bRow,
      this.system,
      el(
        'div',
        { className: 'row' },
        labelled('temperature', this.temperature),
        labelled('top_p', this.topP),
        labelled('max tokens', this.maxTokens),
        labelled('seed', this.seed),
        labelled('stop', this.stopSeq),
      ),
      this.transcript,
      this.input,
      el('div', { className: 'row' }, this.send, this.stop, this.clear, this.exportButton, this.note),
      el('div', { className: 'row' }, el('span', { className: 'muted', text: 'Copy as' }), ...copy),
      el(
        'div',
        { className: 'row' },
        labelled('batch N', this.n),
        labelled('concurrency', this.concurrency),
        this.runBatch,
        this.stopBatch,
        this.batchStatus,
      ),
      this.batchTable,
    );
    this.send.addEventListener('click', () => this.sendInput());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.sendInput();
    });
    this.stop.addEventListener('click', () => host.post({ type: 'chatStop' }));
    this.clear.addEventListener('click', () => {
      this.turns.length = 0;
      this.transcript.replaceChildren();
      this.clear.setAttribute('disabled', '');
    });
    this.exportButton.addEventListener('click', () => host.post({ type: 'chatExport' }));
    this.runBatch.addEventListener('click', () => this.startBatch());
    this.stopBatch.addEventListener('click', () => host.post({ type: 'chatBatchStop' }));
    chooseB.addEventListener('click', () => host.post({ type: 'abChooseB' }));
    this.abOn.addEventListener('change', () => {
      this.bRow.hidden = !this.abOn.checked;
      // B starts as this server when none is chosen: two models of one server
      if (this.abOn.checked && !this.targets.has('b')) host.post({ type: 'abChooseB' });
    });
    this.api.addEventListener('change', () => {
      const api = this.currentApi();
      this.input.setAttribute(
        'placeholder',
        api === 'chat' ? 'Message' : api === 'completions' ? 'Prompt' : 'Text to embed (one input per line)',
      );
      this.send.textContent = api === 'embeddings' ? 'Embed' : 'Send';
    });
  }

  toggle(open = this.root.hidden): void {
    this.root.hidden = !open;
    this.host.toggled(open);
  }

  /** Handle a Chat mode message; false: not one of its own. */
  onMessage(m: PlaygroundToWebview): boolean {
    switch (m.type) {
      case 'llm':
        this.targets.set(m.side, m.target);
        if (m.info) this.infos.set(m.side, m.info);
        else this.infos.delete(m.side);
        if (m.side === 'a') this.showServer(m.target, m.info, m.note);
        else this.showB(m.target, m.info, m.note);
        return true;
      case 'abTarget':
        // B chosen (for the A/B section too): its server is detected next
        this.targets.set('b', m.target);
        this.bLabel.textContent = `${m.target.label} — ${m.target.baseUrl}`;
        return false;
      case 'chatToken':
        this.token(m.run, m.side, m.delta);
        return true;
      case 'chatDone':
        this.done(m.run, m.side, m.result);
        return true;
      case 'embedResult':
        this.embedded(m.run, m.result);
        return true;
      case 'chatBatchProgress':
        this.batchStatus.textContent = `${m.summary.done} of ${m.summary.n}…`;
        this.showBatch(m.summary);
        return true;
      case 'chatBatch':
        this.runBatch.removeAttribute('disabled');
        this.stopBatch.setAttribute('disabled', '');
        this.batchStatus.textContent =
          `${m.summary.done} of ${m.summary.n} requests${m.stopped ? ' (stopped)' : ''} in ${(m.summary.wallMs / 1000).toFixed(1)} s, ` +
          `error rate ${(m.summary.errorRate * 100).toFixed(1)} %`;
        this.showBatch(m.summary);
        this.exportButton.removeAttribute('disabled');
        return true;
      case 'chatNote':
        this.say(m.message, m.bad === true);
        return true;
      default:
        return false;
    }
  }

  private say(message: string, bad = false): void {
    this.note.textContent = message;
    this.note.className = bad ? 'chat-note bad' : 'chat-note';
  }

  private showServer(target: AbChoice, info: LlmServerInfo | undefined, note: string | undefined): void {
    if (!info) {
      this.server.textContent = note ?? 'not an OpenAI-compatible server';
      return;
    }
    this.server.textContent =
      `${target.label} — ${target.baseUrl}${target.via === undefined ? '' : ` (${target.via})`} · ${info.flavor} (${info.via === 'v1/models' ? 'GET /v1/models' : 'by its image'}) · ` +
      `${info.apis.join(', ')}`;
    fillModels(this.model, info.models);
    if (this.modelB.childElementCount === 0) fillModels(this.modelB, info.models);
    this.runBatch.removeAttribute('disabled');
  }

  private showB(target: AbChoice, info: LlmServerInfo | undefined, note: string | undefined): void {
    this.bLabel.textContent = `${target.label} — ${target.baseUrl}${info ? ` · ${info.flavor}` : ` · ${note ?? 'not an OpenAI-compatible server'}`}`;
    this.bLabel.className = info ? '' : 'bad';
    fillModels(this.modelB, info?.models ?? []);
  }

  private currentApi(): ChatApi {
    const v = this.api.value;
    return v === 'completions' || v === 'embeddings' ? v : 'chat';
  }

  private sides(): AbSide[] {
    return this.abOn.checked ? ['a', 'b'] : ['a'];
  }

  private params(): { error: string } | { temperature?: number; top_p?: number; max_tokens?: number; stop?: string[]; seed?: number } {
    const num = (f: ValueElement, name: string): number | undefined | { error: string } => {
      const t = f.value.trim();
      if (t === '') return undefined;
      const v = Number(t);
      return Number.isFinite(v) ? v : { error: `${name} is not a number: ${t}` };
    };
    const temperature = num(this.temperature, 'temperature');
    const topP = num(this.topP, 'top_p');
    const maxTokens = num(this.maxTokens, 'max tokens');
    const seed = num(this.seed, 'seed');
    for (const v of [temperature, topP, maxTokens, seed]) if (typeof v === 'object') return v;
    const stop = parseStop(this.stopSeq.value);
    return {
      ...(typeof temperature === 'number' ? { temperature } : {}),
      ...(typeof topP === 'number' ? { top_p: topP } : {}),
      ...(typeof maxTokens === 'number' ? { max_tokens: Math.round(maxTokens) } : {}),
      ...(stop.length > 0 ? { stop } : {}),
      ...(typeof seed === 'number' ? { seed: Math.round(seed) } : {}),
    };
  }

  private modelOf(side: AbSide): string {
    return (side === 'a' ? this.model : this.modelB).value || this.model.value || 'default';
  }

  /** The conversation as `side` saw it (its own answers, else A's), then `input`. */
  private messages(side: AbSide, input: string): ChatMessage[] {
    const out: ChatMessage[] = [];
    const system = this.system.value.trim();
    if (system !== '') out.push({ role: 'system', content: system });
    for (const t of this.turns) {
      if (t.api !== 'chat') continue;
      const reply = t.replies.get(side) ?? t.replies.get('a');
      out.push({ role: 'user', content: t.input });
      if (reply && reply.content !== '') out.push({ role: 'assistant', content: reply.content });
    }
    out.push({ role: 'user', content: input });
    return out;
  }

  /** The request Send would make for a side now, or why there is none. */
  private call(side: AbSide, input: string): ChatCall | { error: string } {
    const params = this.params();
    if ('error' in params) return params;
    const model = this.modelOf(side);
    return this.currentApi() === 'completions'
      ? { side, api: 'completions', body: { model, prompt: input, ...params } }
      : { side, api: 'chat', body: { model, messages: this.messages(side, input), ...params } };
  }

  private sendInput(): void {
    if (this.streaming > 0) return;
    const input = this.input.value;
    if (input.trim() === '') {
      this.say('Write a message first.', true);
      return;
    }
    this.say('');
    const api = this.currentApi();
    const run = ++this.run;
    const sides = this.sides();
    if (sides.includes('b') && !this.targets.has('b')) {
      this.say('Choose B first: another container, or this one with another model.', true);
      return;
    }
    if (api === 'embeddings') {
      const lines = input.split('\n').filter((l) => l.trim() !== '');
      this.addTurn(api, input, ['a']);
      this.streaming = 1;
      this.running(true);
      this.host.post({ type: 'embed', run, side: 'a', body: { model: this.modelOf('a'), input: lines.length === 1 ? lines[0]! : lines } });
      this.input.value = '';
      return;
    }
    const calls: ChatCall[] = [];
    for (const side of sides) {
      const c = this.call(side, input);
      if ('error' in c) {
        this.say(c.error, true);
        return;
      }
      calls.push(c);
    }
    this.lastCall = calls[0];
    this.addTurn(api, input, sides);
    this.streaming = calls.length;
    this.running(true);
    this.input.value = '';
    this.host.post({ type: 'chatSend', run, calls });
  }

  private addTurn(api: ChatApi, input: string, sides: readonly AbSide[]): void {
    const replies = new Map<AbSide, Reply>();
    const row = el('div', { className: `chat-replies${sides.length > 1 ? ' ab' : ''}` });
    for (const side of sides) {
      const text = el('div', { className: 'chat-text streaming' });
      const metrics = el('div', { className: 'chat-metrics muted' });
      const target = this.targets.get(side);
      const head =
        sides.length > 1 || api !== 'chat'
          ? el('div', { className: 'chat-who', text: `${side.toUpperCase()}: ${target?.label ?? ''} · ${this.modelOf(side)}` })
          : el('div', { className: 'chat-who', text: `assistant · ${this.modelOf(side)}` });
      const root = el('div', { className: `chat-reply side-${side}` }, head, text, metrics);
      root.dataset['side'] = side;
      row.append(root);
      replies.set(side, { side, root, text, metrics, content: '', done: false });
    }
    const turn: Turn = { api, input, replies };
    this.turns.push(turn);
    const label = api === 'chat' ? 'user' : api === 'completions' ? 'prompt' : 'input';
    const node = el(
      'div',
      { className: 'chat-turn' },
      el(
        'div',
        { className: 'chat-user' },
        el('div', { className: 'chat-who', text: label }),
        el('div', { className: 'chat-text', text: input }),
      ),
      row,
    );
    node.dataset['run'] = String(this.run);
    this.transcript.append(node);
    this.clear.removeAttribute('disabled');
    node.scrollIntoView({ block: 'end' });
  }

  private replyOf(run: number, side: AbSide): Reply | undefined {
    if (run !== this.run) return undefined;
    return this.turns.at(-1)?.replies.get(side);
  }

  private token(run: number, side: AbSide, delta: string): void {
    const r = this.replyOf(run, side);
    if (!r || r.done) return;
    r.content += delta;
    r.text.append(document.createTextNode(delta));
  }

  private done(run: number, side: AbSide, result: StreamResult): void {
    const r = this.replyOf(run, side);
    if (!r || r.done) {
      // a refusal before anything was shown
      if (result.error !== undefined && run === this.run) this.say(result.error, true);
      this.finishOne();
      return;
    }
    r.done = true;
    r.result = result;
    const stopped = result.error === 'cancelled';
    // what the server answered whole (no stream) or what arrived after the last token message
    if (result.text.length > r.content.length && result.text.startsWith(r.content)) {
      r.text.append(document.createTextNode(result.text.slice(r.content.length)));
      r.content = result.text;
    }
    r.text.classList.remove('streaming');
    r.metrics.replaceChildren(
      ...metricsLine(result).map((p) => el('span', { className: `chat-m m-${p.key}`, text: p.text })),
      ...(result.error === undefined
        ? []
        : stopped
          ? [el('div', { className: 'chat-error muted', text: 'stopped: what had arrived is kept' })]
          : [el('div', { className: 'chat-error bad', text: result.error })]),
    );
    r.root.classList.toggle('failed', result.error !== undefined && !stopped);
    this.finishOne();
  }

  private embedded(run: number, result: EmbedResult): void {
    const r = this.replyOf(run, 'a');
    if (r && !r.done) {
      r.done = true;
      r.text.classList.remove('streaming');
      r.text.textContent =
        result.error ?? `${result.vectors} vector${result.vectors === 1 ? '' : 's'} of ${result.dims} dimensions (status ${result.status})`;
      r.metrics.replaceChildren(
        el('span', { className: 'chat-m m-total', text: `latency ${ms(result.latencyMs)}` }),
        ...(result.promptTokens === undefined
          ? []
          : [el('span', { className: 'chat-m m-tokens', text: `${result.promptTokens} prompt tokens` })]),
      );
      r.root.classList.toggle('failed', result.error !== undefined);
    }
    this.finishOne();
  }

  private finishOne(): void {
    this.streaming = Math.max(0, this.streaming - 1);
    if (this.streaming === 0) {
      this.running(false);
      this.exportButton.removeAttribute('disabled');
    }
  }

  private running(on: boolean): void {
    if (on) {
      this.send.setAttribute('disabled', '');
      this.stop.removeAttribute('disabled');
    } else {
      this.send.removeAttribute('disabled');
      this.stop.setAttribute('disabled', '');
    }
  }

  /** What Copy and Run Batch use: the request Send would make, else the last one sent. */
  private currentCall(side: AbSide = 'a'): ChatCall | { error: string } {
    const input = this.input.value;
    if (input.trim() !== '') return this.call(side, input);
    if (this.lastCall) return this.lastCall;
    return { error: 'Write a message first: the request is made of it.' };
  }

  private copy(format: CodeFormat): void {
    if (this.currentApi() === 'embeddings') {
      const lines = this.input.value.split('\n').filter((l) => l.trim() !== '');
      if (lines.length === 0) return this.say('Write the text to embed first.', true);
      this.host.post({
        type: 'chatCopy',
        format,
        side: 'a',
        api: 'embeddings',
        body: { model: this.modelOf('a'), input: lines.length === 1 ? lines[0] : lines },
      });
      return;
    }
    const c = this.currentCall();
    if ('error' in c) return this.say(c.error, true);
    this.host.post({ type: 'chatCopy', format, side: c.side, api: c.api, body: c.body });
  }

  private startBatch(): void {
    const c = this.currentCall();
    if ('error' in c) return this.say(c.error, true);
    if (c.api !== 'chat') return this.say('A batch sends chat requests: switch the API to chat.', true);
    this.runBatch.setAttribute('disabled', '');
    this.stopBatch.removeAttribute('disabled');
    this.batchStatus.textContent = 'running…';
    this.batchTable.replaceChildren();
    this.host.post({ type: 'chatBatch', call: c, n: Number(this.n.value) || 20, concurrency: Number(this.concurrency.value) || 4 });
  }

  private showBatch(s: BatchSummary): void {
    const cols = (p: Percentiles | undefined, f: (x: number) => string): string[] =>
      p === undefined ? ['—', '—', '—', '—'] : [f(p.p50), f(p.p95), f(p.p99), f(p.mean)];
    const rate = (x: number): string => x.toFixed(1);
    const rows: [string, string[]][] = [
      ['TTFT', cols(s.ttftMs, ms)],
      ['inter-token', cols(s.interTokenMs, ms)],
      ['tokens/s', cols(s.tokensPerSecond, rate)],
      ['total', cols(s.totalMs, ms)],
    ];
    this.batchTable.replaceChildren(
      el(
        'table',
        {},
        el('tr', {}, ...['', 'p50', 'p95', 'p99', 'mean'].map((h) => el('th', { text: h }))),
        ...rows.map(([name, values]) => {
          const tr = el('tr', {}, el('th', { text: name }), ...values.map((v) => el('td', { text: v })));
          tr.dataset['metric'] = name;
          return tr;
        }),
        el(
          'tr',
          {},
          el('th', { text: 'error rate' }),
          el('td', { text: `${(s.errorRate * 100).toFixed(1)} % (${s.errors} of ${s.done})` }),
        ),
        ...s.firstErrors.slice(0, 3).map((e, i) => el('tr', {}, el('th', { text: i === 0 ? 'first errors' : '' }), el('td', { text: e }))),
      ),
    );
  }
}

function fillModels(select: ValueElement, models: readonly string[]): void {
  const list = models.length > 0 ? models : ['default'];
  select.replaceChildren(...list.map((m) => el('vscode-option', { text: m })));
  select.value = list[0] ?? '';
}

export const CHAT_STYLE = `
.chat { margin-top: 8px; }
.chat [hidden] { display: none !important; }
#chat-stop-seq { width: 10em; }
.chat h3 { margin: 0; }
.chat-side { font-weight: bold; }
.chat-field { display: flex; gap: 4px; align-items: center; }
.chat-field vscode-textfield { width: 7em; }
#chat-model, #chat-model-b { min-width: 12em; }
#chat-system, #chat-input { width: 100%; font-family: var(--vscode-editor-font-family); }
.chat-transcript { display: flex; flex-direction: column; gap: 8px; margin: 8px 0; max-height: 55vh; overflow: auto; }
.chat-turn { display: flex; flex-direction: column; gap: 4px; }
.chat-user, .chat-reply { padding: 6px 8px; border-radius: 4px; }
.chat-user { background: var(--vscode-editorWidget-background); border-left: 3px solid var(--vscode-charts-green); }
.chat-replies { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; }
.chat-replies.ab { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.chat-reply { background: var(--vscode-textCodeBlock-background); border-left: 3px solid var(--vscode-charts-blue); }
.chat-reply.side-b { border-left-color: var(--vscode-charts-orange); }
.chat-reply.failed { border-left-color: var(--vscode-errorForeground); }
.chat-who { font-size: 0.85em; color: var(--vscode-descriptionForeground); margin-bottom: 2px; }
.chat-text { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
.chat-text.streaming::after { content: '▍'; opacity: 0.6; }
.chat-metrics { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.85em; margin-top: 4px; }
.chat-note { color: var(--vscode-descriptionForeground); }
.chat-batch table { border-collapse: collapse; }
.chat-batch th, .chat-batch td { text-align: left; padding: 2px 16px 2px 0; }
.chat-batch th { color: var(--vscode-descriptionForeground); font-weight: normal; }
`;
