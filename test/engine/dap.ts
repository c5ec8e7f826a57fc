/**
 * A small Debug Adapter Protocol client over a TCP socket (Content-Length framing), enough to
 * drive debugpy as VS Code would: requests answered by seq, events waited for by name.
 */
import * as net from 'node:net';

export interface DapMessage {
  readonly seq: number;
  readonly type: 'request' | 'response' | 'event';
  readonly command?: string;
  readonly event?: string;
  readonly request_seq?: number;
  readonly success?: boolean;
  readonly message?: string;
  readonly body?: Record<string, unknown>;
}

interface Waiter {
  readonly match: (m: DapMessage) => boolean;
  readonly resolve: (m: DapMessage) => void;
}

export class DapClient {
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly waiters: Waiter[] = [];
  /** Every message received, in order. */
  readonly received: DapMessage[] = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(new DapClient(socket));
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.subarray(0, end).toString('ascii');
      const length = /Content-Length:\s*(\d+)/i.exec(header);
      if (!length) throw new Error(`DAP header without Content-Length: ${header}`);
      const start = end + 4;
      const total = start + Number(length[1]);
      if (this.buffer.length < total) return;
      const message = JSON.parse(this.buffer.subarray(start, total).toString('utf8')) as DapMessage;
      this.buffer = this.buffer.subarray(total);
      this.received.push(message);
      for (const w of [...this.waiters])
        if (w.match(message)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(message);
        }
    }
  }

  /** The first message (already received or still to come) that matches, within the time given. */
  waitFor(match: (m: DapMessage) => boolean, what: string, timeoutMs = 30_000): Promise<DapMessage> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no ${what} within ${timeoutMs} ms (closed: ${this.closed}); received: ${this.received.map((m) => m.event ?? m.command).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  event(name: string, timeoutMs?: number): Promise<DapMessage> {
    return this.waitFor((m) => m.type === 'event' && m.event === name, `${name} event`, timeoutMs);
  }

  /** Send a request; resolves with its response (rejects when it failed). */
  send(command: string, args: Record<string, unknown> = {}): Promise<DapMessage> {
    const seq = this.seq++;
    const json = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.socket.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`);
    return this.waitFor((m) => m.type === 'response' && m.request_seq === seq, `response to ${command}`).then((m) => {
      if (m.success !== true) throw new Error(`${command} failed: ${m.message ?? JSON.stringify(m.body)}`);
      return m;
    });
  }

  /** Send a request without waiting for its response (debugpy answers attach only after configurationDone). */
  request(command: string, args: Record<string, unknown> = {}): Promise<DapMessage> {
    return this.send(command, args);
  }

  close(): void {
    this.socket.destroy();
  }
}
