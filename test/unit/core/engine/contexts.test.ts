import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { contextDirName } from '../../../../src/core/engine/connection';
import {
  berthContextName,
  contextNameError,
  createContext,
  listContexts,
  removeContext,
  sshTargetHost,
  suggestContextName,
  type ContextsInput,
} from '../../../../src/core/engine/contexts';
import { EngineConfigError } from '../../../../src/core/engine/errors';

const DOCKER = '/usr/bin/docker';
const roots: string[] = [];
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function tempHome(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-contexts-'));
  roots.push(root);
  return root;
}

const realFs = {
  readFile: (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
  readDir: (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []),
  writeFile: (f: string, text: string) => {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  },
  removeDir: (d: string) => fs.rmSync(d, { recursive: true, force: true }),
};

function input(homeDir: string, env: Record<string, string> = {}, extra: Partial<ContextsInput> = {}): ContextsInput {
  return { env, homeDir, platform: 'linux', ...realFs, ...extra };
}

/** A context laid out as the docker CLI stores it. */
function store(homeDir: string, name: string, meta: unknown, tlsFiles: string[] = []): void {
  const id = contextDirName(name);
  realFs.writeFile(path.join(homeDir, '.docker', 'contexts', 'meta', id, 'meta.json'), JSON.stringify(meta));
  for (const f of tlsFiles) realFs.writeFile(path.join(homeDir, '.docker', 'contexts', 'tls', id, 'docker', f), 'PEM');
}

const ctx = (name: string, host: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Metadata: {},
  Endpoints: { docker: { Host: host, SkipTLSVerify: false, ...extra } },
});

describe('listContexts', () => {
  test('an empty config: only the implicit default, the platform socket, used by the CLI and Berth', () => {
    const list = listContexts(input(tempHome()));
    assert.deepEqual(list.contexts, [
      {
        name: 'default',
        description: "the platform's default socket",
        host: 'unix:///var/run/docker.sock',
        tls: false,
        skipTlsVerify: false,
        implicit: true,
      },
    ]);
    assert.deepEqual(list.cli, { context: 'default' });
    assert.equal(berthContextName(list), 'default');
  });

  test('stored contexts by name after default, with description, TLS and SkipTLSVerify; currentContext is the CLI’s and Berth’s', () => {
    const home = tempHome();
    store(home, 'zeta', { ...ctx('zeta', 'tcp://10.0.0.5:2376', { SkipTLSVerify: true }) }, ['ca.pem', 'cert.pem', 'key.pem']);
    store(home, 'gpu-box', { ...ctx('gpu-box', 'ssh://me@gpu-box:2222'), Metadata: { Description: 'the GPU machine' } });
    realFs.writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'gpu-box' }));
    const list = listContexts(input(home));
    assert.deepEqual(
      list.contexts.map((c) => [c.name, c.description, c.host, c.tls, c.skipTlsVerify, c.implicit]),
      [
        ['default', "the platform's default socket", 'unix:///var/run/docker.sock', false, false, true],
        ['gpu-box', 'the GPU machine', 'ssh://me@gpu-box:2222', false, false, false],
        ['zeta', '', 'tcp://10.0.0.5:2376', true, true, false],
      ],
    );
    assert.deepEqual(list.cli, { context: 'gpu-box' });
    assert.equal(berthContextName(list), 'gpu-box');
  });

  test('DOCKER_HOST is the default context’s endpoint, and what the CLI uses over currentContext', () => {
    const home = tempHome();
    store(home, 'other', ctx('other', 'unix:///tmp/other.sock'));
    realFs.writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'other' }));
    const list = listContexts(input(home, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }));
    assert.deepEqual(list.contexts[0], {
      name: 'default',
      description: 'DOCKER_HOST (environment)',
      host: 'tcp://127.0.0.1:2375',
      tls: false,
      skipTlsVerify: false,
      implicit: true,
    });
    assert.deepEqual(list.cli, { context: 'default' });
    assert.equal(berthContextName(list), 'default');
  });

  test('Berth’s settings: berth.engine.context picks a context for Berth only; berth.engine.host is no context', () => {
    const home = tempHome();
    store(home, 'remote', ctx('remote', 'ssh://gpu'));
    const byContext = listContexts(input(home, { DOCKER_CONTEXT: 'default' }, { context: 'remote' }));
    assert.deepEqual(byContext.cli, { context: 'default' });
    assert.equal(berthContextName(byContext), 'remote');
    const byHost = listContexts(input(home, {}, { host: 'tcp://10.1.1.1:2375', context: 'remote' }));
    assert.equal(berthContextName(byHost), undefined);
    assert.ok('endpoint' in byHost.berth && byHost.berth.endpoint.host === 'tcp://10.1.1.1:2375');
  });

  test('a context that does not exist or is broken: listed with its error; the failing choice says why', () => {
    const home = tempHome();
    store(home, 'bad-host', ctx('bad-host', 'gopher://x'));
    realFs.writeFile(path.join(home, '.docker', 'contexts', 'meta', contextDirName('broken'), 'meta.json'), '{not json');
    const list = listContexts(input(home, { DOCKER_CONTEXT: 'gone' }, { context: 'bad-host' }));
    const bad = list.contexts.find((c) => c.name === 'bad-host');
    assert.match(bad?.error ?? '', /unsupported scheme gopher/);
    const broken = list.contexts.find((c) => c.name === contextDirName('broken'));
    assert.match(broken?.error ?? '', /meta\.json/);
    assert.ok('error' in list.cli && /Docker context "gone".*does not exist/.test(list.cli.error), JSON.stringify(list.cli));
    assert.ok('error' in list.berth && /gopher/.test(list.berth.error), JSON.stringify(list.berth));
    assert.equal(berthContextName(list), undefined);
  });

  test('DOCKER_CONFIG moves the store, as for the CLI', () => {
    const home = tempHome();
    const config = path.join(home, 'elsewhere');
    realFs.writeFile(path.join(config, 'contexts', 'meta', contextDirName('moved'), 'meta.json'), JSON.stringify(ctx('moved', 'ssh://m')));
    assert.deepEqual(
      listContexts(input(home, { DOCKER_CONFIG: config })).contexts.map((c) => c.name),
      ['default', 'moved'],
    );
  });
});

