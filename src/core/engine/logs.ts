/**
 * Container logs as an AsyncIterable of lines. Non-TTY containers send multiplexed frames
 * (8-byte header: stream, 0, 0, 0, big-endian length), demultiplexed here exactly; TTY containers
 * send raw bytes. Timestamps are always requested so every line carries the engine's time, which
 * is what lets a follower resume after a restart without losing or repeating lines.
 */
import type { Engine } from './engine';
import { EngineError } from './errors';

export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  readonly stream: StreamName;
  readonly payload: Buffer;
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** RFC 3339 timestamp with nanoseconds, as the engine wrote it (e.g. 2026-11-25T12:00:00.123456789Z). */
  readonly time: string;
}

const STREAMS: readonly StreamName[] = ['stdin', 'stdout', 'stderr'];
const HEADER_BYTES = 8;

/**
 * Incremental demultiplexer for the engine's stdcopy framing. Chunks may split headers and
 * payloads anywhere; a payload is copied once, when it is complete.
 */
export class FrameDemuxer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the frame whose payload is still arriving. */
  private header: { stream: StreamName; length: number } | undefined;

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.header === undefined) {
        if (this.buffered < HEADER_BYTES) break;
        const bytes = this.take(HEADER_BYTES);
        const stream = STREAMS[bytes[0] ?? 255];
        if (stream === undefined || bytes[1] !== 0 || bytes[2] !== 0 || bytes[3] !== 0) {
          throw new EngineError('request', `Malformed log stream: bad frame header ${bytes.toString('hex')}`);
        }
        this.header = { stream, length: bytes.readUInt32BE(4) };
      }
      if (this.buffered < this.header.length) break;
      frames.push({ stream: this.header.stream, payload: this.take(this.header.length) });
      this.header = undefined;
    }
    return frames;
  }

  /** Bytes received that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.buffered + (this.header === undefined ? 0 : HEADER_BYTES);
  }

  /** Remove n buffered bytes (n <= buffered), copying only when they span chunks. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0]!;
      const count = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, count);
      filled += count;
      if (count === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(count);
    }
    this.buffered -= n;
    return out;
  }
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/** Split "<RFC3339Nano> <text>" as the engine writes with timestamps=true. */
export function splitTimestamp(message: string): { time: string | undefined; text: string } {
  const m = TIMESTAMP.exec(message);
  return m?.[1] === undefined ? { time: undefined, text: message } : { time: m[1], text: message.slice(m[0].length) };
}

type OutStream = 'stdout' | 'stderr';

/**
 * Turns the engine's log messages into lines. With timestamps=true every message starts with its
 * own timestamp. A line longer than the engine's 16 KiB buffer arrives as several messages, only
 * the last ending in "\n"; they are joined into one line carrying the first fragment's time.
 * Timestamps are cut off as bytes, before decoding, so a character split between two fragments
 * is decoded whole.
 */
export class LineAssembler {
  private readonly pending: Record<OutStream, { text: string; time: string } | undefined> = { stdout: undefined, stderr: undefined };
  private readonly decoders: Record<OutStream, InstanceType<typeof TextDecoder>> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  private raw = '';

  /** One engine message: a frame's payload (non-TTY containers). */
  pushMessage(stream: OutStream, payload: Buffer, fallbackTime: string): LogLine[] {
    const m = TIMESTAMP.exec(payload.subarray(0, 64).toString('latin1'));
    const body = m === null ? payload : payload.subarray(m[0].length);
    const text = this.decoders[stream].decode(body, { stream: true });
    return this.append(stream, text, m?.[1] ?? fallbackTime);
  }

  /** Raw bytes of a TTY container: no frames, each line starts with its timestamp. */
  pushRaw(chunk: Buffer, fallbackTime: string): LogLine[] {
    this.raw += this.decoders.stdout.decode(chunk, { stream: true });
    const lines: LogLine[] = [];
    let start = 0;
    for (let nl = this.raw.indexOf('\n'); nl !== -1; nl = this.raw.indexOf('\n', start)) {
      const { time, text } = splitTimestamp(this.raw.slice(start, nl));
      lines.push({ stream: 'stdout', text: stripCarriageReturn(text), time: time ?? fallbackTime });
      start = nl + 1;
    }
    this.raw = this.raw.slice(start);
    return lines;
  }

