import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { build, chooseBuilder, describeBuilder, type BuilderChoice } from '../../core/build/builder';
import { mountNeeds } from '../../core/build/mounts';
import { BuildFailedError, type BuildEvent, type BuildStep } from '../../core/engine/build';
import { CancelledError } from '../../core/engine/errors';
import { BERTH_LABEL } from '../../core/engine/labels';
import { ignoreLinesFor, scanContext, type ContextScan } from '../../core/project/buildContext';
import { formatBytes } from '../../core/project/units';
import type { Services } from '../services';
import type { BuildOutput } from './buildOutput';
import { resolveBuildSecrets } from './buildSecrets';

export interface BuildRequest {
  readonly scan: ContextScan;
  readonly dockerfile: string;
  readonly tag: string;
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The Dockerfile, for the log. */
  readonly source: vscode.Uri;
}

/**
 * Offer to keep large weights out of the build context (and mount them at run time instead);
 * returns the scan to build with, or undefined when the user backs out.
 */
export async function confirmContext(scan: ContextScan, contextDir: string, dockerfile: string): Promise<ContextScan | undefined> {
  if (scan.weights.length === 0) return scan;
  const weightBytes = scan.weights.reduce((n, w) => n + w.bytes, 0);
  const lines = ignoreLinesFor(scan);
  const buildAnyway = vscode.l10n.t('Build Anyway');
  const choice = await vscode.window.showWarningMessage(
    scan.weights.length === 1
      ? vscode.l10n.t(
          'The build context holds {0} of model weights or data (1 file, {1}). They would be copied into the image on every build.',
          formatBytes(weightBytes),
          scan.weights[0]?.path ?? '',
        )
      : vscode.l10n.t(
          'The build context holds {0} of model weights or data ({1} files, e.g. {2}). They would be copied into the image on every build.',
          formatBytes(weightBytes),
          scan.weights.length,
          scan.weights[0]?.path ?? '',
        ),
    {
      modal: true,
      detail: vscode.l10n.t(
        "Add {0} to .dockerignore and mount them at run time instead (Berth's run profiles mount the model read-only).",
        lines.join(', '),
      ),
    },
    vscode.l10n.t('Add to .dockerignore'),
    buildAnyway,
  );
  if (choice === undefined) return undefined;
  if (choice === buildAnyway) return scan;
  const file = path.join(contextDir, '.dockerignore');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const prefix = existing === '' || existing.endsWith('\n') ? '' : '\n';
  fs.writeFileSync(file, `${existing}${prefix}# model weights and data: mounted at run time, not built in\n${lines.join('\n')}\n`);
  return scanContext(contextDir, dockerfile);
}

/** The log's header of one build: when, what, from where, which builder, and the context's size. */
function logHeader(out: BuildOutput, request: BuildRequest, builder: BuilderChoice): void {
  const { scan, tag, target } = request;
  out.appendLine(
    `\n── ${new Date().toLocaleString()}: ${tag} from ${vscode.workspace.asRelativePath(request.source)}${target ? ` (stage ${target})` : ''}`,
  );
  out.appendLine(`   ${describeBuilder(builder)}`);
  out.appendLine(
    `   context ${formatBytes(scan.totalBytes)} in ${scan.files.length} files${scan.ignoredCount > 0 ? `; ${scan.ignoredCount} files (${formatBytes(scan.ignoredBytes)}) left out by .dockerignore` : ''}`,
  );
}

/**
 * "step 3 of 7 (cached)", with the stage when there are several (BuildKit calls the one stage of
 * some Dockerfiles "stage-0").
 */
export function progressMessage(step: BuildStep, severalStages = true): string {
  const where =
    step.stage && severalStages
      ? vscode.l10n.t('step {0} of {1} in {2}', step.index, step.total, step.stage)
      : vscode.l10n.t('step {0} of {1}', step.index, step.total);
  return `${step.cached === true ? vscode.l10n.t('{0} (cached)', where) : where} — ${step.instruction.slice(0, 60)}`;
}

/**
 * Build events to the log and the notification: "step k of n" moves the bar. BuildKit counts per
 * stage, so the bar is the share of the steps of the stages seen so far.
 */
