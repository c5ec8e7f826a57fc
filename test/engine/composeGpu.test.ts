/**
 * "GPU if available" with the real Compose CLI here (Debian's docker-compose 1.29.2, installed by
 * scripts/compose.sh) on the shared engine, which has no GPU: a project whose service reserves an
 * NVIDIA GPU fails to start as written, and starts with Berth's generated GPU-free file (the
 * resolved copy: v1 cannot drop a reservation through an override) under the same project, the
 * user's file untouched. The project is named per run and removed with `down -t 1`; the image its
 * build service made carries this run's label and is removed by name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configArgs, downArgs, upArgs, type ComposeTarget } from '../../src/core/compose/composeArgs';
import { composeEnv, detectCompose, type ComposeCli } from '../../src/core/compose/composeCli';
import { projectFromConfig } from '../../src/core/compose/composeModel';
import { ComposeCommandError, runCompose } from '../../src/core/compose/composeRun';
import { gpuFreePlan, gpuFreeTarget, type GpuFreePlan } from '../../src/core/compose/gpuFree';
import type { Engine } from '../../src/core/engine/engine';
import { BUSYBOX, RUN_ID, TEST_LABEL, cleanup, connect, localEndpoint } from './harness';

const env = composeEnv(localEndpoint(), process.env);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-compose-gpu-'));
const folder = path.join(dir, 'proj');
const composeFile = path.join(folder, 'docker-compose.yml');
/** Berth's generated file: outside the project folder. */
const generated = path.join(dir, 'berth', 'gpu-free.yml');
const projectName = `berth-${RUN_ID}-gpu`;
const SERVICES = ['infer', 'web', 'trainer'];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const composeText = (port: number): string => `x-labels: &labels
  ${TEST_LABEL}: "${RUN_ID}"
services:
  infer:
    image: ${BUSYBOX}
    init: true
    command: ["httpd", "-f", "-p", "8080"]
    labels: *labels
    deploy:
      resources:
        limits:
          memory: 64M
        reservations:
          memory: 16M
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
  web:
    image: ${BUSYBOX}
    init: true
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["127.0.0.1:${port}:8080"]
    labels: *labels
  trainer:
    build:
      context: ./trainer
      labels: *labels
    command: ["sleep", "3600"]
    init: true
    profiles: [train]
    labels: *labels
    deploy:
      resources:
        reservations:
          devices:
            - capabilities: [gpu]
              count: all
`;

interface Seen {
  readonly id: string;
  readonly state: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  readonly ports: unknown;
  readonly deviceRequests: readonly { Driver?: string; Count?: number; Capabilities?: string[][] }[];
}

