/**
 * The Images view's context menus, read from package.json: each command shows on the rows it acts
 * on, and on no other (an image command on the "Dangling images" group row would act on nothing).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

interface MenuEntry {
  readonly command: string;
  readonly when?: string;
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8')) as {
  contributes: { menus: Record<string, MenuEntry[]> };
};

/** The row kinds the Images view makes (contextValue), as src/ui/images/resourceTrees.ts sets them. */
const ROWS = ['disk', 'disk.images', 'disk.buildCache', 'disk.volumes', 'disk.containers', 'imageGroup.dangling', 'image', 'image.used'];

/** Evaluates the `view == …` and `viewItem` clauses of a when clause joined by && (all these menus use). */
function shows(when: string, view: string, row: string): boolean {
  return when.split('&&').every((raw) => {
    const clause = raw.trim();
    let m = /^view == (\S+)$/.exec(clause);
    if (m) return m[1] === view;
    m = /^viewItem =~ \/(.*)\/$/.exec(clause);
    if (m?.[1] !== undefined) return new RegExp(m[1]).test(row);
    m = /^viewItem (==|!=) (\S+)$/.exec(clause);
    if (m) return (m[2] === row) === (m[1] === '==');
    throw new Error(`a clause this test cannot read: ${clause}`);
  });
}

function rowsOf(command: string): string[] {
  const entries = (manifest.contributes.menus['view/item/context'] ?? []).filter(
    (e) => e.command === command && e.when?.includes('berth.images'),
  );
  assert.ok(entries.length > 0, `${command} has an Images view menu entry`);
  return ROWS.filter((row) => entries.some((e) => shows(e.when ?? '', 'berth.images', row)));
}

describe('Images view menus', () => {
  for (const command of ['berth.image.remove', 'berth.image.scan', 'berth.image.push', 'berth.image.tag', 'berth.release.push']) {
    test(`${command} shows on image rows only`, () => {
      assert.deepEqual(rowsOf(command), ['image', 'image.used']);
    });
  }

  test('Prune Dangling Images on the dangling group and the images disk row; Prune Build Cache on its disk row', () => {
    assert.deepEqual(rowsOf('berth.images.pruneDangling'), ['disk.images', 'imageGroup.dangling']);
    assert.deepEqual(rowsOf('berth.images.pruneBuildCache'), ['disk.buildCache']);
  });
});
