import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage } from '../../src/core/engine/build';
import { Engine } from '../../src/core/engine/engine';
import { scanContext } from '../../src/core/project/buildContext';
import {
  contextMenu,
  filterTree,
  paletteOn,
  pickItem,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  runCommand,
  sampleWorkspace,
  saveExportedJson,
  startVSCode,
  testEngine,
  treeRow,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

const RUN = `${process.pid}`;
const TAG = `berth-e2e/iris-ab:${RUN}`;
const LABEL = `berth.test=e2e-ab-${RUN}`;
/** Two versions of the sample model: A as built, B with its versicolor and virginica weights swapped. */
const NAME_A = `berth-e2e-ab-a-${RUN}`;
const NAME_B = `berth-e2e-ab-b-${RUN}`;
const PYTHON = process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest';
const COUNT = 40;

const PERTURB = `
import numpy as np
d = dict(np.load('/in/iris.npz'))
for k in ('weights', 'bias'):
    a = d[k].copy()
    a[..., [1, 2]] = a[..., [2, 1]]
    d[k] = a
np.savez('/out/iris.npz', **d)
`;

interface Prediction {
  predictions: string[];
  probabilities: number[][];
}

/** POST the sample body to a server's /predict, from the test (not through Berth). */
async function predict(engine: Engine, id: string, body: string): Promise<Prediction> {
  const port = (await engine.inspectContainerJson(id)).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
  assert.ok(port, 'port 8000 published');
  const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return (await r.json()) as Prediction;
}

async function waitHealthy(engine: Engine, id: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const state = (await engine.inspectContainerJson(id)).State;
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) assert.fail(`the server exited (${state.ExitCode})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('not healthy within 30 s');
}

describe('e2e: A/B in the playground — two versions of the sample model', { timeout: 240_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;
  let models: string;
  let ids: { a: string; b: string };
  const cspErrors: string[] = [];

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('ab-playground', 'iris-classifier');
    await buildImage(engine, { scan: scanContext(workspace), dockerfile: 'Dockerfile', tag: TAG, buildArgs: { BASE: PYTHON } });
    // B's model: the sample's weights perturbed with numpy inside the image, written to a temp folder
    models = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-ab-model-'));
    fs.chmodSync(models, 0o777);
    const perturb = await engine.createContainer({
      Image: PYTHON,
      Cmd: ['python3', '-c', PERTURB],
      Labels: { 'berth.test': `e2e-ab-${RUN}` },
      HostConfig: { Binds: [`${path.join(workspace, 'model')}:/in:ro`, `${models}:/out`] },
    });
    await engine.startContainer(perturb);
    assert.equal(await engine.waitContainer(perturb), 0, 'the perturbed model is written');
    await engine.removeContainer(perturb, { force: true });
    assert.ok(fs.existsSync(path.join(models, 'iris.npz')));
    const start = async (name: string, extra: { Env?: string[]; Binds?: string[] }): Promise<string> => {
      const id = await engine.createContainer({
        Image: TAG,
        name,
        Labels: { 'berth.test': `e2e-ab-${RUN}` },
        ...(extra.Env ? { Env: extra.Env } : {}),
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: {
          PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
          ...(extra.Binds ? { Binds: extra.Binds } : {}),
        },
      });
      await engine.startContainer(id);
      return id;
    };
    ids = {
      a: await start(NAME_A, {}),
      b: await start(NAME_B, { Env: ['MODEL_PATH=/models/iris.npz'], Binds: [`${models}:/models:ro`] }),
    };
    await Promise.all([waitHealthy(engine, ids.a), waitHealthy(engine, ids.b)]);
    vscode = await startVSCode('ab-playground', { workspace, viewport: { width: 1280, height: 1100 } });
    vscode.page.on('console', (m) => {
      if (/Content Security Policy|Refused to (apply|load|execute)/i.test(m.text())) cspErrors.push(m.text());
    });
  });
  after(async () => {
    await vscode?.close();
    if (engine) {
      for (const c of await engine.listContainers({ all: true, filters: { label: [LABEL] } }))
        await engine.removeContainer(c.id, { force: true }).catch(() => undefined);
      await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    }
    if (workspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
    if (models) fs.rmSync(models, { recursive: true, force: true });
  });

  test('open the playground on A, A/B against B: both distributions on the chart, the differing outputs listed, export as JSON', async () => {
    const page = vscode.page;
    const body = fs.readFileSync(path.join(workspace, 'requests', 'predict.json'), 'utf8');
    // what each version answers, asked directly: the oracle for the listed differences
    const [outA, outB] = await Promise.all([predict(engine, ids.a, body), predict(engine, ids.b, body)]);
    const differing = outA.predictions.flatMap((p, i) =>
      p === outB.predictions[i] ? [] : [`predictions[${i}]: "${p}" vs "${outB.predictions[i]}"`],
    );
    assert.ok(differing.length > 0, `the perturbed model predicts differently: ${JSON.stringify([outA, outB])}`);

    await paletteOn(page, 'Berth: Open Inference Playground', 'Open playground', NAME_A);
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: `Playground: ${NAME_A} — http://127.0.0.1:` }).waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => frame.locator('#body').evaluate((e) => (e as unknown as { value: string }).value),
      (v) => v.includes('instances'),
      'the sample body',
    );
    await frame.locator('#ab-mode').click();
    await frame.locator('#ab').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // B from the extension host's quick pick of running containers
    await frame.locator('#ab-choose-b').click();
    await pickItem(page, `A/B: compare ${NAME_A} with`, NAME_B);
    await eventually(
      () => frame.locator('#ab-b').innerText(),
      (t) => t.startsWith(`${NAME_B} — http://127.0.0.1:`),
      'B chosen',
    );
    assert.equal(await frame.locator('#ab-path-b').evaluate((e) => (e as unknown as { value: string }).value), '/predict');
    await frame.locator('#ab-count').evaluate((e, n) => {
      (e as unknown as { value: string }).value = String(n);
    }, COUNT);
    await frame.locator('#ab-run').click();
    const status = await eventually(
      () => frame.locator('#ab-status').innerText(),
      (t) => / differ, /.test(t),
      'the A/B summary line',
      { timeoutMs: 60_000 },
    );
    assert.match(
      normalize(status),
      new RegExp(`^${COUNT} of ${COUNT} requests in [\\d.]+ s — 0 identical, 0 within tolerance, ${COUNT} differ, 0 errors$`),
    );

    // both distributions: the legend names both, and the chart has bars in both series' colours
    const legend = normalize(await frame.locator('#ab-chart .u-legend').innerText());
    assert.ok(legend.includes(`A: ${NAME_A}/predict`) && legend.includes(`B: ${NAME_B}/predict`), legend);
    const bars = await frame.locator('#ab-chart canvas').evaluate((canvas) => {
      const c = canvas as unknown as {
        width: number;
        height: number;
        getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
      };
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let blue = 0;
      let orange = 0;
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i] ?? 0, d[i + 1] ?? 0, d[i + 2] ?? 0];
        if (b > r + 80 && b > g + 20) blue++;
        if (r > b + 80 && g > b + 20) orange++;
      }
      return { blue, orange };
    });
    assert.ok(bars.blue > 50 && bars.orange > 50, `bars of A (blue) and B (orange) drawn: ${JSON.stringify(bars)}`);

    const summary = normalize(await frame.locator('#ab-summary').innerText());
    assert.match(summary, new RegExp(`requests\\s+${COUNT}\\s+${COUNT}`));
    assert.match(summary, /error rate\s+0\.0 %\s+0\.0 %/);
    assert.match(summary, /p99\s+\d+\.\d ms\s+\d+\.\d ms/);

    // the differing requests, with the paths that differ (predictions, and probabilities beyond tolerance)
    assert.equal(await frame.locator('#ab-requests .ab-request').count(), COUNT);
    const lines = await frame.locator('#ab-requests .ab-request').first().locator('.ab-diff').allInnerTexts();
    for (const line of differing) assert.ok(lines.includes(line), `${line} in ${JSON.stringify(lines)}`);
    assert.ok(
      lines.some((l) => /^probabilities\[\d\]\[\d\]: [\d.e-]+ vs [\d.e-]+$/.test(l)),
      JSON.stringify(lines),
    );
    await vscode.screenshot('ab-playground');

    await frame.locator('#ab-export').click();
    const report = await saveExportedJson(page, workspace, `ab-${NAME_A}-vs-${NAME_B}.json`);
    assert.equal(report?.kind, 'berth.playground.ab');
    const targets = report?.targets as { a: { label: string }; b: { label: string } };
    assert.deepEqual([targets.a.label, targets.b.label], [NAME_A, NAME_B]);
    assert.equal((report?.requests as unknown[]).length, COUNT);
    assert.equal((report?.summary as { differs: number }).differs, COUNT);

    assert.deepEqual(cspErrors, [], 'no CSP violations in the panel');
  });

  test('Compare Two Containers (A/B) on two containers selected in the Containers view', async () => {
    const page = vscode.page;
    await runCommand(page, 'View: Close All Editors');
    const pane = await openBerthView(page, 'Containers');
    // only this run's containers in the tree: other people's may fill it past its visible rows
    await filterTree(page, LABEL);
    await eventually(
      () => rowTexts(pane),
      (r) => [NAME_A, NAME_B].every((n) => r.some((x) => x.startsWith(`${n}  healthy`))),
      'both servers healthy in the tree',
    );
    await treeRow(pane, NAME_A).click();
    await treeRow(pane, NAME_B).click({ modifiers: ['Control'] });
    await contextMenu(page, treeRow(pane, NAME_B), 'Compare Two Containers (A/B)…');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    const heading = await frame.locator('h2', { hasText: 'Playground: ' }).innerText({ timeout: UI_TIMEOUT });
    const a = heading.includes(NAME_A) ? NAME_A : NAME_B;
    const b = a === NAME_A ? NAME_B : NAME_A;
    // the A/B section open, B already chosen
    await frame.locator('#ab').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await eventually(
      () => frame.locator('#ab-b').innerText(),
      (t) => t.startsWith(`${b} — http://127.0.0.1:`),
      'B set from the selection',
    );
    // a long run shows its progress and stops on Stop, keeping what finished
    await frame.locator('#ab-count').evaluate((e) => {
      (e as unknown as { value: string }).value = '2000';
    });
    await frame.locator('#ab-run').click();
    await eventually(
      () => frame.locator('#ab-status').innerText(),
      (t) => /^\d+ of 2000…$/.test(normalize(t)),
      'progress',
    );
    await frame.locator('#ab-stop').click();
    const stopped = await eventually(
      () => frame.locator('#ab-status').innerText(),
      (t) => t.includes('(stopped)'),
      'the stopped run',
    );
    const done = Number(/^(\d+) of 2000 requests \(stopped\)/.exec(normalize(stopped))?.[1]);
    assert.ok(done > 0 && done < 2000, stopped);

    await frame.locator('#ab-count').evaluate((e) => {
      (e as unknown as { value: string }).value = '10';
    });
    await frame.locator('#ab-run').click();
    const status = await eventually(
      () => frame.locator('#ab-status').innerText(),
      (t) => / differ, /.test(t),
      'the A/B summary line',
      { timeoutMs: 60_000 },
    );
    assert.match(normalize(status), /^10 of 10 requests in [\d.]+ s — 0 identical, 0 within tolerance, 10 differ, 0 errors$/);
    await vscode.screenshot('ab-playground-compare');
    assert.deepEqual(cspErrors, [], 'no CSP violations in the panel');
  });
});
