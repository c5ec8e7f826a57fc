import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { BuildFailedError, type BuildEvent } from '../../../../src/core/engine/build';
import type { EngineEndpoint } from '../../../../src/core/engine/connection';
import { CancelledError } from '../../../../src/core/engine/errors';
import { buildKitCommand, buildWithBuildKit, refuseForBuiltInFrontend, syntaxDirective } from '../../../../src/core/build/buildkitBuild';
import type { BuildKitCli } from '../../../../src/core/build/dockerCli';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/buildkit');
const endpoint: EngineEndpoint = { host: 'unix:///var/run/docker.sock', source: 'default', context: 'default', reason: '' };
const builtIn: BuildKitCli = { path: '/usr/bin/docker', version: '20.10.24+dfsg1', mode: 'built-in', engineVersion: '20.10.24+dfsg1' };
const scan = { contextDir: '/proj', files: [] };
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A folder with a Dockerfile and a stand-in `docker` (a shell script) that behaves as the test says. */
function standIn(script: string, dockerfile = 'FROM scratch\n'): { dir: string; cli: BuildKitCli } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bk-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  const file = path.join(dir, 'docker');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return { dir, cli: { ...builtIn, path: file } };
}

/** A process that runs (a zombie left for a PID 1 that does not reap has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('BuildKit through the docker CLI', () => {
  test('the command: built-in BuildKit by DOCKER_BUILDKIT=1, every option as an argument, the endpoint in the environment', () => {
    const { file, args, env } = buildKitCommand(builtIn, endpoint, {
      scan,
      dockerfile: 'docker/Dockerfile.gpu',
      tag: 'iris:dev',
      target: 'serve',
      buildArgs: { BASE: 'python:3.12', EMPTY: '' },
      labels: { 'berth.managed': 'true' },
      noCache: true,
      ssh: ['default', 'deploy=/home/me/.ssh/id_ed25519'],
      env: { PATH: '/bin', SSH_AUTH_SOCK: '/tmp/agent.sock', DOCKER_CONTEXT: 'other' },
    });
    assert.equal(file, '/usr/bin/docker');
    assert.deepEqual(args, [
      'build',
      '--progress=plain',
      '-f',
      '/proj/docker/Dockerfile.gpu',
      '-t',
      'iris:dev',
      '--target',
      'serve',
      '--build-arg',
      'BASE=python:3.12',
      '--build-arg',
      'EMPTY=',
      '--label',
      'berth.managed=true',
      '--no-cache',
      '--ssh',
      'default',
      '--ssh',
      'deploy=/home/me/.ssh/id_ed25519',
      '/proj',
    ]);
    assert.deepEqual(env, {
      PATH: '/bin',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      DOCKER_HOST: 'unix:///var/run/docker.sock',
      DOCKER_BUILDKIT: '1',
    });
    const buildx = buildKitCommand({ ...builtIn, mode: 'buildx' }, endpoint, { scan, dockerfile: 'Dockerfile', tag: 't', env: {} });
    assert.deepEqual(buildx.args.slice(0, 4), ['buildx', 'build', '--load', '--progress=plain']);
    assert.equal(buildx.env.DOCKER_BUILDKIT, undefined);
  });

  test('a secret’s value goes only into the child’s environment, never into its arguments', () => {
    const { args, env } = buildKitCommand(builtIn, endpoint, {
      scan,
      dockerfile: 'Dockerfile',
      tag: 't',
      secrets: [
        { id: 'hf_token', value: 'hf_s3cr3t' },
        { id: 'pip.conf', value: '[global]\nindex-url=https://u:p@host/' },
      ],
      env: {},
    });
    assert.deepEqual(args.slice(6, 10), [
      '--secret',
      'id=hf_token,env=BERTH_BUILD_SECRET_0',
      '--secret',
      'id=pip.conf,env=BERTH_BUILD_SECRET_1',
    ]);
    assert.ok(!args.join(' ').includes('s3cr3t') && !args.join(' ').includes('u:p@'), args.join(' '));
    assert.equal(env.BERTH_BUILD_SECRET_0, 'hf_s3cr3t');
    assert.throws(
      () =>
        buildKitCommand(builtIn, endpoint, {
          scan,
          dockerfile: 'D',
          tag: 't',
          secrets: [{ id: 'a,src=/etc/shadow', value: 'x' }],
          env: {},
        }),
      /not a valid id/,
    );
  });

  test('--ssh default without an agent says what to do', () => {
    assert.throws(
      () => buildKitCommand(builtIn, endpoint, { scan, dockerfile: 'D', tag: 't', ssh: ['default'], env: { PATH: '/bin' } }),
      (err: unknown) =>
        err instanceof BuildFailedError &&
        /forwards ssh \(RUN --mount=type=ssh\) through your ssh agent, and SSH_AUTH_SOCK is not set: start an agent \(ssh-agent\), add your key \(ssh-add\)/.test(
          err.message,
        ),
    );
  });

  test('heredocs are refused for the built-in frontend, naming the lines; with a # syntax= line they are the frontend’s', () => {
    const text = 'FROM busybox\nRUN <<EOF\necho hi\nEOF\nCOPY <<EOF /x\ny\nEOF\n';
    assert.throws(
      () => refuseForBuiltInFrontend(builtIn, 'Dockerfile', text),
      (err: unknown) =>
        err instanceof BuildFailedError &&
        /^Build failed: Dockerfile uses heredocs \(lines 2, 5\), which need the dockerfile:1\.4\+ frontend; the built-in BuildKit that \/usr\/bin\/docker 20\.10\.24 uses \(Docker Engine 20\.10\.24\) has an older one\./.test(
          err.message,
        ),
    );
    assert.doesNotThrow(() => refuseForBuiltInFrontend(builtIn, 'Dockerfile', `# syntax=docker/dockerfile:1.7\n${text}`));
    // an engine of 23.0 or later has a frontend that reads heredocs, whichever CLI drives it
    assert.doesNotThrow(() => refuseForBuiltInFrontend({ ...builtIn, engineVersion: '24.0.7' }, 'Dockerfile', text));
    assert.throws(() => refuseForBuiltInFrontend({ ...builtIn, mode: 'buildx' }, 'Dockerfile', text), /uses heredocs/);
    assert.doesNotThrow(() => refuseForBuiltInFrontend(builtIn, 'Dockerfile', 'FROM busybox\nRUN --mount=type=cache,target=/c ls\n'));
    assert.deepEqual(syntaxDirective('# syntax=docker/dockerfile:1.4\nFROM x\n'), { line: 1, image: 'docker/dockerfile:1.4' });
    assert.equal(syntaxDirective('FROM x\n# syntax=docker/dockerfile:1.4\n'), undefined);
  });

  test('a real process: progress as it comes, the secret in its environment only, the image id from the output', async () => {
    const { dir, cli } = standIn(
      `printf '%s' "$BERTH_BUILD_SECRET_0" > "$(dirname "$0")/seen-secret"\n` +
        `printf '%s\\n' "$@" > "$(dirname "$0")/seen-args"\n` +
        `cat '${path.join(FIXTURES, 'multistage-cold.txt')}' >&2`,
    );
    const events: BuildEvent[] = [];
    const id = await buildWithBuildKit(endpoint, cli, {
      scan: { contextDir: dir, files: [] },
      dockerfile: 'Dockerfile',
      tag: 't',
      secrets: [{ id: 'tok', value: 'hunter2' }],
      env: { PATH: process.env.PATH },
      onEvent: (e) => events.push(e),
    });
    assert.equal(id, 'sha256:d6260c58f12de91ec59745da868f75eaffe0fc33bfbd7abb31aee91c6240dddf');
    assert.equal(events.filter((e) => e.kind === 'step').length, 9);
    assert.equal(fs.readFileSync(path.join(dir, 'seen-secret'), 'utf8'), 'hunter2');
    assert.ok(!fs.readFileSync(path.join(dir, 'seen-args'), 'utf8').includes('hunter2'));
    assert.ok(!JSON.stringify(events).includes('hunter2'));
  });

  test('a failing build: BuildFailedError naming the step with its output', async () => {
    const { dir, cli } = standIn(`cat '${path.join(FIXTURES, 'failing-step.txt')}' >&2; exit 1`);
    await assert.rejects(
      buildWithBuildKit(endpoint, cli, { scan: { contextDir: dir, files: [] }, dockerfile: 'Dockerfile', tag: 't', env: {} }),
      (err: unknown) => err instanceof BuildFailedError && err.step?.index === 3 && err.output.includes('model not found'),
    );
  });

  test('a # syntax= frontend that cannot be pulled: the line, why, and what to do', async () => {
    const { dir, cli } = standIn(
      `cat '${path.join(FIXTURES, 'syntax-registry-unreachable.txt')}' >&2; exit 1`,
      '# syntax=docker/dockerfile:1.4\nFROM x\n',
    );
    await assert.rejects(
      buildWithBuildKit(endpoint, cli, { scan: { contextDir: dir, files: [] }, dockerfile: 'Dockerfile', tag: 't', env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof BuildFailedError);
        assert.match(
          err.message,
          /^Build failed: line 1 of Dockerfile, "# syntax=docker\/dockerfile:1\.4", asks BuildKit to pull that frontend image from a registry, and the registry cannot be reached \(.*no such host\)\. Remove the line to build with the built-in frontend, or make the image available/,
        );
        return true;
      },
    );
  });

  test('cancel: the CLI and what it started (even what ignores SIGTERM) are gone, and the build ends in CancelledError', async () => {
    const { dir, cli } = standIn(
      `(trap '' TERM; exec sleep 30) & echo $! > "$(dirname "$0")/child.pid"; echo '#5 [2/2] RUN sleep 30' >&2; echo '#5 0.1 started' >&2; wait`,
    );
    const controller = new AbortController();
    const events: BuildEvent[] = [];
    const build = buildWithBuildKit(endpoint, cli, {
      scan: { contextDir: dir, files: [] },
      dockerfile: 'Dockerfile',
      tag: 't',
      env: { PATH: process.env.PATH },
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'output') controller.abort();
      },
    });
    await assert.rejects(build, CancelledError);
    const child = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
    for (let i = 0; i < 50 && running(child); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(running(child), false, 'the sleep the CLI started is gone too');
  });

  test('a CLI that cannot be started is a BuildFailedError naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bk-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM x\n');
    await assert.rejects(
      buildWithBuildKit(
        endpoint,
        { ...builtIn, path: path.join(dir, 'no-docker') },
        { scan: { contextDir: dir, files: [] }, dockerfile: 'Dockerfile', tag: 't', env: {} },
      ),
      /could not be run/,
    );
  });
});
