/**
 * A real docker credential helper for the tests: `docker-credential-berthtest`, a Node script that
 * implements the documented protocol (get/store/erase/list, the server or credential on stdin)
 * over a JSON file, and records every argv it was started with so tests can prove no secret was
 * on a command line. BERTHTEST_FAIL makes it fail as a locked store would.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs');
const store = process.env.BERTHTEST_STORE;
const action = process.argv[2];
fs.appendFileSync(store + '.argv', JSON.stringify(process.argv.slice(2)) + '\\n');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  if (process.env.BERTHTEST_FAIL) {
    process.stderr.write('the berthtest store is locked\\n');
    process.exit(1);
  }
  const db = fs.existsSync(store) ? JSON.parse(fs.readFileSync(store, 'utf8')) : {};
  const save = () => fs.writeFileSync(store, JSON.stringify(db));
  if (action === 'store') {
    const c = JSON.parse(input);
    db[c.ServerURL] = { Username: c.Username, Secret: c.Secret };
    save();
  } else if (action === 'get') {
    const server = input.trim();
    if (!db[server]) {
      process.stdout.write('credentials not found in native keychain\\n');
      process.exit(1);
    }
    process.stdout.write(JSON.stringify({ ServerURL: server, ...db[server] }));
  } else if (action === 'erase') {
    const server = input.trim();
    if (!db[server]) {
      process.stdout.write('credentials not found in native keychain\\n');
      process.exit(1);
    }
    delete db[server];
    save();
  } else if (action === 'list') {
    process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.Username]))));
  } else {
    process.stderr.write('unknown action ' + action + '\\n');
    process.exit(1);
  }
});
`;

export interface TestHelper {
  readonly dir: string;
  /** The helper's store (JSON: server → { Username, Secret }). */
  readonly store: string;
  /** An environment whose PATH finds the helper first. */
  readonly env: NodeJS.ProcessEnv;
  /** Every argv the helper was started with. */
  argvs(): Promise<string[][]>;
  dispose(): Promise<void>;
}

export async function makeTestHelper(): Promise<TestHelper> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-credhelper-'));
  const bin = path.join(dir, 'docker-credential-berthtest');
  await fs.writeFile(bin, SCRIPT, { mode: 0o755 });
  const store = path.join(dir, 'store.json');
  return {
    dir,
    store,
    env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, BERTHTEST_STORE: store },
    async argvs() {
      const text = await fs.readFile(`${store}.argv`, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as string[]);
    },
    dispose: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
