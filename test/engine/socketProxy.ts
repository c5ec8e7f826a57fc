/** A unix-socket proxy in front of the engine whose connections a test can cut at will. */
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { localEndpoint } from './harness';

export class SocketProxy {
  readonly path = path.join(os.tmpdir(), `berth-proxy-${process.pid}-${Math.random().toString(16).slice(2)}.sock`);
  private readonly server: net.Server;
  private readonly live = new Set<net.Socket>();
  /** While true, new connections are accepted and closed at once (the engine "is away"). */
  refusing = false;
  connections = 0;

  constructor(private readonly target: string) {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      this.connections++;
      const upstream = net.connect(this.target);
      this.live.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.live.delete(client);
        this.live.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  /** Cut every open connection mid-stream. */
  cut(): void {
    for (const s of this.live) s.destroy();
    this.live.clear();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) =>
      this.server.close(() => {
        fs.rmSync(this.path, { force: true });
        resolve();
      }),
    );
  }
}

/** A proxy in front of the local engine, and an Engine connected through it. */
export async function connectThroughProxy(): Promise<{ proxy: SocketProxy; engine: Engine }> {
  const proxy = new SocketProxy(localEndpoint().host.replace('unix://', ''));
  await proxy.listen();
  const endpoint = resolveEndpoint({
    env: { DOCKER_HOST: `unix://${proxy.path}` },
    homeDir: '/nonexistent',
    platform: 'linux',
    readFile: () => undefined,
  });
  return { proxy, engine: await Engine.connect(endpoint) };
}
