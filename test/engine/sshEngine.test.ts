import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { HostKeyError } from '../../src/core/engine/errors';
import { RUN_ID, TEST_LABEL, cleanup, connect, run } from './harness';
import { keygen, sshdUnavailable, startSshd, type Sshd } from './sshd';

const skip = sshdUnavailable();

/**
 * An ssh:// engine through a real OpenSSH server on 127.0.0.1 (the same machine, so its
 * `docker system dial-stdio` reaches this engine), with known_hosts files made per test.
 */
describe('engine over ssh://: the host key is checked against known_hosts', { skip, timeout: 60_000 }, () => {
  let sshd: Sshd;
  let containerId: string;
  before(async () => {
    sshd = await startSshd();
    containerId = await run(await connect());
  });
  after(async () => {
    await cleanup(await connect());
    await sshd?.stop();
  });

  function knownHosts(name: string, lines: string[]): string {
    const file = path.join(sshd.dir, name);
    fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    return file;
  }

  function connectOverSsh(files: string[]): Promise<Engine> {
    const endpoint = resolveEndpoint({
      env: { DOCKER_HOST: `ssh://${sshd.user}@127.0.0.1:${sshd.port}` },
      homeDir: sshd.dir,
      platform: 'linux',
      readFile: () => undefined,
    });
    return Engine.connect(endpoint, { timeoutMs: 20_000, env: { SSH_AUTH_SOCK: sshd.agentSocket }, knownHostsFiles: files });
  }

  test('a known host key: connects and lists the containers', async () => {
    const engine = await connectOverSsh([
      knownHosts('known', ['# other hosts first', 'gpu-box ssh-ed25519 ' + otherKey(), sshd.knownHostsLine]),
    ]);
    const listed = await engine.listContainers({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    assert.deepEqual(
      listed.map((c) => c.id),
      [containerId],
    );
  });

  test('a known host key in a hashed line (ssh-keygen -H): connects', async () => {
    const file = knownHosts('hashed', [sshd.knownHostsLine]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
    assert.match(fs.readFileSync(file, 'utf8'), /^\|1\|/);
    const engine = await connectOverSsh([file]);
    assert.ok((await engine.ping()).length > 0);
  });

  test('an unknown host key: refused, with its fingerprint and how to accept it', async () => {
    const file = knownHosts('empty', ['gpu-box ssh-ed25519 ' + otherKey()]);
    await assert.rejects(connectOverSsh([file]), (e: unknown) => {
      assert.ok(e instanceof HostKeyError, String(e));
      assert.equal(e.verdict, 'unknown');
      assert.equal(e.fingerprint, sshd.fingerprint);
      assert.ok(e.message.includes(`ED25519 key ${sshd.fingerprint}`), e.message);
      assert.ok(e.message.includes(`ssh -p ${sshd.port} ${sshd.user}@127.0.0.1`), e.message);
      assert.ok(e.message.includes(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${file}`), e.message);
      return true;
    });
  });

  test('a changed host key: refused, saying it has CHANGED and where the old one is', async () => {
    const file = knownHosts('changed', [`[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherKey()}`]);
    await assert.rejects(connectOverSsh([file]), (e: unknown) => {
      assert.ok(e instanceof HostKeyError, String(e));
      assert.equal(e.verdict, 'changed');
      assert.ok(e.message.includes(`The host key for [127.0.0.1]:${sshd.port} has CHANGED`), e.message);
      assert.ok(e.message.includes(sshd.fingerprint), e.message);
      assert.ok(e.message.includes(`${file}:1`), e.message);
      return true;
    });
  });

  test('a revoked host key: refused', async () => {
    const file = knownHosts('revoked', [`@revoked * ${sshd.knownHostsLine.split(' ').slice(1).join(' ')}`, sshd.knownHostsLine]);
    await assert.rejects(connectOverSsh([file]), (e: unknown) => e instanceof HostKeyError && e.verdict === 'revoked');
  });

  let other: string | undefined;
  function otherKey(): string {
    other ??= keygen(path.join(sshd.dir, 'other_ed25519')).split(/\s+/)[1] ?? '';
    return other;
  }
});
