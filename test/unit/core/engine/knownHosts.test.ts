import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  blobKeyType,
  checkHostKey,
  describeVerdict,
  fingerprint,
  hostFieldMatches,
  lookupName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../../../src/core/engine/knownHosts';

// real keys made by ssh-keygen, so the parser meets what OpenSSH writes
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-known-hosts-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Key {
  readonly type: string;
  readonly base64: string;
  readonly blob: Buffer;
  readonly sshFingerprint: string;
}

function key(name: string, type: 'ed25519' | 'ecdsa' | 'rsa'): Key {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', '', '-f', file]);
  const [keyType = '', base64 = ''] = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' });
  return { type: keyType, base64, blob: Buffer.from(base64, 'base64'), sshFingerprint: /SHA256:\S+/.exec(out)?.[0] ?? '' };
}

const ed = key('ed', 'ed25519');
const ed2 = key('ed2', 'ed25519');
const ec = key('ec', 'ecdsa');
const rsa = key('rsa', 'rsa');
const line = (hosts: string, k: Key, marker = ''): string => `${marker ? `${marker} ` : ''}${hosts} ${k.type} ${k.base64}`;

/** Hash a known_hosts text with `ssh-keygen -H`, as users do with HashKnownHosts. */
function hashed(text: string): string {
  const file = path.join(dir, `hashed-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, text);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
  return fs.readFileSync(file, 'utf8');
}

const check = (text: string, host: string, port: number, k: Key) => checkHostKey(parseKnownHosts(text, '/kh'), host, port, k.blob);

describe('known_hosts: keys and fingerprints', () => {
  for (const k of [ed, ec, rsa]) {
    test(`${k.type}: the fingerprint is the one ssh-keygen -l prints, the type is read from the blob`, () => {
      assert.match(k.sshFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(fingerprint(k.blob), k.sshFingerprint);
      assert.equal(blobKeyType(k.blob), k.type);
    });
    test(`${k.type}: a matching line is trusted`, () => {
      assert.equal(check(line('gpu-box', k), 'gpu-box', 22, k).kind, 'trusted');
    });
  }
});

describe('known_hosts: which hosts a line names', () => {
  const cases: [string, string, number, boolean][] = [
    ['gpu-box', 'gpu-box', 22, true],
    ['gpu-box', 'GPU-Box', 22, true],
    ['gpu-box', 'gpu-box', 2222, false],
    ['[gpu-box]:2222', 'gpu-box', 2222, true],
    ['[gpu-box]:2222', 'gpu-box', 22, false],
    ['[gpu-box]:2222', 'gpu-box', 2223, false],
    ['other,gpu-box,10.0.0.5', 'gpu-box', 22, true],
    ['other,[gpu-box]:2222', 'gpu-box', 2222, true],
    ['*.lab', 'gpu.lab', 22, true],
    ['*.lab', 'gpu.lab.evil', 22, false],
    ['gpu?.lab', 'gpu1.lab', 22, true],
    ['*.lab,!secret.lab', 'secret.lab', 22, false],
    ['[127.0.0.1]:40000', '127.0.0.1', 40000, true],
    ['[::1]:2222', '[::1]', 2222, true],
  ];
  for (const [hosts, host, port, expected] of cases) {
    test(`"${hosts}" ${expected ? 'names' : 'does not name'} ${lookupName(host, port)}`, () => {
      assert.equal(hostFieldMatches(hosts, lookupName(host, port)), expected);
    });
  }

  test('hashed hosts (ssh-keygen -H, HMAC-SHA1) match only their host and port', () => {
    const text = hashed(`${line('gpu-box', ed)}\n${line('[gpu-box]:2222', ec)}\n`);
    assert.match(text, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /m);
    assert.doesNotMatch(text, /gpu-box/);
    assert.equal(check(text, 'gpu-box', 22, ed).kind, 'trusted');
    assert.equal(check(text, 'gpu-box', 2222, ec).kind, 'trusted');
    assert.equal(check(text, 'other-box', 22, ed).kind, 'unknown');
    assert.equal(check(text, 'gpu-box', 2222, ed).kind, 'unknown');
  });
});

describe('known_hosts: verdicts as OpenSSH gives them', () => {
  test('no line for the host: unknown', () => {
    assert.deepEqual(check(line('other', ed), 'gpu-box', 22, ed), { kind: 'unknown', otherTypes: [] });
  });

  test('another key of the same type for the host: changed, naming the line', () => {
    const verdict = check(`# comment\n\n${line('gpu-box', ed2)}\n`, 'gpu-box', 22, ed);
    assert.equal(verdict.kind, 'changed');
    assert.equal(verdict.kind === 'changed' && verdict.known[0]?.line, 3);
  });

  test('only keys of other types for the host: unknown, naming them', () => {
    assert.deepEqual(check(`${line('gpu-box', rsa)}\n${line('gpu-box', ec)}`, 'gpu-box', 22, ed), {
      kind: 'unknown',
      otherTypes: ['ssh-rsa', ec.type],
    });
  });

  test('@revoked wins over a trusting line', () => {
    const verdict = check(`${line('gpu-box', ed)}\n${line('*', ed, '@revoked')}`, 'gpu-box', 22, ed);
    assert.equal(verdict.kind, 'revoked');
    assert.equal(verdict.kind === 'revoked' && verdict.entry.line, 2);
  });

  test('@revoked for another host does not apply', () => {
    assert.equal(check(`${line('gpu-box', ed)}\n${line('other', ed, '@revoked')}`, 'gpu-box', 22, ed).kind, 'trusted');
  });

  test('@cert-authority lines are read without error and trust no plain host key', () => {
    const entries = parseKnownHosts(line('*.lab', ed, '@cert-authority'), '/kh');
    assert.equal(entries[0]?.marker, 'cert-authority');
    assert.equal(checkHostKey(entries, 'gpu.lab', 22, ed.blob).kind, 'unknown');
  });

  test('damaged lines are skipped, the others keep their line numbers', () => {
    const text = [
      'gpu-box ssh-ed25519',
      'gpu-box ssh-ed25519 !!!not-base64!!!',
      `gpu-box ssh-rsa ${ed.base64}`, // the blob says ed25519
      '@unknown-marker gpu-box ssh-ed25519 AAAA',
      '   # indented comment',
      `  ${line('gpu-box', ed)}   trailing comment`,
    ].join('\r\n');
    const entries = parseKnownHosts(text, '/kh');
    assert.deepEqual(
      entries.map((e) => e.line),
      [6],
    );
    assert.equal(checkHostKey(entries, 'gpu-box', 22, ed.blob).kind, 'trusted');
  });

  test('the key types known for a host are offered first (RSA as its SHA-2 signatures)', () => {
    const entries = parseKnownHosts(`${line('[gpu-box]:2222', rsa)}\n${line('[gpu-box]:2222', ec)}\n${line('other', ed)}`, '/kh');
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'gpu-box', 2222), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', ec.type]);
    assert.deepEqual(preferredHostKeyAlgorithms(entries, 'nobody', 22), []);
  });
});

