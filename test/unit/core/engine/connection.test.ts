import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  contextDirName,
  directRoute,
  isLocalEndpoint,
  normaliseHost,
  resolveEndpoint,
  toModemOptions,
  type ResolveInput,
} from '../../../../src/core/engine/connection';
import { EngineConfigError } from '../../../../src/core/engine/errors';
import { explainTlsFailure, tlsMode } from '../../../../src/core/engine/connection';

const roots: string[] = [];
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** A fake home with a ~/.docker laid out as the docker CLI writes it. */
function home(layout: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-home-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(layout)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

function input(homeDir: string, env: Record<string, string> = {}, extra: Partial<ResolveInput> = {}): ResolveInput {
  return {
    env,
    homeDir,
    platform: 'linux',
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
    ...extra,
  };
}

function context(name: string, host: string, skipTls = false): Record<string, string> {
  const id = contextDirName(name);
  return {
    [`.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({
      Name: name,
      Metadata: { Description: 'test' },
      Endpoints: { docker: { Host: host, SkipTLSVerify: skipTls } },
    }),
  };
}

describe('resolveEndpoint: the docker CLI order', () => {
  test('nothing configured: the default socket', () => {
    const e = resolveEndpoint(input(home({})));
    assert.equal(e.host, 'unix:///var/run/docker.sock');
    assert.equal(e.source, 'default');
    assert.match(e.reason, /default socket/);
  });

  test('context directory names are the sha256 of the name, as the CLI stores them', () => {
    assert.equal(contextDirName('default'), '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
  });

  test('currentContext in config.json selects that context', () => {
    const h = home({ '.docker/config.json': JSON.stringify({ currentContext: 'remote' }), ...context('remote', 'tcp://10.1.2.3:2375') });
    const e = resolveEndpoint(input(h));
    assert.equal(e.host, 'tcp://10.1.2.3:2375');
    assert.equal(e.source, 'context');
    assert.equal(e.context, 'remote');
    assert.match(e.reason, /currentContext/);
    assert.equal(e.tls, undefined);
  });

  test('DOCKER_CONTEXT beats currentContext', () => {
    const h = home({
      '.docker/config.json': JSON.stringify({ currentContext: 'remote' }),
      ...context('remote', 'tcp://10.1.2.3:2375'),
      ...context('rootless', 'unix:///run/user/1000/docker.sock'),
    });
    const e = resolveEndpoint(input(h, { DOCKER_CONTEXT: 'rootless' }));
    assert.equal(e.host, 'unix:///run/user/1000/docker.sock');
    assert.match(e.reason, /DOCKER_CONTEXT/);
  });

  test('DOCKER_HOST beats DOCKER_CONTEXT and currentContext', () => {
    const h = home({ '.docker/config.json': JSON.stringify({ currentContext: 'remote' }), ...context('remote', 'tcp://10.1.2.3:2375') });
    const e = resolveEndpoint(input(h, { DOCKER_HOST: 'unix:///tmp/d.sock', DOCKER_CONTEXT: 'remote' }));
    assert.equal(e.host, 'unix:///tmp/d.sock');
    assert.equal(e.source, 'DOCKER_HOST');
  });

  test('an explicit context setting beats DOCKER_HOST; an explicit host beats everything', () => {
    const h = home({ ...context('remote', 'ssh://me@build-box') });
    const env = { DOCKER_HOST: 'unix:///tmp/d.sock' };
    assert.equal(resolveEndpoint(input(h, env, { context: 'remote' })).host, 'ssh://me@build-box');
    const e = resolveEndpoint(input(h, env, { context: 'remote', host: 'tcp://127.0.0.1:2375' }));
    assert.equal(e.host, 'tcp://127.0.0.1:2375');
    assert.equal(e.source, 'setting');
  });

  test('DOCKER_CONFIG moves the config dir', () => {
    const h = home({
      'cfg/config.json': JSON.stringify({ currentContext: 'x' }),
      ...Object.fromEntries(Object.entries(context('x', 'tcp://h:1')).map(([k, v]) => [k.replace('.docker/', 'cfg/'), v])),
    });
    const e = resolveEndpoint(input(h, { DOCKER_CONFIG: path.join(h, 'cfg') }));
    assert.equal(e.host, 'tcp://h:1');
  });

  test('"default" as current context means the default socket', () => {
    const h = home({ '.docker/config.json': JSON.stringify({ currentContext: 'default' }) });
    assert.equal(resolveEndpoint(input(h)).host, 'unix:///var/run/docker.sock');
  });

  test('a missing context is a config error that names it', () => {
    const h = home({ '.docker/config.json': JSON.stringify({ currentContext: 'gone' }) });
    assert.throws(
      () => resolveEndpoint(input(h)),
      (e: unknown) => e instanceof EngineConfigError && /"gone"/.test(e.message),
    );
  });

  test('malformed config.json is a config error naming the file', () => {
    const h = home({ '.docker/config.json': '{ not json' });
    assert.throws(
      () => resolveEndpoint(input(h)),
      (e: unknown) => e instanceof EngineConfigError && /config\.json is not valid JSON/.test(e.message),
    );
  });

  test('TLS from DOCKER_TLS_VERIFY + DOCKER_CERT_PATH', () => {
    const h = home({ 'certs/ca.pem': 'CA', 'certs/cert.pem': 'CERT', 'certs/key.pem': 'KEY' });
    const e = resolveEndpoint(
      input(h, { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(h, 'certs') }),
    );
    assert.deepEqual(e.tls, {
      from: path.join(h, 'certs'),
      verify: true,
      ca: 'CA',
      caFile: path.join(h, 'certs', 'ca.pem'),
      cert: 'CERT',
      key: 'KEY',
    });
    const modem = toModemOptions(e);
    assert.equal(modem.protocol, 'https');
    assert.equal(modem.host, 'docker.example');
    assert.equal(modem.port, 2376);
    assert.equal(modem.ca, 'CA');
    assert.equal(modem.rejectUnauthorized, undefined);
  });

  test('DOCKER_TLS_VERIFY alone reads certs from ~/.docker', () => {
    const h = home({ '.docker/ca.pem': 'CA', '.docker/cert.pem': 'C', '.docker/key.pem': 'K' });
    const e = resolveEndpoint(input(h, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }));
    assert.equal(e.tls?.from, path.join(h, '.docker'));
    assert.equal(e.tls?.ca, 'CA');
  });

  test('a cert without its key is refused', () => {
    const h = home({ 'c/cert.pem': 'CERT' });
    assert.throws(
      () => resolveEndpoint(input(h, { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(h, 'c') })),
      EngineConfigError,
    );
  });

  test('a context with TLS material in contexts/tls', () => {
    const id = contextDirName('secure');
    const h = home({
      ...context('secure', 'tcp://secure:2376'),
      [`.docker/contexts/tls/${id}/docker/ca.pem`]: 'CA',
      [`.docker/contexts/tls/${id}/docker/cert.pem`]: 'C',
      [`.docker/contexts/tls/${id}/docker/key.pem`]: 'K',
    });
    const e = resolveEndpoint(input(h, { DOCKER_CONTEXT: 'secure' }));
    assert.equal(e.tls?.verify, true);
    assert.equal(e.tls?.key, 'K');
    assert.equal(toModemOptions(e).protocol, 'https');
  });

  test('ssh:// hosts map to the ssh protocol with the user and agent', () => {
    const e = resolveEndpoint(input(home({}), { DOCKER_HOST: 'ssh://ml@gpu-box:2222', SSH_AUTH_SOCK: '/tmp/agent' }));
    const modem = toModemOptions(e, { SSH_AUTH_SOCK: '/tmp/agent' });
    assert.deepEqual(modem, { protocol: 'ssh', host: 'gpu-box', port: 2222, username: 'ml', sshOptions: { agent: '/tmp/agent' } });
    assert.equal(isLocalEndpoint(e), false);
  });
});

describe('normaliseHost', () => {
  test('forms the CLI accepts', () => {
    assert.equal(normaliseHost('unix://', 'linux'), 'unix:///var/run/docker.sock');
    assert.equal(normaliseHost('tcp://:2375', 'linux'), 'tcp://127.0.0.1:2375');
    assert.equal(normaliseHost('localhost:2375', 'linux'), 'tcp://localhost:2375');
    assert.equal(normaliseHost('tcp://h', 'linux'), 'tcp://h:2376');
    assert.equal(normaliseHost('', 'win32'), 'npipe:////./pipe/docker_engine');
    assert.deepEqual(toModemOptions(resolveEndpoint(input(home({}), { DOCKER_HOST: 'unix:///x/y.sock' }))), { socketPath: '/x/y.sock' });
  });

  test('nonsense is a config error', () => {
    assert.throws(() => normaliseHost('ftp://x', 'linux'), /unsupported scheme/);
    assert.throws(() => normaliseHost('/var/run/docker.sock', 'linux'), EngineConfigError);
  });

  test('isLocalEndpoint', () => {
    assert.equal(isLocalEndpoint(resolveEndpoint(input(home({})))), true);
    assert.equal(isLocalEndpoint(resolveEndpoint(input(home({}), { DOCKER_HOST: 'tcp://127.0.0.1:2375' }))), true);
    assert.equal(isLocalEndpoint(resolveEndpoint(input(home({}), { DOCKER_HOST: 'tcp://10.0.0.2:2375' }))), false);
    assert.equal(isLocalEndpoint(resolveEndpoint(input(home({}), { DOCKER_HOST: 'tcp://127.0.0.2:2376' }))), true);
  });

  test('directRoute: ports of a local engine as they are; those of a remote tcp engine refused with the ssh way', () => {
    const local = resolveEndpoint(input(home({})));
    assert.deepEqual(directRoute(local, '127.0.0.1', 8000), { host: '127.0.0.1', port: 8000 });
    assert.deepEqual(directRoute(local, '::1', 8000), { host: '::1', port: 8000 });
    const remote = resolveEndpoint(input(home({}), { DOCKER_HOST: 'tcp://gpu-box.lan:2376' }));
    const r = directRoute(remote, '127.0.0.1', 8000);
    assert.ok('error' in r);
    assert.match(r.error, /^port 8000 is published on the engine's host gpu-box\.lan, which Berth reaches only through ssh/);
    assert.match(r.error, /ssh:\/\/user@gpu-box\.lan/);
    assert.match(r.error, /ssh -L 8000:127\.0\.0\.1:8000 gpu-box\.lan/);
  });
});

describe("TLS: the docker CLI's rules (DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, contexts' SkipTLSVerify)", () => {
  const ctxId = contextDirName('remote');
  const ctxTls = `.docker/contexts/tls/${ctxId}/docker`;
  const full = { 'certs/ca.pem': 'CA', 'certs/cert.pem': 'CERT', 'certs/key.pem': 'KEY' };
  interface Row {
    readonly name: string;
    readonly files?: Record<string, string>;
    /** Environment; CERTS stands for <home>/certs, HOME for <home>. */
    readonly env?: Record<string, string>;
    readonly setting?: { host?: string; context?: string };
    /** The mode Engine Info shows (HOME stands for <home>), or the config error expected. */
    readonly mode?: string | undefined;
    readonly error?: RegExp;
  }
  const rows: Row[] = [
    { name: 'nothing set: no TLS', files: full, env: { DOCKER_HOST: 'tcp://h:2375' }, mode: 'no TLS' },
    {
      name: 'DOCKER_CERT_PATH alone: no TLS (the CLI ignores it without DOCKER_TLS_VERIFY or DOCKER_TLS)',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2375', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'no TLS (DOCKER_CERT_PATH is set, but neither DOCKER_TLS_VERIFY nor DOCKER_TLS: no TLS, as with the docker CLI)',
    },
    {
      name: 'DOCKER_TLS_VERIFY=1 + DOCKER_CERT_PATH: TLS verifying against its ca.pem, with the client certificate',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'TLS, server verified against HOME/certs/ca.pem; client certificate from HOME/certs',
    },
    {
      name: 'DOCKER_TLS_VERIFY=0 still verifies (any non-empty value counts)',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'TLS, server verified against HOME/certs/ca.pem; client certificate from HOME/certs',
    },
    {
      name: 'DOCKER_TLS_VERIFY empty: not set',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'no TLS (DOCKER_CERT_PATH is set, but neither DOCKER_TLS_VERIFY nor DOCKER_TLS: no TLS, as with the docker CLI)',
    },
    {
      name: 'DOCKER_TLS=1 without DOCKER_TLS_VERIFY: TLS without verifying the server',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'TLS without verifying the server; client certificate from HOME/certs',
    },
    {
      name: 'DOCKER_TLS=1 and DOCKER_TLS_VERIFY=1: verified',
      files: full,
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'TLS, server verified against HOME/certs/ca.pem; client certificate from HOME/certs',
    },
    {
      name: 'DOCKER_TLS_VERIFY without DOCKER_CERT_PATH: the files of ~/.docker',
      files: { '.docker/ca.pem': 'CA', '.docker/cert.pem': 'C', '.docker/key.pem': 'K' },
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' },
      mode: 'TLS, server verified against HOME/.docker/ca.pem; client certificate from HOME/.docker',
    },
    {
      name: 'DOCKER_TLS_VERIFY without DOCKER_CERT_PATH: the files of DOCKER_CONFIG when set',
      files: { 'cfg/ca.pem': 'CA' },
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: 'HOME/cfg' },
      mode: 'TLS, server verified against HOME/cfg/ca.pem',
    },
    {
      name: 'ca.pem alone: verified, no client certificate',
      files: { 'certs/ca.pem': 'CA' },
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      mode: 'TLS, server verified against HOME/certs/ca.pem',
    },
    {
      name: 'DOCKER_TLS_VERIFY and no ca.pem: a config error naming the file (as the CLI refuses)',
      files: { 'certs/cert.pem': 'C', 'certs/key.pem': 'K' },
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      error: /DOCKER_TLS_VERIFY is set, so Berth uses TLS as the docker CLI does, but .*\/certs\/ca\.pem does not exist/,
    },
    {
      name: 'DOCKER_TLS and no ca.pem: a config error too',
      files: {},
      env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1' },
      error: /DOCKER_TLS is set, .*\.docker\/ca\.pem does not exist.*or set DOCKER_CERT_PATH/,
    },
    {
      name: 'the host setting follows the same rules',
      files: full,
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      setting: { host: 'tcp://h:2376' },
      mode: 'TLS, server verified against HOME/certs/ca.pem; client certificate from HOME/certs',
    },
    {
      name: 'a unix socket: no TLS mode at all',
      files: full,
      env: { DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      mode: undefined,
    },
    {
      name: "context with ca, cert and key: verified against the context's ca.pem",
      files: { ...context('remote', 'tcp://r:2376'), [`${ctxTls}/ca.pem`]: 'CA', [`${ctxTls}/cert.pem`]: 'C', [`${ctxTls}/key.pem`]: 'K' },
      setting: { context: 'remote' },
      mode: `TLS, server verified against HOME/${ctxTls}/ca.pem; client certificate from HOME/${ctxTls}`,
    },
    {
      name: 'context with SkipTLSVerify and files: TLS without verifying',
      files: { ...context('remote', 'tcp://r:2376', true), [`${ctxTls}/ca.pem`]: 'CA' },
      setting: { context: 'remote' },
      mode: 'TLS without verifying the server',
    },
    {
      name: 'context with SkipTLSVerify and no files: TLS without verifying',
      files: context('remote', 'tcp://r:2376', true),
      setting: { context: 'remote' },
      mode: 'TLS without verifying the server',
    },
    {
      name: 'context with a client certificate and no ca.pem: verified against the system CAs',
      files: { ...context('remote', 'tcp://r:2376'), [`${ctxTls}/cert.pem`]: 'C', [`${ctxTls}/key.pem`]: 'K' },
      setting: { context: 'remote' },
      mode: `TLS, server verified against the system's certificate authorities; client certificate from HOME/${ctxTls}`,
    },
    {
      name: 'context without TLS files: no TLS, whatever DOCKER_TLS_VERIFY says (it applies to DOCKER_HOST only)',
      files: { ...context('remote', 'tcp://r:2375'), ...full },
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' },
      setting: { context: 'remote' },
      mode: 'no TLS',
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const h = home(row.files ?? {});
      const env = Object.fromEntries(
        Object.entries(row.env ?? {}).map(([k, v]) => [k, v.replace('CERTS', path.join(h, 'certs')).replace('HOME', h)]),
      );
      const resolve = () =>
        resolveEndpoint(
          input(h, env, {
            ...(row.setting?.host ? { host: row.setting.host } : {}),
            ...(row.setting?.context ? { context: row.setting.context } : {}),
          }),
        );
      if (row.error) {
        assert.throws(resolve, (e: unknown) => e instanceof EngineConfigError && (row.error as RegExp).test(e.message));
        return;
      }
      const e = resolve();
      assert.equal(tlsMode(e), row.mode?.replaceAll('HOME', h));
      const modem = toModemOptions(e);
      if (e.host.startsWith('tcp://')) {
        assert.equal(modem.protocol, e.tls ? 'https' : 'http');
        assert.equal(modem.rejectUnauthorized, e.tls && !e.tls.verify ? false : undefined);
        assert.equal(modem.ca, e.tls?.ca);
      }
    });
  }
});

