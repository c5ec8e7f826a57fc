/**
 * Comparing in a running container: a snapshot of it (what was written into it after it
 * started included) is compared, the running container is left alone, and the snapshot removed.
 * Also: a notebook with only markdown ends before anything is created.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook } from '../../src/core/notebook/comparison';
import { SNAPSHOT_REPOSITORY, snapshotContainer } from '../../src/core/notebook/snapshot';
import { WarmRunners } from '../../src/core/notebook/warmRunners';
import { cleanup, connect, labels, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';

function tarOf(name: string, text: string): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  pack.entry({ name, mode: 0o644 }, text);
  pack.finalize();
  return done;
}

function notebook(cells: unknown[]): string {
  return JSON.stringify({
    cells,
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe('engine: comparing in a snapshot of a running container', { timeout: 120_000 }, () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-snapshot-'));
  after(async () => {
    await cleanup(await connect());
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  test('state written into the running container is in the snapshot; the container keeps running; the snapshot is removed', async () => {
    const engine = await connect();
    const id = await run(engine, { Image: PYTHON, Cmd: ['sleep', '300'] });
    // written after start: only a snapshot (not the image) has it
    await engine.putArchive(id, '/opt', await tarOf('state.txt', 'trained in the container\n'));
    const nb = path.join(workspace, 'state.ipynb');
    fs.writeFileSync(
      nb,
      notebook([
        {
          cell_type: 'code',
          execution_count: 1,
          id: 'a',
          metadata: {},
          outputs: [{ name: 'stdout', output_type: 'stream', text: ['trained in the container\n'] }],
          source: ["print(open('/opt/state.txt').read(), end='')"],
        },
      ]),
    );
    const input = { notebookPath: nb, workspaceDir: workspace, settings: DEFAULT_SETTINGS, labels: labels() };

    const inImage = await compareNotebook(engine, { ...input, image: PYTHON });
    assert.equal(inImage.cells[0]?.status, 'error-container', 'the plain image lacks the file');

    const snapshot = await snapshotContainer(engine, id);
    try {
      assert.ok(snapshot.image.startsWith(`${SNAPSHOT_REPOSITORY}:${id.slice(0, 12)}`));
      const details = await engine.inspectImage(snapshot.image);
      assert.equal(details.labels['berth.managed'], 'true');
      const report = await compareNotebook(engine, { ...input, image: snapshot.image });
      assert.equal(report.cells[0]?.status, 'identical', report.cells[0]?.reason);
      assert.equal(report.passed, true);
      assert.equal((await engine.inspectContainerJson(id)).State.Running, true, 'the running container is left alone');
    } finally {
      await snapshot.remove();
    }
    await assert.rejects(engine.inspectImage(snapshot.image), /not found|No such image/i);
    const left = await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`, 'berth.compare'] } });
    assert.deepEqual(left, []);
  });

  test('with containers kept warm: no container is started ahead on the snapshot, and no snapshot image is left', async () => {
    const engine = await connect();
    const id = await run(engine, { Image: PYTHON, Cmd: ['sleep', '300'] });
    const nb = path.join(workspace, 'warm.ipynb');
    fs.writeFileSync(
      nb,
      notebook([
        {
          cell_type: 'code',
          execution_count: 1,
          id: 'a',
          metadata: {},
          outputs: [{ name: 'stdout', output_type: 'stream', text: ['1\n'] }],
          source: ['print(1)'],
        },
      ]),
    );
    const warm = new WarmRunners(engine);
    const snapshot = await snapshotContainer(engine, id);
    const imageId = (await engine.inspectImage(snapshot.image)).id;
    try {
      const report = await compareNotebook(engine, {
        notebookPath: nb,
        workspaceDir: workspace,
        settings: DEFAULT_SETTINGS,
        labels: labels(),
        image: snapshot.image,
        warm,
      });
      assert.equal(report.passed, true, report.message);
      await warm.settled();
    } finally {
      await snapshot.remove();
    }
    // what the extension does after the comparison: the snapshot is gone, and nothing keeps it
    const left = await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`, 'berth.compare'] } });
    // gone by its id too, not only untagged (a container on it would keep it)
    const imageLeft = await engine.inspectImage(imageId).then(
      () => true,
      () => false,
    );
    // clean up before asserting, so a failure leaves nothing behind either
    await warm.dispose();
    await engine.removeImage(imageId, { force: true }).catch(() => undefined);
    assert.deepEqual(
      left.map((c) => `${c.id} ${c.image} ${c.state}`),
      [],
    );
    assert.equal(imageLeft, false, `the snapshot image ${imageId} is left`);
    await assert.rejects(engine.inspectImage(snapshot.image), /not found|No such image/i);
  });

  test('a notebook with only markdown: a clear message, no container created', async () => {
    const engine = await connect();
    const nb = path.join(workspace, 'notes.ipynb');
    fs.writeFileSync(nb, notebook([{ cell_type: 'markdown', id: 'm', metadata: {}, source: ['# Notes only'] }]));
    const before = (await engine.listContainers({ all: true })).length;
    const report = await compareNotebook(engine, {
      notebookPath: nb,
      workspaceDir: workspace,
      image: PYTHON,
      settings: DEFAULT_SETTINGS,
      labels: labels(),
    });
    assert.equal(report.message, 'The notebook has no code cells: there is nothing to run or compare.');
    assert.equal(report.cells.length, 0);
    assert.equal((await engine.listContainers({ all: true })).length, before);
  });
});
