import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostMatches, parseJumpHost, parseSshConfig, resolveSshHost, sshConfigHosts } from '../../../../src/core/engine/sshConfig';

const HOME = '/home/ana';
const ctx = { home: HOME, localUser: 'ana' };

const CONFIG = `# global
ServerAliveInterval 30

Host gpu-box gpu
  HostName 10.0.0.7
  User ml
  Port 2222
  IdentityFile ~/.ssh/id_gpu
  ProxyJump bastion

Host bastion
  HostName bastion.example.org
  User=jump

Host *.lab !nope.lab
  User lab
  IdentityFile "~/.ssh/lab key"
  UserKnownHostsFile ~/.ssh/known_hosts.lab %d/.ssh/kh-%h

Match host something
  User ignored

Host *
  IdentityFile ~/.ssh/id_ed25519
  User fallback
  StrictHostKeyChecking accept-new
`;

describe('ssh config', () => {
  const blocks = parseSshConfig(CONFIG, `${HOME}/.ssh/config`, { home: HOME });

  test('an alias: HostName, User, Port, ProxyJump; IdentityFile adds up across blocks, first values win', () => {
    const gpu = resolveSshHost(blocks, 'gpu-box', ctx);
    assert.equal(gpu.hostName, '10.0.0.7');
    assert.equal(gpu.user, 'ml');
    assert.equal(gpu.port, 2222);
    assert.deepEqual(gpu.identityFiles, [`${HOME}/.ssh/id_gpu`, `${HOME}/.ssh/id_ed25519`]);
    assert.deepEqual(gpu.proxyJump, ['bastion']);
    assert.equal(gpu.strictHostKeyChecking, 'accept-new');
    // the second name on the same Host line
    assert.equal(resolveSshHost(blocks, 'gpu', ctx).hostName, '10.0.0.7');
    assert.equal(resolveSshHost(blocks, 'bastion', ctx).user, 'jump');
  });

  test('wildcards and negation; tokens and quotes in paths; Match blocks skipped', () => {
    const lab = resolveSshHost(blocks, 'a100.lab', ctx);
    assert.equal(lab.user, 'lab');
    assert.equal(lab.hostName, 'a100.lab');
    assert.deepEqual(lab.identityFiles, [`${HOME}/.ssh/lab key`, `${HOME}/.ssh/id_ed25519`]);
    assert.deepEqual(lab.userKnownHostsFiles, [`${HOME}/.ssh/known_hosts.lab`, `${HOME}/.ssh/kh-a100.lab`]);
    assert.equal(resolveSshHost(blocks, 'nope.lab', ctx).user, 'fallback');
    assert.equal(resolveSshHost(blocks, 'something', ctx).user, 'fallback');
    assert.ok(hostMatches(['*.lab', '!nope.lab'], 'X.LAB'));
    assert.ok(!hostMatches(['*.lab', '!nope.lab'], 'nope.lab'));
  });

  test('an unknown name is itself, with the * defaults; the hosts offered are the concrete aliases', () => {
    const other = resolveSshHost(blocks, 'example.com', ctx);
    assert.equal(other.hostName, 'example.com');
    assert.equal(other.port, undefined);
    assert.deepEqual(other.proxyJump, []);
    assert.deepEqual(sshConfigHosts(blocks), ['gpu-box', 'gpu', 'bastion']);
  });

  test('Include: relative to ~/.ssh, inside the Host block it appears in', () => {
    const files: Record<string, string> = {
      [`${HOME}/.ssh/config.d/work`]: 'Host work\n  HostName work.internal\n',
      [`${HOME}/.ssh/inner`]: 'User inner\n',
    };
    const parsed = parseSshConfig('Include config.d/work\nHost box\n  Include inner\n', `${HOME}/.ssh/config`, {
      home: HOME,
      readFile: (f) => files[f],
    });
    assert.equal(resolveSshHost(parsed, 'work', ctx).hostName, 'work.internal');
    assert.equal(resolveSshHost(parsed, 'box', ctx).user, 'inner');
    assert.equal(resolveSshHost(parsed, 'other', ctx).user, undefined);
  });

  test('jump hosts: user, host, port, IPv6', () => {
    assert.deepEqual(parseJumpHost('jump@bastion:2200'), { user: 'jump', host: 'bastion', port: 2200 });
    assert.deepEqual(parseJumpHost('bastion'), { host: 'bastion' });
    assert.deepEqual(parseJumpHost('[::1]:22'), { host: '::1', port: 22 });
  });
});
