/**
 * The "Get started with Berth" walkthrough (package.json `contributes.walkthroughs`): each step
 * completes on the real event, through a context key Berth sets when it happens — the engine
 * connected (`berth.engineState`, set by the engine session), a run container healthy, a notebook
 * comparison finished, a log terminal opened. Not on the command alone: a command that was run
 * may still have failed or been cancelled.
 */
import * as vscode from 'vscode';

/** The walkthrough's id in package.json (`<publisher>.<name>#<id>` opens it). */
export const WALKTHROUGH_ID = 'berth.getStarted';

/** What each step waits for: the context key Berth sets to true when it happened. */
export const STEP_EVENTS = {
  /** A container Berth runs a model in became healthy (Run Model, several models, a run task). */
  modelServed: 'berth.walkthrough.modelServed',
  /** A notebook comparison ran to its report. */
  notebookCompared: 'berth.walkthrough.notebookCompared',
  /** A container's logs opened in a terminal. */
  logsOpened: 'berth.walkthrough.logsOpened',
} as const;

export type StepEvent = keyof typeof STEP_EVENTS;

/** The engine step's completion: the engine session's own state key. */
export const ENGINE_CONNECTED = "berth.engineState == 'connected'";

/** `event` happened: the walkthrough's step that waits for it shows as done. */
export function stepDone(event: StepEvent): void {
  void vscode.commands.executeCommand('setContext', STEP_EVENTS[event], true);
}
