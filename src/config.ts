import * as vscode from 'vscode';

/** Typed reader for Berth's settings; read fresh each time so changes apply without a reload. */
export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('berth');
  }

  get engineHost(): string {
    return this.section.get<string>('engine.host', '').trim();
  }

  get engineContext(): string {
    return this.section.get<string>('engine.context', '').trim();
  }

  get engineTimeoutMs(): number {
    return Math.max(1000, this.section.get<number>('engine.timeoutMs', 10_000));
  }

  /** The safety-net full list of containers, behind the event stream. */
  get reconcileIntervalMs(): number {
    return Math.max(5, this.section.get<number>('containers.reconcileIntervalSeconds', 30)) * 1000;
  }

  get logTail(): number {
    return Math.max(0, this.section.get<number>('logs.tail', 1000));
  }

  get logTimestamps(): boolean {
    return this.section.get<boolean>('logs.timestamps', false);
  }

  /** Fires when a setting that changes which engine Berth talks to changes. */
  static affectsEngine(event: vscode.ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration('berth.engine');
  }
}
