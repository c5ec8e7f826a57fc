/** An engine whose event stream, list and inspects a unit test drives by hand. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { recordFromDetails } from '../../../../src/core/engine/containerStore';
import type { ContainerDetails, Engine } from '../../../../src/core/engine/engine';

export type Answerable = 'running' | 'exited' | 'paused';

export interface ScriptedEngine {
  readonly engine: Engine;
  /** Send these events in one read of the stream, e.g. ['kill', 'die'] or 'create'. */
  send: (actions: string | string[], id: string, attributes?: Record<string, string>) => void;
  /** Inspects asked for, in order; each answers with the state given (default: exited 0). */
  readonly inspects: { readonly id: string; answer: (state?: Answerable) => void }[];
}

export function scriptedEngine(): ScriptedEngine {
  const events = new PassThrough();
  const inspects: ScriptedEngine['inspects'] = [];
  let t = BigInt(Date.now()) * 1_000_000n;
  // one run of the container, as every inspect of it says
  const startedAt = new Date(Date.now()).toISOString();
  const engine = {
    timeoutMs: 5000,
    openStream: () => Promise.resolve(events),
    translate: (err: unknown) => err,
    listContainers: () => Promise.resolve([]),
    inspectContainer: (id: string) =>
      new Promise((resolve) => {
        inspects.push({ id, answer: (state = 'exited') => resolve(recordFromDetails(details(id, state, startedAt))) });
      }),
  } as unknown as Engine;
  const send = (actions: string | string[], id: string, attributes: Record<string, string> = {}): void => {
    const lines = (Array.isArray(actions) ? actions : [actions]).map((action) => {
      t += 1_000_000n;
      const attrs = JSON.stringify({ name: `n-${id}`, image: 'busybox', ...attributes });
      return `{"Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":${attrs}},"time":${t / 1_000_000_000n},"timeNano":${t}}\n`;
    });
    events.write(lines.join(''));
  };
  return { engine, send, inspects };
}

export function details(id: string, state: Answerable = 'exited', startedAt = new Date().toISOString()): ContainerDetails {
  return {
    Id: id,
    Name: `/n-${id}`,
    Image: 'sha256:0',
    Path: 'sleep',
    Args: ['300'],
    Created: '2025-11-25T12:00:00Z',
    RestartCount: 0,
    State: {
      Status: state,
      Running: state !== 'exited',
      Paused: state === 'paused',
      Restarting: false,
      OOMKilled: false,
      ExitCode: state === 'exited' ? 137 : 0,
      StartedAt: startedAt,
      FinishedAt: state === 'exited' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    },
    Config: { Image: 'busybox', Labels: {} },
    HostConfig: {},
    NetworkSettings: { Ports: {} },
  } as unknown as ContainerDetails;
}

/** Poll until `ok` holds (unit tests: everything here answers within milliseconds). */
export async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(ok(), `never: ${what}`);
}
