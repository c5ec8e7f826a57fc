/**
 * Comparing again without paying for a container start: after a comparison, the next container
 * for the same options is created and started ahead of time, its runner waiting for a plan. The
 * next comparison writes its plan to the runner's stdin and the cells run at once — still one fresh container and
 * one fresh Python process per comparison, so nothing carries over from the previous run.
 *
 * A waiting container is used only if its options are the same and its image is still the one
 * the tag names (a rebuilt image makes it stale). Its runner exits by itself when no plan comes
 * within the idle time; exited ones are swept, and dispose() removes the rest.
 */
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { runnerFilesArchive, waitingCommand } from './containerRun';

/** Label on containers started ahead of time. */
export const WARM_LABEL = 'berth.compare.warm';
export const DEFAULT_IDLE_SECONDS = 600;

interface Entry {
  readonly key: string;
  readonly started: Promise<string | undefined>;
}

export class WarmRunners {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly engine: Engine,
    private readonly idleSeconds = DEFAULT_IDLE_SECONDS,
    /** Where failures to warm up are reported (they only cost the next run its head start). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** What makes two comparison containers interchangeable: everything in their options. */
  static key(options: ContainerCreateOptions): string {
    return JSON.stringify(options);
  }

  /** Start a waiting container for these options, unless one is already there or on its way. */
  prepare(options: ContainerCreateOptions): void {
    const key = WarmRunners.key(options);
    if (this.entries.has(key)) return;
    const started = this.start(options).catch((err: unknown) => {
      this.onError(err);
      return undefined;
    });
    this.entries.set(key, { key, started });
  }

  private async start(options: ContainerCreateOptions): Promise<string> {
    const id = await this.engine.createContainer({
      ...options,
      Cmd: waitingCommand(this.idleSeconds),
      // the plan arrives on stdin
      OpenStdin: true,
      StdinOnce: false,
      Labels: { ...(options.Labels ?? {}), [WARM_LABEL]: 'true' },
    });
    try {
      await this.engine.putArchive(id, '/', await runnerFilesArchive());
      await this.engine.startContainer(id);
      return id;
    } catch (err) {
      await this.engine.removeContainer(id, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Wait until every container being prepared is started (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.started));
  }

  /**
   * A started container for these options, taken out of the pool, or undefined. One that is no
   * longer running, or whose image the tag no longer names, is removed instead.
   */
  async take(options: ContainerCreateOptions): Promise<string | undefined> {
    const key = WarmRunners.key(options);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    const id = await entry.started;
    if (!id) return undefined;
    try {
      const [container, image] = await Promise.all([this.engine.inspectContainer(id), this.engine.inspectImage(String(options.Image))]);
      if (container.state === 'running' && container.imageId === image.id) return id;
    } catch {
      // gone, or the image is: fall through to removal
    }
    await this.engine.removeContainer(id, { force: true }).catch(() => undefined);
    return undefined;
  }

  /** Remove every waiting container (and the exited ones left by idle runners). */
  async dispose(): Promise<void> {
    const ids = await Promise.all([...this.entries.values()].map((e) => e.started));
    this.entries.clear();
    const started = ids.filter((id): id is string => id !== undefined);
    await Promise.all(started.map((id) => this.engine.removeContainer(id, { force: true }).catch(() => undefined)));
    await sweepIdle(this.engine);
  }
}

/** Remove waiting containers whose runner gave up (exited after its idle time). */
export async function sweepIdle(engine: Engine): Promise<void> {
  const exited = await engine.listContainers({ all: true, filters: { label: [`${WARM_LABEL}=true`], status: ['exited', 'dead'] } });
  await Promise.all(exited.map((c) => engine.removeContainer(c.id, { force: true }).catch(() => undefined)));
}