  private append(stream: OutStream, text: string, time: string): LogLine[] {
    const lines: LogLine[] = [];
    let pending = this.pending[stream];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      lines.push({ stream, text: stripCarriageReturn(pending === undefined ? piece : pending.text + piece), time: pending?.time ?? time });
      pending = undefined;
      start = nl + 1;
    }
    if (start < text.length) pending = { text: (pending?.text ?? '') + text.slice(start), time: pending?.time ?? time };
    this.pending[stream] = pending;
    return lines;
  }

  /** Whatever is left without a final newline. */
  flush(fallbackTime: string): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const tail = (this.pending[stream]?.text ?? '') + this.decoders[stream].decode();
      if (tail !== '') out.push({ stream, text: tail, time: this.pending[stream]?.time ?? fallbackTime });
      this.pending[stream] = undefined;
    }
    if (this.raw !== '') {
      const { time, text } = splitTimestamp(this.raw);
      out.push({ stream: 'stdout', text, time: time ?? fallbackTime });
      this.raw = '';
    }
    return out;
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export interface LogOptions {
  readonly follow?: boolean;
  /** Number of lines from the end, or 'all'. */
  readonly tail?: number | 'all';
  /** Seconds since the epoch, or an RFC 3339 / "<s>.<ns>" timestamp. */
  readonly since?: number | string;
  readonly until?: number | string;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  /** Skip the inspect call when the caller already knows whether the container has a TTY. */
  readonly tty?: boolean;
  readonly signal?: AbortSignal;
  /** Called once the engine has answered and the log stream is open (before any line). */
  readonly onOpen?: () => void;
}

/** Convert an RFC 3339 timestamp with nanoseconds to the engine's "<s>.<ns>" form for `since`. */
export function timestampToSince(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m?.[1] === undefined) return time;
  const seconds = Math.floor(Date.parse(`${m[1]}${m[3] ?? 'Z'}`) / 1000);
  const nanos = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return `${seconds}.${nanos}`;
}

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/**
 * An RFC 3339 time in the one form the engine stamps log lines with (UTC, nine fraction digits,
 * e.g. 2026-11-25T12:00:00.123456789Z), in which string order is time order; undefined if the
 * text is not such a time.
 */
export function canonicalTime(time: string): string | undefined {
  if (CANONICAL.test(time)) return time;
  const m = RFC3339.exec(time);
  if (m?.[1] === undefined) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}

/** A canonical time (see canonicalTime) as nanoseconds since the epoch. */
export function timeToNanos(canonical: string): bigint {
  return BigInt(Date.parse(`${canonical.slice(0, 19)}Z`)) * 1_000_000n + BigInt(canonical.slice(20, 29));
}

/** Nanoseconds since the epoch as a canonical time. */
export function nanosToTime(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const rest = nanos % 1_000_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${rest.toString().padStart(9, '0')}Z`;
}

/** The engine takes "<s>.<ns>" (or seconds) for since/until; RFC 3339 is converted. */
function engineTime(value: number | string): string {
  return typeof value === 'string' && value.includes('T') ? timestampToSince(value) : String(value);
}

/** Stream a container's log lines (stdout and stderr distinguished, each with the engine's time). */
export async function* containerLogs(engine: Engine, id: string, options: LogOptions = {}): AsyncGenerator<LogLine> {
  const tty = options.tty ?? (await engine.inspectContainerJson(id, options.signal)).Config.Tty;
  const stream = await engine.openStream({
    path: `/containers/${encodeURIComponent(id)}/logs`,
    operation: `logs of ${id}`,
    ...(options.signal ? { signal: options.signal } : {}),
    query: {
      follow: options.follow ?? false,
      stdout: options.stdout ?? true,
      stderr: options.stderr ?? true,
      timestamps: true,
      tail: options.tail === undefined ? 'all' : String(options.tail),
      ...(options.since === undefined ? {} : { since: engineTime(options.since) }),
      ...(options.until === undefined ? {} : { until: engineTime(options.until) }),
    },
  });
  options.onOpen?.();
  const assembler = new LineAssembler();
  const demuxer = new FrameDemuxer();
  const now = (): string => new Date().toISOString();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (tty) {
        yield* assembler.pushRaw(chunk, now());
        continue;
      }
      for (const frame of demuxer.push(chunk)) {
        if (frame.stream !== 'stdin') yield* assembler.pushMessage(frame.stream, frame.payload, now());
      }
    }
  } catch (err) {
    if (options.signal?.aborted === true) return;
    throw engine.translate(err, `logs of ${id}`);
  } finally {
    stream.destroy();
  }
  yield* assembler.flush(now());
}