describe('known_hosts: messages', () => {
  const target = { host: 'gpu-box', port: 22, username: 'ml', files: ['/home/ml/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts'] };

  test('unknown: the fingerprint as ssh prints it and the two ways to accept it', () => {
    const d = describeVerdict(target, ed.blob, { kind: 'unknown', otherTypes: [] });
    assert.equal(d?.verdict, 'unknown');
    assert.equal(d?.fingerprint, ed.sshFingerprint);
    assert.equal(
      d?.message,
      `The ssh host key of gpu-box is not known: the server presents ED25519 key ${ed.sshFingerprint}. ` +
        "Berth checks host keys against /home/ml/.ssh/known_hosts and the system's known_hosts, as ssh does. " +
        'If that fingerprint is the server\'s, run "ssh ml@gpu-box" once and accept the key, ' +
        'or add it with "ssh-keyscan gpu-box >> /home/ml/.ssh/known_hosts".',
    );
  });

  test('unknown on another port: -p in both commands', () => {
    const d = describeVerdict({ ...target, port: 2222 }, ec.blob, { kind: 'unknown', otherTypes: ['ssh-rsa'] });
    assert.match(
      d?.message ?? '',
      /^The ssh host key of \[gpu-box\]:2222 is not known \(only RSA keys are known for it\): .*ECDSA key SHA256:/,
    );
    assert.ok(d?.message.includes('"ssh -p 2222 ml@gpu-box"'));
    assert.ok(d?.message.includes('"ssh-keyscan -p 2222 gpu-box >> /home/ml/.ssh/known_hosts"'));
  });

  test('changed: says CHANGED, where the old key is and how to remove it', () => {
    const [old] = parseKnownHosts(line('[gpu-box]:2222', ed2), '/home/ml/.ssh/known_hosts');
    assert.ok(old);
    const d = describeVerdict({ ...target, port: 2222 }, ed.blob, { kind: 'changed', known: [old] });
    assert.equal(d?.verdict, 'changed');
    assert.match(d?.message ?? '', /^The host key for \[gpu-box\]:2222 has CHANGED: the server now presents ED25519 key SHA256:/);
    assert.ok(d?.message.includes('/home/ml/.ssh/known_hosts:1 holds another ED25519 key'));
    assert.ok(d?.message.includes(`"ssh-keygen -R '[gpu-box]:2222' -f /home/ml/.ssh/known_hosts"`));
  });

  test('trusted: nothing to say', () => {
    const [entry] = parseKnownHosts(line('gpu-box', ed), '/kh');
    assert.ok(entry);
    assert.equal(describeVerdict(target, ed.blob, { kind: 'trusted', entry }), undefined);
  });
});
