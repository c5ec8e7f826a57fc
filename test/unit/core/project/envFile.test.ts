import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseEnvFile, readEnvFiles } from '../../../../src/core/project/envFile';

test('env files: KEY=VALUE, comments, quotes, export; a bad line is named with its line', () => {
  const { env, problems } = parseEnvFile('# model settings\nexport MODEL=iris\nTHRESHOLD="0.5"\nEMPTY=\n\nnot a pair\n', '.env');
  assert.deepEqual(env, { MODEL: 'iris', THRESHOLD: '0.5', EMPTY: '' });
  assert.deepEqual(problems, [{ file: '.env', line: 6, message: 'not KEY=VALUE: not a pair' }]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-env-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.env'), 'A=1\nB=1\n');
    fs.writeFileSync(path.join(dir, 'b.env'), 'B=2\n');
    assert.deepEqual(readEnvFiles(dir, ['a.env', 'b.env']), { A: '1', B: '2' });
    assert.throws(() => readEnvFiles(dir, ['missing.env']), /The env file missing.env named in berth.yaml does not exist/);
    fs.writeFileSync(path.join(dir, 'bad.env'), 'A=1\n$(rm -rf)\n');
    assert.throws(() => readEnvFiles(dir, ['bad.env']), /^Error: bad.env:2: not KEY=VALUE/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
