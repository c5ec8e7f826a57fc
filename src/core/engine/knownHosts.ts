/**
 * ssh host key checking against known_hosts files, as OpenSSH (and so the docker CLI, which runs
 * `ssh`) does it: plain and wildcard host patterns, `[host]:port`, comma lists, negations,
 * hashed hosts (`|1|salt|hash`, HMAC-SHA1), and the `@revoked` and `@cert-authority` markers.
 * Pure: the caller reads the files.
 */
import { createHash, createHmac } from 'node:crypto';

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  readonly file: string;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly marker?: KnownHostMarker;
  /** The host field as written: patterns or one hashed host. */
  readonly hosts: string;
  readonly keyType: string;
  /** The key blob in ssh wire format (what the server sends). */
  readonly key: Buffer;
}

/** Parse one known_hosts file; lines ssh would skip (comments, garbage) are skipped too. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostMarker | undefined;
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return; // an unknown marker: ssh ignores the line
    }
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return;
    const key = Buffer.from(base64, 'base64');
    // the blob starts with its own type name; a mismatch is a damaged line
    if (blobKeyType(key) !== keyType) return;
    entries.push({ file, line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return entries;
}

/** The key type named inside an ssh public key blob (its first ssh string). */
export function blobKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return undefined;
  return key.subarray(4, 4 + length).toString('latin1');
}

/** The fingerprint as `ssh` prints it: SHA256:<base64 without padding>. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** A short key type name as `ssh` prints it (ED25519, ECDSA, RSA). */
export function keyTypeLabel(keyType: string | undefined): string {
  if (keyType === undefined) return 'unknown';
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return port === 22 ? bare.toLowerCase() : `[${bare.toLowerCase()}]:${port}`;
}

/** A known_hosts line for a key, as ssh writes it when the user accepts one (not hashed). */
export function knownHostLine(host: string, port: number, key: Buffer): string {
  const type = blobKeyType(key);
  if (type === undefined) throw new Error('not an ssh public key blob');
  return `${lookupName(host, port)} ${type} ${key.toString('base64')}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether an entry's host field names `name` (a lookup name from lookupName). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcard(pattern.slice(1), name)) return false; // a negated match wins
    } else if (wildcard(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { readonly kind: 'trusted'; readonly entry: KnownHostEntry }
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry }
  /** A key of the same type is known for the host, and it is another key. */
  | { readonly kind: 'changed'; readonly known: readonly KnownHostEntry[] }
  /** No key of this type is known for the host (`otherTypes`: the types that are). */
  | { readonly kind: 'unknown'; readonly otherTypes: readonly string[] };

/** Check the key a server presented against known_hosts entries, as OpenSSH does. */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = lookupName(host, port);
  const forHost = entries.filter((e) => hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  // @cert-authority lines vouch for host certificates, which a plain host key is not
  const plain = forHost.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { kind: 'trusted', entry: same };
  const type = blobKeyType(key);
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { kind: 'changed', known: sameType };
  return { kind: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/** Host key types the ssh client can verify (others in known_hosts are matched, never offered). */
const CLIENT_HOST_KEY_TYPES = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);

/**
 * The host key algorithms to offer first so the server presents a key type that is already known
 * for the host (as OpenSSH orders them); empty when nothing is known.
 */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = lookupName(host, port);
  const types = new Set(entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType));
  const algorithms: string[] = [];
  for (const type of types) {
    if (type === 'ssh-rsa') algorithms.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else if (CLIENT_HOST_KEY_TYPES.has(type)) algorithms.push(type);
  }
  return algorithms;
}

/** The default known_hosts files of OpenSSH (UserKnownHostsFile, then GlobalKnownHostsFile). */
export function defaultKnownHostsFiles(homeDir: string): string[] {
  return [`${homeDir}/.ssh/known_hosts`, `${homeDir}/.ssh/known_hosts2`, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

export interface HostKeyTarget {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  /** known_hosts files in the order ssh reads them; the first is where users add keys. */
  readonly files: readonly string[];
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./~-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The verdict in words, with the fingerprint and the fix; undefined when the key is trusted. */
export function describeVerdict(
  target: HostKeyTarget,
  key: Buffer,
  verdict: HostKeyVerdict,
): { verdict: 'unknown' | 'changed' | 'revoked'; fingerprint: string; message: string } | undefined {
  if (verdict.kind === 'trusted') return undefined;
  const fp = fingerprint(key);
  const type = keyTypeLabel(blobKeyType(key));
  const name = lookupName(target.host, target.port);
  const userFile = target.files[0] ?? '~/.ssh/known_hosts';
  const login = `${target.username ? `${target.username}@` : ''}${target.host}`;
  const sshCommand = `ssh ${target.port === 22 ? '' : `-p ${target.port} `}${shellQuote(login)}`;
  switch (verdict.kind) {
    case 'revoked':
      return {
        verdict: 'revoked',
        fingerprint: fp,
        message:
          `The ssh host key of ${name} (${type} key ${fp}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}. ` +
          "Berth does not connect to a host with a revoked key; ask the host's administrator for its new key.",
      };
    case 'changed': {
      const first = verdict.known[0];
      const where = first ? ` ${first.file}:${first.line} holds another ${type} key for it` : '';
      return {
        verdict: 'changed',
        fingerprint: fp,
        message:
          `The host key for ${name} has CHANGED: the server now presents ${type} key ${fp}, and${where}. ` +
          'Someone could be intercepting the connection, or the host was reinstalled; Berth does not connect. ' +
          `If the change is expected, remove the old key with "ssh-keygen -R ${shellQuote(name)}${first ? ` -f ${shellQuote(first.file)}` : ''}", ` +
          `then run "${sshCommand}" once and accept the new key.`,
      };
    }
    case 'unknown': {
      const others =
        verdict.otherTypes.length > 0 ? ` (only ${verdict.otherTypes.map(keyTypeLabel).join(', ')} keys are known for it)` : '';
      return {
        verdict: 'unknown',
        fingerprint: fp,
        message:
          `The ssh host key of ${name} is not known${others}: the server presents ${type} key ${fp}. ` +
          `Berth checks host keys against ${userFile} and the system's known_hosts, as ssh does. If that fingerprint is the server's, ` +
          `run "${sshCommand}" once and accept the key, or add it with ` +
          `"ssh-keyscan ${target.port === 22 ? '' : `-p ${target.port} `}${shellQuote(target.host)} >> ${shellQuote(userFile)}".`,
      };
    }
  }
}
