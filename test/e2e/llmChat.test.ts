import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FrameLocator } from 'playwright-core';
import { buildImage } from '../../src/core/engine/build';
import { Engine } from '../../src/core/engine/engine';
import { scanContext } from '../../src/core/project/buildContext';
import { REPO_ROOT } from '../../scripts/vscode/codeServer';
import {
  eventually,
  explorerMenu,
  normalize,
  paletteOn,
  pickItem,
  runCommand,
  saveExportedJson,
  startVSCode,
  testEngine,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

const RUN = `${process.pid}`;
const TAG = `berth-e2e/llm-chat:${RUN}`;
const LABEL = `berth.test=e2e-llm-chat-${RUN}`;
const NAME_A = `berth-e2e-llm-a-${RUN}`;
const NAME_B = `berth-e2e-llm-b-${RUN}`;
/** The same server without pacing: the test's oracle for what a seed makes the model say. */
const NAME_ORACLE = `berth-e2e-llm-oracle-${RUN}`;
const SYSTEM = 'You tell fables.';
/** What Run Model in Container names the sample's run and its image (after the workspace folder, llm-chat). */
const RUN_CONTAINER = 'berth-serve-llm-chat';
const RUN_TAG = 'llm-chat:dev';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
const PYTHON = process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest';

async function waitHealthy(engine: Engine, id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const state = (await engine.inspectContainerJson(id)).State;
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) assert.fail(`the server exited (${state.ExitCode})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('not healthy within 60 s');
}

async function hostPort(engine: Engine, id: string): Promise<string> {
  const port = (await engine.inspectContainerJson(id)).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
  assert.ok(port, 'port 8000 published');
  return port;
}

/**
 * A seed with which the model's answer to `messages` passes `want` (from the oracle, asked without
 * streaming): the answers of a word model end where a fable ends, so the test picks seeds whose
 * answers are long enough for what it watches.
 */
async function seedFor(
  url: string,
  model: string,
  messages: readonly Message[],
  maxTokens: number,
  want: (finish: string, tokens: number) => boolean,
): Promise<number> {
  for (let seed = 1; seed <= 300; seed++) {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, max_tokens: maxTokens, temperature: 0.8, top_p: 1, seed }),
    });
    const body = (await r.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
    if (want(body.choices[0]?.finish_reason ?? '', body.usage.completion_tokens)) return seed;
  }
  return assert.fail(`no seed among 300 gives the answer wanted for ${JSON.stringify(messages)}`);
}

/** Set a vscode-elements field's value as typing would leave it. */
async function setValue(frame: FrameLocator, selector: string, value: string): Promise<void> {
  await frame.locator(selector).evaluate((e, v) => {
    (e as unknown as { value: string }).value = v;
  }, value);
}

/**
 * Watch the last turn's reply of `side` inside the webview from the moment it appears until its
 * figures are shown: every length its text had, as the page saw it every few milliseconds.
 */
function watchReply(frame: FrameLocator, turns: number, side: 'a' | 'b'): Promise<{ lengths: number[]; final: string }> {
  return frame.locator('#chat-transcript').evaluate(
    async (node, args) => {
      interface Found {
        querySelector(selector: string): Found | null;
        querySelectorAll(selector: string): ArrayLike<Found>;
        readonly textContent: string | null;
      }
      // no named functions in here: the page gets this function's source as tsx compiled it
      const transcript = node as unknown as Found;
      const lengths: number[] = [];
      const started = Date.now();
      for (;;) {
        const turn = transcript.querySelectorAll('.chat-turn')[args.turns - 1];
        const reply = turn?.querySelector(`.chat-reply[data-side="${args.side}"]`);
        const text = reply?.querySelector('.chat-text')?.textContent ?? '';
        const metrics = reply?.querySelector('.chat-metrics')?.textContent ?? '';
        if (reply) lengths.push(text.length);
        if (metrics !== '') return { lengths, final: text };
        if (Date.now() - started > 60_000) throw new Error(`no figures for ${args.side} within 60 s; text: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    { turns, side },
  );
}

