/**
 * Build an image through the Engine API: the context packed from exactly the files a scan says
 * are sent (so `.dockerignore` is honoured and measured), progress parsed from the engine's JSON
 * stream ("Step 3/9 : RUN …"), cancellation that really stops the build (the request is torn
 * down and the engine abandons it), and a failure that names its step and carries its output.
 * Uses the engine's classic builder through the API, which engines with BuildKit still serve.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-fs';
import { buildKitNeeds, needsBuildKitMessage } from './dockerfile';
import { dockerodeOf, type Engine } from './engine';
import { CancelledError, EngineError } from './errors';
import { jsonLines } from './streams';

export interface BuildStep {
  /** Step k of n: of the whole Dockerfile (classic builder), of its stage (BuildKit, see `stage`). */
  readonly index: number;
  readonly total: number;
  readonly instruction: string;
  /** BuildKit: the stage the step belongs to ("deps", "stage-2"); absent for a one-stage Dockerfile. */
  readonly stage?: string;
  /** BuildKit: the step's result came from the build cache. */
  readonly cached?: boolean;
}

export type BuildEvent =
  | { readonly kind: 'step'; readonly step: BuildStep }
  /** A line of output; BuildKit says which step printed it (parallel stages interleave). */
  | { readonly kind: 'output'; readonly text: string; readonly step?: BuildStep }
  | { readonly kind: 'done'; readonly imageId: string };

/** "step 3/7 (RUN …)", with the stage when BuildKit named one. */
export function stepLabel(step: BuildStep): string {
  return `step ${step.index}/${step.total}${step.stage ? ` of stage ${step.stage}` : ''} (${step.instruction})`;
}

export class BuildFailedError extends EngineError {
  constructor(
    message: string,
    readonly step: BuildStep | undefined,
    /** The failing step's output, as the engine sent it. */
    readonly output: readonly string[],
  ) {
    super('request', step ? `Build failed at ${stepLabel(step)}: ${message}` : `Build failed: ${message}`);
  }
}

/** What a build sends: the files of the context folder (relative paths), as a .dockerignore-aware scan lists them. */
export interface BuildContext {
  readonly contextDir: string;
  readonly files: readonly { readonly path: string }[];
}

export interface BuildOptions {
  readonly scan: BuildContext;
  /** Relative to the context. */
  readonly dockerfile: string;
  readonly tag: string;
  readonly target?: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly noCache?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: BuildEvent) => void;
}

interface RawBuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string };
}

// Docker's classic builder writes "Step 3/6 : RUN …", Podman's "STEP 3/6: RUN …"
const STEP = /^(?:Step|STEP) (\d+)\/(\d+) ?: (.*)$/;
const NO_SPACE = /no space left on device/i;

/**
 * What a failed build says went wrong: the engine's message, led by "no space left on device" and
 * what to do about it when the engine or the step's output says its disk is full (the engine
 * itself only reports the command's exit code then).
 */
export function buildFailureReason(engineMessage: string, output: readonly string[]): string {
  if (!NO_SPACE.test(engineMessage) && !output.some((line) => NO_SPACE.test(line))) return engineMessage;
  return `no space left on device — the engine's disk is full; free space (unused images, containers, build cache) and build again (${engineMessage})`;
}

/** Parse one message of the build stream (exported for tests of the parser alone). */
export function parseBuildMessage(message: RawBuildMessage): BuildEvent[] {
  const events: BuildEvent[] = [];
  if (message.aux?.ID) events.push({ kind: 'done', imageId: message.aux.ID });
  const text = message.stream ?? message.status;
  if (text !== undefined) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const m = STEP.exec(line);
      if (m?.[1] && m[2] && m[3] !== undefined)
        events.push({ kind: 'step', step: { index: Number(m[1]), total: Number(m[2]), instruction: m[3] } });
      else events.push({ kind: 'output', text: line });
    }
  }
  return events;
}

