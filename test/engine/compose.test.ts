/**
 * The Compose core with the real Compose CLI here (Debian's docker-compose 1.29.2, installed by
 * scripts/compose.sh) against the shared engine, with local images only. Each project has a name
 * unique to this run; the tests remove only their projects (`down -v -t 1`) and what carries this
 * run's label.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configArgs, downArgs, psArgs, scaleArgs, serviceArgs, upArgs, type ComposeTarget } from '../../src/core/compose/composeArgs';
import { ComposeNotFoundError, composeEnv, detectCompose, type ComposeCli } from '../../src/core/compose/composeCli';
import { configDiagnostics } from '../../src/core/compose/composeDiagnostics';
import { projectFromConfig, unknownProfiles } from '../../src/core/compose/composeModel';
import { ComposeCommandError, runCompose } from '../../src/core/compose/composeRun';
import type { Engine } from '../../src/core/engine/engine';
import { BUSYBOX, RUN_ID, TEST_LABEL, cleanup, connect, localEndpoint } from './harness';

const env = composeEnv(localEndpoint(), process.env);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-compose-'));
const projects: { cli: ComposeCli; target: ComposeTarget }[] = [];
let counter = 0;

/** A project folder with these files; its name is unique to this run. */
function project(files: Record<string, string>): ComposeTarget & { folder: string; file: string; projectName: string } {
  const folder = path.join(dir, `p${++counter}`);
  fs.mkdirSync(folder);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
  return {
    folder,
    file: path.join(folder, 'docker-compose.yml'),
    files: [path.join(folder, 'docker-compose.yml')],
    projectName: `berth-${RUN_ID}-${counter}`,
  };
}

const LABELS = `    labels:\n      ${TEST_LABEL}: "${RUN_ID}"\n`;
const TWO_SERVICES = `x-base: &base
  image: ${BUSYBOX}
  init: true
${LABELS.replace(/^ {4}/gm, '  ')}services:
  web:
    <<: *base
    command: ["httpd", "-f", "-p", "8080"]
    volumes: ["data:/data"]
  worker:
    <<: *base
    command: ["sleep", "3600"]
  debug:
    <<: *base
    command: ["sleep", "3600"]
    profiles: [debug]
volumes:
  data:
    labels:
      ${TEST_LABEL}: "${RUN_ID}"
`;

