import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ComposeService } from '../../../../src/core/compose/composeModel';
import { describeService, gpuReservationText, projectContext } from '../../../../src/ui/compose/composeFormat';

const svc: ComposeService = {
  name: 'inference',
  build: { context: '/p' },
  ports: [],
  profiles: ['gpu'],
  dependsOn: [],
  gpus: [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }],
  limits: { cpus: 2, memoryBytes: 2 * 1024 ** 3 },
  volumes: [],
  networks: [],
};

describe('compose rows', () => {
  test('a service with no container: profile, GPU reservation, limits, where its image comes from', () => {
    assert.equal(describeService(svc), 'not created · profile gpu · GPU all nvidia · 2 CPUs · 2.0 GiB · build /p');
    assert.equal(
      describeService({ ...svc, profiles: [], gpus: [], limits: { cpus: 1 }, image: 'redis:7' }),
      'not created · 1 CPU · redis:7',
    );
  });

  test('GPU reservations: count, ids, all', () => {
    assert.equal(gpuReservationText({ count: 2, capabilities: ['gpu'] }), 'GPU ×2');
    assert.equal(gpuReservationText({ deviceIds: ['0', '3'], driver: 'nvidia', capabilities: [] }), 'GPU 0,3 nvidia');
  });

  test('a project Compose can run for (files at hand) gets the menus; one known from labels alone does not', () => {
    assert.equal(projectContext({ target: { files: ['/p/compose.yaml'] } }), 'containerGroup.compose.files');
    assert.equal(projectContext({ target: { files: [] } }), 'containerGroup.compose');
    assert.equal(projectContext(undefined), 'containerGroup.compose');
  });
});

describe('per-service errors after a failed Compose command', () => {
  test('a taken port, a GPU the engine lacks and an image that cannot be pulled each say what to do', async () => {
    const { serviceErrorLines } = await import('../../../../src/ui/compose/composeCommands');
    const lines = serviceErrorLines(
      [
        { service: 'inference', message: 'Bind for 127.0.0.1:8000 failed: port is already allocated', portInUse: '127.0.0.1:8000' },
        { service: 'trainer', message: 'could not select device driver "nvidia" with capabilities: [[gpu]]' },
        { service: 'qdrant', message: 'pull failed: pull access denied for qdrant/qdrant, repository does not exist' },
        { service: 'web', message: 'something else' },
      ],
      '/p/compose.yaml',
    );
    assert.match(lines[0]!, /^inference: host port 127\.0\.0\.1:8000 is already in use\. .*in compose\.yaml\.$/);
    assert.match(lines[1]!, /^trainer: this engine cannot give it a GPU .* Start Without GPU\.$/);
    assert.match(lines[2]!, /^qdrant: its image cannot be pulled .*Up Services…\.$/);
    assert.equal(lines[3], 'web: something else');
  });
});