async function metricsOf(frame: FrameLocator, turns: number, side: 'a' | 'b'): Promise<Record<string, string>> {
  const reply = frame
    .locator('.chat-turn')
    .nth(turns - 1)
    .locator(`.chat-reply[data-side="${side}"]`);
  const spans = reply.locator('.chat-metrics .chat-m');
  const out: Record<string, string> = {};
  for (let i = 0; i < (await spans.count()); i++) {
    const span = spans.nth(i);
    const key = ((await span.getAttribute('class')) ?? '').replace(/.*\bm-(\w+).*/, '$1');
    out[key] = normalize(await span.innerText());
  }
  const error = reply.locator('.chat-error');
  if ((await error.count()) > 0) out['error'] = normalize(await error.innerText());
  return out;
}

/** The figures of a finished answer: a time to first token and a decode speed, both positive. */
function assertStreamFigures(m: Record<string, string>): { ttft: number; tps: number; tokens: number } {
  const ttft = Number(/^TTFT ([\d.]+) ms$/.exec(m['ttft'] ?? '')?.[1]);
  const tps = Number(/^([\d.]+) tokens\/s$/.exec(m['tps'] ?? '')?.[1]);
  const tokens = Number(/(\d+) completion tokens/.exec(m['tokens'] ?? '')?.[1]);
  assert.ok(ttft > 0 && tps > 0 && tokens > 0, `TTFT, tokens/s and tokens shown: ${JSON.stringify(m)}`);
  assert.match(m['itl'] ?? '', /^inter-token p50 [\d.]+ ms · p99 [\d.]+ ms$/);
  assert.match(m['total'] ?? '', /^total [\d.]+ ms$/);
  return { ttft, tps, tokens };
}

