import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { contextDirName } from '../../../../src/core/engine/connection';
import { listContexts, type ContextList } from '../../../../src/core/engine/contexts';
import { EngineError, EngineUnreachableError } from '../../../../src/core/engine/errors';
import {
  currentEngineNotices,
  engineTopRows,
  targetOf,
  type EndpointRow,
  type SessionView,
  type TopRow,
} from '../../../../src/ui/engine/enginesModel';

const HOME = '/home/u';

/** A contexts store in memory: name → host. */
function contexts(stored: Record<string, string>, settings: { context?: string; host?: string } = {}, env: Record<string, string> = {}) {
  const files = new Map<string, string>();
  for (const [name, host] of Object.entries(stored)) {
    files.set(
      path.join(HOME, '.docker', 'contexts', 'meta', contextDirName(name), 'meta.json'),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
    );
  }
  const list = listContexts({
    env,
    homeDir: HOME,
    platform: 'linux',
    readFile: (f) => files.get(f),
    readDir: (d) => (d === path.join(HOME, '.docker', 'contexts', 'meta') ? Object.keys(stored).map((n) => contextDirName(n)) : []),
    writeFile: () => assert.fail('no writes'),
    removeDir: () => assert.fail('no writes'),
    ...settings,
  });
  return list;
}

const endpointOf = (list: ContextList) => {
  assert.ok('endpoint' in list.berth);
  return list.berth.endpoint;
};
const endpoints = (rows: TopRow[] | 'flat'): EndpointRow[] => {
  assert.notEqual(rows, 'flat');
  return (rows as TopRow[]).filter((r): r is EndpointRow => r.kind === 'endpoint');
};
const brief = (rows: TopRow[] | 'flat') => endpoints(rows).map((r) => [r.label, r.description, r.status]);