describe('Compose with the real CLI', () => {
  let cli: ComposeCli;
  let engine: Engine;

  before(async () => {
    cli = await detectCompose({ env });
    engine = await connect();
  });

  after(async () => {
    for (const p of projects)
      await runCompose(downArgs(p.cli, p.target, { volumes: true, timeoutSeconds: 1 }), { env }).catch(() => undefined);
    await cleanup(engine);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (t: ComposeTarget, cmd: Parameters<typeof runCompose>[0], lines?: string[]) => {
    if (!projects.some((p) => p.target.projectName === t.projectName)) projects.push({ cli, target: t });
    return runCompose(cmd, {
      env,
      services: ['web', 'worker', 'debug', 'qdrant'],
      ...(t.projectName ? { projectName: t.projectName } : {}),
      ...(lines ? { onLine: (l) => lines.push(l) } : {}),
    });
  };
  /** The project's containers by service, with their state. */
  const containers = async (name: string): Promise<{ service: string; state: string }[]> =>
    (await engine.listContainers({ filters: { label: [`com.docker.compose.project=${name}`] }, all: true }))
      .map((c) => ({ service: c.labels['com.docker.compose.service'] ?? '', state: c.state }))
      .sort((a, b) => a.service.localeCompare(b.service));

  it('detects Debian’s docker-compose 1.29.2 as Compose v1', () => {
    assert.equal(cli.flavour, 'v1');
    assert.equal(cli.version, '1.29.2');
    assert.equal(cli.file, 'docker-compose');
  });

  it('no CLI on PATH: a typed error that says how to install one', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    await assert.rejects(detectCompose({ env: { ...env, PATH: empty } }), (err: unknown) => {
      assert.ok(err instanceof ComposeNotFoundError);
      assert.match(err.message, /apt-get install docker-compose/);
      assert.equal(err.tried.length, 2);
      return true;
    });
  });

  it('config resolves the env_file, the anchor and the profile into the model', async () => {
    const p = project({
      'docker-compose.yml': TWO_SERVICES.replace('  worker:\n    <<: *base\n', '  worker:\n    <<: *base\n    env_file: worker.env\n'),
      'worker.env': 'MODE=fast\n',
    });
    const { stdout } = await run(p, configArgs(cli, p));
    const model = projectFromConfig(stdout, cli.flavour, p.projectName);
    assert.deepEqual(
      model.services.map((s) => [s.name, s.image, s.profiles]),
      [
        ['debug', BUSYBOX, ['debug']],
        ['web', BUSYBOX, []],
        ['worker', BUSYBOX, []],
      ],
    );
    assert.deepEqual(model.volumes, ['data']);
    assert.match(stdout, /MODE: fast/);
  });

  it('up, a subset, a profile, stop/start/restart one service, scale, down', async () => {
    const p = project({ 'docker-compose.yml': TWO_SERVICES });
    const lines: string[] = [];
    await run(p, upArgs(cli, p, { services: ['worker'] }), lines);
    assert.deepEqual(await containers(p.projectName), [{ service: 'worker', state: 'running' }]);
    assert.ok(
      lines.some((l) => /Creating .*worker/.test(l)),
      `progress lines: ${lines.join(' | ')}`,
    );

    await run(p, upArgs(cli, p));
    assert.deepEqual(await containers(p.projectName), [
      { service: 'web', state: 'running' },
      { service: 'worker', state: 'running' },
    ]);

    const withDebug = { ...p, profiles: ['debug'] };
    // no service named: only the enabled profile starts `debug` (naming a service would start it anyway)
    await run(withDebug, upArgs(cli, withDebug));
    assert.deepEqual(
      (await containers(p.projectName)).map((c) => c.service),
      ['debug', 'web', 'worker'],
    );

    await run(p, serviceArgs(cli, p, 'stop', 'web', 1));
    assert.equal((await containers(p.projectName)).find((c) => c.service === 'web')?.state, 'exited');
    await run(p, serviceArgs(cli, p, 'start', 'web'));
    assert.equal((await containers(p.projectName)).find((c) => c.service === 'web')?.state, 'running');
    await run(p, serviceArgs(cli, p, 'restart', 'worker', 1));
    assert.equal((await containers(p.projectName)).find((c) => c.service === 'worker')?.state, 'running');

    await run(p, scaleArgs(cli, p, 'worker', 2));
    assert.equal((await containers(p.projectName)).filter((c) => c.service === 'worker' && c.state === 'running').length, 2);
    const ids = (await run(p, psArgs(cli, p))).stdout.split('\n').filter((l) => l.trim() !== '');
    assert.equal(ids.length, 4);

    await run(p, downArgs(cli, p, { volumes: true, timeoutSeconds: 1 }));
    assert.deepEqual(await containers(p.projectName), []);
    const volumes = await engine.listVolumes({ filters: { label: [`com.docker.compose.project=${p.projectName}`] } });
    assert.deepEqual(volumes, []);
  });

  it('an unknown profile: v1 starts the services without a profile and says nothing', async () => {
    const p = { ...project({ 'docker-compose.yml': TWO_SERVICES }), profiles: ['nope'] };
    const model = projectFromConfig((await run(p, configArgs(cli, p))).stdout, cli.flavour, p.projectName);
    assert.deepEqual(unknownProfiles(model, p.profiles), ['nope']);
    const lines: string[] = [];
    await run(p, upArgs(cli, p), lines);
    assert.ok(!lines.some((l) => /nope|profile/i.test(l)), lines.join('\n'));
    assert.deepEqual(
      (await containers(p.projectName)).map((c) => c.service),
      ['web', 'worker'],
    );
    await run(p, downArgs(cli, p, { volumes: true, timeoutSeconds: 1 }));
  });

  it('a port in use: the error names the service and the port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const p = project({
        'docker-compose.yml': `services:\n  web:\n    image: ${BUSYBOX}\n    init: true\n    command: ["httpd", "-f", "-p", "8080"]\n    ports: ["127.0.0.1:${port}:8080"]\n${LABELS}`,
      });
      await assert.rejects(run(p, upArgs(cli, p)), (err: unknown) => {
        assert.ok(err instanceof ComposeCommandError);
        assert.equal(err.exitCode, 1);
        assert.deepEqual(
          err.serviceErrors.map((e) => e.service),
          ['web'],
        );
        assert.equal(err.serviceErrors[0]?.portInUse, `127.0.0.1:${port}`);
        assert.match(err.message, new RegExp(`^web: .*127\\.0\\.0\\.1:${port}.*(address already in use|port is already allocated)`));
        return true;
      });
    } finally {
      server.close();
    }
  });

  it('an image that cannot be pulled is reported for its service', async () => {
    const p = project({
      'docker-compose.yml': `services:\n  web:\n    image: ${BUSYBOX}\n    command: ["sleep", "3600"]\n${LABELS}  qdrant:\n    image: qdrant/qdrant:v1.9.0\n${LABELS}`,
    });
    await assert.rejects(run(p, upArgs(cli, p)), (err: unknown) => {
      assert.ok(err instanceof ComposeCommandError);
      assert.deepEqual(
        err.serviceErrors.map((e) => e.service),
        ['qdrant'],
      );
      assert.match(err.message, /^qdrant: pull failed: /);
      return true;
    });
  });

  const configFails = async (text: string): Promise<ReturnType<typeof configDiagnostics>> => {
    const p = project({ 'docker-compose.yml': text });
    const err = await run(p, configArgs(cli, p)).then(
      () => assert.fail('config should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ComposeCommandError);
    return configDiagnostics(err.stderrTail, p.file, text, cli.flavour);
  };

  it('a malformed file: a diagnostic at its line', async () => {
    const [d] = await configFails('services:\n  web:\n    image: x\n   ports: [1]\n');
    assert.equal(d?.line, 4);
    assert.match(d?.message ?? '', /^YAML: /);
  });

  it('v2-only syntax: the file needs Compose v2, at the line', async () => {
    const [d] = await configFails('services:\n  web:\n    image: x\n    env_file:\n      - path: a.env\n        required: false\n');
    assert.equal(d?.line, 5);
    assert.match(d?.message ?? '', /^This file needs Compose v2 \(line 5: `env_file` entry with `path` and `required`\)/);
    const [n] = await configFails('name: mine\nservices:\n  web:\n    image: x\n');
    assert.match(n?.message ?? '', /line 1: top-level `name:`/);
  });

  it('a missing env_file: says which file, at its entry', async () => {
    const [d] = await configFails('services:\n  web:\n    image: x\n    env_file: missing.env\n');
    assert.equal(d?.line, 4);
    assert.match(d?.message ?? '', /The env_file .*missing\.env does not exist/);
  });
});
