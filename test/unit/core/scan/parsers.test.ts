/**
 * The scanners' reports → Findings, on JSON written by hand in each scanner's documented format
 * (test/fixtures/scan, see its README: no scanner can be installed here, so none is captured).
 * The three fixtures describe the same scan, so each parser must give the same findings.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeSummary, severityOf, sortFindings, summarise, type Finding } from '../../../../src/core/scan/finding';
import { fromPurl, parseGrype, parseScoutSarif, parseTrivy, ScanParseError } from '../../../../src/core/scan/parsers';

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, '../../../fixtures/scan', name), 'utf8'));

/** id, severity, package, installed, fixed — what every scanner agrees on. */
const EXPECTED = [
  ['CVE-2024-0001', 'critical', 'openssl', '3.0.11-1~deb12u1', '3.0.13-1~deb12u1'],
  ['CVE-2023-0003', 'high', 'zlib1g', '1:1.2.13.dfsg-1', undefined],
  ['CVE-2024-0002', 'high', 'openssl', '3.0.11-1~deb12u1', '3.0.13-1~deb12u1'],
  ['GHSA-aaaa-bbbb-cccc', 'medium', 'requests', '2.31.0', '2.32.0'],
  ['CVE-2022-0005', 'low', 'tar', '1.34+dfsg-1.2', undefined],
];

const core = (findings: readonly Finding[]): unknown[] =>
  sortFindings(findings).map((f) => [f.id, f.severity, f.package, f.installedVersion, f.fixedVersion]);

test('Trivy (schema 2): each vulnerability of each target, fixed version or none, title and link', () => {
  const findings = parseTrivy(fixture('trivy.json'));
  assert.deepEqual(core(findings), EXPECTED);
  const critical = findings.find((f) => f.id === 'CVE-2024-0001');
  assert.equal(critical?.title, 'openssl: a heap overflow in the TLS handshake');
  assert.equal(critical?.url, 'https://avd.aquasec.com/nvd/cve-2024-0001');
  assert.equal(
    critical?.target,
    'berth-sample:dev (debian 12.8), layer sha256:1111111111111111111111111111111111111111111111111111111111111111',
  );
  const tar = findings.find((f) => f.id === 'CVE-2022-0005');
  assert.equal(tar?.title, 'tar: a crafted archive makes tar read out of bounds.', 'no Title: the first line of the description');
  assert.equal(tar?.url, 'https://security-tracker.debian.org/tracker/CVE-2022-0005', 'no PrimaryURL: the first reference');
});

test('Trivy before 0.20 (the Results array alone) reads the same', () => {
  assert.deepEqual(core(parseTrivy(fixture('trivy-v1.json'))), EXPECTED);
});

test('Grype: matches with fix.state; Negligible is low; not-fixed and wont-fix have no fixed version', () => {
  const findings = parseGrype(fixture('grype.json'));
  assert.deepEqual(core(findings), EXPECTED);
  const requests = findings.find((f) => f.id === 'GHSA-aaaa-bbbb-cccc');
  assert.equal(requests?.url, 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc');
  assert.match(
    requests?.target ?? '',
    /^\/usr\/local\/lib\/python3\.11\/site-packages\/requests-2\.31\.0\.dist-info\/METADATA, layer sha256:2{64}$/,
  );
});

test('Docker Scout SARIF: rules give severity, fixed version ("not fixed" is none) and the package from its purl', () => {
  const findings = parseScoutSarif(fixture('scout.sarif.json'));
  assert.deepEqual(core(findings), EXPECTED);
  const critical = findings.find((f) => f.id === 'CVE-2024-0001');
  assert.equal(critical?.url, 'https://scout.docker.com/v/CVE-2024-0001');
  assert.equal(critical?.target, '/usr/share/doc/openssl/copyright');
  assert.equal(critical?.title, undefined, 'a short description that only repeats the id is no title');
  assert.equal(findings.find((f) => f.id.startsWith('GHSA'))?.title, 'Session verify=False persists for the host');
});

test('purls: OS packages lose their distribution namespace, others keep their group; versions are decoded', () => {
  assert.deepEqual(fromPurl('pkg:deb/debian/tar@1.34%2Bdfsg-1.2?os_distro=bookworm'), { name: 'tar', version: '1.34+dfsg-1.2' });
  assert.deepEqual(fromPurl('pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64'), { name: 'busybox', version: '1.36.1-r5' });
  assert.deepEqual(fromPurl('pkg:maven/com.thoughtworks.xstream/xstream@1.4.5'), {
    name: 'com.thoughtworks.xstream/xstream',
    version: '1.4.5',
  });
  assert.deepEqual(fromPurl('pkg:pypi/requests@2.31.0'), { name: 'requests', version: '2.31.0' });
});

test('a report of another shape is refused, not read as "no vulnerabilities"', () => {
  assert.throws(() => parseTrivy({ matches: [] }), ScanParseError);
  assert.throws(() => parseGrype(fixture('trivy.json')), ScanParseError);
  assert.throws(() => parseScoutSarif(fixture('grype.json')), /docker-scout report could not be read: no SARIF runs/);
  assert.deepEqual(parseTrivy({ SchemaVersion: 2, Results: [] }), [], 'an image with nothing found is an empty list');
  assert.deepEqual(parseGrype({ matches: [] }), []);
});

test('severities as each scanner spells them', () => {
  assert.deepEqual(
    ['CRITICAL', 'High', 'MEDIUM', 'moderate', 'Low', 'Negligible', 'UNKNOWN', 'UNSPECIFIED', '', undefined].map(severityOf),
    ['critical', 'high', 'medium', 'medium', 'low', 'low', 'unknown', 'unknown', 'unknown', 'unknown'],
  );
});

test('the summary by severity and its sentence', () => {
  const summary = summarise(parseGrype(fixture('grype.json')));
  assert.deepEqual(summary, { counts: { critical: 1, high: 2, medium: 1, low: 1, unknown: 0 }, total: 5, fixable: 3, worst: 'critical' });
  assert.equal(
    describeSummary(summary, 'berth-sample:dev'),
    '1 critical, 2 high, 1 medium, 1 low vulnerabilities in berth-sample:dev; fixes available for 3',
  );
  assert.equal(describeSummary(summarise([]), 'x:1'), 'No known vulnerabilities in x:1');
});
