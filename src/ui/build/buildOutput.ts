import * as vscode from 'vscode';

let channel: vscode.OutputChannel | undefined;

/** The build log: every line the engine sent, per build, in one output view. */
export function buildOutput(context: vscode.ExtensionContext): vscode.OutputChannel {
  if (!channel) {
    channel = vscode.window.createOutputChannel('Berth Build');
    context.subscriptions.push(channel);
  }
  return channel;
}
