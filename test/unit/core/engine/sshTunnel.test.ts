import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkHostKey, knownHostLine, parseKnownHosts } from '../../../../src/core/engine/knownHosts';
import { parseSshConfig } from '../../../../src/core/engine/sshConfig';
import {
  DEFAULT_REMOTE_SOCKET,
  appendKnownHost,
  authMethods,
  HostKeyGuard,
  defaultIdentityFiles,
  dialStdioCommand,
  planSshRoute,
  routeFor,
  type SshHop,
} from '../../../../src/core/engine/sshTunnel';

const HOME = '/home/ana';
const ctx = { home: HOME, localUser: 'ana' };

const CONFIG = `
Host gpu-box
  HostName 10.0.0.7
  User ml
  Port 2222
  IdentityFile ~/.ssh/id_gpu
  ProxyJump bastion
  StrictHostKeyChecking accept-new

Host two-hops
  HostName 10.0.0.8
  ProxyJump ops@edge:2200,bastion

Host bastion
  HostName bastion.example.org
  User jump
  IdentityFile ~/.ssh/id_jump
  UserKnownHostsFile ~/.ssh/known_hosts.jump

Host only-files
  HostName 10.0.0.9
  IdentityFile ~/.ssh/a
  IdentityFile ~/.ssh/b
  IdentitiesOnly yes
`;
const blocks = parseSshConfig(CONFIG, `${HOME}/.ssh/config`, { home: HOME });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ssh-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('planSshRoute: the logins an ssh:// engine needs', () => {
  test('an alias of ~/.ssh/config: HostName, Port, User, IdentityFile; the ProxyJump host first with its own config', () => {
    const route = planSshRoute('ssh://gpu-box', blocks, ctx);
    assert.deepEqual(route.hops, [
      {
        alias: 'bastion',
        host: 'bastion.example.org',
        port: 22,
        username: 'jump',
        identityFiles: [`${HOME}/.ssh/id_jump`],
        identitiesOnly: false,
        knownHostsFiles: [`${HOME}/.ssh/known_hosts.jump`],
        strictHostKeyChecking: 'ask',
      },
      {
        alias: 'gpu-box',
        host: '10.0.0.7',
        port: 2222,
        username: 'ml',
        identityFiles: [`${HOME}/.ssh/id_gpu`],
        identitiesOnly: false,
        knownHostsFiles: [],
        strictHostKeyChecking: 'accept-new',
      },
    ]);
    assert.equal(route.socketPath, DEFAULT_REMOTE_SOCKET);
    assert.equal(route.explicitSocket, false);
  });

  test('the URL’s user and port beat the config; its path is the remote socket', () => {
    const route = planSshRoute('ssh://root@gpu-box:2022/run/user/1000/docker.sock', blocks, ctx);
    const target = route.hops[route.hops.length - 1];
    assert.equal(target?.username, 'root');
    assert.equal(target?.port, 2022);
    assert.equal(target?.host, '10.0.0.7');
    assert.equal(route.socketPath, '/run/user/1000/docker.sock');
    assert.equal(route.explicitSocket, true);
  });

  test('several ProxyJump hops in order, a hop’s user@host:port beating its config', () => {
    const route = planSshRoute('ssh://two-hops', blocks, ctx);
    assert.deepEqual(
      route.hops.map((h) => `${h.username}@${h.host}:${h.port}`),
      ['ops@edge:2200', 'jump@bastion.example.org:22', 'ana@10.0.0.8:22'],
    );
  });

  test('a host in no config: the local user, port 22, the default identity files', () => {
    const route = planSshRoute('ssh://box.example.org', [], ctx);
    assert.deepEqual(route.hops, [
      {
        alias: 'box.example.org',
        host: 'box.example.org',
        port: 22,
        username: 'ana',
        identityFiles: defaultIdentityFiles(HOME),
        identitiesOnly: false,
        knownHostsFiles: [],
        strictHostKeyChecking: 'ask',
      },
    ]);
    assert.equal(defaultIdentityFiles(HOME)[0], `${HOME}/.ssh/id_ed25519`);
  });

  test('not an ssh URL: a configuration error', () => {
    assert.throws(
      () => planSshRoute('tcp://box:2375', [], ctx),
      (e: unknown) => (e as { code?: string }).code === 'bad-config',
    );
  });

  test('routeFor reads the config file given, with Include', () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'conf.d', 'gpu.conf'), 'Host gpu\n  HostName 10.1.1.1\n  Port 2200\n');
    fs.writeFileSync(path.join(home, '.ssh', 'config'), 'Include conf.d/*.conf\n');
    const { route } = routeFor('ssh://gpu', { homeDir: home });
    assert.equal(route.hops[0]?.host, '10.1.1.1');
    assert.equal(route.hops[0]?.port, 2200);
    const none = routeFor('ssh://gpu', { homeDir: home, sshConfigFile: path.join(home, 'missing') });
    assert.equal(none.route.hops[0]?.host, 'gpu');
  });
});

describe('dialStdioCommand', () => {
  test('the docker CLI’s own command; pointed at the socket of the URL, quoted for the remote shell', () => {
    assert.equal(dialStdioCommand({ socketPath: DEFAULT_REMOTE_SOCKET, explicitSocket: false }), 'docker system dial-stdio');
    assert.equal(
      dialStdioCommand({ socketPath: '/run/user/1000/docker.sock', explicitSocket: true }),
      'docker -H unix:///run/user/1000/docker.sock system dial-stdio',
    );
    assert.equal(
      dialStdioCommand({ socketPath: "/tmp/it's here/d.sock", explicitSocket: true }),
      `docker -H 'unix:///tmp/it'\\''s here/d.sock' system dial-stdio`,
    );
  });
});

