/**
 * The "Get started with Berth" walkthrough (package.json `contributes.walkthroughs`): each step
 * completes on the real event, through a context key Berth sets when it happens — the engine
 * connected, a run container healthy, a notebook comparison finished, a log terminal opened. Not on
 * the command alone: a command that was run may still have failed or been cancelled.
 *
 * The engine step: VS Code's walkthrough service counts a context key that is already true when it
 * registers the walkthrough as seen, and never completes its step in that session (it registers
 * walkthroughs when it first starts: with the Welcome page, or when a walkthrough is first opened).
 * Berth is usually connected long before, so its key is set when the engine is connected while
 * Berth's walkthrough is open: the service exists then, and sees the key change.
 */
import * as vscode from 'vscode';
import type { EngineState } from '../engine/engineSession';
import type { Services } from '../services';

/** The walkthrough's id in package.json (`<publisher>.<name>#<id>` opens it). */
export const WALKTHROUGH_ID = 'berth.getStarted';

/** What each step waits for: the context key Berth sets to true when it happened. */
export const STEP_EVENTS = {
  /** Berth is connected to an engine (set while the walkthrough is open, see above). */
  engineConnected: 'berth.walkthrough.engineConnected',
  /** A container Berth runs a model in became healthy (Run Model, several models, a run task). */
  modelServed: 'berth.walkthrough.modelServed',
  /** A notebook comparison ran to its report. */
  notebookCompared: 'berth.walkthrough.notebookCompared',
  /** A container's logs opened in a terminal. */
  logsOpened: 'berth.walkthrough.logsOpened',
} as const;

export type StepEvent = keyof typeof STEP_EVENTS;

/** `event` happened: the walkthrough's step that waits for it shows as done. */
export function stepDone(event: StepEvent): void {
  void vscode.commands.executeCommand('setContext', STEP_EVENTS[event], true);
}

/**
 * A tab of Berth's walkthrough: VS Code's walkthrough editor (an input the API does not model,
 * so `undefined`), titled with the extension's name ("Walkthrough: Berth — Containerized ML").
 */
export function isBerthWalkthrough(tab: { readonly label: string; readonly input: unknown }): boolean {
  return tab.input === undefined && /\bBerth\b/.test(tab.label);
}

/** Completes the engine step when Berth is connected while its walkthrough is open (or opens). */
export function watchEngineStep(
  session: { readonly state: EngineState; readonly onDidChange: vscode.Event<EngineState> },
  tabGroups: Pick<vscode.TabGroups, 'all' | 'onDidChangeTabs'>,
): vscode.Disposable {
  const check = (): void => {
    const open = tabGroups.all.some((group) => group.tabs.some(isBerthWalkthrough));
    if (open && session.state.kind === 'connected') stepDone('engineConnected');
  };
  check();
  return vscode.Disposable.from(session.onDidChange(check), tabGroups.onDidChangeTabs(check));
}

/**
 * The engine step's other completion: Engine Info found the engine connected. A command event,
 * since VS Code never completes an `onContext` step whose key was already true when it registered
 * the walkthrough; the step's button shows Engine Info, so this happens after it registered.
 */
export const ENGINE_CHECKED_COMMAND = 'berth.walkthrough.engineChecked';

export function engineChecked(): void {
  void vscode.commands.executeCommand(ENGINE_CHECKED_COMMAND);
}

export function registerWalkthrough({ context, session }: Services): void {
  context.subscriptions.push(
    watchEngineStep(session, vscode.window.tabGroups),
    vscode.commands.registerCommand(ENGINE_CHECKED_COMMAND, () => undefined),
  );
}
