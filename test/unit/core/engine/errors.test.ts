import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CancelledError,
  ConflictError,
  EnginePermissionError,
  EngineRequestError,
  EngineUnreachableError,
  NotFoundError,
  translateError,
} from '../../../../src/core/engine/errors';
import { ApiVersionTooOldError } from '../../../../src/core/engine/errors';
import { negotiateApiVersion } from '../../../../src/core/engine/engine';

const HOST = 'unix:///var/run/docker.sock';

function sysError(code: string): Error {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code, syscall: 'connect' });
}

/** What docker-modem rejects with for a non-2xx answer. */
function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
}

describe('translateError', () => {
  test('ENOENT and ECONNREFUSED: engine unreachable, naming the host', () => {
    for (const code of ['ENOENT', 'ECONNREFUSED']) {
      const e = translateError(sysError(code), HOST);
      assert.ok(e instanceof EngineUnreachableError);
      assert.match(e.message, /^Cannot reach Docker at unix:\/\/\/var\/run\/docker\.sock — is the engine running\?/);
      assert.equal(e.cause instanceof Error, true);
    }
  });

  test('EACCES: permission, with how to fix it', () => {
    const e = translateError(sysError('EACCES'), HOST);
    assert.ok(e instanceof EnginePermissionError);
    assert.match(e.message, /Permission denied on \/var\/run\/docker\.sock/);
    assert.match(e.message, /usermod -aG docker/);
  });

  test('404 and 409 keep the engine message', () => {
    const nf = translateError(httpError(404, 'No such container: abc'), HOST);
    assert.ok(nf instanceof NotFoundError);
    assert.equal(nf.message, 'No such container: abc');
    const c = translateError(httpError(409, 'Conflict. The container name "/x" is already in use'), HOST);
    assert.ok(c instanceof ConflictError);
    assert.equal(c.statusCode, 409);
  });

  test('other statuses are request errors with the engine text', () => {
    const e = translateError(httpError(500, 'driver failed'), HOST);
    assert.ok(e instanceof EngineRequestError);
    assert.equal(e.message, 'driver failed');
    assert.equal(e.statusCode, 500);
  });

  test('an abort is a cancellation', () => {
    const e = translateError(
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
      HOST,
      'list containers',
    );
    assert.ok(e instanceof CancelledError);
    assert.equal(e.message, 'list containers was cancelled');
  });

  test('TLS and ssh failures are unreachable with a hint', () => {
    assert.match(
      translateError(Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tcp://h:2376').message,
      /TLS handshake failed/,
    );
    assert.match(
      translateError(
        Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }),
        'ssh://h',
      ).message,
      /ssh authentication failed/,
    );
  });

  test('translation is idempotent', () => {
    const once = translateError(sysError('ENOENT'), HOST);
    assert.equal(translateError(once, 'other'), once);
  });
});

describe('API version negotiation', () => {
  test('speaks the engine version, capped at the client maximum, refuses too-old engines', () => {
    assert.equal(negotiateApiVersion('1.41'), '1.41');
    assert.equal(negotiateApiVersion('1.52'), '1.47');
    assert.throws(() => negotiateApiVersion('1.39'), ApiVersionTooOldError);
    assert.throws(() => negotiateApiVersion('1.39'), /API 1\.39; Berth needs 1\.40/);
  });
});
