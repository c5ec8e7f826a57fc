import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { runExec } from '../../src/core/engine/exec';
import { startRun } from '../../src/core/engine/run';
import { toCreateOptions } from '../../src/core/project/createOptions';
import { parseBerthConfig } from '../../src/core/project/runProfile';
import { BUSYBOX, cleanup, connect, RUN_ID, TEST_LABEL } from './harness';

const BERTH_YAML = `version: 1
profiles:
  hatch:
    image: ${BUSYBOX}
    entrypoint: [/bin/sh, -c]
    command: ["echo started; sleep 300; echo stopped"]
    ipc: host
    ulimits:
      nofile: { soft: 1234, hard: 2345 }
    devices: ["/dev/zero:/dev/berth-zero:r"]
    runtime: runc
    network: none
    labels:
      org.example.team: vision
`;

describe('engine: the escape hatches of a run profile take effect in the container', { timeout: 120_000 }, () => {
  let engine: Engine;
  let project = '';
  before(async () => {
    engine = await connect();
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-hatch-'));
  });
  after(async () => {
    await cleanup(engine);
    fs.rmSync(project, { recursive: true, force: true });
  });

  test('ipc host, a nofile ulimit, a device, runtime, network none, an entrypoint and a label', async () => {
    const { profiles, problems } = parseBerthConfig(BERTH_YAML);
    assert.deepEqual(problems, []);
    const plan = toCreateOptions(profiles[0]!, { image: BUSYBOX, projectDir: project, extraLabels: { [TEST_LABEL]: RUN_ID } });
    const id = await startRun(engine, plan);

    const details = await engine.inspectContainerJson(id);
    const host = details.HostConfig as {
      IpcMode?: string;
      NetworkMode?: string;
      Runtime?: string;
      Ulimits?: unknown;
      Devices?: unknown;
    };
    assert.equal(host.IpcMode, 'host');
    assert.equal(host.NetworkMode, 'none');
    assert.equal(host.Runtime, 'runc');
    assert.deepEqual(host.Ulimits, [{ Name: 'nofile', Soft: 1234, Hard: 2345 }]);
    assert.deepEqual(host.Devices, [{ PathOnHost: '/dev/zero', PathInContainer: '/dev/berth-zero', CgroupPermissions: 'r' }]);
    assert.deepEqual(details.Config.Entrypoint, ['/bin/sh', '-c']);
    assert.equal(details.Config.Labels?.['org.example.team'], 'vision');
    assert.equal(details.Config.Labels?.['berth.profile'], 'hatch');

    // and inside: PID 1's limits, the device, the only network interface, the host's IPC namespace, what PID 1 runs
    const inside = await runExec(engine, id, {
      cmd: [
        'sh',
        '-c',
        'grep "Max open files" /proc/1/limits; ls /sys/class/net; readlink /proc/self/ns/ipc; head -c 3 /dev/berth-zero | od -An -tx1; tr "\\0" " " < /proc/1/cmdline',
      ],
    });
    assert.equal(inside.exitCode, 0, inside.stderr);
    const [nofile, nets, ipc, zero, pid1] = inside.stdout.trim().split('\n');
    // the limits of the container's own process (an exec'd shell's depend on how the runtime starts it)
    assert.match(nofile ?? '', /^Max open files\s+1234\s+2345\s+files\s*$/);
    assert.equal(nets, 'lo', 'network none: loopback only');
    // the engine at the default socket runs on this machine: its host IPC namespace is this process's
    assert.equal(ipc, fs.readlinkSync('/proc/self/ns/ipc'));
    assert.equal(zero?.trim(), '00 00 00');
    assert.equal(pid1?.trim(), '/bin/sh -c echo started; sleep 300; echo stopped');
  });
});
