/**
 * A Compose service that crash-loops, and one that dies at once, seen the way Berth sees them
 * after an Up: through the live container model (events), with failingServices. Real engine, real
 * docker-compose 1.29.2; the project is unique to this run and removed with `down -v -t 1`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downArgs, upArgs, type ComposeTarget } from '../../src/core/compose/composeArgs';
import { composeEnv, detectCompose, type ComposeCli } from '../../src/core/compose/composeCli';
import { FailureWatch, describeFailing, labelledProjects, type FailingService } from '../../src/core/compose/composeProjects';
import { runCompose } from '../../src/core/compose/composeRun';
import { ContainerStore } from '../../src/core/engine/containerStore';
import type { Engine } from '../../src/core/engine/engine';
import { BUSYBOX, RUN_ID, TEST_LABEL, cleanup, connect, localEndpoint } from './harness';

const env = composeEnv(localEndpoint(), process.env);

describe('Compose: a crash-looping service after an Up', () => {
  let cli: ComposeCli;
  let engine: Engine;
  let store: ContainerStore;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-compose-crash-'));
  const target: ComposeTarget = { files: [path.join(dir, 'compose.yaml')], projectName: `berth-${RUN_ID}-crash` };

  before(async () => {
    cli = await detectCompose({ env });
    engine = await connect();
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      `services:
  web:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    init: true
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  worker:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo cannot reach the model; exit 3"]
    restart: always
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
  migrate:
    image: ${BUSYBOX}
    command: ["sh", "-c", "exit 2"]
    labels: { ${TEST_LABEL}: "${RUN_ID}" }
`,
    );
    store = new ContainerStore(engine, { reconcileIntervalMs: 60_000 });
    await store.start();
  });

  after(async () => {
    store?.stop();
    await runCompose(downArgs(cli, target, { volumes: true, timeoutSeconds: 1 }), { env }).catch(() => undefined);
    await cleanup(engine);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Up succeeds, then the model shows the looping service (restarts counted) and the one that exited; the healthy one is not named', async () => {
    const baseline = new Map(store.all().map((r) => [r.id, r.restartCount ?? 0]));
    await runCompose(upArgs(cli, target), { env });
    // as Berth's watch after an Up: fed on every change of the model
    const watch = new FailureWatch(target.projectName!, baseline);
    const failing: FailingService[] = [];
    const off = store.onChange(() => failing.push(...watch.observe(store.all())));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && !(failing.some((f) => f.kind === 'crash-loop') && failing.some((f) => f.service === 'migrate'))) {
      await new Promise((r) => setTimeout(r, 500));
      // a stop is told once it has lasted: the watch is asked on a clock too
      failing.push(...watch.observe(store.all()));
    }
    off();
    assert.equal(failing.filter((f) => f.service === 'worker').at(-1)?.kind, 'crash-loop', JSON.stringify(failing));
    assert.equal(failing.filter((f) => f.service === 'migrate').length, 1, 'told once');
    const worker = failing.find((f) => f.service === 'worker' && f.kind === 'crash-loop');
    assert.equal(worker?.kind, 'crash-loop', JSON.stringify(failing));
    assert.ok((worker?.restarts ?? 0) >= 3);
    assert.match(describeFailing(worker), /^worker is crash-looping: restarted \d+ times, last exit code 3$/);
    const migrate = failing.find((f) => f.service === 'migrate');
    assert.equal(migrate?.kind, 'exited');
    assert.equal(describeFailing(migrate), 'migrate stopped right after starting: exit code 2');
    assert.ok(!failing.some((f) => f.service === 'web'), 'the running service is not named');
    // and the project, known from the labels alone, names its files and services
    const known = labelledProjects(store.all()).get(target.projectName!);
    assert.deepEqual(known?.services, ['migrate', 'web', 'worker']);
    assert.deepEqual(known?.configFiles, target.files);
  });
});