describe('createContext and removeContext', () => {
  test('writes meta.json as `docker context create` does, under sha256(name)', () => {
    const home = tempHome();
    const file = createContext(input(home), { name: 'gpu-box', host: 'ssh://me@gpu-box:2222', description: 'my gpu' });
    assert.equal(file, path.join(home, '.docker', 'contexts', 'meta', contextDirName('gpu-box'), 'meta.json'));
    // byte for byte what Debian's docker 28 CLI writes for the same command
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      '{"Name":"gpu-box","Metadata":{"Description":"my gpu"},"Endpoints":{"docker":{"Host":"ssh://me@gpu-box:2222","SkipTLSVerify":false}}}',
    );
    const plain = createContext(input(home), { name: 'plain', host: 'ssh://plain' });
    assert.equal(
      fs.readFileSync(plain, 'utf8'),
      '{"Name":"plain","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://plain","SkipTLSVerify":false}}}',
    );
  });

  test('refuses a reserved, invalid or taken name and an invalid host', () => {
    const home = tempHome();
    assert.throws(() => createContext(input(home), { name: 'default', host: 'ssh://x' }), /reserved/);
    assert.throws(() => createContext(input(home), { name: 'a', host: 'ssh://x' }), EngineConfigError);
    assert.throws(() => createContext(input(home), { name: 'a b', host: 'ssh://x' }), /not a valid context name/);
    assert.throws(() => createContext(input(home), { name: 'ok', host: 'gopher://x' }), /unsupported scheme/);
    createContext(input(home), { name: 'ok', host: 'ssh://x' });
    assert.throws(() => createContext(input(home), { name: 'ok', host: 'ssh://y' }), /already exists/);
  });

  test('removes the metadata and the TLS material; refuses default and unknown names', () => {
    const home = tempHome();
    store(home, 'tls-one', ctx('tls-one', 'tcp://h:2376'), ['ca.pem']);
    removeContext(input(home), 'tls-one');
    assert.equal(fs.existsSync(path.join(home, '.docker', 'contexts', 'meta', contextDirName('tls-one'))), false);
    assert.equal(fs.existsSync(path.join(home, '.docker', 'contexts', 'tls', contextDirName('tls-one'))), false);
    assert.throws(() => removeContext(input(home), 'default'), /cannot be removed/);
    assert.throws(() => removeContext(input(home), 'tls-one'), /does not exist/);
  });

  test('names: the CLI’s rule', () => {
    assert.equal(contextNameError('gpu-box.lan'), undefined);
    assert.equal(contextNameError('a1'), undefined);
    assert.match(contextNameError('-x') ?? '', /not a valid/);
    assert.match(contextNameError('x') ?? '', /not a valid/);
  });
});

