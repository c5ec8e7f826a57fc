/**
 * A remote engine over ssh (a private OpenSSH server on 127.0.0.1 in front of this machine's
 * engine, as in test/engine/sshd.ts): how fast is a refresh, and how stale is the tree?
 *
 * 1. Listing N labelled containers, interleaved round-robin (order rotated each round):
 *    Berth on the local socket; Berth over its ssh tunnel (one ssh connection); dockerode's own ssh
 *    transport (what Berth used before: a login and `docker system dial-stdio` per request);
 *    `docker -H ssh://… ps -a` (the docker CLI runs the system ssh, given the key and known_hosts by
 *    a `-F` wrapper first on PATH); @microsoft/vscode-container-client 0.5.3 with DOCKER_HOST set to
 *    the same ssh URL (it runs that docker CLI).
 * 2. Freshness: containers started and stopped on the engine; for each event, the time from the
 *    event's own timestamp to the model showing the new state: a ContainerStore on the local
 *    socket, one over the ssh tunnel, and the CLI route's strategy over ssh (events → 500 ms
 *    debounce → a full vscode-container-client list).
 *
 *   npm run bench:ssh -- [--containers 500] [--runs 11] [--trials 20] [--bursts 3] [--burst-size 10]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import type { execa as Execa } from 'execa';
import { resolveEndpoint } from '../src/core/engine/connection';
import { ContainerStore } from '../src/core/engine/containerStore';
import { Engine, HostKeyGuard } from '../src/core/engine/engine';
import { engineEvents, parseEvent } from '../src/core/engine/events';
import { splitLines } from '../src/core/engine/streams';
import { startSshd } from '../test/engine/sshd';
import { connect, createLabelled, fmt, median, nanoToMs, percentile, sleep, waitUntil, wallMs, withCleanup } from './common';
import { installVscodeStub } from './vscodeStub';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '500' },
    runs: { type: 'string', default: '11' },
    trials: { type: 'string', default: '20' },
    bursts: { type: 'string', default: '3' },
    'burst-size': { type: 'string', default: '10' },
    gap: { type: 'string', default: '700' },
    debounce: { type: 'string', default: '500' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const RUNS = Number(values.runs);
const TRIALS = Number(values.trials);
const BURSTS = Number(values.bursts);
const BURST_SIZE = Number(values['burst-size']);
const GAP_MS = Number(values.gap);
const DEBOUNCE_MS = Number(values.debounce);
const OBSERVE_TIMEOUT_MS = 30_000;

interface Contender {
  readonly name: string;
  readonly list: () => Promise<number>;
}

type Verb = 'start' | 'die';
type Who = 'local' | 'ssh' | 'cli';
interface Probe {
  readonly id: string;
  readonly verb: Verb;
  readonly want: 'running' | 'exited';
  readonly burst: boolean;
  eventMs?: number;
  seen: Partial<Record<Who, number>>;
}

async function main(): Promise<void> {
  if (COUNT < TRIALS + BURSTS * BURST_SIZE) throw new Error('--containers must be at least --trials + --bursts × --burst-size');
  const { execa }: { execa: typeof Execa } = await import('execa');
  const sshd = await startSshd();
  const knownHosts = path.join(sshd.dir, 'known_hosts');
  fs.writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  // the docker CLI runs the system ssh: a wrapper first on PATH gives it this server's key and known_hosts
  const sshConfig = path.join(sshd.dir, 'ssh_config');
  fs.writeFileSync(
    sshConfig,
    `Host *\n  IdentityFile ${sshd.clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
  );
  const bin = path.join(sshd.dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${sshConfig} "$@"\n`, { mode: 0o755 });
  const sshUrl = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
  const cliEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, DOCKER_HOST: sshUrl, DOCKER_CONTEXT: '' };

  const { engine: local, endpoint } = await connect();
  const remote = await Engine.connect(
    resolveEndpoint({ env: { DOCKER_HOST: sshUrl }, homeDir: sshd.dir, platform: 'linux', readFile: () => undefined }),
    {
      timeoutMs: 60_000,
      env: { SSH_AUTH_SOCK: sshd.agentSocket },
      knownHostsFiles: [knownHosts],
      homeDir: sshd.dir,
      sshConfigFile: sshConfig,
    },
  );
  // what Berth did before: docker-modem's ssh transport (host key checked the same way)
  const guard = new HostKeyGuard(sshUrl, { host: '127.0.0.1', port: sshd.port, username: sshd.user, files: [knownHosts] });
  const perRequest = new Docker({
    protocol: 'ssh',
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.user,
    version: `v${remote.apiVersion}`,
    sshOptions: { agent: sshd.agentSocket, hostVerifier: guard.verify },
  });

  installVscodeStub();
  const { DockerClient, ShellStreamCommandRunnerFactory } = await import('@microsoft/vscode-container-client');
  const incumbent = new DockerClient();
  const runOverSsh = new ShellStreamCommandRunnerFactory({ strict: true, env: cliEnv }).getCommandRunner();

  const contenders: Contender[] = [
    { name: 'Berth, local socket', list: async () => (await local.listContainers()).length },
    { name: 'Berth over ssh (one connection)', list: async () => (await remote.listContainers()).length },
    {
      name: "dockerode's ssh transport (a login per request)",
      list: async () => (await perRequest.listContainers({ all: true })).length,
    },
    {
      name: 'docker -H ssh://… ps -a (CLI)',
      list: async () => {
        const { stdout } = await execa('docker', ['ps', '-a', '--no-trunc', '--format', '{{json .}}'], { env: cliEnv });
        return stdout.split('\n').filter((l) => l !== '').length;
      },
    },
    {
      name: 'vscode-container-client 0.5.3 over ssh (CLI)',
      list: async () => (await runOverSsh(incumbent.listContainers({ all: true }))).length,
    },
  ];
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const probes: Probe[] = [];
  let incumbentLists = 0;

  try {
    await withCleanup(
      local,
      async () => {
        process.stdout.write(
          `Docker ${local.serverVersion.version} (API ${local.apiVersion}) at ${endpoint.host}, and over ${sshUrl} (OpenSSH on loopback)\n` +
            `creating ${COUNT} labelled containers… `,
        );
        const t0 = Date.now();
        const ids = await createLabelled(local, COUNT, { Cmd: ['sleep', '3600'] });
        const total = (await local.listContainers()).length;
        process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s (${total} containers on the engine in all)\n`);

        // 1. listing
        for (const c of contenders) {
          const n = await c.list(); // warm-up, and a check that each sees them all
          if (n !== total) throw new Error(`${c.name} listed ${n} containers, expected ${total}`);
        }
        process.stdout.write(`listing, ${RUNS} rounds… `);
        for (let run = 0; run < RUNS; run++) {
          const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]!);
          for (const c of order) {
            const s = process.hrtime.bigint();
            await c.list();
            times.get(c.name)!.push(Number(process.hrtime.bigint() - s) / 1e6);
          }
        }
        process.stdout.write('done\n');

        // 2. freshness
        const active = new Map<string, Probe>();
        const controller = new AbortController();
        const stores: [Who, ContainerStore][] = [
          ['local', new ContainerStore(local)],
          ['ssh', new ContainerStore(remote)],
        ];
        for (const [who, store] of stores) {
          store.onChange((changes) => {
            const now = wallMs();
            for (const change of changes) {
              if (change.kind === 'removed') continue;
              const probe = active.get(change.record.id);
              if (probe && probe.seen[who] === undefined && change.record.state === probe.want) probe.seen[who] = now;
            }
          });
          process.stdout.write(`starting the ${who} ContainerStore… `);
          const s0 = Date.now();
          await store.start();
          const known = store.all().length;
          await waitUntil(() => store.counters.inspects >= known, 300_000, 50);
          process.stdout.write(`${((Date.now() - s0) / 1000).toFixed(1)} s\n`);
        }
        let debounce: NodeJS.Timeout | undefined;
        let listing = false;
        let listAgain = false;
        const list = async (): Promise<void> => {
          if (listing) {
            listAgain = true;
            return;
          }
          listing = true;
          try {
            const items = await runOverSsh(incumbent.listContainers({ all: true }));
            const now = wallMs();
            incumbentLists++;
            const state = new Map(items.map((c) => [c.id, c.state]));
            for (const probe of active.values()) {
              if (probe.seen.cli === undefined && state.get(probe.id) === probe.want) probe.seen.cli = now;
            }
          } finally {
            listing = false;
            if (listAgain) {
              listAgain = false;
              void list();
            }
          }
        };
        // the CLI route's events come over ssh too (Berth's stream on the tunnel stands in for `docker events`)
        const follow = async (): Promise<void> => {
          for await (const _event of engineEvents(remote, { signal: controller.signal, filters: { type: ['container'] } })) {
            clearTimeout(debounce);
            debounce = setTimeout(() => void list(), DEBOUNCE_MS);
          }
        };
        const clock = async (): Promise<void> => {
          const stream = await local.openStream({
            path: '/events',
            operation: 'follow events',
            signal: controller.signal,
            query: { filters: JSON.stringify({ type: ['container'] }) },
          });
          for await (const line of splitLines(stream)) {
            if (line.trim() === '') continue;
            const event = parseEvent(line);
            const probe = active.get(event.id);
            if (probe && probe.eventMs === undefined && event.verb === probe.verb) probe.eventMs = nanoToMs(event.timeNano);
          }
        };
        const following = Promise.all([follow().catch(() => undefined), clock().catch(() => undefined)]);
        await sleep(300);
        const done = (p: Probe): boolean =>
          p.eventMs !== undefined && p.seen.local !== undefined && p.seen.ssh !== undefined && p.seen.cli !== undefined;
        const act = async (burst: boolean, verb: Verb, targets: readonly string[]): Promise<void> => {
          const mine = targets.map((id): Probe => ({ id, verb, want: verb === 'start' ? 'running' : 'exited', burst, seen: {} }));
          for (const p of mine) {
            active.set(p.id, p);
            probes.push(p);
          }
          const began = Date.now();
          await Promise.all(
            targets.map((id) => (verb === 'start' ? local.startContainer(id) : local.stopContainer(id, { graceSeconds: 0 }))),
          );
          await waitUntil(() => mine.every(done), OBSERVE_TIMEOUT_MS);
          await sleep(Math.max(0, GAP_MS - (Date.now() - began)));
          for (const p of mine) active.delete(p.id);
        };
        process.stdout.write(`${TRIALS} spaced trials, ${BURSTS} bursts of ${BURST_SIZE}… `);
        const r0 = Date.now();
        for (let i = 0; i < TRIALS; i++) {
          await act(false, 'start', [ids[i]!]);
          await act(false, 'die', [ids[i]!]);
        }
        for (let b = 0; b < BURSTS; b++) {
          const group = Array.from({ length: BURST_SIZE }, (_, k) => ids[TRIALS + b * BURST_SIZE + k]!);
          await act(true, 'start', group);
          await act(true, 'die', group);
        }
        process.stdout.write(`${((Date.now() - r0) / 1000).toFixed(1)} s\n`);
        controller.abort();
        clearTimeout(debounce);
        for (const [, store] of stores) store.stop();
        await following;
        await waitUntil(() => !listing, 20_000);
      },
      values.keep,
    );
  } finally {
    const logins = remote.tunnel?.loginCount ?? 0;
    remote.dispose();
    await sshd.stop();
    report(times, probes, contenders, logins, incumbentLists);
  }
}

function report(
  times: Map<string, number[]>,
  probes: readonly Probe[],
  contenders: readonly Contender[],
  logins: number,
  lists: number,
): void {
  if ((times.get(contenders[0]!.name) ?? []).length === 0) return;
  const local = median(times.get(contenders[0]!.name)!);
  const ssh = median(times.get(contenders[1]!.name)!);
  console.log(`\nList ${COUNT}+ containers, median of ${RUNS} interleaved runs (ms)\n`);
  console.log('| route | median ms | min ms | × Berth local | × Berth over ssh |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of contenders) {
    const t = times.get(c.name)!;
    console.log(`| ${c.name} | ${fmt(median(t))} | ${fmt(Math.min(...t))} | ${fmt(median(t) / local, 2)} | ${fmt(median(t) / ssh, 2)} |`);
  }
  console.log(`\nBerth's tunnel made ${logins} ssh login(s) in all, the lists above and the freshness trials below included.`);
  if (probes.length === 0) return;
  console.log(`\nEvent timestamp → model shows the new state (ms); CLI route: events → ${DEBOUNCE_MS} ms debounce → full list over ssh\n`);
  console.log('| trials | contender | n | p50 | p95 | max | missed |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const names: Record<Who, string> = {
    local: 'Berth ContainerStore, local socket',
    ssh: 'Berth ContainerStore over ssh',
    cli: 'CLI route over ssh (vscode-container-client)',
  };
  const ratios: string[] = [];
  for (const [label, burst] of [
    ['spaced', false],
    [`burst of ${BURST_SIZE}`, true],
  ] as const) {
    const set = probes.filter((p) => p.burst === burst);
    if (set.length === 0) continue;
    const p50: Partial<Record<Who, number>> = {};
    for (const who of ['local', 'ssh', 'cli'] as const) {
      const xs = set.filter((p) => p.eventMs !== undefined && p.seen[who] !== undefined).map((p) => p.seen[who]! - p.eventMs!);
      p50[who] = percentile(xs, 50);
      console.log(
        `| ${label} | ${names[who]} | ${xs.length} | ${fmt(percentile(xs, 50))} | ${fmt(percentile(xs, 95))} | ${fmt(Math.max(...xs))} | ${set.length - xs.length} |`,
      );
    }
    ratios.push(`| ${label} | ${fmt(p50.ssh! / p50.local!, 2)}× | ${fmt(p50.cli! / p50.ssh!, 1)}× |`);
  }
  console.log('\n| trials | Berth over ssh / Berth local at p50 | CLI route / Berth over ssh at p50 |');
  console.log('|---|---:|---:|');
  for (const r of ratios) console.log(r);
  console.log(`\nThe CLI route listed ${lists} times over ssh (a login each).`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
