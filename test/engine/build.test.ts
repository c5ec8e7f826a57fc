import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BuildFailedError, buildImage, packContext, type BuildEvent } from '../../src/core/engine/build';
import { dockerodeOf, type Engine } from '../../src/core/engine/engine';
import { CancelledError, NotFoundError } from '../../src/core/engine/errors';
import { ignoreLinesFor, scanContext } from '../../src/core/project/buildContext';
import { BUSYBOX, connect, PYTHON, RUN_ID, TEST_LABEL } from './harness';

const EXAMPLE = path.resolve(__dirname, '../../examples/iris-classifier');
const tags: string[] = [];
const tag = (name: string): string => {
  const t = `berth-test/${name}:${RUN_ID}`;
  tags.push(t);
  return t;
};

function project(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe('engine: building images through the Engine API', { timeout: 180_000 }, () => {
  let engine: Engine;
  const dirs: string[] = [];
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    for (const t of tags) await engine.removeImage(t, { force: true }).catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the sample project builds; every step is reported; labels and tag land on the image', async () => {
    const events: BuildEvent[] = [];
    const scan = scanContext(EXAMPLE);
    assert.ok(!scan.files.some((f) => f.path.endsWith('.ipynb') || f.path.startsWith('data/')), 'the .dockerignore is honoured');
    assert.ok(scan.files.some((f) => f.path === 'Dockerfile'));
    const t = tag('iris');
    const id = await buildImage(engine, {
      scan,
      dockerfile: 'Dockerfile',
      tag: t,
      buildArgs: { BASE: PYTHON },
      labels: { [TEST_LABEL]: RUN_ID },
      onEvent: (e) => events.push(e),
    });
    const steps = events.flatMap((e) => (e.kind === 'step' ? [e.step] : []));
    assert.ok(steps.length >= 10, `steps: ${steps.length}`);
    assert.deepEqual(
      steps.map((s) => s.index),
      Array.from({ length: steps.length }, (_, i) => i + 1),
    );
    assert.equal(steps[0]?.total, steps.length);
    assert.match(steps[0]?.instruction ?? '', /^ARG BASE/);
    const image = await engine.inspectImage(t);
    assert.equal(image.id, id);
    assert.equal(image.labels[TEST_LABEL], RUN_ID);
  });

  test('a failing step is named, with its output', async () => {
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo preparing\nRUN echo "model not found" >&2; exit 3\nRUN echo never\n` });
    dirs.push(dir);
    const t = tag('broken');
    await assert.rejects(buildImage(engine, { scan: scanContext(dir), dockerfile: 'Dockerfile', tag: t }), (err: unknown) => {
      assert.ok(err instanceof BuildFailedError, String(err));
      assert.equal(err.step?.index, 3);
      assert.equal(err.step?.total, 4);
      assert.match(err.step?.instruction ?? '', /^RUN echo "model not found"/);
      assert.ok(
        err.output.some((l) => l.includes('model not found')),
        err.output.join('\n'),
      );
      assert.match(err.message, /^Build failed at step 3\/4 \(RUN echo "model not found".*\): .*returned a non-zero code: 3/);
      return true;
    });
    await assert.rejects(engine.inspectImage(t), NotFoundError);
  });

  test('Cancel really stops the build: no image, and the engine stops the step', async () => {
    const marker = `berth-cancel-${RUN_ID}`;
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo ${marker}; sleep 30\nRUN echo done\n` });
    dirs.push(dir);
    const t = tag('cancelled');
    const controller = new AbortController();
    const started = Date.now();
    await assert.rejects(
      buildImage(engine, {
        scan: scanContext(dir),
        dockerfile: 'Dockerfile',
        tag: t,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'output' && e.text.includes(marker)) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.ok(Date.now() - started < 25_000, 'cancelled well before the step would end');
    await assert.rejects(engine.inspectImage(t), NotFoundError);
    // the build container of the cancelled step goes away (the engine kills it on disconnect)
    for (let i = 0; i < 50; i++) {
      const running = (await engine.listContainers({ filters: { status: ['running'] } })).filter((c) => c.command.includes(marker));
      if (running.length === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the cancelled step is still running');
  });

  test('large weights in the context are found, and the suggested .dockerignore keeps them out', async () => {
    const weights = Buffer.alloc(12 * 2 ** 20, 1);
    const dir = project({
      Dockerfile: `FROM ${BUSYBOX}\nCOPY serve.sh /serve.sh\n`,
      'serve.sh': 'echo serve\n',
      'checkpoints/model.safetensors': weights,
      'checkpoints/optimizer.pt': weights,
      'data/train.parquet': weights,
      'data/README.md': 'about the data\n',
    });
    dirs.push(dir);
    const before = scanContext(dir);
    assert.deepEqual(before.weights.map((w) => w.path).sort(), [
      'checkpoints/model.safetensors',
      'checkpoints/optimizer.pt',
      'data/train.parquet',
    ]);
    assert.ok(before.totalBytes > 36 * 2 ** 20);
    const lines = ignoreLinesFor(before);
    assert.deepEqual(lines.sort(), ['checkpoints/', 'data/train.parquet']);
    fs.writeFileSync(path.join(dir, '.dockerignore'), lines.join('\n') + '\n');
    const afterScan = scanContext(dir);
    assert.deepEqual(afterScan.weights, []);
    assert.ok(afterScan.totalBytes < 1024, `context now ${afterScan.totalBytes} bytes`);
    assert.equal(afterScan.ignoredCount, 3);
    const t = tag('slim');
    await buildImage(engine, { scan: afterScan, dockerfile: 'Dockerfile', tag: t });
    assert.ok((await engine.inspectImage(t)).size < 5 * 2 ** 20);
  });

  test('a Dockerfile that needs BuildKit is refused before the context is sent, naming its line — as the engine itself refuses it', async () => {
    const dockerfile = `FROM ${BUSYBOX}\nRUN echo one\nRUN --mount=type=cache,target=/cache \\\n    echo two\n`;
    const dir = project({ Dockerfile: dockerfile });
    dirs.push(dir);
    const t = tag('needs-buildkit');
    await assert.rejects(
      buildImage(engine, { scan: scanContext(dir), dockerfile: 'Dockerfile', tag: t }),
      (err: unknown) =>
        err instanceof BuildFailedError &&
        /^Build failed: Dockerfile needs BuildKit \(line 3: RUN --mount=type=cache\)/.test(err.message) &&
        err.step === undefined,
    );
    // the engine's classic builder, asked directly, refuses the same line: Berth's check says what the engine would
    const docker = dockerodeOf(engine);
    const stream = await docker.buildImage(packContext(scanContext(dir)), { t, dockerfile: 'Dockerfile' });
    const said = await new Promise<string>((resolve, reject) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });
    assert.match(said, /--mount option requires BuildKit/);
    await assert.rejects(engine.inspectImage(t), NotFoundError);
  });
});