describe('authMethods: the agent, then the identity files', () => {
  const key = (name: string, passphrase = ''): string => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', file]);
    return file;
  };
  const plain = key('plain');
  const locked = key('locked', 'secret words');
  const hop = (over: Partial<SshHop>): SshHop => ({
    alias: 'box',
    host: 'box',
    port: 22,
    username: 'ml',
    identityFiles: [],
    identitiesOnly: false,
    knownHostsFiles: [],
    strictHostKeyChecking: 'ask',
    ...over,
  });
  const read = (file: string): Buffer | undefined => (fs.existsSync(file) ? fs.readFileSync(file) : undefined);

  test('agent first, then each readable file; a missing file is not offered', () => {
    const { methods, tried } = authMethods(hop({ identityFiles: [path.join(dir, 'missing'), plain] }), '/tmp/agent.sock', read);
    assert.deepEqual(
      methods.map((m) => m.type),
      ['agent', 'publickey'],
    );
    assert.ok(methods.every((m) => m.username === 'ml'));
    assert.deepEqual(tried, ['the ssh agent (SSH_AUTH_SOCK)', plain]);
  });

  test('IdentitiesOnly: no agent; no SSH_AUTH_SOCK: no agent', () => {
    assert.deepEqual(
      authMethods(hop({ identityFiles: [plain], identitiesOnly: true }), '/tmp/agent.sock', read).methods.map((m) => m.type),
      ['publickey'],
    );
    assert.deepEqual(
      authMethods(hop({ identityFiles: [plain] }), undefined, read).methods.map((m) => m.type),
      ['publickey'],
    );
  });

  test('a key protected by a passphrase is skipped, and the reason is said', () => {
    const { methods, tried } = authMethods(hop({ identityFiles: [locked] }), undefined, read);
    assert.deepEqual(methods, []);
    assert.match(tried[0] ?? '', /locked \(skipped: protected by a passphrase; add it to the agent with ssh-add\)/);
  });
});

describe('appendKnownHost: accepting an unknown host key', () => {
  const pub = (name: string): Buffer => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
    return Buffer.from(fs.readFileSync(`${file}.pub`, 'utf8').split(/\s+/)[1] ?? '', 'base64');
  };

  test('writes the line ssh would (bracketed for another port), in a new 0600 file under a 0700 folder', () => {
    const key = pub('host1');
    const file = path.join(dir, 'fresh', '.ssh', 'known_hosts');
    appendKnownHost(file, 'GPU-Box', 2222, key);
    assert.equal(fs.readFileSync(file, 'utf8'), `${knownHostLine('gpu-box', 2222, key)}\n`);
    assert.match(fs.readFileSync(file, 'utf8'), /^\[gpu-box\]:2222 ssh-ed25519 /);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    const entries = parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
    assert.equal(checkHostKey(entries, 'gpu-box', 2222, key).kind, 'trusted');
    assert.equal(checkHostKey(entries, 'gpu-box', 22, key).kind, 'unknown');
  });

  test('appends after existing lines, adding the newline a hand-edited file lacks', () => {
    const key = pub('host2');
    const file = path.join(dir, 'kh-existing');
    fs.writeFileSync(file, '# mine');
    appendKnownHost(file, 'box', 22, key);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines[0], '# mine');
    assert.equal(lines[1], knownHostLine('box', 22, key));
  });
});

describe('HostKeyGuard: StrictHostKeyChecking of ~/.ssh/config', () => {
  const blobOf = (name: string): Buffer => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
    return Buffer.from(fs.readFileSync(`${file}.pub`, 'utf8').split(/\s+/)[1] ?? '', 'base64');
  };
  const key = blobOf('host-a');
  const other = blobOf('host-b');
  const denied = { level: 'handshake', message: 'All configured authentication methods failed: Host denied (verification failed)' };
  const target = (file: string) => ({ host: '10.0.0.7', port: 2222, username: 'ml', files: [file] });

  test('accept-new (and no): an unknown key is added to the first known_hosts file and trusted, as ssh does', () => {
    for (const mode of ['accept-new', 'no'] as const) {
      const file = path.join(dir, `known_hosts.${mode}`);
      const said: string[] = [];
      const guard = new HostKeyGuard('ssh://gpu-box', target(file), mode, (l) => said.push(l));
      assert.equal(guard.verify(key), true, mode);
      assert.equal(fs.readFileSync(file, 'utf8'), `${knownHostLine('10.0.0.7', 2222, key)}\n`);
      assert.match(said.join('\n'), new RegExp(`added to ${file.replace(/[.]/g, '\\.')} \\(StrictHostKeyChecking ${mode}\\)`));
      // and a changed key is still refused
      assert.equal(new HostKeyGuard('ssh://gpu-box', target(file), mode).verify(other), false);
    }
  });

  test('yes: an unknown key is refused with nothing to offer; ask (the default): refused with the key to offer', () => {
    const file = path.join(dir, 'known_hosts.strict');
    const strict = new HostKeyGuard('ssh://gpu-box', target(file), 'yes');
    assert.equal(strict.verify(key), false);
    const refused = strict.explain(denied);
    assert.equal(refused?.verdict, 'unknown');
    assert.equal(refused?.presented, undefined);
    assert.match(refused?.message ?? '', /StrictHostKeyChecking is "yes" for this host/);
    assert.equal(fs.existsSync(file), false, 'nothing written');
    const ask = new HostKeyGuard('ssh://gpu-box', target(file), 'ask');
    assert.equal(ask.verify(key), false);
    assert.equal(ask.explain(denied)?.presented?.file, file);
    assert.equal(checkHostKey([], '10.0.0.7', 2222, key).kind, 'unknown');
  });
});