describe('e2e: Chat in the playground — the sample LLM server, streamed', { timeout: 300_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;
  let ids: { a: string; b: string; oracle: string };
  let oracle: string;
  let models: string[];
  const cspErrors: string[] = [];

  before(async () => {
    engine = await testEngine();
    workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-llm-chat-')), 'llm-chat');
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'llm-chat'), workspace, { recursive: true });
    // Run Model in Container (the last test) on any free host port: a test must not depend on 8000 being free
    const profile = path.join(workspace, 'berth.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace("ports: ['8000']", "ports: ['127.0.0.1::8000']"));
    await buildImage(engine, { scan: scanContext(workspace), dockerfile: 'Dockerfile', tag: TAG, buildArgs: { BASE: PYTHON } });
    const start = async (name: string, delayMs: number): Promise<string> => {
      const id = await engine.createContainer({
        Image: TAG,
        name,
        Labels: { 'berth.test': `e2e-llm-chat-${RUN}` },
        Env: [`TOKEN_DELAY_MS=${delayMs}`],
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      await engine.startContainer(id);
      return id;
    };
    // B paces its tokens slower: its figures differ from A's side by side
    ids = { a: await start(NAME_A, 25), b: await start(NAME_B, 50), oracle: await start(NAME_ORACLE, 0) };
    await Promise.all([waitHealthy(engine, ids.a), waitHealthy(engine, ids.b), waitHealthy(engine, ids.oracle)]);
    oracle = `http://127.0.0.1:${await hostPort(engine, ids.oracle)}`;
    const listed = (await (await fetch(`http://127.0.0.1:${await hostPort(engine, ids.a)}/v1/models`)).json()) as {
      data: { id: string }[];
    };
    models = listed.data.map((m) => m.id);
    assert.ok(models.length > 0, 'the sample lists its model');
    vscode = await startVSCode('llm-chat', { workspace, viewport: { width: 1280, height: 1000 } });
    await vscode.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    vscode.page.on('console', (m) => {
      if (/Content Security Policy|Refused to (apply|load|execute)/i.test(m.text())) cspErrors.push(m.text());
    });
  });
  after(async () => {
    await vscode?.close();
    if (engine && workspace) {
      // what Run Model in Container made for this workspace: its container and its image
      for (const c of await engine.listContainers({ all: true, filters: { label: [`berth.project=${workspace}`] } }))
        await engine.removeContainer(c.id, { force: true }).catch(() => undefined);
      await engine.removeImage(RUN_TAG, { force: true }).catch(() => undefined);
    }
    if (engine) {
      for (const c of await engine.listContainers({ all: true, filters: { label: [LABEL] } }))
        await engine.removeContainer(c.id, { force: true }).catch(() => undefined);
      await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    }
    if (workspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('the playground opens in Chat mode; tokens arrive one by one; TTFT and tokens/s; copy as curl; Stop; a batch; export', async () => {
    const page = vscode.page;
    const portA = await hostPort(engine, ids.a);
    await paletteOn(page, 'Berth: Open Inference Playground', 'Open playground', NAME_A);
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    // found by GET /v1/models: the Chat mode opens by itself, with the server's model
    await frame.locator('#chat').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const server = normalize(await frame.locator('#chat-server').innerText());
    assert.ok(server.startsWith(`${NAME_A} — http://127.0.0.1:${portA} · `) && server.includes('(GET /v1/models)'), server);
    assert.equal(await frame.locator('#http').isHidden(), true, 'the HTTP mode is hidden');
    assert.equal(await frame.locator('#chat-model').evaluate((e) => (e as unknown as { value: string }).value), models[0]);

    const model = models[0] ?? '';
    const question = 'Tell me about the fox and the grapes.';
    // a seed whose answer runs to max tokens: 60 tokens to watch arrive
    const seed = await seedFor(
      oracle,
      model,
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: question },
      ],
      60,
      (finish) => finish === 'length',
    );
    await setValue(frame, '#chat-system', SYSTEM);
    await setValue(frame, '#chat-max-tokens', '60');
    await setValue(frame, '#chat-seed', String(seed));
    await setValue(frame, '#chat-input', question);
    const watching = watchReply(frame, 1, 'a');
    await frame.locator('#chat-send').click();
    const { lengths, final } = await watching;
    // the text grew while it streamed: many lengths between empty and whole before the figures came
    const partial = new Set(lengths.filter((n) => n > 0 && n < final.length));
    assert.ok(final.length > 0, 'an answer');
    assert.ok(
      partial.size >= 5,
      `tokens arrived one by one: ${partial.size} partial lengths seen (${JSON.stringify(lengths.slice(0, 40))}…)`,
    );
    const first = await metricsOf(frame, 1, 'a');
    assertStreamFigures(first);
    assert.match(first['tokens'] ?? '', /^\d+ prompt \+ 60 completion tokens \(from usage\)$/);
    assert.equal(first['finish'], 'finish: length');
    assert.equal(normalize(await frame.locator('.chat-turn').first().locator('.chat-user .chat-text').innerText()), question);
    await vscode.screenshot('llm-chat');

    // copy as curl: the request as sent, to the port as this machine reaches it; and it runs
    await frame.locator('#chat-copy-curl').click();
    await eventually(
      () => frame.locator('#chat-note').innerText(),
      (t) => t.startsWith('Copied as curl'),
      'the copy confirmation',
    );
    // the clipboard is read by the workbench's page, which needs the focus for it
    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
    const curl = await page.evaluate(() =>
      (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText(),
    );
    assert.ok(curl.startsWith(`curl -N 'http://127.0.0.1:${portA}/v1/chat/completions'`), curl);
    for (const part of ['"stream": true', '"max_tokens": 60', `"seed": ${seed}`, question, SYSTEM, `"model": "${model}"`])
      assert.ok(curl.includes(part), `${part} in ${curl}`);
    const { stdout } = await promisify(execFile)('bash', ['-c', curl], { timeout: 60_000 });
    assert.match(stdout, /^data: \{.*"chat\.completion\.chunk"/m);
    assert.match(stdout, /^data: \[DONE\]$/m);

    // Stop: a long answer (a seed whose answer runs 200 tokens or more) ends where it was, keeping what had arrived
    await frame.locator('#chat-clear').click();
    const long = 'And another one, a long one.';
    const longSeed = await seedFor(
      oracle,
      model,
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: long },
      ],
      2000,
      (_finish, tokens) => tokens >= 200,
    );
    await setValue(frame, '#chat-max-tokens', '2000');
    await setValue(frame, '#chat-seed', String(longSeed));
    await setValue(frame, '#chat-input', long);
    await frame.locator('#chat-send').click();
    const reply = frame.locator('.chat-turn').nth(0).locator('.chat-reply[data-side="a"] .chat-text');
    await eventually(
      () => reply.innerText(),
      (t) => t.length > 20,
      'the second answer streaming',
    );
    await frame.locator('#chat-stop').click();
    const stopped = await eventually(
      () => metricsOf(frame, 1, 'a'),
      (m) => m['ttft'] !== undefined,
      'the stopped answer',
    );
    assert.match(stopped['error'] ?? '', /stopped|cancel/i);
    const stoppedTokens = Number(/(\d+) completion tokens/.exec(stopped['tokens'] ?? '')?.[1]);
    assert.ok(stoppedTokens > 0 && stoppedTokens < 200, `stopped part way: ${JSON.stringify(stopped)}`);
    const kept = await reply.innerText();
    await eventually(
      () => frame.locator('#chat-send').getAttribute('disabled'),
      (d) => d === null,
      'Send enabled again',
    );
    assert.equal(await reply.innerText(), kept, 'nothing more arrives after Stop');

    // a batch of 12 at concurrency 4 (the long seed, 20 tokens each): percentiles of each figure and the error rate
    await frame.locator('#chat-clear').click();
    await setValue(frame, '#chat-max-tokens', '20');
    await setValue(frame, '#chat-input', long);
    await setValue(frame, '#chat-n', '12');
    await setValue(frame, '#chat-c', '4');
    await frame.locator('#chat-batch-run').click();
    const batch = await eventually(
      () => frame.locator('#chat-batch-status').innerText(),
      (t) => / requests in /.test(t),
      'the batch summary',
      { timeoutMs: 60_000 },
    );
    assert.match(normalize(batch), /^12 of 12 requests in [\d.]+ s, error rate 0\.0 %$/);
    for (const metric of ['TTFT', 'inter-token', 'tokens/s', 'total']) {
      const row = normalize(await frame.locator(`#chat-batch tr[data-metric="${metric}"]`).innerText());
      assert.match(row, new RegExp(`^${metric.replace('/', '\\/')}(\\s+[\\d.]+( ms)?){4}$`), row);
    }

    await frame.locator('#chat-export').click();
    const doc = await saveExportedJson(page, workspace, `chat-${NAME_A}-batch.json`);
    assert.equal(doc?.kind, 'berth.playground.chat');
    assert.equal(doc?.mode, 'batch');
    const entry = (doc?.entries as { summary: { n: number; done: number; errors: number } }[])[0];
    assert.deepEqual([entry?.summary.n, entry?.summary.done, entry?.summary.errors], [12, 12, 0]);
    assert.deepEqual(cspErrors, [], 'no CSP violations in the panel');
  });

  test('A/B chat: the same conversation to A and B side by side, each with its streaming figures', async () => {
    const page = vscode.page;
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    // the first test cleared the conversation before its batch
    assert.equal(await frame.locator('.chat-turn').count(), 0);
    assert.equal(await frame.locator('#chat-choose-b').isVisible(), false, "B's row shows only in an A/B chat");
    await frame.locator('#chat-ab-on').click();
    await pickItem(page, `A/B: compare ${NAME_A} with`, NAME_B);
    await eventually(
      () => frame.locator('#chat-b').innerText(),
      (t) => t.startsWith(`${NAME_B} — http://127.0.0.1:`) && t.includes(' · '),
      'B chosen and detected',
    );
    const question = 'Tell me about the tortoise and the hare.';
    const seed = await seedFor(
      oracle,
      models[0] ?? '',
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: question },
      ],
      40,
      (finish) => finish === 'length',
    );
    await setValue(frame, '#chat-max-tokens', '40');
    await setValue(frame, '#chat-seed', String(seed));
    await setValue(frame, '#chat-input', question);
    const [a, b] = [watchReply(frame, 1, 'a'), watchReply(frame, 1, 'b')];
    await frame.locator('#chat-send').click();
    const [ra, rb] = await Promise.all([a, b]);
    for (const [side, r] of [
      ['A', ra],
      ['B', rb],
    ] as const) {
      const partial = new Set(r.lengths.filter((n) => n > 0 && n < r.final.length));
      assert.ok(r.final.length > 0 && partial.size >= 3, `${side} streamed: ${partial.size} partial lengths`);
    }
    assertStreamFigures(await metricsOf(frame, 1, 'a'));
    assertStreamFigures(await metricsOf(frame, 1, 'b'));
    const heads = await frame.locator('.chat-turn .chat-reply .chat-who').allInnerTexts();
    assert.deepEqual(heads.map(normalize), [`A: ${NAME_A} · ${models[0]}`, `B: ${NAME_B} · ${models[0]}`]);
    // side by side: B's column to the right of A's, at the same height
    const [boxA, boxB] = [
      await frame.locator('.chat-reply[data-side="a"]').boundingBox(),
      await frame.locator('.chat-reply[data-side="b"]').boundingBox(),
    ];
    assert.ok(boxA && boxB && boxB.x > boxA.x + boxA.width - 1 && Math.abs(boxB.y - boxA.y) < 2, JSON.stringify([boxA, boxB]));
    await vscode.screenshot('llm-chat-ab');
    assert.deepEqual(cspErrors, [], 'no CSP violations in the panel');
  });

  test('Run Model in Container on the sample LLM project: built, run healthy, and its playground opens in Chat mode and streams', async () => {
    const page = vscode.page;
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'Dockerfile', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Run Model in Container');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('#chat').waitFor({ state: 'visible', timeout: 180_000 });
    const details = await engine.inspectContainerJson(RUN_CONTAINER);
    assert.equal(details.State.Health?.Status, 'healthy');
    assert.equal(details.Config.Labels?.['berth.profile'], 'serve');
    const binding = details.HostConfig.PortBindings?.['8000/tcp']?.[0];
    assert.equal(binding?.HostIp, '127.0.0.1');
    const port = details.NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
    const server = normalize(await frame.locator('#chat-server').innerText());
    assert.ok(server.startsWith(`${RUN_CONTAINER} — http://127.0.0.1:${port} · `) && server.includes('(GET /v1/models)'), server);
    const question = 'Tell me about the lion and the mouse.';
    // a seed whose answer runs to max tokens, so that it has gaps between tokens to measure
    const seed = await seedFor(
      oracle,
      models[0] ?? '',
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: question },
      ],
      24,
      (finish) => finish === 'length',
    );
    await setValue(frame, '#chat-system', SYSTEM);
    await setValue(frame, '#chat-max-tokens', '24');
    await setValue(frame, '#chat-seed', String(seed));
    await setValue(frame, '#chat-input', question);
    const reply = watchReply(frame, 1, 'a');
    await frame.locator('#chat-send').click();
    const r = await reply;
    assert.ok(r.final.length > 0, 'an answer arrived');
    assert.equal(assertStreamFigures(await metricsOf(frame, 1, 'a')).tokens, 24);
    await vscode.screenshot('llm-chat-run-model');
    assert.deepEqual(cspErrors, [], 'no CSP violations in the panel');
  });
});
