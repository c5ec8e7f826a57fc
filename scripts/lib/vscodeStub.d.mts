/** A stand-in for the `vscode` module: every property is another stand-in, callable and constructible. */
export function stub(name: string): unknown;
/** Make `require('vscode')` answer the stand-in, until the returned function is called. */
export function installVscodeStub(): () => void;

/** A call the code under test made to the stand-in: `window.showErrorMessage`, `commands.executeCommand`, … */
export interface StandInCall {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** The `vscode` stand-in of the unit tests, and what they see and decide through it. */
export interface VscodeStandIn {
  /** The module `require('vscode')` returns. */
  readonly vscode: unknown;
  /** Every call to the window, commands and workspace namespaces that reaches the user or runs a command, in order. */
  readonly calls: readonly StandInCall[];
  /** The arguments of each call to `name`, in order. */
  callsTo(name: string): (readonly unknown[])[];
  /** What the user answers to `name` (a message or a quick pick), given the call's arguments; unanswered is dismissed. */
  answer(
    name:
      | 'window.showErrorMessage'
      | 'window.showWarningMessage'
      | 'window.showInformationMessage'
      | 'window.showQuickPick'
      | 'window.showInputBox',
    reply: (...args: unknown[]) => unknown,
  ): void;
  /** Change settings (undefined removes one) and fire onDidChangeConfiguration for them, as VS Code does. */
  configure(values: Record<string, unknown>): void;
  /** Forget the calls, answers, registered commands and settings. */
  reset(): void;
}

/** The unit tests' stand-in (one per process). */
export const standIn: VscodeStandIn;
/** Make `require('vscode')` answer the unit tests' stand-in, until the returned function is called. */
export function installVscodeStandIn(): () => void;
