/**
 * exec through the Engine API: a hijacked duplex stream, TTY or multiplexed, with resize and the
 * exit code read back once the process ends.
 */
import type { Duplex } from 'node:stream';
import type { Engine } from './engine';
import { abortable, dockerodeOf } from './engine';
import { FrameDemuxer } from './logs';
import { delay } from './streams';

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly tty?: boolean;
  /** Attach stdin (the session's `write`/`end` feed it). */
  readonly stdin?: boolean;
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  /** Initial terminal size (TTY only). */
  readonly size?: { readonly cols: number; readonly rows: number };
  readonly signal?: AbortSignal;
}

export interface ExecChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

export interface ExecSession {
  readonly id: string;
  readonly tty: boolean;
  /** Output as it arrives; with a TTY everything is stdout. Ends when the process exits. */
  readonly output: AsyncIterable<ExecChunk>;
  write(data: string | Buffer): void;
  end(): void;
  resize(cols: number, rows: number): Promise<void>;
  /** The process's exit code, once it has ended. */
  exitCode(): Promise<number>;
  close(): void;
}

export async function startExec(engine: Engine, containerId: string, options: ExecOptions): Promise<ExecSession> {
  const tty = options.tty ?? false;
  const container = dockerodeOf(engine).getContainer(containerId);
  const exec = await engine.call(`exec in ${containerId}`, (signal) =>
    container.exec({
      Cmd: [...options.cmd],
      AttachStdin: options.stdin ?? false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      ...(options.env ? { Env: [...options.env] } : {}),
      ...(options.workdir === undefined ? {} : { WorkingDir: options.workdir }),
      ...(options.user === undefined ? {} : { User: options.user }),
      abortSignal: signal,
    }),
  );
  const stream: Duplex = await engine.call(`start exec in ${containerId}`, (signal) =>
    exec.start({ hijack: true, stdin: options.stdin ?? false, Tty: tty, abortSignal: signal }),
  );
  const onAbort = (): void => void stream.destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const resize = (cols: number, rows: number): Promise<void> =>
    engine.call(`resize exec in ${containerId}`, async (signal) => void (await exec.resize({ w: cols, h: rows, abortSignal: signal })));
  if (tty && options.size) {
    // the engine refuses a resize before the process has started; retry briefly
    void resize(options.size.cols, options.size.rows).catch(() => undefined);
  }

  async function* output(): AsyncGenerator<ExecChunk> {
    const demuxer = new FrameDemuxer();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (tty) {
          yield { stream: 'stdout', data: chunk };
          continue;
        }
        for (const frame of demuxer.push(chunk)) {
          if (frame.stream !== 'stdin') yield { stream: frame.stream, data: frame.payload };
        }
      }
    } catch (err) {
      if (options.signal?.aborted === true) return;
      // a hijacked socket closed by the engine after the process exits is a normal end
      if ((err as { code?: string }).code === 'ECONNRESET') return;
      throw engine.translate(err, `exec in ${containerId}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    id: exec.id,
    tty,
    output: output(),
    write: (data) => void stream.write(data),
    end: () => void stream.end(),
    resize,
    async exitCode() {
      for (let i = 0; ; i++) {
        const info = await engine.call(`inspect exec in ${containerId}`, (signal) => exec.inspect(abortable(signal)));
        if (!info.Running && info.ExitCode !== null) return info.ExitCode;
        await delay(Math.min(200, 10 * 2 ** i), options.signal);
      }
    },
    close: () => void stream.destroy(),
  };
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to completion and collect its output. */
export async function runExec(engine: Engine, containerId: string, options: ExecOptions & { input?: string }): Promise<ExecResult> {
  const session = await startExec(engine, containerId, { ...options, stdin: options.input !== undefined || options.stdin === true });
  if (options.input !== undefined) {
    session.write(options.input);
    session.end();
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for await (const chunk of session.output) (chunk.stream === 'stdout' ? out : err).push(chunk.data);
  const exitCode = await session.exitCode();
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
