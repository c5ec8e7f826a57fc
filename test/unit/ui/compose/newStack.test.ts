/**
 * New AI Stack… in the VS Code layer (the vscode stand-in), on a copy of the sample: the choices
 * asked (vector database, GPU), what will be written shown before anything is, both files written
 * and compose.yaml opened; existing files kept unless the user says Overwrite; a folder without a
 * Dockerfile refused with a clear message; backing out writes nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { parse } from 'yaml';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import type { CommandContext } from '../../../../src/ui/commands';
import { newAiStack } from '../../../../src/ui/compose/newStack';

const SAMPLE = path.resolve(__dirname, '../../../../examples/iris-classifier');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-newstack-ui-'));
const logged: string[] = [];
const ctx = { log: { info: (m: string) => void logged.push(m) } } as unknown as CommandContext;

interface Item {
  label: string;
  value?: string;
}

/** Answer the two quick picks with these values and the confirmation with `button`. */
function answer(vectorDb: string | undefined, gpu: string | undefined, button: (buttons: string[]) => string | undefined): void {
  standIn.answer('window.showQuickPick', (items: unknown, options: unknown) => {
    const title = (options as { title: string }).title;
    const wanted = /vector/.test(title) ? vectorDb : gpu;
    return (items as Item[]).find((i) => i.value === wanted);
  });
  standIn.answer('window.showInformationMessage', (_message: unknown, options: unknown, ...buttons: unknown[]) =>
    typeof options === 'object' && options !== null && (options as { modal?: boolean }).modal ? button(buttons as string[]) : undefined,
  );
}

const modal = () =>
  standIn
    .callsTo('window.showInformationMessage')
    .filter((args) => (args[1] as { modal?: boolean } | undefined)?.modal)
    .map((args) => ({ message: args[0] as string, detail: (args[1] as { detail: string }).detail, buttons: args.slice(2) as string[] }));

describe('New AI Stack… command', () => {
  let dir = '';
  beforeEach(() => {
    standIn.reset();
    logged.length = 0;
    dir = fs.mkdtempSync(path.join(root, 'p-'));
    fs.cpSync(SAMPLE, dir, { recursive: true });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('asks vector database and GPU, shows what it writes, writes both files and opens compose.yaml', async () => {
    answer('milvus', 'never', (buttons) => buttons[0]);
    const written = await newAiStack(ctx, { fsPath: dir });
    assert.deepEqual(written, [path.join(dir, 'compose.yaml'), path.join(dir, 'prometheus.yml')]);
    const compose = parse(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { deploy?: unknown }>;
    };
    assert.ok(compose.services.milvus && compose.services['milvus-etcd'] && !compose.services.qdrant);
    assert.doesNotMatch(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), /driver: nvidia/);
    assert.match(fs.readFileSync(path.join(dir, 'prometheus.yml'), 'utf8'), /inference:8000/);
    const [shown] = modal();
    assert.deepEqual(shown?.buttons, ['Write']);
    assert.match(shown?.detail ?? '', /milvus standalone/);
    assert.match(shown?.detail ?? '', /model \.\/model read-only at \/app\/model/);
    assert.match(shown?.detail ?? '', /127\.0\.0\.1 only/);
    assert.equal(standIn.callsTo('window.showTextDocument').length, 1);
    assert.equal(logged.length, 1);
  });

  test('the first choices, where the picks open, are Qdrant and GPU if available; a Dockerfile works as the target', async () => {
    answer(undefined, undefined, (buttons) => buttons[0]);
    standIn.answer('window.showQuickPick', (items: unknown) => (items as Item[])[0]);
    await newAiStack(ctx, { fsPath: path.join(dir, 'Dockerfile') });
    const text = fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
    assert.match(text, /^ {2}qdrant:/m);
    assert.match(text, /driver: nvidia/);
    assert.match(text, /# GPU if available/);
  });

  test('refuses to overwrite existing files unless the user says Overwrite', async () => {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), '# mine\n');
    answer('qdrant', 'never', () => undefined);
    assert.equal(await newAiStack(ctx, { fsPath: dir }), undefined);
    assert.equal(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), '# mine\n');
    assert.ok(!fs.existsSync(path.join(dir, 'prometheus.yml')));
    const [asked] = modal();
    assert.deepEqual(asked?.buttons, ['Overwrite']);
    assert.match(asked?.detail ?? '', /compose\.yaml already exists/);
    assert.ok(standIn.callsTo('window.showInformationMessage').some((a) => /kept the existing compose\.yaml/.test(String(a[0]))));

    standIn.reset();
    answer('qdrant', 'never', (buttons) => buttons[0]);
    assert.ok(await newAiStack(ctx, { fsPath: dir }));
    assert.match(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), /^services:/m);
  });

  test('a folder without a Dockerfile is refused with what to do; backing out writes nothing', async () => {
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    answer('qdrant', 'never', (buttons) => buttons[0]);
    await assert.rejects(newAiStack(ctx, { fsPath: empty }), /has no Dockerfile.*add it, or pick the folder that holds it/);
    assert.deepEqual(fs.readdirSync(empty), []);

    answer(undefined, 'never', (buttons) => buttons[0]);
    assert.equal(await newAiStack(ctx, { fsPath: dir }), undefined);
    assert.ok(!fs.existsSync(path.join(dir, 'compose.yaml')));
    assert.equal(modal().length, 0);
  });
});
