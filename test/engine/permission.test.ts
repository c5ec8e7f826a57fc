import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { localEndpoint } from './harness';

/** A system user outside the docker group, made here when missing (the engine tier runs as root). */
const USER = 'berth-nobody';
const REPO = path.resolve(__dirname, '../..');

function whySkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to run a probe as another user';
  const host = localEndpoint().host;
  if (!host.startsWith('unix://')) return `the engine is not on a unix socket (${host})`;
  const mode = fs.statSync(host.slice('unix://'.length)).mode;
  if ((mode & 0o006) !== 0) return `${host} is open to every user (mode ${(mode & 0o777).toString(8)}): nothing to refuse`;
  return false;
}
const skip = whySkip();

describe('engine: a user outside the docker group gets one clear message with the fix', { skip, timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-permission-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('connecting to the socket as that user: EnginePermissionError naming the socket, the user and the fix', async () => {
    try {
      execFileSync('id', ['-u', USER], { stdio: 'pipe' });
    } catch {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER], { stdio: 'pipe' });
    }
    const groups = execFileSync('id', ['-nG', USER], { encoding: 'utf8' }).split(/\s+/);
    assert.ok(!groups.includes('docker'), `${USER} is in the docker group`);
    const host = localEndpoint().host;
    const uid = execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim();
    fs.chmodSync(dir, 0o755);
    const probe = path.join(dir, 'probe.mts');
    fs.writeFileSync(
      probe,
      [
        `import { resolveEndpoint } from ${JSON.stringify(path.join(REPO, 'src/core/engine/connection.ts'))};`,
        `import { Engine } from ${JSON.stringify(path.join(REPO, 'src/core/engine/engine.ts'))};`,
        `const endpoint = resolveEndpoint({ env: { DOCKER_HOST: ${JSON.stringify(host)} }, homeDir: '/nonexistent', platform: 'linux', readFile: () => undefined });`,
        'try {',
        '  await Engine.connect(endpoint, { timeoutMs: 10000 });',
        '  console.log(JSON.stringify({ connected: true }));',
        '} catch (e) {',
        '  console.log(JSON.stringify({ name: e.constructor.name, code: e.code, message: e.message }));',
        '}',
        '',
      ].join('\n'),
    );
    fs.chmodSync(probe, 0o644);
    // runuser drops to the user's own groups only; cwd is the repository so `--import tsx` resolves
    const { stdout } = await promisify(execFile)('runuser', ['-u', USER, '--', process.execPath, '--import', 'tsx', probe], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      encoding: 'utf8',
      timeout: 45_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { name?: string; code?: string; message?: string };
    assert.equal(result.name, 'EnginePermissionError', stdout);
    assert.equal(result.code, 'permission');
    const socket = host.slice('unix://'.length);
    assert.equal(
      result.message,
      `Permission denied on ${socket}: the user ${USER} may not use the Docker socket. ` +
        "Add the user to the 'docker' group (sudo usermod -aG docker $USER, then log out and in again), " +
        `or point DOCKER_HOST at a rootless engine (unix:///run/user/${uid}/docker.sock).`,
    );
  });
});
