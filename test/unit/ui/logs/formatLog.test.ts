import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogLine } from '../../../../src/core/engine/logs';
import { formatLine, formatMarker, MARKER_GLYPH, prefixColour, sanitizeLogText } from '../../../../src/ui/logs/formatLog';

describe('log text in the terminal', () => {
  const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLine => ({
    stream,
    text,
    time: '2026-11-25T12:00:00.000000000Z',
  });
  const plain = { timestamps: false };
  /** The control sequences a rendered line still holds. */
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const controls = (s: string): string[] => s.match(/\x1b\[[0-9;:]*m|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g) ?? [];

  test('clearing the screen, moving the cursor, saving and restoring it are shown, not obeyed', () => {
    assert.equal(sanitizeLogText('\x1b[2J\x1b[H'), '^[[2J^[[H');
    assert.equal(sanitizeLogText('a\x1b[5Ab\x1b[10;20Hc\x1b[?25l\x1b7d\x1b8'), 'a^[[5Ab^[[10;20Hc^[[?25l^[7d^[8');
    assert.equal(sanitizeLogText('reset\x1bc'), 'reset^[c');
  });

  test('an OSC 8 hyperlink and an OSC 0 title are shown as text', () => {
    assert.equal(
      sanitizeLogText('\x1b]8;;https://example.invalid/x\x1b\\click me\x1b]8;;\x1b\\'),
      '^[]8;;https://example.invalid/x^[\\click me^[]8;;^[\\',
    );
    assert.equal(sanitizeLogText('\x1b]0;pwned\x07rest'), '^[]0;pwned^Grest');
    assert.equal(
      sanitizeLogText('\x1bP1$r0m\x1b\\ \x1b_apc\x1b\\ \x1b^pm\x1b\\ \x1bXsos\x1b\\'),
      '^[P1$r0m^[\\ ^[_apc^[\\ ^[^pm^[\\ ^[Xsos^[\\',
    );
  });

  test('8-bit (C1) controls are shown as text: CSI, OSC, and the rest', () => {
    assert.equal(sanitizeLogText('\x9b2J\x9d0;title\x9c\x85'), '\\x9b2J\\x9d0;title\\x9c\\x85');
  });

  test('a carriage return cannot overwrite the line; other C0 controls and DEL are shown; tab stays', () => {
    assert.equal(sanitizeLogText('secret\rpublic'), 'secret^Mpublic');
    assert.equal(sanitizeLogText('ab\b\bXY\x00\x07\x7f'), 'ab^H^HXY^@^G^?');
    assert.equal(sanitizeLogText('a\tb'), 'a\tb');
  });

  test('colours are kept, and end with the line', () => {
    const text = '\x1b[1;31merror\x1b[0m \x1b[38;2;255;128;0mtrue colour \x1b[38:5:208mcolon form';
    assert.equal(sanitizeLogText(text), text);
    const out = formatLine(line('\x1b[41mred from here on'), plain);
    assert.ok(out.endsWith('red from here on\x1b[0m\r\n'), JSON.stringify(out));
  });

  test('whatever a container prints, a rendered line holds no control but colours and its own line end', () => {
    const every = Array.from({ length: 0x200 }, (_, c) => String.fromCharCode(c)).join('');
    const hostile = [every, `\x1b${every}`, '\x1b[', '\x1b[31', '\x1b]', '\x9b', '\x1b[2J\x1b[H', 'x\r'];
    for (const text of hostile) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const out = formatLine(line(text, stream), {
          timestamps: true,
          prefix: { text: 'web\x1b[2J', colour: prefixColour(0), width: 10 },
        });
        const body = out.slice(0, -2);
        assert.ok(out.endsWith('\r\n'));
        // eslint-disable-next-line no-control-regex -- the point is to find control characters
        for (const c of controls(body)) assert.match(c, /^\x1b\[[0-9;:]*m$/, `${JSON.stringify(text)} left ${JSON.stringify(c)}`);
      }
    }
  });

  test("a line printing Berth's marker cannot pass for one: the marker glyph is escaped in log text", () => {
    const real = formatMarker({ kind: 'stopped', exitCode: 0, oomKilled: false, time: '2026-11-25T12:00:00Z' });
    assert.ok(real.includes(MARKER_GLYPH));
    // the same bytes, printed by a container
    const forged = formatLine(line(real.replace(/\r\n$/, '')), plain);
    assert.ok(!forged.includes(MARKER_GLYPH), JSON.stringify(forged));
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    const visible = (s: string): string => s.replace(/\x1b\[[0-9;:]*m/g, '');
    assert.ok(visible(real).startsWith(MARKER_GLYPH));
    assert.ok(!visible(forged).startsWith(MARKER_GLYPH));
    assert.ok(visible(forged).startsWith('\\u2590 ── container stopped'), JSON.stringify(visible(forged)));
    // a container name cannot smuggle controls into a marker either
    const named = formatMarker({ kind: 'removed', time: '' }, 'web\x1b[2J');
    assert.ok(named.includes('web^[[2J'));
  });
});
