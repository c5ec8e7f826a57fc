/**
 * OpenSSH client configuration (`~/.ssh/config`), as `ssh` reads it for the options an engine
 * connection needs: HostName, Port, User, IdentityFile, IdentitiesOnly, ProxyJump,
 * UserKnownHostsFile and StrictHostKeyChecking. `Host` patterns (`*`, `?`, `!negation`, several
 * per line) and `Include` are honoured; the first value obtained for an option wins, as in ssh.
 * `Match` blocks are skipped (their conditions need ssh itself). Pure: the caller reads files.
 */
import * as path from 'node:path';

export interface SshConfigBlock {
  /** The `Host` patterns; `['*']` for the options before the first `Host` line. */
  readonly patterns: readonly string[];
  /** Options in file order, keys lower case; an option may repeat (IdentityFile). */
  readonly options: readonly (readonly [string, string])[];
  readonly file: string;
  readonly line: number;
}

/** What ssh would use to reach an alias. */
export interface SshHostConfig {
  /** The name the user typed (`gpu-box`). */
  readonly alias: string;
  /** The host to connect to (HostName, else the alias). */
  readonly hostName: string;
  readonly port?: number;
  readonly user?: string;
  /** IdentityFile values, `~` and tokens expanded, in order. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** ProxyJump hops (`[user@]host[:port]`, or aliases), first hop first; empty for none. */
  readonly proxyJump: readonly string[];
  readonly userKnownHostsFiles: readonly string[];
  readonly strictHostKeyChecking?: string;
}

export interface ParseOptions {
  /** Reads an included file, or undefined when it does not exist. */
  readonly readFile?: (file: string) => string | undefined;
  /** Expands an `Include` glob to files (sorted); the default takes the path as it is. */
  readonly glob?: (pattern: string) => string[];
  /** The user's home: `~` and relative Include paths (under ~/.ssh). */
  readonly home: string;
}

/** One config line → [key, value]: `Key value`, `Key=value`, quoted values unquoted. */
function splitLine(raw: string): [string, string] | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m?.[1]) return undefined;
  return [m[1].toLowerCase(), (m[2] ?? '').trim()];
}

/** Space-separated words, double quotes grouping. */
function words(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** Parse a config text into blocks; `Include` files are parsed in place (depth-limited). */
export function parseSshConfig(text: string, file: string, options: ParseOptions, depth = 0): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [];
  let current: { patterns: string[]; options: [string, string][]; file: string; line: number } = {
    patterns: ['*'],
    options: [],
    file,
    line: 1,
  };
  let skipping = false;
  const flush = (): void => {
    if (current.options.length > 0 || current.patterns[0] !== '*') blocks.push(current);
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const kv = splitLine(raw);
    if (!kv) return;
    const [key, value] = kv;
    if (key === 'host') {
      flush();
      skipping = false;
      current = { patterns: words(value), options: [], file, line: i + 1 };
      return;
    }
    if (key === 'match') {
      flush();
      skipping = true;
      current = { patterns: [], options: [], file, line: i + 1 };
      return;
    }
    if (skipping) return;
    if (key === 'include' && depth < 8) {
      flush();
      for (const pattern of words(value)) {
        const full = expandHome(pattern, options.home);
        const abs = path.isAbsolute(full) ? full : path.join(options.home, '.ssh', full);
        for (const f of options.glob ? options.glob(abs) : [abs]) {
          const included = options.readFile?.(f);
          if (included === undefined) continue;
          // an included file's options belong to the Host block it is included in
          for (const b of parseSshConfig(included, f, options, depth + 1))
            blocks.push(b.patterns[0] === '*' && b.patterns.length === 1 ? { ...b, patterns: current.patterns } : b);
        }
      }
      current = { patterns: current.patterns, options: [], file, line: i + 1 };
      return;
    }
    current.options.push([key, value]);
  });
  flush();
  return blocks;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** ssh's pattern match: `*` any run, `?` one character, case-insensitive. */
function matchPattern(pattern: string, host: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(host);
}

/** A Host line matches when a pattern matches and no negated pattern does. */
export function hostMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(p.slice(1), host)) return false;
    } else if (matchPattern(p, host)) matched = true;
  }
  return matched;
}

/** %h %p %r %u %d %% in a path value, then `~`. */
function expandTokens(value: string, t: { host: string; port: number; remoteUser: string; localUser: string; home: string }): string {
  const out = value.replace(/%([hpruLd%])/g, (_, c: string) =>
    c === 'h'
      ? t.host
      : c === 'p'
        ? String(t.port)
        : c === 'r'
          ? t.remoteUser
          : c === 'u'
            ? t.localUser
            : c === 'd'
              ? t.home
              : c === 'L'
                ? 'localhost'
                : '%',
  );
  return expandHome(out, t.home);
}

/** What ssh would use for `alias` (the first value of each option wins; IdentityFile adds up). */
export function resolveSshHost(
  blocks: readonly SshConfigBlock[],
  alias: string,
  context: { readonly home: string; readonly localUser: string },
): SshHostConfig {
  const first = new Map<string, string>();
  const identityFiles: string[] = [];
  const knownHosts: string[] = [];
  for (const b of blocks) {
    if (!hostMatches(b.patterns, alias)) continue;
    for (const [key, value] of b.options) {
      if (key === 'identityfile') identityFiles.push(value);
      else if (!first.has(key)) first.set(key, value);
    }
  }
  const hostName = (first.get('hostname') ?? alias).replace(/%h/g, alias);
  const portText = first.get('port');
  const port = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : undefined;
  const user = first.get('user');
  const tokens = {
    host: hostName,
    port: port ?? 22,
    remoteUser: user ?? context.localUser,
    localUser: context.localUser,
    home: context.home,
  };
  if (first.has('userknownhostsfile'))
    for (const f of words(first.get('userknownhostsfile') ?? '')) knownHosts.push(expandTokens(f, tokens));
  const jump = first.get('proxyjump');
  const strict = first.get('stricthostkeychecking');
  return {
    alias,
    hostName,
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
    identityFiles: identityFiles.map((f) => expandTokens(f.replace(/^"(.*)"$/, '$1'), tokens)),
    identitiesOnly: (first.get('identitiesonly') ?? 'no').toLowerCase() === 'yes',
    proxyJump:
      jump === undefined || jump.toLowerCase() === 'none'
        ? []
        : jump
            .split(',')
            .map((h) => h.trim())
            .filter((h) => h !== ''),
    userKnownHostsFiles: knownHosts,
    ...(strict !== undefined ? { strictHostKeyChecking: strict.toLowerCase() } : {}),
  };
}

/** The hosts a user can pick: every concrete alias of a `Host` line (no wildcard, no negation), in file order. */
export function sshConfigHosts(blocks: readonly SshConfigBlock[]): string[] {
  const seen = new Set<string>();
  for (const b of blocks) for (const p of b.patterns) if (!/[*?!]/.test(p)) seen.add(p);
  return [...seen];
}

/** `[user@]host[:port]` of a ProxyJump hop. */
export function parseJumpHost(hop: string): { user?: string; host: string; port?: number } {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
  if (!m?.[2]) return { host: hop.trim() };
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2].replace(/^\[|\]$/g, ''), ...(m[3] ? { port: Number(m[3]) } : {}) };
}
