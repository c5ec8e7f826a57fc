/**
 * Debug in Container against the real engine: a script run as Berth plans it (the project at
 * /workspace, `python3 -m debugpy --listen 0.0.0.0:5678 --wait-for-client`, the port published on
 * 127.0.0.1), waited for until debugpy takes connections, then driven over DAP as VS Code drives
 * its DebugAdapterServer: initialize, attach with the path mappings, a breakpoint at a local path,
 * configurationDone, the stop, the stack, a variable's value. An image without debugpy is reported
 * as such.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { startRun } from '../../src/core/engine/run';
import { debugProfile, pathMappings } from '../../src/core/project/debugRun';
import { DebugpyUnavailableError, waitForDebugpy } from '../../src/core/project/debugpyServer';
import { planFor } from '../../src/core/project/projectRun';
import { parseBerthConfig, type RunProfile } from '../../src/core/project/runProfile';
import { DapClient } from './dap';
import { cleanup, connect, labels, PYTHON } from './harness';

const DEBUGPY_IMAGE = process.env.BERTH_DEBUGPY_IMAGE ?? 'berth-python-debugpy:latest';

const SCRIPT = [
  'import sys',
  '',
  'def total(values):',
  '    running = 0',
  '    for v in values:',
  '        running += v',
  '    return running',
  '',
  'flowers = [5, 7, 30]',
  'answer = total(flowers)',
  'print("the answer is", answer, flush=True)', // line 11: the breakpoint
  'sys.exit(0)',
  '',
].join('\n');
const BREAK_LINE = 11;

describe('engine: Debug in Container — debugpy in the container, spoken to over DAP', { timeout: 180_000 }, () => {
  let engine: Engine;
  let project: string;
  let base: RunProfile;

  before(async () => {
    engine = await connect();
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-debug-engine-'));
    fs.chmodSync(project, 0o755);
    fs.mkdirSync(path.join(project, 'jobs'));
    fs.writeFileSync(path.join(project, 'jobs', 'answer.py'), SCRIPT, { mode: 0o644 });
    // debugpy writes its logs to output/ (writable at /output): they show which clients it saw
    const parsed = parseBerthConfig(
      `profiles:\n  job:\n    image: ${DEBUGPY_IMAGE}\n    ports: ['8000']\n    env:\n      DEBUGPY_LOG_DIR: /output\n`,
    );
    assert.deepEqual(parsed.problems, []);
    const [job] = parsed.profiles;
    assert.ok(job);
    base = { ...job, labels: labels() };
  });
  after(async () => {
    await cleanup(engine);
    fs.rmSync(project, { recursive: true, force: true });
  });

  /** How many client connections debugpy's adapter logged so far. */
  function clientsSeen(): number {
    const output = path.join(project, 'output');
    const logs = fs.existsSync(output) ? fs.readdirSync(output).filter((f) => f.startsWith('debugpy.adapter')) : [];
    assert.ok(logs.length > 0, `debugpy's adapter log in ${output}`);
    return logs
      .map((f) => fs.readFileSync(path.join(output, f), 'utf8').split('Accepted incoming Client connection').length - 1)
      .reduce((a, b) => a + b, 0);
  }

  /** The container of a debug run of jobs/answer.py in `image`, started. */
  async function startDebugRun(image: string): Promise<string> {
    const profile = debugProfile({ ...base, image }, project, { program: path.join(project, 'jobs', 'answer.py') });
    const plan = planFor(profile, { image, projectDir: project, gpu: undefined, forceCpu: false });
    return startRun(engine, plan);
  }

  test('a breakpoint at the local path stops the program in the container; the frame and its variables are read', async () => {
    const id = await startDebugRun(DEBUGPY_IMAGE);
    const route = await waitForDebugpy(engine, id, { timeoutMs: 60_000, image: DEBUGPY_IMAGE });
    assert.equal(route.published.host, '127.0.0.1', "debugpy's port is published on the loopback only");
    // the wait never connected: a client that comes and goes before the program reaches the
    // adapter ends the adapter (and the program) with it
    assert.equal(clientsSeen(), 0, 'no client connected to debugpy while waiting for it');

    const dap = await DapClient.connect(route.port, route.host);
    try {
      const init = await dap.send('initialize', {
        clientID: 'vscode',
        adapterID: 'berth-python',
        pathFormat: 'path',
        linesStartAt1: true,
        columnsStartAt1: true,
      });
      assert.equal(init.body?.supportsConfigurationDoneRequest, true);
      // debugpy answers attach only after configurationDone: send it and go on
      const attached = dap.send('attach', { pathMappings: pathMappings(project), justMyCode: true, redirectOutput: true });
      await dap.event('initialized');
      const local = path.join(project, 'jobs', 'answer.py');
      const set = await dap.send('setBreakpoints', { source: { path: local }, breakpoints: [{ line: BREAK_LINE }] });
      const [breakpoint] = set.body?.breakpoints as { verified: boolean; line: number }[];
      assert.equal(breakpoint?.verified, true);
      await dap.send('configurationDone');
      await attached;

      const stopped = await dap.event('stopped', 60_000);
      assert.equal(stopped.body?.reason, 'breakpoint');
      const threadId = stopped.body?.threadId as number;
      const trace = await dap.send('stackTrace', { threadId });
      const [top] = trace.body?.stackFrames as { id: number; line: number; source: { path: string } }[];
      assert.ok(top);
      assert.equal(top.line, BREAK_LINE);
      assert.equal(top.source.path, local, 'the container path is mapped back to the local file');
      const scopes = await dap.send('scopes', { frameId: top.id });
      const [locals] = scopes.body?.scopes as { name: string; variablesReference: number }[];
      assert.ok(locals);
      const variables = await dap.send('variables', { variablesReference: locals.variablesReference });
      const byName = new Map((variables.body?.variables as { name: string; value: string }[]).map((v) => [v.name, v.value]));
      assert.equal(byName.get('answer'), '42');
      assert.equal(byName.get('flowers'), '[5, 7, 30]');

      // the program goes on to its end: its output reaches the client, the container exits 0
      await dap.send('continue', { threadId });
      await dap.event('terminated', 30_000);
      // print() writes its pieces one by one; debugpy sends each as an output event
      const stdout = dap.received
        .filter((m) => m.event === 'output' && m.body?.category === 'stdout')
        .map((m) => String(m.body?.output))
        .join('');
      assert.equal(stdout, 'the answer is 42\n');
    } finally {
      dap.close();
    }
    assert.equal(await engine.waitContainer(id), 0);
    assert.equal(clientsSeen(), 1, 'the DAP client was the one client debugpy saw');
  });

  test('an image without debugpy: the container ends before any attach and the message says to add debugpy', async () => {
    const id = await startDebugRun(PYTHON);
    await assert.rejects(waitForDebugpy(engine, id, { timeoutMs: 60_000, image: PYTHON }), (err: unknown) => {
      assert.ok(err instanceof DebugpyUnavailableError, String(err));
      assert.equal(err.reason, 'exited');
      assert.equal(err.exitCode, 1);
      assert.match(err.output, /No module named debugpy/);
      assert.equal(
        err.message,
        `The image ${PYTHON} has no debugpy: add it to the image (Debian: apt-get install python3-debugpy; pip: pip install debugpy) and run Debug in Container again.`,
      );
      return true;
    });
  });
});
