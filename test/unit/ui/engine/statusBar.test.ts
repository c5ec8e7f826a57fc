/** The engine's status bar entry: the text and tooltip of each state, through vscode.l10n.t (English). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineError } from '../../../../src/core/engine/errors';
import type { EngineState } from '../../../../src/ui/engine/engineSession';
import { describeStatus } from '../../../../src/ui/engine/statusBar';

const endpoint = { host: 'unix:///var/run/docker.sock', reason: 'the default socket' } as unknown as NonNullable<
  Extract<EngineState, { kind: 'connecting' }>['endpoint']
>;

describe('describeStatus', () => {
  test('connecting: to the endpoint when known', () => {
    assert.deepEqual(describeStatus({ kind: 'connecting', endpoint }), {
      text: '$(sync~spin) Docker…',
      tooltip: 'Berth: connecting to unix:///var/run/docker.sock',
      warning: false,
    });
    assert.equal(describeStatus({ kind: 'connecting' }).tooltip, 'Berth: connecting to the engine');
  });

  test('connected: product, version and GPU; the tooltip with host, reason and API', () => {
    const state = {
      kind: 'connected',
      endpoint,
      engine: { serverVersion: { flavour: 'docker', version: '26.1.5' }, apiVersion: '1.45' },
      gpu: { available: false, summary: 'no GPU' },
    } as unknown as EngineState;
    assert.deepEqual(describeStatus(state), {
      text: '$(vm-active) Docker 26.1.5 · no GPU',
      tooltip: 'Berth: unix:///var/run/docker.sock (the default socket)\nAPI 1.45 · no GPU\nClick for engine info',
      warning: false,
    });
    const gpu = { ...state, gpu: { available: true, summary: 'GPU: 2 × NVIDIA A100' } } as EngineState;
    assert.equal(describeStatus(gpu).text, '$(vm-active) Docker 26.1.5 · GPU: 2 × NVIDIA A100');
  });

  test('unreachable: the short reason by code, the whole message in the tooltip', () => {
    const state = (code: 'permission' | 'unreachable' | 'host-key'): EngineState => ({
      kind: 'unreachable',
      error: new EngineError(code, `Cannot reach Docker (${code}).`),
    });
    assert.deepEqual(describeStatus(state('permission')), {
      text: '$(vm-outline) Docker: permission denied',
      tooltip: 'Berth: Cannot reach Docker (permission).\nClick for engine info',
      warning: true,
    });
    assert.equal(describeStatus(state('unreachable')).text, '$(vm-outline) Docker: unreachable');
    assert.equal(describeStatus(state('host-key')).text, '$(vm-outline) Docker: ssh host key not trusted');
  });
});
