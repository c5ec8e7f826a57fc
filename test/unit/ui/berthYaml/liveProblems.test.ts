import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type * as vscode from 'vscode';
import { isBerthYaml, LiveProblems } from '../../../../src/ui/berthYaml/liveProblems';

/** A text document as far as LiveProblems reads one: its uri and its text now. */
function doc(file: string, text: { value: string }, scheme = 'file'): vscode.TextDocument {
  const uri = { scheme, path: file, fsPath: file, toString: () => `file://${file}` } as unknown as vscode.Uri;
  return { uri, getText: () => text.value } as unknown as vscode.TextDocument;
}

describe('berth.yaml problems while it is edited', () => {
  let checked: { file: string; text: string }[];
  let warnings: string[];
  let live: LiveProblems;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    checked = [];
    warnings = [];
    live = new LiveProblems(
      { check: (uri: vscode.Uri, text: string) => checked.push({ file: uri.fsPath, text }) },
      { warn: (m: string) => void warnings.push(m) },
      300,
    );
  });
  afterEach(() => {
    live.dispose();
    mock.timers.reset();
  });

  test('typing: one check of the latest text, 300 ms after the last change', () => {
    const text = { value: 'a' };
    const d = doc('/p/berth.yaml', text);
    live.changed(d);
    mock.timers.tick(200);
    text.value = 'ab';
    live.changed(d);
    mock.timers.tick(299);
    assert.deepEqual(checked, [], 'not while typing goes on');
    text.value = 'abc';
    mock.timers.tick(1);
    assert.deepEqual(checked, [{ file: '/p/berth.yaml', text: 'abc' }]);
    mock.timers.tick(1000);
    assert.equal(checked.length, 1);
  });

  test('saved or opened: at once, and a pending check is dropped', () => {
    const d = doc('/p/berth.yaml', { value: 'saved' });
    live.changed(d);
    live.now(d);
    assert.deepEqual(checked, [{ file: '/p/berth.yaml', text: 'saved' }]);
    mock.timers.tick(1000);
    assert.equal(checked.length, 1);
  });

  test('each file waits on its own; other files, and views of berth.yaml that are not the file, are not checked', () => {
    live.changed(doc('/a/berth.yaml', { value: 'a' }));
    mock.timers.tick(150);
    live.changed(doc('/b/berth.yaml', { value: 'b' }));
    live.changed(doc('/a/notberth.yaml', { value: 'x' }));
    live.now(doc('/a/compose.yaml', { value: 'x' }));
    live.now(doc('/a/berth.yaml', { value: 'x' }, 'git'));
    mock.timers.tick(150);
    assert.deepEqual(checked, [{ file: '/a/berth.yaml', text: 'a' }]);
    mock.timers.tick(150);
    assert.deepEqual(
      checked.map((c) => c.file),
      ['/a/berth.yaml', '/b/berth.yaml'],
    );
    assert.equal(isBerthYaml(doc('/x/my-berth.yaml', { value: '' })), false);
  });

  test('closed: the file as saved is checked again; a check that throws is logged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-live-'));
    try {
      const file = path.join(dir, 'berth.yaml');
      fs.writeFileSync(file, 'on disk');
      const d = doc(file, { value: 'unsaved' });
      live.changed(d);
      await live.closed(d);
      mock.timers.tick(1000);
      assert.deepEqual(checked, [{ file, text: 'on disk' }], 'the unsaved text is not checked after closing');
      await live.closed(doc(path.join(dir, 'gone', 'berth.yaml'), { value: '' }));
      assert.equal(checked.length, 1, 'a file that is gone: nothing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const failing = new LiveProblems(
      {
        check: () => {
          throw new Error('boom');
        },
      },
      { warn: (m: string) => void warnings.push(m) },
    );
    failing.now(doc('/p/berth.yaml', { value: '' }));
    assert.deepEqual(warnings, ['Checking /p/berth.yaml: boom']);
  });
});
