/**
 * Which Compose projects there are and how to reach each with the CLI: the workspace's compose
 * files (the names Compose itself looks for, with the override file it would add) and the
 * projects the engine's containers belong to (their labels name the files and folder). Also
 * what a project's containers say after an Up: services that crash-loop or died at once. Pure.
 */
import * as path from 'node:path';
import type { ContainerRecord } from '../engine/containerStore';
import { COMPOSE_LABEL } from '../engine/labels';
import type { ComposeTarget } from './composeArgs';
import { defaultProjectName } from './composeModel';

/** The file names Compose reads when given none, in its order of preference. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** A glob for the workspace's compose files (with their override files, which are not projects of their own). */
export const COMPOSE_FILE_GLOB = '**/{compose,docker-compose}.{yaml,yml}';

export function isComposeFile(file: string): boolean {
  return (COMPOSE_FILE_NAMES as readonly string[]).includes(path.basename(file));
}

/**
 * The override file Compose adds to `file` when run without -f: `compose.override.yaml` next to
 * `compose.yaml`, `docker-compose.override.yml` next to `docker-compose.yml` (either extension).
 */
export function overrideFileOf(file: string, exists: (f: string) => boolean): string | undefined {
  const dir = path.dirname(file);
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  return [`${stem}.override.yaml`, `${stem}.override.yml`].map((n) => path.join(dir, n)).find(exists);
}

