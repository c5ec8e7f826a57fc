import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ENGINE_ERROR_CODES, EnginePermissionError, EngineTimeoutError } from '../../../../src/core/engine/errors';
import { ENGINE_VIEWS, errorContent, listingErrorRows, welcomeEntries, welcomeManifest } from '../../../../src/ui/engine/welcomeViews';

type Context = Readonly<Record<string, string | boolean | undefined>>;

/** A when-clause evaluator for the forms the welcome content uses: `k == 'v'`, `!k`, `k`, `&&`, `||`, parentheses. */
function evaluate(when: string, ctx: Context): boolean {
  const tokens = when.match(/\(|\)|&&|\|\||!|==|'[^']*'|[\w.-]+/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of "${when}"`);
    return t;
  };
  const primary = (): boolean => {
    const t = next();
    if (t === '(') {
      const v = or();
      assert.equal(next(), ')');
      return v;
    }
    if (t === '!') return !primary();
    if (peek() === '==') {
      next();
      return ctx[t] === next().slice(1, -1);
    }
    return Boolean(ctx[t]);
  };
  const and = (): boolean => {
    let v = primary();
    while (peek() === '&&') {
      next();
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === '||') {
      next();
      v = and() || v;
    }
    return v;
  };
  const result = or();
  assert.equal(i, tokens.length, `unparsed rest of "${when}"`);
  return result;
}

const ROOT = path.join(__dirname, '../../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { viewsWelcome: { view: string; contents: string; when: string }[] };
};
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;

describe('welcome content of the views', () => {
  test('package.json carries exactly what src/ui/engine/welcomeViews.ts makes (run `npm run manifest` after changing it)', () => {
    const { entries, nls: texts } = welcomeManifest();
    assert.deepEqual(manifest.contributes.viewsWelcome, entries);
    for (const [key, text] of Object.entries(texts)) assert.equal(nls[key], text, `package.nls.json: ${key}`);
    // each `%key%` read through package.nls.json is the English welcome content
    assert.deepEqual(
      entries.map((e) => ({ ...e, contents: nls[e.contents.slice(1, -1)] })),
      welcomeEntries(),
    );
  });

  test('every view shows exactly one message for every engine state and every error code', () => {
    const entries = manifest.contributes.viewsWelcome.map((e) => ({ ...e, contents: nls[e.contents.slice(1, -1)] ?? e.contents }));
    const states: Context[] = [
      {},
      { 'berth.engineState': 'connecting' },
      { 'berth.engineState': 'unreachable' },
      ...ENGINE_ERROR_CODES.map((code) => ({ 'berth.engineState': 'unreachable', 'berth.engineError': code })),
    ];
    for (const view of ENGINE_VIEWS) {
      for (const ctx of states) {
        const shown = entries.filter((e) => e.view === view && evaluate(e.when, ctx));
        assert.equal(shown.length, 1, `${view} with ${JSON.stringify(ctx)}: ${shown.length} messages`);
      }
    }
    // an error code of its own message names it; the rest share the generic one
    const permission = entries.filter(
      (e) => e.view === 'berth.engine' && evaluate(e.when, { 'berth.engineState': 'unreachable', 'berth.engineError': 'permission' }),
    );
    assert.match(permission[0]!.contents, /Permission denied/);
  });

  test('the evaluator reads the clauses as VS Code does', () => {
    assert.equal(evaluate("a == 'x' && (b == 'y' || !b)", { a: 'x' }), true);
    assert.equal(evaluate("a == 'x' && (b == 'y' || !b)", { a: 'x', b: 'z' }), false);
    assert.equal(evaluate("a == 'x' || !a", {}), true);
    assert.equal(evaluate('a && !b', { a: true, b: true }), false);
  });
});

describe('rows of a view whose listing failed', () => {
  const retry = { title: 'Retry', command: 'berth.images.refresh' };

  test('an error without a code of its own: its message, then Retry (list again) and Show Log', () => {
    const rows = listingErrorRows('images', new Error('the engine said no'), retry);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.label, r.description, r.action?.command]),
      [
        ['error', 'Could not list images', 'the engine said no', undefined],
        ['action', 'Retry', undefined, 'berth.images.refresh'],
        ['action', 'Show Log', undefined, 'berth.log.show'],
      ],
    );
  });

  test("an engine error with guidance of its own: the same guidance and actions as the welcome content, the view's Retry first", () => {
    const err = new EngineTimeoutError('unix:///var/run/docker.sock', 'listing images', 5000);
    const rows = listingErrorRows('images', err, retry);
    assert.equal(rows[0]!.description, err.message);
    assert.ok(rows[0]!.tooltip?.includes(errorContent('timeout').message), rows[0]!.tooltip);
    // the engine's Retry (reconnect) gives way to the view's own (list again)
    assert.deepEqual(
      rows.slice(1).map((r) => r.action?.command),
      ['berth.images.refresh', 'berth.engine.showInfo', 'berth.log.show'],
    );
    const permission = listingErrorRows('volumes', new EnginePermissionError('unix:///var/run/docker.sock'), retry);
    assert.equal(permission[0]!.label, 'Could not list volumes');
    assert.ok(permission[0]!.tooltip?.includes("'docker' group"), permission[0]!.tooltip);
  });

  test('the welcome content is made from the same table', () => {
    const entries = welcomeEntries();
    for (const code of ENGINE_ERROR_CODES) {
      const { message } = errorContent(code);
      assert.ok(
        entries.some((e) => e.contents.startsWith(message)),
        `the welcome content carries the message for ${code}`,
      );
    }
  });
});
