import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { resolveEndpoint, tlsMode } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { TlsError } from '../../src/core/engine/errors';
import { RUN_ID, TEST_LABEL, cleanup, connect, localEndpoint, run } from './harness';
import { secondEngineSkip } from './secondEngines';
import { startTlsDockerd, startTlsEngine, type TlsEngine } from './tlsEngine';

/** A TLS engine and the plain engine behind it (where the test's container is made). */
interface Setup {
  readonly tls: TlsEngine;
  readonly plain: () => Promise<Engine>;
}

async function plainEngine(host: string): Promise<Engine> {
  return Engine.connect(
    resolveEndpoint({ env: { DOCKER_HOST: host }, homeDir: '/nonexistent', platform: 'linux', readFile: () => undefined }),
    {
      timeoutMs: 15_000,
    },
  );
}

tlsSuite('against a TLS front on 127.0.0.1 in front of the test engine', { timeout: 60_000 }, async () => {
  const local = localEndpoint().host;
  assert.ok(local.startsWith('unix://'), `the engine tier runs on a local socket, not ${local}`);
  return { tls: await startTlsEngine(local.slice('unix://'.length)), plain: connect };
});

tlsSuite(
  'against dockerd --tlsverify itself (a second engine in its own network namespace, reached through a relay on 127.0.0.1)',
  { timeout: 240_000, skip: secondEngineSkip('tls.test.ts', 'TLS dockerd', ['unshare', 'nsenter']) ?? false },
  async () => {
    const tls = await startTlsDockerd();
    return { tls, plain: () => plainEngine(tls.unixHost) };
  },
);

function tlsSuite(where: string, options: { timeout: number; skip?: string | false }, setup: () => Promise<Setup>): void {
  describe(`engine over tcp:// with TLS: the docker CLI's rules, ${where}`, options, () => {
    let front: TlsEngine;
    let plain: () => Promise<Engine>;
    let dir: string;
    let containerId: string;
    let good: string; // the right CA and a client certificate it signed
    let otherCa: string; // another CA, same client certificate
    let noClient: string; // the right CA, no client certificate
    before(async () => {
      ({ tls: front, plain } = await setup());
      ({ dir } = front);
      ({ good, otherCa, noClient } = front.certs);
      containerId = await run(await plain());
    });
    after(async () => {
      if (plain) await cleanup(await plain()).catch(() => undefined);
      front?.close();
    });

    function env(extra: Record<string, string>): Record<string, string> {
      return { DOCKER_HOST: `tcp://127.0.0.1:${front.port}`, ...extra };
    }
    function endpoint(vars: Record<string, string>) {
      return resolveEndpoint({
        env: vars,
        homeDir: dir,
        platform: 'linux',
        readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
      });
    }
    /** Whether the docker CLI itself connects with these variables (the reference for every row). */
    async function cliConnects(vars: Record<string, string>): Promise<boolean> {
      // asynchronously: the TLS front answers from this process
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCKER_')));
      try {
        const { stdout } = await promisify(execFile)('docker', ['version', '--format', '{{.Server.APIVersion}}'], {
          env: { ...clean, HOME: dir, DOCKER_CONFIG: path.join(dir, 'docker-config'), ...vars },
          encoding: 'utf8',
          timeout: 20_000,
        });
        return stdout.trim() !== '';
      } catch {
        return false;
      }
    }

    test('DOCKER_TLS_VERIFY with the right CA: verified, lists the containers (as the docker CLI)', async () => {
      const vars = env({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: good });
      const e = endpoint(vars);
      assert.equal(tlsMode(e), `TLS, server verified against ${good}/ca.pem; client certificate from ${good}`);
      const engine = await Engine.connect(e, { timeoutMs: 15_000 });
      const listed = await engine.listContainers({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
      assert.deepEqual(
        listed.map((c) => c.id),
        [containerId],
      );
      assert.equal(await cliConnects(vars), true);
    });

    test('DOCKER_TLS_VERIFY with another CA: refused, naming the CA file checked against (as the docker CLI refuses)', async () => {
      const vars = env({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: otherCa });
      await assert.rejects(Engine.connect(endpoint(vars), { timeoutMs: 15_000 }), (e: unknown) => {
        assert.ok(e instanceof TlsError, String(e));
        assert.match(e.message, /presented a certificate that is not signed by the CA Berth checks it against/);
        assert.ok(e.message.includes(`${otherCa}/ca.pem`), e.message);
        return true;
      });
      assert.equal(await cliConnects(vars), false);
    });

    test('DOCKER_TLS without DOCKER_TLS_VERIFY: TLS without verifying, connects despite another CA (as the docker CLI)', async () => {
      const vars = env({ DOCKER_TLS: '1', DOCKER_CERT_PATH: otherCa });
      const e = endpoint(vars);
      assert.equal(tlsMode(e), `TLS without verifying the server; client certificate from ${otherCa}`);
      const engine = await Engine.connect(e, { timeoutMs: 15_000 });
      assert.ok((await engine.ping()).length > 0);
      assert.equal(await cliConnects(vars), true);
    });

    test('DOCKER_CERT_PATH alone: plain HTTP, so the TLS engine refuses, with the fix (as the docker CLI fails)', async () => {
      const vars = env({ DOCKER_CERT_PATH: good });
      const e = endpoint(vars);
      assert.match(tlsMode(e) ?? '', /^no TLS/);
      await assert.rejects(Engine.connect(e, { timeoutMs: 15_000 }), (err: unknown) => {
        assert.ok(err instanceof TlsError, String(err));
        assert.match(err.message, /expects TLS, but neither DOCKER_TLS_VERIFY nor DOCKER_TLS is set.*Set DOCKER_TLS_VERIFY=1/);
        return true;
      });
      assert.equal(await cliConnects(vars), false);
    });

    test('no client certificate for an engine that requires one: refused, saying so', async () => {
      const vars = env({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: noClient });
      await assert.rejects(Engine.connect(endpoint(vars), { timeoutMs: 15_000 }), (e: unknown) => {
        assert.ok(e instanceof TlsError, String(e));
        assert.match(e.message, /refused Berth's client certificate.*There is no cert\.pem and key\.pem in/);
        return true;
      });
      assert.equal(await cliConnects(vars), false);
    });
  });
}