/** COMPOSE_PROJECT_NAME from a project's `.env` text, as Compose reads it (quotes removed). */
export function projectNameFromDotEnv(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?COMPOSE_PROJECT_NAME\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const value = (m[1] ?? '').replace(/^(['"])(.*)\1$/, '$2');
    if (value !== '') return value.toLowerCase().replace(/[^-_a-z0-9]/g, '');
  }
  return undefined;
}

/** The project a workspace compose file makes: its name, files and folder. */
export interface FileProject {
  readonly name: string;
  /** The compose file the user has (the one shown and edited). */
  readonly file: string;
  readonly dir: string;
  readonly target: ComposeTarget;
}

/**
 * The project of a workspace compose file. The name is what Compose would choose when run in
 * the file's folder: COMPOSE_PROJECT_NAME in its `.env`, else the folder's name (v2's top-level
 * `name:` is read from `config` later and wins). Berth passes it with -p so both agree.
 */
export function fileProject(file: string, read: (f: string) => string | undefined, exists: (f: string) => boolean): FileProject {
  const dir = path.dirname(file);
  const name = projectNameFromDotEnv(read(path.join(dir, '.env'))) ?? defaultProjectName(dir);
  const override = overrideFileOf(file, exists);
  return { name, file, dir, target: { files: override ? [file, override] : [file], projectName: name, projectDirectory: dir } };
}

/** A project known from its containers' labels. */
export interface LabelledProject {
  readonly name: string;
  readonly workingDir?: string;
  readonly configFiles: readonly string[];
  readonly services: readonly string[];
}

/** The projects the containers belong to, from Compose's labels (v1 and v2 write the same ones). */
export function labelledProjects(records: Iterable<ContainerRecord>): Map<string, LabelledProject> {
  const found = new Map<string, { workingDir?: string; configFiles: string[]; services: Set<string> }>();
  for (const r of records) {
    const name = r.labels[COMPOSE_LABEL.project];
    if (!name) continue;
    let p = found.get(name);
    if (!p) {
      const workingDir = r.labels[COMPOSE_LABEL.workingDir];
      const configFiles = (r.labels[COMPOSE_LABEL.configFiles] ?? '')
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '')
        .map((f) => (workingDir !== undefined && !path.isAbsolute(f) ? path.join(workingDir, f) : f));
      p = { ...(workingDir ? { workingDir } : {}), configFiles, services: new Set() };
      found.set(name, p);
    }
    const service = r.labels[COMPOSE_LABEL.service];
    if (service) p.services.add(service);
  }
  return new Map([...found].map(([name, p]) => [name, { name, ...p, services: [...p.services].sort() }]));
}

/** The target for a project known only from its labels; undefined when its files are gone. */
export function labelledTarget(project: LabelledProject, exists: (f: string) => boolean): ComposeTarget | undefined {
  if (project.configFiles.length === 0 || !project.configFiles.every(exists)) return undefined;
  return {
    files: project.configFiles,
    projectName: project.name,
    ...(project.workingDir ? { projectDirectory: project.workingDir } : {}),
  };
}

/** A service whose containers keep dying after an Up. */
export interface FailingService {
  readonly service: string;
  readonly kind: 'crash-loop' | 'exited';
  /** Restarts since the Up. */
  readonly restarts: number;
  readonly exitCode?: number;
  readonly oomKilled: boolean;
  readonly container: string;
}

/** Restarts after which a service counts as crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;

/**
 * The project's services that are failing now: a container restarted CRASH_LOOP_RESTARTS times
 * since the Up (`baseline` has each container's restart count then, 0 for new ones), or one that
 * exited with a non-zero code (or was OOM-killed) and is not restarting.
 */
export function failingServices(
  project: string,
  records: Iterable<ContainerRecord>,
  baseline: ReadonlyMap<string, number>,
  restarts = CRASH_LOOP_RESTARTS,
  lastExitCodes: ReadonlyMap<string, number> = new Map(),
): FailingService[] {
  const out = new Map<string, FailingService>();
  for (const r of records) {
    if (r.labels[COMPOSE_LABEL.project] !== project) continue;
    const service = r.labels[COMPOSE_LABEL.service];
    if (!service || out.has(service)) continue;
    const since = (r.restartCount ?? 0) - (baseline.get(r.id) ?? 0);
    const exitCode = r.exitCode ?? lastExitCodes.get(r.id);
    const common = {
      service,
      restarts: since,
      ...(exitCode !== undefined ? { exitCode } : {}),
      oomKilled: r.oomKilled === true,
      container: r.name,
    };
    if (since >= restarts) out.set(service, { ...common, kind: 'crash-loop' });
    else if ((r.state === 'exited' || r.state === 'dead') && ((r.exitCode ?? 0) !== 0 || r.oomKilled === true))
      out.set(service, { ...common, kind: 'exited' });
  }
  return [...out.values()].sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * The failures of a project after an Up, each told once. It is fed the model's records as they
 * change and keeps each container's last exit code: a crash-looping container is mostly seen
 * restarting or running again, when its record no longer carries the code it died with.
 */
export class FailureWatch {
  private readonly lastExit = new Map<string, number>();
  private readonly told = new Map<string, FailingService['kind']>();
  /** When each service was first seen stopped: a restart policy may still bring it back. */
  private readonly stoppedSince = new Map<string, number>();

  constructor(
    private readonly project: string,
    /** Each container's restart count at the Up. */
    private readonly baseline: ReadonlyMap<string, number>,
    private readonly restarts = CRASH_LOOP_RESTARTS,
    /** How long a service must stay stopped to count as stopped (the engine's first restart comes within a second). */
    private readonly settleMs = 2000,
  ) {}

  /**
   * The failures not told before, from the records as they are now: a crash loop at once; a
   * stop once it has lasted `settleMs` (call again later: nothing else may change by then). A
   * service told as stopped is told again when it turns out to loop.
   */
  observe(records: Iterable<ContainerRecord>, now = Date.now()): FailingService[] {
    const list = [...records];
    for (const r of list)
      if (r.exitCode !== undefined && r.labels[COMPOSE_LABEL.project] === this.project) this.lastExit.set(r.id, r.exitCode);
    const fresh: FailingService[] = [];
    const failing = failingServices(this.project, list, this.baseline, this.restarts, this.lastExit);
    for (const service of [...this.stoppedSince.keys()])
      if (!failing.some((f) => f.service === service && f.kind === 'exited')) this.stoppedSince.delete(service);
    for (const f of failing) {
      if (this.told.get(f.service) === f.kind || this.told.get(f.service) === 'crash-loop') continue;
      if (f.kind === 'exited') {
        const since = this.stoppedSince.get(f.service) ?? now;
        this.stoppedSince.set(f.service, since);
        if (now - since < this.settleMs) continue;
      }
      this.told.set(f.service, f.kind);
      fresh.push(f);
    }
    return fresh;
  }
}

/** One line for a failing service: "worker is crash-looping: restarted 3 times, last exit code 1". */
export function describeFailing(f: FailingService): string {
  const how = f.oomKilled ? 'killed for exceeding its memory limit (OOM)' : f.exitCode !== undefined ? `exit code ${f.exitCode}` : '';
  if (f.kind === 'crash-loop') return `${f.service} is crash-looping: restarted ${f.restarts} times${how ? `, last ${how}` : ''}`;
  return `${f.service} stopped right after starting${how ? `: ${how}` : ''}`;
}
