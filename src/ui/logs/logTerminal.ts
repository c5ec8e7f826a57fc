import * as vscode from 'vscode';
import type { Engine } from '../../core/engine/engine';
import { followContainerLogs } from '../../core/engine/logFollower';
import { formatLine, formatMarker, formatNotice, prefixColour, type LineFormat } from './formatLog';

export interface LogSource {
  readonly id: string;
  readonly name: string;
}

export interface LogTerminalOptions {
  readonly tail: number | 'all';
  readonly since?: string;
  readonly timestamps: boolean;
}

const FLUSH_MS = 16;
const FLUSH_BYTES = 256 * 1024;

/**
 * A pseudoterminal following one or more containers' logs, interleaved with a coloured name
 * prefix when there are several. Output is batched (one write per frame, or per 256 KiB), so a
 * container printing a flood never blocks the window; VS Code's terminal find searches it.
 */
export class LogTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writer.event;
  private readonly closer = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closer.event;
  private readonly controller = new AbortController();
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private ended = 0;

  constructor(
    private readonly engine: Engine,
    private readonly sources: readonly LogSource[],
    private readonly options: LogTerminalOptions,
    private readonly log: vscode.LogOutputChannel,
    /** Called when the terminal is closed. */
    private readonly onClosed: () => void = () => undefined,
  ) {}

  open(): void {
    const width = Math.max(...this.sources.map((s) => s.name.length));
    this.sources.forEach((source, index) => {
      const format: LineFormat = {
        timestamps: this.options.timestamps,
        ...(this.sources.length > 1 ? { prefix: { text: source.name, colour: prefixColour(index), width } } : {}),
      };
      void this.follow(source, format);
    });
  }

  private async follow(source: LogSource, format: LineFormat): Promise<void> {
    const multi = this.sources.length > 1;
    try {
      for await (const item of followContainerLogs(this.engine, source.id, {
        signal: this.controller.signal,
        tail: this.options.tail,
        ...(this.options.since ? { since: this.options.since } : {}),
      })) {
        this.write(item.kind === 'line' ? formatLine(item.line, format) : formatMarker(item.marker, multi ? source.name : undefined));
      }
    } catch (err) {
      this.log.error(`Following logs of ${source.name} failed`, err);
      this.write(formatNotice(`${source.name}: ${err instanceof Error ? err.message : String(err)}`));
    }
    if (++this.ended === this.sources.length && !this.controller.signal.aborted)
      this.write(`\r\n\x1b[2m[${vscode.l10n.t('all followed containers are gone — close this terminal')}]\x1b[0m\r\n`);
  }

  private write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer === '') return;
    const out = this.buffer;
    this.buffer = '';
    this.writer.fire(out);
  }

  /** The engine connection ended (another engine, or the engine settings changed): stop following and say so. */
  dispose(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    this.write(formatNotice(vscode.l10n.t('the engine connection changed: these logs end here')));
  }

  close(): void {
    this.onClosed();
    this.controller.abort();
    clearTimeout(this.timer);
    this.writer.dispose();
    this.closer.dispose();
  }
}
