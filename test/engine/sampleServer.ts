/**
 * The sample project's inference server (examples/iris-classifier) built on the local Python base
 * and started in the real engine: labelled, port published on 127.0.0.1 only, healthy.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Engine } from '../../src/core/engine/engine';
import { PYTHON, run, RUN_ID, TEST_LABEL } from './harness';

export const SAMPLE = path.resolve(__dirname, '../../examples/iris-classifier');

/** Build the sample's image under a tag of this run; the caller removes it. */
export async function buildSample(tag: string): Promise<void> {
  const { execa } = await import('execa');
  await execa('docker', ['build', '--build-arg', `BASE=${PYTHON}`, '--label', `${TEST_LABEL}=${RUN_ID}`, '-t', tag, SAMPLE], {
    env: { DOCKER_BUILDKIT: '0' },
  });
}

export async function waitHealthy(engine: Engine, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const state = (await engine.inspectContainerJson(id)).State;
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) assert.fail(`the server exited (${state.ExitCode})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('not healthy within 20 s');
}

/** The host port the engine published `containerPort` on (127.0.0.1). */
export async function publishedPort(engine: Engine, id: string, containerPort: string): Promise<string> {
  const port = (await engine.inspectContainerJson(id)).NetworkSettings.Ports[containerPort]?.[0]?.HostPort;
  assert.ok(port, `${containerPort} is published`);
  return port;
}

/** Start the sample image (optionally named, on a network) and wait for it to be healthy; its base URL. */
export async function startSample(
  engine: Engine,
  tag: string,
  options: { name?: string; network?: string } = {},
): Promise<{ id: string; base: string }> {
  const id = await run(engine, {
    Image: tag,
    Cmd: undefined,
    StopSignal: undefined,
    ...(options.name === undefined ? {} : { name: options.name }),
    ExposedPorts: { '8000/tcp': {} },
    HostConfig: {
      PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      ...(options.network === undefined ? {} : { NetworkMode: options.network }),
    },
  });
  await waitHealthy(engine, id);
  return { id, base: `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}` };
}