function reportEvents(out: BuildOutput, progress: vscode.Progress<{ message?: string; increment?: number }>): (e: BuildEvent) => void {
  let last = 0;
  const stages = new Map<string, { done: number; total: number }>();
  let lastStep: BuildStep | undefined;
  return (e) => {
    if (e.kind === 'step') {
      const { step } = e;
      out.appendLine(
        step.stage === undefined && step.cached === undefined
          ? `Step ${step.index}/${step.total} : ${step.instruction}`
          : `[${step.stage ? `${step.stage} ` : ''}${step.index}/${step.total}] ${step.instruction}${step.cached === true ? ' — cached' : ''}`,
      );
      lastStep = step;
      const stage = stages.get(step.stage ?? '') ?? { done: 0, total: step.total };
      stage.done = Math.max(stage.done, step.index - 1);
      stages.set(step.stage ?? '', stage);
      let done = 0;
      let total = 0;
      for (const s of stages.values()) {
        done += s.done;
        total += s.total;
      }
      const percent = Math.round((done / total) * 100);
      progress.report({ message: progressMessage(step, stages.size > 1), increment: Math.max(0, percent - last) });
      last = Math.max(last, percent);
    } else if (e.kind === 'output') {
      // parallel stages interleave: say whose line it is when it is not the last step's
      const other = e.step !== undefined && e.step !== lastStep;
      out.appendLine(other && e.step ? `[${e.step.stage ? `${e.step.stage} ` : ''}${e.step.index}/${e.step.total}] ${e.text}` : e.text);
    }
  };
}

/** A cancelled or failed build said in the log and to the user; other errors are rethrown. */
async function reportEnd(out: BuildOutput, tag: string, err: unknown): Promise<undefined> {
  if (err instanceof CancelledError) {
    out.appendLine('── cancelled');
    void vscode.window.showInformationMessage(vscode.l10n.t('Build of {0} cancelled.', tag));
    return undefined;
  }
  if (!(err instanceof BuildFailedError)) throw err;
  out.appendLine(`── ${err.message}`);
  const choice = await vscode.window.showErrorMessage(
    err.output.length > 0 ? vscode.l10n.t('{0} — last output: {1}', err.message, err.output.slice(-3).join(' ⏎ ')) : err.message,
    vscode.l10n.t('Show Build Log'),
  );
  if (choice) out.show(true);
  return undefined;
}

/**
 * Build with a progress notification ("step k of n", Cancel) and the full log in the Berth Build
 * output. Resolves to the image id and duration, or undefined when cancelled or failed (the
 * failure is reported, naming its step).
 */
export async function buildWithProgress(
  services: Pick<Services, 'session' | 'buildOutput' | 'context' | 'config' | 'buildKit' | 'log'>,
  request: BuildRequest,
): Promise<{ id: string; seconds: number } | undefined> {
  const engine = services.session.requireEngine();
  const { scan, tag, target } = request;
  const out = services.buildOutput;
  const settings = services.config.build;
  const builder = await chooseBuilder(engine, {
    setting: settings.builder,
    finder: services.buildKit,
    ...(settings.dockerPath === '' ? {} : { cliPath: settings.dockerPath }),
  });
  for (const r of builder.decision?.rejected ?? []) services.log.info(`BuildKit: ${r.path} not used: ${r.why}`);
  // secrets and ssh only BuildKit has; the classic builder refuses those lines by number
  let text = '';
  try {
    text = fs.readFileSync(request.source.fsPath, 'utf8');
  } catch {
    // the builder reports a Dockerfile it cannot read
  }
  const needs = mountNeeds(text);
  const secrets = builder.kind === 'buildkit' ? await resolveBuildSecrets(services.context, needs) : [];
  if (secrets === undefined) return undefined;
  const ssh = builder.kind === 'buildkit' ? needs.ssh.map((s) => s.id) : [];
  logHeader(out, request, builder);
  const started = Date.now();
  try {
    const id = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Building {0}', tag), cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return build(
          engine,
          {
            scan,
            dockerfile: request.dockerfile,
            tag,
            ...(target ? { target } : {}),
            buildArgs: request.buildArgs,
            labels: { [BERTH_LABEL.managed]: 'true', [BERTH_LABEL.project]: scan.contextDir },
            secrets,
            ssh,
            signal: controller.signal,
            onEvent: reportEvents(out, progress),
          },
          builder,
        );
      },
    );
    const seconds = (Date.now() - started) / 1000;
    out.appendLine(`── built ${tag} (${id.slice(7, 19)}) in ${seconds.toFixed(1)} s`);
    return { id, seconds };
  } catch (err) {
    return reportEnd(out, tag, err);
  }
}
