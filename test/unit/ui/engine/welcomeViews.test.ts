import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ENGINE_ERROR_CODES } from '../../../../src/core/engine/errors';
import { ENGINE_VIEWS, welcomeEntries } from '../../../../src/ui/engine/welcomeViews';

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

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../..', 'package.json'), 'utf8')) as {
  contributes: { viewsWelcome: { view: string; contents: string; when: string }[] };
};

describe('welcome content of the views', () => {
  test('package.json carries exactly what src/ui/engine/welcomeViews.ts makes (run `npm run manifest` after changing it)', () => {
    assert.deepEqual(manifest.contributes.viewsWelcome, welcomeEntries());
  });

  test('every view shows exactly one message for every engine state and every error code', () => {
    const entries = manifest.contributes.viewsWelcome;
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
