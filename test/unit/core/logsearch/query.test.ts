/** The log search's pattern: text or /regex/flags, a clear error for a bad one, the ranges a result highlights. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LogSearchQueryError, parsePattern, patternProblem } from '../../../../src/core/logsearch/query';

describe('parsePattern', () => {
  test('text matches case-insensitively by default, every occurrence', () => {
    const p = parsePattern('error');
    assert.equal(p.kind, 'text');
    assert.deepEqual(p.match('Error: disk ERROR error'), [
      [0, 5],
      [12, 17],
      [18, 23],
    ]);
    assert.equal(p.match('all good'), undefined);
  });

  test('text with caseSensitive matches case', () => {
    const p = parsePattern('Error', { caseSensitive: true });
    assert.deepEqual(p.match('error Error'), [[6, 11]]);
    assert.equal(p.match('error'), undefined);
  });

  test('text is literal: regex characters in it mean themselves', () => {
    const p = parsePattern('a.b(c)*[d]');
    assert.deepEqual(p.match('xx a.b(c)*[d] aXb'), [[3, 13]]);
    assert.equal(p.match('aXb(c)[d]'), undefined);
  });

  test('a path is text, not a regular expression with flags', () => {
    const p = parsePattern('/usr/lib');
    assert.equal(p.kind, 'text');
    assert.deepEqual(p.match('open /usr/lib/x.so'), [[5, 13]]);
  });

  test('case folding never moves an offset (characters whose lower case is longer)', () => {
    const p = parsePattern('x');
    // 'İ'.toLowerCase() is two code units: an offset taken from a lower-cased copy would be off by one
    assert.deepEqual(p.match('İx'), [[1, 2]]);
  });

  test('/regex/flags is a regular expression, with its flags', () => {
    const p = parsePattern('/took (\\d+)ms/');
    assert.equal(p.kind, 'regex');
    assert.deepEqual(p.match('took 12ms, took 7ms'), [
      [0, 9],
      [11, 19],
    ]);
    assert.equal(parsePattern('/TOOK/').match('took'), undefined, 'a regex is case-sensitive unless /i');
    assert.deepEqual(parsePattern('/TOOK/i').match('took'), [[0, 4]]);
    assert.deepEqual(parsePattern('/a/g').match('aa'), [
      [0, 1],
      [1, 2],
    ]);
  });

  test('an empty match matches the line and highlights nothing; unicode steps by code point', () => {
    assert.deepEqual(parsePattern('/^/').match('anything'), []);
    assert.deepEqual(parsePattern('/x*/').match('abxxc'), [[2, 4]]);
    assert.deepEqual(parsePattern('/z*/u').match('😀z'), [[2, 3]]);
  });

  test('a bad regular expression: one clear error naming it and why', () => {
    assert.throws(
      () => parsePattern('/(unclosed/'),
      (err: unknown) => err instanceof LogSearchQueryError && /^Invalid regular expression \/\(unclosed\/: .*(group|\))/i.test(err.message),
    );
    assert.throws(() => parsePattern('/a/ii'), /a flag is repeated/);
    assert.throws(() => parsePattern('/a/uv'), /u or v/);
    assert.throws(() => parsePattern('   '), /Type some text/);
  });

  test('patternProblem: the message while typing, undefined when fine', () => {
    assert.equal(patternProblem('ok'), undefined);
    assert.equal(patternProblem('/[a-/'), patternProblem('/[a-/'));
    assert.match(patternProblem('/[a-/') ?? '', /^Invalid regular expression \/\[a-\//);
  });
});
