import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_SAMPLE_BYTES, readProjectSamples, samplesFolder } from '../../../../src/ui/playground/samples';

/**
 * A container's berth.project label names the folder samples are read from, and any image can set
 * it: only a folder inside an open workspace folder is used (real paths, no `..`, no symlink out).
 */
describe('playground samples come only from the workspace', () => {
  let top: string;
  let workspace: string;
  let outside: string;
  before(() => {
    top = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-samples-')));
    workspace = path.join(top, 'ws');
    outside = path.join(top, 'outside');
    for (const d of [path.join(workspace, 'sub', 'requests'), path.join(outside, 'requests')]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(workspace, 'sub', 'requests', 'predict.json'), '{"instances": [[1]]}');
    fs.writeFileSync(path.join(outside, 'requests', 'marker.json'), '{"secret": true}');
    fs.symlinkSync(outside, path.join(workspace, 'escape'));
  });
  after(() => fs.rmSync(top, { recursive: true, force: true }));

  test('a label inside the workspace is used (as its real path)', () => {
    assert.deepEqual(samplesFolder(path.join(workspace, 'sub'), [workspace]), { dir: path.join(workspace, 'sub') });
    assert.deepEqual(samplesFolder(workspace, [workspace]), { dir: workspace });
    // a workspace opened through a symlink: compared by real paths
    const link = path.join(top, 'ws-link');
    fs.symlinkSync(workspace, link);
    assert.deepEqual(samplesFolder(path.join(workspace, 'sub'), [link]), { dir: path.join(workspace, 'sub') });
  });

  test('no label: the workspace project', () => {
    assert.deepEqual(samplesFolder(undefined, [workspace]), { dir: workspace });
    assert.deepEqual(samplesFolder(undefined, []), { dir: undefined });
  });

  test('a label outside the workspace is refused: the workspace project instead, and why', () => {
    for (const [label, why] of [
      ['/etc', /outside the open workspace folders/],
      [outside, /outside the open workspace folders/],
      [path.join(workspace, 'escape'), /outside the open workspace folders/],
      [`${workspace}/../outside`, /contains "\.\."/],
      [`${workspace}/sub/..`, /contains "\.\."/],
      ['ws/sub', /not an absolute path/],
      [path.join(workspace, 'missing'), /does not exist/],
      [`${workspace}-sibling`, /does not exist|outside/],
    ] as const) {
      const r = samplesFolder(label, [workspace]);
      assert.equal(r.dir, workspace, label);
      assert.match(r.refused ?? '', why, label);
      assert.match(r.refused ?? '', /its samples are not read/);
    }
    // a sibling whose name starts with the workspace's is not inside it
    fs.mkdirSync(`${workspace}-sibling`);
    assert.match(samplesFolder(`${workspace}-sibling`, [workspace]).refused ?? '', /outside the open workspace folders/);
    const none = samplesFolder(outside, []);
    assert.equal(none.dir, undefined);
    assert.match(none.refused ?? '', /no workspace folder is open/);
  });

  test('samples are read from requests/*.json; a folder or file leading out of the workspace is skipped', () => {
    assert.deepEqual(readProjectSamples(path.join(workspace, 'sub'), [workspace]).samples, [
      { name: 'predict.json', body: '{"instances": [[1]]}' },
    ]);
    // even when asked directly, a project outside the workspace gives nothing
    const out = readProjectSamples(outside, [workspace]);
    assert.deepEqual(out.samples, []);
    assert.match(out.skipped.join('\n'), /not inside an open workspace folder/);

    const project = path.join(workspace, 'p2');
    fs.mkdirSync(project);
    fs.symlinkSync(path.join(outside, 'requests'), path.join(project, 'requests'));
    const viaDir = readProjectSamples(project, [workspace]);
    assert.deepEqual(viaDir.samples, []);
    assert.match(viaDir.skipped.join('\n'), /leads outside the workspace folder/);

    const p3 = path.join(workspace, 'p3');
    fs.mkdirSync(path.join(p3, 'requests'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'requests', 'marker.json'), path.join(p3, 'requests', 'a.json'));
    fs.writeFileSync(path.join(p3, 'requests', 'b.json'), '{}');
    fs.writeFileSync(path.join(p3, 'requests', 'big.json'), Buffer.alloc(MAX_SAMPLE_BYTES + 1, 0x20));
    const viaFile = readProjectSamples(p3, [workspace]);
    assert.deepEqual(
      viaFile.samples.map((s) => s.name),
      ['b.json'],
    );
    assert.match(viaFile.skipped.join('\n'), /a\.json: leads outside the workspace folder/);
    assert.match(viaFile.skipped.join('\n'), /big\.json: \d+ bytes/);
  });
});
