/** The container picker of the log search: Compose services grouped under their project (a service stands for all its containers), then the other containers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as vscode from 'vscode';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import { scopeItems } from '../../../../src/ui/logsearch/searchContainerLogs';

const record = (id: string, name: string, labels: Record<string, string> = {}, state = 'running'): ContainerRecord =>
  ({
    id,
    name,
    labels,
    state,
    status: state === 'running' ? 'Up 1 minute' : 'Exited (0)',
    image: 'img',
    ports: [],
  }) as unknown as ContainerRecord;
const compose = (project: string, service: string) => ({ 'com.docker.compose.project': project, 'com.docker.compose.service': service });

describe('scopeItems', () => {
  test('projects sorted, their services with every container, then loose containers by name', () => {
    const items = scopeItems([
      record('1', 'zeta'),
      record('2', 'shop-web-1', compose('shop', 'web')),
      record('3', 'shop-web-2', compose('shop', 'web'), 'exited'),
      record('4', 'ai-model-1', compose('ai', 'model')),
      record('5', 'alpha'),
      record('6', 'shop-db-1', compose('shop', 'db')),
    ]);
    assert.deepEqual(
      items.map((i) => [i.kind === vscode.QuickPickItemKind.Separator ? `-- ${i.label}` : i.label, i.ids ?? []]),
      [
        ['-- Compose: ai', []],
        ['model', ['4']],
        ['-- Compose: shop', []],
        ['db', ['6']],
        ['web', ['2', '3']],
        ['-- Containers', []],
        ['alpha', ['5']],
        ['zeta', ['1']],
      ],
    );
    assert.match(items.find((i) => i.label === 'web')?.description ?? '', /^2 containers · /);
  });
});