export function packContext(scan: BuildContext): Readable {
  return tar.pack(scan.contextDir, { entries: scan.files.map((f) => f.path) });
}

/**
 * The engine's classic builder refuses BuildKit-only syntax only when it reaches that step; say so
 * before the context is sent, naming the lines. (A Dockerfile Berth cannot read is the engine's to
 * report.)
 */
function refuseBuildKitOnly(options: BuildOptions): void {
  let text: string;
  try {
    text = fs.readFileSync(path.join(options.scan.contextDir, options.dockerfile), 'utf8');
  } catch {
    return;
  }
  const needs = buildKitNeeds(text);
  if (needs.length > 0) throw new BuildFailedError(needsBuildKitMessage(options.dockerfile, needs), undefined, []);
}

/** Build and tag an image (with the engine's classic builder); resolves to its id. */
export async function buildImage(engine: Engine, options: BuildOptions): Promise<string> {
  const { signal } = options;
  // a function, not a narrowed property: the signal can fire while we await
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) throw new CancelledError('the build');
  refuseBuildKitOnly(options);
  let stream: NodeJS.ReadableStream;
  try {
    const docker = dockerodeOf(engine);
    const build = docker.buildImage.bind(docker) as (file: Readable, options: object) => Promise<NodeJS.ReadableStream>;
    stream = await build(packContext(options.scan), {
      t: options.tag,
      dockerfile: options.dockerfile,
      ...(options.target ? { target: options.target } : {}),
      ...(options.buildArgs ? { buildargs: options.buildArgs } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.noCache === true ? { nocache: true } : {}),
      rm: true,
      forcerm: true,
      ...(signal ? { abortSignal: signal } : {}),
    });
  } catch (err) {
    if (aborted()) throw new CancelledError('the build', err);
    throw engine.translate(err, 'build');
  }
  let step: BuildStep | undefined;
  let output: string[] = [];
  let imageId: string | undefined;
  try {
    for await (const message of jsonLines<RawBuildMessage>(stream as AsyncIterable<Buffer>)) {
      if (message.error !== undefined || message.errorDetail !== undefined) {
        const reason = (message.errorDetail?.message ?? message.error ?? 'unknown error').trim();
        throw new BuildFailedError(buildFailureReason(reason, output), step, output);
      }
      for (const event of parseBuildMessage(message)) {
        if (event.kind === 'step') {
          step = event.step;
          output = [];
        } else if (event.kind === 'output') output.push(event.text);
        else imageId = event.imageId;
        options.onEvent?.(event);
      }
    }
  } catch (err) {
    if (err instanceof BuildFailedError) throw err;
    if (aborted()) throw new CancelledError('the build', err);
    throw engine.translate(err, 'build');
  } finally {
    (stream as Readable).destroy();
  }
  if (aborted()) throw new CancelledError('the build');
  // engines before the aux message carried the id in "Successfully built <id>"
  imageId ??= output.map((l) => /^Successfully built ([0-9a-f]+)/.exec(l)?.[1]).find((id) => id !== undefined);
  if (!imageId) imageId = (await engine.inspectImage(options.tag, signal)).id;
  return imageId;
}

/** Stages of a multi-stage Dockerfile (named ones), and its ARGs with their defaults. */
export function dockerfileOutline(text: string): { stages: string[]; args: { name: string; default?: string }[] } {
  const stages: string[] = [];
  const args: { name: string; default?: string }[] = [];
  // join continuation lines, drop comments
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    const from = /^FROM\s+(?:--platform=\S+\s+)?\S+\s+AS\s+(\S+)/i.exec(line);
    if (from?.[1]) stages.push(from[1]);
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/i.exec(line);
    if (arg?.[1] && !args.some((a) => a.name === arg[1])) {
      const value = arg[2]?.trim().replace(/^["']|["']$/g, '');
      args.push({ name: arg[1], ...(value === undefined ? {} : { default: value }) });
    }
  }
  return { stages, args };
}