describe('GPU if available: the real docker-compose 1.29.2 on an engine without a GPU', { timeout: 240_000 }, () => {
  let cli: ComposeCli;
  let engine: Engine;
  let userFile: Buffer;
  let userFolder: string[];
  let port: number;
  const target: ComposeTarget = { files: [composeFile], projectName };
  let plan: GpuFreePlan | undefined;
  let webBefore: Seen | undefined;

  const run = (cmd: Parameters<typeof runCompose>[0]) => runCompose(cmd, { env, services: SERVICES, projectName });

  /** The project's containers by service, inspected. */
  const containers = async (): Promise<Map<string, Seen>> => {
    const list = await engine.listContainers({ filters: { label: [`com.docker.compose.project=${projectName}`] }, all: true });
    const seen = new Map<string, Seen>();
    for (const c of list) {
      const raw = await engine.inspectContainerJson(c.id);
      const labels = raw.Config.Labels ?? {};
      seen.set(labels['com.docker.compose.service'] ?? '', {
        id: raw.Id,
        state: raw.State.Status,
        image: raw.Config.Image,
        labels,
        ports: raw.HostConfig.PortBindings,
        deviceRequests: (raw.HostConfig as { DeviceRequests?: Seen['deviceRequests'] | null }).DeviceRequests ?? [],
      });
    }
    return seen;
  };

  before(async () => {
    cli = await detectCompose({ env });
    assert.equal(cli.flavour, 'v1', 'this test proves the resolved copy on Compose v1');
    engine = await connect();
    port = await freePort();
    fs.mkdirSync(path.join(folder, 'trainer'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'trainer', 'Dockerfile'), `FROM ${BUSYBOX}\n`);
    fs.writeFileSync(composeFile, composeText(port));
    userFile = fs.readFileSync(composeFile);
    userFolder = fs.readdirSync(folder, { recursive: true }).map(String).sort();
  });

  after(async () => {
    const gpuFree = plan ? gpuFreeTarget({ ...target, profiles: ['train'] }, plan, generated, projectName, folder) : undefined;
    for (const t of [gpuFree, { ...target, profiles: ['train'] }])
      if (t?.files.every((f) => fs.existsSync(f)))
        await runCompose(downArgs(cli, t, { timeoutSeconds: 1 }), { env }).catch(() => undefined);
    await engine.removeImage(`${projectName}_trainer`, { force: true }).catch(() => undefined);
    await cleanup(engine);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('as written: up fails, and the error names the GPU service with the engine’s refusal', async () => {
    await assert.rejects(run(upArgs(cli, target)), (err: unknown) => {
      assert.ok(err instanceof ComposeCommandError, String(err));
      assert.equal(err.exitCode, 1);
      assert.deepEqual(
        err.serviceErrors.map((e) => e.service),
        ['infer'],
      );
      assert.match(err.serviceErrors[0]?.message ?? '', /could not select device driver "nvidia" with capabilities: \[\[gpu\]\]/);
      return true;
    });
    const seen = await containers();
    // Compose created the container with the request the engine refused
    assert.deepEqual(
      seen.get('infer')?.deviceRequests.map((d) => [d.Driver, d.Count, d.Capabilities]),
      [['nvidia', 1, [['gpu']]]],
    );
    assert.notEqual(seen.get('infer')?.state, 'running');
    webBefore = seen.get('web');
    assert.equal(webBefore?.state, 'running');
  });

  it('with the GPU-free file: up succeeds in the same project, no device requests, the user’s file untouched', async () => {
    const withProfile: ComposeTarget = { ...target, profiles: ['train'] };
    const { stdout } = await run(configArgs(cli, withProfile));
    plan = gpuFreePlan(cli, stdout, projectFromConfig(stdout, cli.flavour, projectName));
    assert.equal(plan.strategy, 'resolved-copy');
    assert.deepEqual(plan.services, ['infer', 'trainer']);
    fs.mkdirSync(path.dirname(generated), { recursive: true });
    fs.writeFileSync(generated, plan.text);

    const gpuFree = gpuFreeTarget(withProfile, plan, generated, projectName, folder);
    assert.deepEqual(gpuFree.files, [generated]);
    await run(upArgs(cli, gpuFree));

    const seen = await containers();
    assert.deepEqual([...seen.keys()].sort(), ['infer', 'trainer', 'web']);
    for (const service of ['infer', 'trainer']) {
      const c = seen.get(service);
      assert.equal(c?.state, 'running', service);
      assert.deepEqual(c?.deviceRequests, [], service);
      assert.equal(c?.labels['com.docker.compose.project'], projectName, service);
      assert.equal(c?.labels['com.docker.compose.project.working_dir'], folder, service);
      assert.equal(c?.labels[TEST_LABEL], RUN_ID, service);
    }
    // the build service was built from the project's folder, under the project's image name
    assert.equal(seen.get('trainer')?.image, `${projectName}_trainer`);

    // what the user wrote is exactly as it was, and nothing was added next to it
    assert.ok(fs.readFileSync(composeFile).equals(userFile), 'the user’s compose file is byte-identical');
    assert.deepEqual(fs.readdirSync(folder, { recursive: true }).map(String).sort(), userFolder);
  });

  it('the service without a GPU is untouched: the same container, image and ports', async () => {
    assert.ok(webBefore, 'the first test saw web running');
    const web = (await containers()).get('web');
    assert.equal(web?.id, webBefore.id, 'not recreated');
    assert.equal(web?.state, 'running');
    assert.equal(web?.image, BUSYBOX);
    assert.deepEqual(web?.ports, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    assert.deepEqual(web?.ports, webBefore.ports);
    assert.deepEqual(web?.deviceRequests, []);
  });
});