describe('the Engines view rows', () => {
  test('the default context alone: the single-engine layout (summary rows, or the welcome content)', () => {
    const list = contexts({});
    const endpoint = endpointOf(list);
    assert.equal(engineTopRows(list, { kind: 'connected', endpoint }), 'flat');
    assert.equal(
      engineTopRows(list, { kind: 'unreachable', endpoint, error: new EngineUnreachableError(endpoint.host, 'ENOENT') }),
      'flat',
    );
  });

  test('contexts: one row each, the one Berth is connected to marked current; the CLI’s marked when it differs', () => {
    const list = contexts({ live: 'unix:///var/run/docker.sock', dead: 'unix:///tmp/none.sock' }, { context: 'live' });
    const rows = engineTopRows(list, { kind: 'connected', endpoint: endpointOf(list) });
    assert.deepEqual(brief(rows), [
      ['default', 'unix:///var/run/docker.sock · docker CLI', 'other'],
      ['dead', 'unix:///tmp/none.sock', 'other'],
      ['live', 'unix:///var/run/docker.sock · current', 'connected'],
    ]);
    assert.deepEqual(
      endpoints(rows).map((r) => r.stored),
      [false, true, true],
    );
  });

  test('a Podman socket found on this machine: a row to switch to (berth.engine.host), once', () => {
    const list = contexts({});
    const endpoint = endpointOf(list);
    const podman = [{ host: 'unix:///run/podman/podman.sock', path: '/run/podman/podman.sock', mode: 'rootful' as const }];
    const rows = engineTopRows(list, { kind: 'connected', endpoint }, podman);
    assert.deepEqual(brief(rows), [
      ['default', 'unix:///var/run/docker.sock · current', 'connected'],
      ['Podman (rootful)', 'unix:///run/podman/podman.sock', 'other'],
    ]);
    assert.deepEqual(endpoints(rows)[1]?.target, { kind: 'host', host: 'unix:///run/podman/podman.sock' });
    // in use through berth.engine.host: its own row, not twice
    const viaSetting = contexts({}, { host: 'unix:///run/podman/podman.sock' });
    const used = engineTopRows(viaSetting, { kind: 'connected', endpoint: endpointOf(viaSetting) }, podman);
    assert.equal(endpoints(used).filter((r) => r.description.startsWith('unix:///run/podman/podman.sock')).length, 1);
  });

  test('just switched: the new one is "connecting…" while the session still holds the last engine', () => {
    const before = contexts({ live: 'unix:///var/run/docker.sock', dead: 'unix:///tmp/none.sock' }, { context: 'live' });
    const after = contexts({ live: 'unix:///var/run/docker.sock', dead: 'unix:///tmp/none.sock' }, { context: 'dead' });
    const session: SessionView = { kind: 'connected', endpoint: endpointOf(before) };
    const rows = engineTopRows(after, session);
    assert.deepEqual(
      brief(rows).filter((r) => r[2] !== 'other'),
      [['dead', 'unix:///tmp/none.sock · connecting…', 'connecting']],
    );
    assert.deepEqual(
      currentEngineNotices(session, 'connecting').map((n) => n.label),
      ['Connecting…'],
    );
  });

  test('a dead engine: the row says unreachable; under it the error, Back to the last engine, then Retry, Info, Log', () => {
    const list = contexts({ live: 'unix:///var/run/docker.sock', dead: 'unix:///tmp/none.sock' }, { context: 'dead' });
    const endpoint = endpointOf(list);
    const error = new EngineUnreachableError(endpoint.host, 'connect ENOENT /tmp/none.sock');
    const session: SessionView = { kind: 'unreachable', endpoint, error };
    const dead = endpoints(engineTopRows(list, session)).find((r) => r.label === 'dead');
    assert.equal(dead?.description, 'unix:///tmp/none.sock · unreachable');
    assert.equal(dead?.color, 'errorForeground');
    const notices = currentEngineNotices(session, 'unreachable', { kind: 'context', name: 'live' });
    assert.deepEqual(
      notices.map((n) => [n.label, n.description ?? '', n.action?.command ?? '']),
      [
        ['Cannot connect', error.message, ''],
        ['Back to live', '', 'berth.engines.use'],
        ['Retry', '', 'berth.engine.retry'],
        ['Show Engine Info', '', 'berth.engine.showInfo'],
        ['Show Log', '', 'berth.log.show'],
      ],
    );
    assert.deepEqual(notices[1]?.action?.args, [{ kind: 'context', name: 'live' }]);
    // no engine to go back to: no Back row
    assert.ok(!currentEngineNotices(session, 'unreachable').some((n) => n.label.startsWith('Back')));
  });

  test('berth.engine.host: a row of its own, current; the contexts are choices', () => {
    const list = contexts({ gpu: 'ssh://gpu' }, { host: 'tcp://10.0.0.9:2375' });
    const endpoint = endpointOf(list);
    assert.deepEqual(targetOf(endpoint), { kind: 'host', host: 'tcp://10.0.0.9:2375' });
    assert.deepEqual(brief(engineTopRows(list, { kind: 'connected', endpoint })), [
      ['default', 'unix:///var/run/docker.sock · docker CLI', 'other'],
      ['gpu', 'ssh://gpu', 'other'],
      ['berth.engine.host', 'tcp://10.0.0.9:2375 · current', 'connected'],
    ]);
  });

  test('a setting naming a missing context: the error first, and every context to choose instead', () => {
    const list = contexts({}, { context: 'gone' });
    const rows = engineTopRows(list, { kind: 'unreachable', error: new EngineError('bad-config', 'Docker context "gone" does not exist') });
    assert.notEqual(rows, 'flat');
    assert.equal((rows as TopRow[])[0]?.label, 'Berth cannot use the configured engine');
    assert.match((rows as TopRow[])[0]?.description ?? '', /Docker context "gone".*does not exist/);
    assert.deepEqual(brief(rows), [['default', 'unix:///var/run/docker.sock · docker CLI', 'other']]);
  });
});
