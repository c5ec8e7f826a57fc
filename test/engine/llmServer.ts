/**
 * The sample LLM server (examples/llm-chat) built on the local Python base and started in the
 * real engine: labelled, port published on 127.0.0.1 only, healthy; with the pacing and the fault
 * a test asks for.
 */
import * as path from 'node:path';
import type { Engine } from '../../src/core/engine/engine';
import { PYTHON, run, RUN_ID, TEST_LABEL } from './harness';
import { publishedPort, waitHealthy } from './sampleServer';

export const LLM_SAMPLE = path.resolve(__dirname, '../../examples/llm-chat');
export const LLM_MODEL = 'aesop-trigram';

/** Build the sample's image under a tag of this run; the caller removes it. */
export async function buildLlmSample(tag: string): Promise<void> {
  const { execa } = await import('execa');
  await execa('docker', ['build', '--build-arg', `BASE=${PYTHON}`, '--label', `${TEST_LABEL}=${RUN_ID}`, '-t', tag, LLM_SAMPLE], {
    env: { DOCKER_BUILDKIT: '0' },
  });
}

export interface LlmServerOptions {
  /** TOKEN_DELAY_MS, the pacing between tokens. */
  readonly tokenDelayMs?: number;
  /** LLM_FAULT: midstream, drop or silent. */
  readonly fault?: 'midstream' | 'drop' | 'silent';
}

/** Start the sample image and wait for it to be healthy; its id and base URL. */
export async function startLlmServer(engine: Engine, tag: string, options: LlmServerOptions = {}): Promise<{ id: string; base: string }> {
  const env = [
    ...(options.tokenDelayMs === undefined ? [] : [`TOKEN_DELAY_MS=${options.tokenDelayMs}`]),
    ...(options.fault === undefined ? [] : [`LLM_FAULT=${options.fault}`]),
  ];
  const id = await run(engine, {
    Image: tag,
    Cmd: undefined,
    StopSignal: undefined,
    Env: env,
    ExposedPorts: { '8000/tcp': {} },
    HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Memory: 256 * 2 ** 20 },
  });
  await waitHealthy(engine, id);
  return { id, base: `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}` };
}