describe('ssh targets', () => {
  test('[user@]host[:port] and aliases become ssh:// hosts', () => {
    assert.equal(sshTargetHost('gpu-box'), 'ssh://gpu-box');
    assert.equal(sshTargetHost('me@10.0.0.7:2222'), 'ssh://me@10.0.0.7:2222');
    assert.equal(sshTargetHost(' ssh://me@host '), 'ssh://me@host');
    assert.equal(sshTargetHost('me@[::1]:22'), 'ssh://me@[::1]:22');
    for (const bad of ['', 'me@', 'host:99999', 'a b', 'host/path']) assert.throws(() => sshTargetHost(bad), /not an ssh host/, bad);
  });

  test('suggested names come from the host part', () => {
    assert.equal(suggestContextName('me@gpu-box:2222'), 'gpu-box');
    assert.equal(suggestContextName('10.0.0.7'), '10.0.0.7');
    assert.equal(suggestContextName('x'), 'ssh-x');
    assert.equal(contextNameError(suggestContextName('[::1]')), undefined);
  });
});

describe('the docker CLI reads what Berth writes', { skip: fs.existsSync(DOCKER) ? false : `${DOCKER} is not installed` }, () => {
  const cli = (config: string, ...args: string[]): string =>
    execFileSync(DOCKER, ['--config', config, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: config },
    });

  test('`docker context ls` lists Berth’s context; Berth lists the CLI’s; `docker context rm` and Berth’s remove agree', () => {
    const home = tempHome();
    const config = path.join(home, '.docker');
    createContext(input(home), { name: 'berth-made', host: 'ssh://me@gpu-box:2222', description: 'written by Berth' });
    cli(config, 'context', 'create', 'cli-made', '--description', 'written by the CLI', '--docker', 'host=ssh://you@other:22');
    const rows = cli(config, 'context', 'ls', '--format', '{{json .}}')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Name: string; Description: string; DockerEndpoint: string; Error?: string });
    const made = rows.find((r) => r.Name === 'berth-made');
    assert.deepEqual(
      made && { d: made.Description, e: made.DockerEndpoint, err: made.Error ?? '' },
      { d: 'written by Berth', e: 'ssh://me@gpu-box:2222', err: '' },
      JSON.stringify(rows),
    );
    // the CLI inspects it as one of its own
    const inspected = JSON.parse(cli(config, 'context', 'inspect', 'berth-made')) as [{ Endpoints: { docker: { Host: string } } }];
    assert.equal(inspected[0].Endpoints.docker.Host, 'ssh://me@gpu-box:2222');
    // and the file is the same as the CLI's for the same command, but for the names
    const dir = path.join(config, 'contexts', 'meta');
    const cliMeta = JSON.parse(fs.readFileSync(path.join(dir, contextDirName('cli-made'), 'meta.json'), 'utf8')) as object;
    const berthMeta = JSON.parse(fs.readFileSync(path.join(dir, contextDirName('berth-made'), 'meta.json'), 'utf8')) as object;
    assert.deepEqual(Object.keys(berthMeta), Object.keys(cliMeta));
    const listed = listContexts(input(home)).contexts.find((c) => c.name === 'cli-made');
    assert.deepEqual(listed && [listed.description, listed.host], ['written by the CLI', 'ssh://you@other:22']);
    // `docker context use` makes it the CLI's current one: Berth sees that
    cli(config, 'context', 'use', 'berth-made');
    assert.deepEqual(listContexts(input(home)).cli, { context: 'berth-made' });
    cli(config, 'context', 'use', 'default');
    removeContext(input(home), 'berth-made');
    assert.ok(!cli(config, 'context', 'ls', '--format', '{{.Name}}').split('\n').includes('berth-made'));
    cli(config, 'context', 'rm', 'cli-made');
    assert.deepEqual(
      listContexts(input(home)).contexts.map((c) => c.name),
      ['default'],
    );
  });
});
