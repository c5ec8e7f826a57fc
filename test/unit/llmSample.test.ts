/** The sample LLM project (examples/llm-chat): its berth.yaml is one Berth runs as it is. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseBerthConfig } from '../../src/core/project/runProfile';

const SAMPLE = path.resolve(__dirname, '../../examples/llm-chat');

test("the sample LLM project's berth.yaml: a serve profile built on the local base, port 8000 on loopback, the image's health check", () => {
  const config = parseBerthConfig(fs.readFileSync(path.join(SAMPLE, 'berth.yaml'), 'utf8'));
  assert.deepEqual(config.problems, []);
  const serve = config.profiles.find((p) => p.name === 'serve');
  assert.ok(serve, 'a serve profile');
  assert.deepEqual(serve.build, { dockerfile: 'Dockerfile', context: '.', args: { BASE: 'berth-python-numpy:latest' } });
  assert.deepEqual(serve.ports, [{ containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1' }]);
  assert.deepEqual(serve.healthcheck, { kind: 'image' });
  const dockerfile = fs.readFileSync(path.join(SAMPLE, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^RUN python3 train\.py/m, 'the model is trained at build time');
  assert.match(dockerfile, /^USER 10001:10001$/m);
  assert.match(dockerfile, /^HEALTHCHECK /m);
});
