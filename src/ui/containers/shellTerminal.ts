import * as vscode from 'vscode';
import type { Engine } from '../../core/engine/engine';
import { runExec, startExec, type ExecSession } from '../../core/engine/exec';

/** Which shell the container has: bash if present, else sh; undefined when it has neither. */
export async function pickShell(engine: Engine, id: string): Promise<string | undefined> {
  try {
    const probe = await runExec(engine, id, { cmd: ['sh', '-c', 'command -v bash || command -v sh'] });
    const found = probe.stdout.trim().split('\n')[0];
    if (probe.exitCode === 0 && found) return found;
  } catch {
    // no sh at all: fall through
  }
  return undefined;
}

/** A terminal attached to an exec session in the container through the Engine API (TTY, resize). */
export class ShellTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writer.event;
  private readonly closer = new vscode.EventEmitter<number | void>();
  readonly onDidClose = this.closer.event;
  private session: ExecSession | undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly engine: Engine,
    private readonly containerId: string,
    private readonly containerName: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    void this.start(dimensions);
  }

  private async start(dimensions: vscode.TerminalDimensions | undefined): Promise<void> {
    try {
      const shell = await pickShell(this.engine, this.containerId);
      if (!shell) {
        this.writer.fire(
          `\x1b[93m${vscode.l10n.t('{0} has no shell (neither bash nor sh is in its image).', this.containerName)}\x1b[0m\r\n` +
            `${vscode.l10n.t('Use Show Logs to see its output, or run a debug image alongside it that shares its namespaces.')}\r\n`,
        );
        this.closer.fire(127);
        return;
      }
      this.session = await startExec(this.engine, this.containerId, {
        cmd: [shell],
        tty: true,
        stdin: true,
        env: ['TERM=xterm-256color'],
        signal: this.controller.signal,
        ...(dimensions ? { size: { cols: dimensions.columns, rows: dimensions.rows } } : {}),
      });
      if (dimensions) void this.session.resize(dimensions.columns, dimensions.rows).catch(() => undefined);
      for await (const chunk of this.session.output) this.writer.fire(chunk.data.toString('utf8'));
      this.closer.fire(await this.session.exitCode().catch(() => 0));
    } catch (err) {
      if (this.controller.signal.aborted) return;
      this.log.error(`Attach shell to ${this.containerName} failed`, err);
      this.writer.fire(`\x1b[91m${err instanceof Error ? err.message : String(err)}\x1b[0m\r\n`);
      this.closer.fire(1);
    }
  }

  handleInput(data: string): void {
    this.session?.write(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    void this.session?.resize(dimensions.columns, dimensions.rows).catch(() => undefined);
  }

  close(): void {
    this.controller.abort();
    this.session?.close();
  }
}
