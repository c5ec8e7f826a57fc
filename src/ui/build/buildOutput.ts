import * as vscode from 'vscode';

/**
 * The build log: every line the engine sent, per build, in one output view ("Berth Build"). The
 * channel is made at the first build, so the Output list shows it only once there is a log.
 */
export class BuildOutput implements vscode.Disposable {
  private made: vscode.OutputChannel | undefined;

  private get channel(): vscode.OutputChannel {
    this.made ??= vscode.window.createOutputChannel(vscode.l10n.t('Berth Build'));
    return this.made;
  }

  appendLine(line: string): void {
    this.channel.appendLine(line);
  }

  show(preserveFocus: boolean): void {
    this.channel.show(preserveFocus);
  }

  dispose(): void {
    this.made?.dispose();
    this.made = undefined;
  }
}