describe('TLS failures in words', () => {
  const verified = { host: 'tcp://h:2376', tls: { from: '/c', verify: true, ca: 'CA', caFile: '/c/ca.pem' } };
  test('an engine certificate from another CA: names the CA file checked against', () => {
    const e = explainTlsFailure(
      verified,
      Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    );
    assert.equal(e?.code, 'tls');
    assert.match(
      e?.message ?? '',
      /^The engine at tcp:\/\/h:2376 presented a certificate that is not signed by the CA Berth checks it against \(\/c\/ca\.pem; SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
  });
  test('plain HTTP to a TLS engine (DOCKER_CERT_PATH alone): says to set DOCKER_TLS_VERIFY', () => {
    const e = explainTlsFailure({ host: 'tcp://h:2376' }, { statusCode: 400, json: 'Client sent an HTTP request to an HTTPS server.\n' });
    assert.match(e?.message ?? '', /expects TLS, .*DOCKER_CERT_PATH alone does not turn TLS on.*Set DOCKER_TLS_VERIFY=1/);
  });
  test('TLS to a plain-HTTP engine', () => {
    const e = explainTlsFailure(verified, Object.assign(new Error('write EPROTO ... wrong version number'), { code: 'EPROTO' }));
    assert.match(e?.message ?? '', /does not speak TLS there/);
  });
  test('other errors are left to the general translation', () => {
    assert.equal(explainTlsFailure(verified, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), undefined);
    assert.equal(
      explainTlsFailure({ host: 'unix:///x' }, { statusCode: 400, json: 'Client sent an HTTP request to an HTTPS server.' }),
      undefined,
    );
  });
});
