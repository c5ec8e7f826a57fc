import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { sshdUnavailable, startSshd, type Sshd } from '../engine/sshd';
import {
  contextMenu,
  engineFacts,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  startVSCode,
  terminalText,
  testEngine,
  treeRow,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
  writeDockerContext,
} from './harness';

const skip = sshdUnavailable();

/** An HTTP server that answers every method with JSON and logs a numbered tick every 300 ms. */
const SERVER = `
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer
def ticks():
    i = 0
    while True:
        print("tick", i, flush=True)
        i += 1
        time.sleep(0.3)
class H(BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("content-length") or 0)
        self.rfile.read(n)
        body = json.dumps({"served": "over-ssh", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
threading.Thread(target=ticks, daemon=True).start()
HTTPServer(("0.0.0.0", 8000), H).serve_forever()
`;

/**
 * The "done when": an ssh engine chosen in the Engines view (a real OpenSSH server on
 * 127.0.0.1 in front of the test engine, reached through an alias of ~/.ssh/config with its own
 * key file), its unknown host key asked about and trusted, its containers in the tree, a log that
 * follows, and the playground answering through a port forwarded over the ssh connection. HOME is
 * a temporary folder: the user's ~/.ssh and docker contexts are never read.
 */
describe(
  'e2e: an ssh engine from the Engines view — host key asked, containers, logs, playground through the tunnel',
  { skip, timeout: 240_000 },
  () => {
    let vscode: VSCode;
    let docker: Engine;
    let sshd: Sshd;
    let home: string;
    let config: string;
    let engine: { version: string; apiVersion: string; host: string };
    let hostPort = 0;
    const run = `ssh-engine-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    const NAME = `berth-e2e-${run}`;
    let id: string | undefined;

    before(async () => {
      engine = await engineFacts();
      assert.equal(engine.host, 'unix:///var/run/docker.sock', 'the ssh route reaches the engine at the default socket');
      docker = await testEngine();
      sshd = await startSshd();
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-ssh-'));
      config = path.join(home, '.docker');
      writeDockerContext(config, 'local', engine.host);
      writeDockerContext(config, 'gpu-ssh', 'ssh://gpu-remote');
      fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'local' }));
      fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
      fs.writeFileSync(
        path.join(home, '.ssh', 'config'),
        `Host gpu-remote\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKey}\n  IdentitiesOnly yes\n`,
      );
      id = await docker.createContainer({
        name: NAME,
        Image: 'berth-python-numpy:latest',
        Cmd: ['python3', '-u', '-c', SERVER],
        StopSignal: 'SIGKILL',
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
        Labels: { 'berth.test': run },
      });
      await docker.startContainer(id);
      hostPort = (await docker.inspectContainer(id)).ports.find((p) => p.containerPort === 8000)?.hostPort ?? 0;
      assert.ok(hostPort > 0, 'the server’s published port');
      vscode = await startVSCode('sshEngine', {
        env: { HOME: home, DOCKER_CONFIG: config, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, SSH_AUTH_SOCK: undefined },
        userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
      });
    });
    after(async () => {
      await vscode?.close();
      if (id) await docker.removeContainer(id, { force: true }).catch(() => undefined);
      await sshd?.stop();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    test('Use This Engine on the ssh context: its unknown host key is asked about with the fingerprint; trusted, Berth connects over ssh', async () => {
      const page = vscode.page;
      const pane = await openBerthView(page);
      await eventually(
        () => rowTexts(pane),
        (r) => r.includes('gpu-ssh  ssh://gpu-remote') && r.some((x) => x.startsWith('Engine  Docker')),
        'the contexts, with the local engine connected',
      );
      await contextMenu(page, treeRow(pane, 'gpu-ssh'), 'Use This Engine');
      const toast = await waitForNotification(page, 'is not known');
      const asked = normalize(await toast.innerText());
      assert.ok(
        asked.includes(`The ssh host key of 127.0.0.1 port ${sshd.port} is not known. Its fingerprint is ${sshd.fingerprint}.`),
        asked,
      );
      assert.ok(asked.includes(path.join(home, '.ssh', 'known_hosts')), asked);
      assert.equal(sshd.log().includes('Accepted publickey'), false, 'no login before the key is trusted');
      await vscode.screenshot('sshEngine-host-key-asked');
      await toast.getByRole('button', { name: 'Trust and Connect', exact: true }).click();
      const rows = await eventually(
        () => rowTexts(pane),
        (r) => r.includes('gpu-ssh  ssh://gpu-remote · current') && r.some((x) => x.startsWith('Engine  Docker')),
        'the ssh engine current and connected',
      );
      assert.ok(rows.includes(`Engine  Docker ${engine.version} · API ${engine.apiVersion}`), rows.join('\n'));
      const knownHosts = fs.readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8');
      assert.ok(knownHosts.includes(sshd.knownHostsLine.split(' ').slice(1).join(' ')), knownHosts);
      assert.ok(knownHosts.startsWith(`[127.0.0.1]:${sshd.port} `), knownHosts);
      await eventually(
        () => Promise.resolve(sshd.log()),
        (l) => l.includes('Accepted publickey'),
        'the login on the ssh server',
      );
      await vscode.screenshot('sshEngine-connected');
    });

    test('its containers show in the tree and a log follows, over the ssh connection', async () => {
      const page = vscode.page;
      const containers = await openBerthView(page, 'Containers');
      await eventually(
        () => rowTexts(containers),
        (r) => r.some((x) => x.startsWith(`${NAME}  running`)),
        'the server in the tree of the ssh engine',
      );
      await contextMenu(page, treeRow(containers, NAME), 'Show Logs');
      const first = await eventually(
        () => terminalText(page),
        (t) => /tick \d+/.test(t),
        'the server’s log lines',
      );
      const lastTick = (text: string): number => Math.max(...[...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
      const seen = lastTick(first);
      // following: lines written after the log opened arrive too
      await eventually(
        () => terminalText(page),
        (t) => lastTick(t) >= seen + 5,
        'later log lines arriving',
      );
      await vscode.screenshot('sshEngine-logs');
    });

    test('the playground answers through a port forwarded over the ssh connection', async () => {
      const page = vscode.page;
      const containers = await openBerthView(page, 'Containers');
      await contextMenu(page, treeRow(containers, NAME), 'Open Inference Playground');
      const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
      const heading = frame.locator('h2', { hasText: `Playground: ${NAME} — http://127.0.0.1:` });
      await heading.waitFor({ timeout: UI_TIMEOUT });
      const title = normalize(await heading.innerText());
      const m = /— http:\/\/127\.0\.0\.1:(\d+) \(ssh tunnel to 127\.0\.0\.1:(\d+) on gpu-remote\)$/.exec(title);
      assert.ok(m, title);
      assert.equal(Number(m[2]), hostPort, 'the tunnel goes to the published port on the engine’s host');
      assert.notEqual(Number(m[1]), hostPort, 'the playground sends to a forwarded local port of its own');
      await frame.locator('#send').click();
      const response = await eventually(
        () => frame.locator('#response').innerText(),
        (t) => t.includes('over-ssh'),
        'the answer through the tunnel',
      );
      assert.match(normalize(response), /"served": "over-ssh"/);
      assert.equal(normalize(await frame.locator('#status').innerText()), '200');
      await vscode.screenshot('sshEngine-playground');
    });

    test('Open Published Port in Browser opens the forwarded port, which the server answers', async () => {
      const page = vscode.page;
      const containers = await openBerthView(page, 'Containers');
      const context = page.context();
      const opened = context.waitForEvent('page', { timeout: UI_TIMEOUT });
      await contextMenu(page, treeRow(containers, NAME), 'Open Published Port in Browser');
      // VS Code asks before it opens an external site
      const dialog = page.locator('.monaco-dialog-box');
      if (
        await dialog.waitFor({ timeout: 5000 }).then(
          () => true,
          () => false,
        )
      )
        await dialog.locator('.monaco-button', { hasText: /^Open$/ }).click();
      const tab = await opened;
      await tab.waitForLoadState('domcontentloaded');
      const url = new URL(tab.url());
      assert.equal(url.hostname, '127.0.0.1');
      assert.notEqual(Number(url.port), hostPort, 'the forwarded port, not the one published on the engine host');
      assert.match(await tab.locator('body').innerText(), /"served": "over-ssh"/);
      await tab.close();
    });
  },
);
