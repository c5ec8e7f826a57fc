import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fromLines, shippedFromLines } from '../../../../src/core/scan/dockerfileFrom';

test('FROM lines: the image reference and its columns, flags skipped, stage names kept', () => {
  const text = [
    '# syntax=docker/dockerfile:1',
    'FROM --platform=$BUILDPLATFORM python:3.11-slim AS Build',
    '  from busybox',
    'RUN true',
  ].join('\n');
  assert.deepEqual(fromLines(text), [
    { line: 1, start: 31, end: 47, image: 'python:3.11-slim', stage: 'build' },
    { line: 2, start: 7, end: 14, image: 'busybox' },
  ]);
  assert.equal(text.split('\n')[1]?.slice(31, 47), 'python:3.11-slim');
});

test('shipped FROM lines: the final stage and the stages it is built on, not those only copied from', () => {
  const text = [
    'FROM golang:1.22 AS tools', // 0: only COPY --from: not shipped
    'FROM python:3.11-slim AS base', // 1
    'FROM base AS app', // 2
    'COPY --from=tools /go/bin/x /x',
    'FROM app', // 4
  ].join('\n');
  assert.deepEqual(
    shippedFromLines(text).map((f) => f.line),
    [4, 2, 1],
  );
  assert.deepEqual(shippedFromLines(''), []);
});

test("the sample project's Dockerfile: its one FROM", () => {
  const text = fs.readFileSync(path.resolve(__dirname, '../../../../examples/iris-classifier/Dockerfile'), 'utf8');
  const shipped = shippedFromLines(text);
  assert.equal(shipped.length, 1);
  assert.match(text.split('\n')[shipped[0]?.line ?? -1] ?? '', /^FROM /);
});
