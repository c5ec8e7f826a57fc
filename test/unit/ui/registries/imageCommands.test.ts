import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceIn, repositoryPath, validReference, validRepositoryTag } from '../../../../src/ui/registries/imageCommands';

test('the repository proposed for a push: the image name without its registry host', () => {
  assert.equal(repositoryPath('iris:dev'), 'iris');
  assert.equal(repositoryPath('ml/iris:dev'), 'ml/iris');
  assert.equal(repositoryPath('127.0.0.1:5000/ml/iris:1.0.0'), 'ml/iris');
  assert.equal(repositoryPath('localhost/iris'), 'iris');
  assert.equal(repositoryPath('ghcr.io/acme/iris@sha256:' + 'a'.repeat(64)), 'acme/iris');
});

test('repository:tag and references checked as a registry would', () => {
  assert.equal(validRepositoryTag('ml/iris:1.0.0'), undefined);
  assert.equal(validRepositoryTag('ml/iris-v2__x:latest'), undefined);
  for (const bad of ['ml/iris', 'ML/iris:1', 'ml//iris:1', 'ml/iris:-1', 'ml/iris:', '/iris:1'])
    assert.notEqual(validRepositoryTag(bad), undefined, bad);
  assert.ok(validReference('127.0.0.1:5000/ml/iris:1'));
  assert.ok(validReference('iris'));
  assert.ok(!validReference('Iris:1'));
  assert.ok(!validReference('iris@sha256:' + 'a'.repeat(64)));
  assert.equal(referenceIn({ server: '127.0.0.1:5000' }, 'ml/iris:1'), '127.0.0.1:5000/ml/iris:1');
  assert.equal(referenceIn({ server: 'https://index.docker.io/v1/' }, 'acme/iris:1'), 'docker.io/acme/iris:1');
});
