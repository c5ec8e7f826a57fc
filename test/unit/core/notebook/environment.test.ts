import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PythonEnvironment } from '../../../../src/core/notebook/containerRun';
import { describeDifferences, describePackage, environmentDiff } from '../../../../src/core/notebook/environment';

describe('environmentDiff and describeDifferences', () => {
  const container: PythonEnvironment = {
    python: '3.11.4',
    implementation: 'CPython',
    packages: {
      numpy: { version: '1.24.2', distribution: 'numpy' },
      os: { stdlib: true },
      sklearn: { version: '1.3.0', distribution: 'scikit-learn' },
      torch: { missing: true },
      json: { stdlib: true, present: true },
      mylib: { present: true },
    },
  };
  const local: PythonEnvironment = {
    python: '3.12.1 (main, Dec  8 2023, 05:40:51) [GCC 11.4.0]',
    packages: {
      numpy: { version: '2.1.0' },
      os: { stdlib: true },
      sklearn: { version: '1.3.0' },
      torch: { version: '2.4.1' },
      json: { stdlib: true },
    },
  };
  const modules = ['numpy', 'os', 'sklearn', 'torch', 'json', 'mylib'];

  test('rows: Python from container, notebook and local; stdlib left out; missing and versions', () => {
    assert.deepEqual(environmentDiff(modules, container, '3.11.4', local), [
      { name: 'Python', kind: 'python', container: '3.11.4', notebook: '3.11.4', local: '3.12.1', differs: true },
      { name: 'numpy', kind: 'package', container: '1.24.2', local: '2.1.0', differs: true },
      { name: 'sklearn', kind: 'package', container: '1.3.0', local: '1.3.0', differs: false },
      { name: 'torch', kind: 'package', container: 'missing', local: '2.4.1', differs: true },
      { name: 'mylib', kind: 'package', container: 'installed', differs: false },
    ]);
  });

  test('optional fields are absent, not undefined', () => {
    const rows = environmentDiff(['numpy'], undefined, '3.8.10', undefined);
    assert.deepEqual(rows, [
      { name: 'Python', kind: 'python', notebook: '3.8.10', differs: false },
      { name: 'numpy', kind: 'package', differs: false },
    ]);
    assert.equal('container' in rows[0]!, false);
    assert.equal('local' in rows[1]!, false);
  });

  test('before the container reports: stdlib known from the local interpreter is left out too', () => {
    assert.deepEqual(
      environmentDiff(['os', 'numpy'], undefined, undefined, local).map((r) => r.name),
      ['Python', 'numpy'],
    );
  });

  test('the same Python release is no difference', () => {
    const rows = environmentDiff([], { python: '3.11.4', packages: {} }, '3.11.4', { python: '3.11.4 (main, Jun  7 2023)', packages: {} });
    assert.equal(rows[0]!.differs, false);
    assert.equal(rows[0]!.local, '3.11.4');
  });

  test('describePackage', () => {
    assert.equal(describePackage(undefined), undefined);
    assert.equal(describePackage({ missing: true }), 'missing');
    assert.equal(describePackage({ version: '2.1.0' }), '2.1.0');
    assert.equal(describePackage({ present: true }), 'installed');
  });

  test('one sentence per difference', () => {
    assert.deepEqual(describeDifferences(environmentDiff(modules, container, '3.11.4', local)), [
      "Python: 3.11.4 in the container, 3.11.4 in the notebook's metadata, 3.12.1 in the local interpreter",
      'numpy: 1.24.2 in the container, 2.1.0 in the local interpreter',
      'torch: missing in the container, 2.4.1 in the local interpreter',
    ]);
  });
});
