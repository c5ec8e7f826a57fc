import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultProjectName, parseBytes, parsePort, projectFromConfig, unknownProfiles } from '../../../../src/core/compose/composeModel';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../../fixtures/compose', name), 'utf8');

describe('the project model from config', () => {
  it('v1 1.29.2 YAML: anchors merged, env_file resolved, profiles, GPU reservation, limits, healthcheck, volumes', () => {
    const p = projectFromConfig(fixture('v1/project.config.yaml'), 'v1', 'cap');
    assert.equal(p.name, 'cap');
    assert.deepEqual(
      p.services.map((s) => s.name),
      ['debug', 'web', 'worker'],
    );
    assert.deepEqual(p.volumes, ['data']);
    assert.deepEqual(p.networks, ['back']);
    const [debug, web, worker] = p.services;
    assert.deepEqual(debug?.build, { context: '/tmp/cap/dbg', dockerfile: 'Dockerfile.dbg' });
    assert.deepEqual(debug?.profiles, ['debug']);
    assert.equal(worker?.image, 'berth-busybox:latest');
    assert.deepEqual(web?.ports, [{ hostIp: '127.0.0.1', published: '18080', target: 8080, protocol: 'tcp' }]);
    assert.deepEqual(web?.dependsOn, [{ service: 'worker', condition: 'service_started' }]);
    assert.deepEqual(web?.gpus, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    assert.deepEqual(web?.limits, { cpus: 0.5, memoryBytes: 64 * 1024 * 1024 });
    assert.equal(web?.healthcheck?.interval, '5s');
    assert.deepEqual(web?.healthcheck?.test.slice(0, 2), ['CMD', 'wget']);
    assert.deepEqual(web?.volumes, [
      { source: 'data', target: '/data', type: 'volume', readOnly: false },
      { source: '/tmp/cap/cfg', target: '/cfg', type: 'bind', readOnly: true },
    ]);
    assert.deepEqual(web?.networks, ['back']);
  });
  it('v2 JSON (written in its documented shape): name, long-form ports and volumes, device ids, depends_on conditions', () => {
    const p = projectFromConfig(fixture('v2/project.config.json'), 'v2');
    assert.equal(p.name, 'aistack');
    const inference = p.services.find((s) => s.name === 'inference');
    assert.deepEqual(inference?.build, { context: '/work/proj', dockerfile: 'Dockerfile' });
    assert.deepEqual(inference?.gpus, [{ driver: 'nvidia', deviceIds: ['0', '1'], capabilities: ['gpu'] }]);
    assert.deepEqual(inference?.limits, { cpus: 2, memoryBytes: 4294967296 });
    assert.deepEqual(inference?.ports, [{ hostIp: '127.0.0.1', published: '8000', target: 8000, protocol: 'tcp' }]);
    assert.deepEqual(inference?.volumes, [{ source: 'weights', target: '/models', type: 'volume', readOnly: true }]);
    assert.deepEqual(inference?.dependsOn, [{ service: 'redis', condition: 'service_healthy' }]);
    assert.deepEqual(p.services.find((s) => s.name === 'redis')?.profiles, ['cache']);
  });
  it('ports and sizes in their other forms', () => {
    assert.deepEqual(parsePort('8080'), { target: 8080, protocol: 'tcp' });
    assert.deepEqual(parsePort('9000:9000/udp'), { published: '9000', target: 9000, protocol: 'udp' });
    assert.deepEqual(parsePort('[::1]:80:8080/tcp'), { hostIp: '::1', published: '80', target: 8080, protocol: 'tcp' });
    assert.equal(parseBytes('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('512kb'), 512 * 1024);
    assert.equal(parseBytes('nonsense'), undefined);
  });
  it('v1 default project name from the folder', () => {
    assert.equal(defaultProjectName('/home/u/My AI-Stack_2/'), 'myai-stack_2');
  });
  it('unknown profiles: those no service has', () => {
    const p = projectFromConfig(fixture('v1/project.config.yaml'), 'v1', 'cap');
    assert.deepEqual(unknownProfiles(p, ['debug', 'nope', '*']), ['nope']);
  });
  it('unreadable output is a typed error', () => {
    assert.throws(() => projectFromConfig('{', 'v2'), /cannot read/);
  });
});
