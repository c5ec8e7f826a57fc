/**
 * The scanners' JSON reports → Findings. Written from each scanner's documented output:
 * - Trivy `trivy image --format json`: `{ SchemaVersion: 2, ArtifactName, Results: [{ Target,
 *   Vulnerabilities: [{ VulnerabilityID, PkgName, InstalledVersion, FixedVersion, Severity, Title,
 *   PrimaryURL, Layer: { DiffID } }] }] }`; before schema 2 (Trivy < 0.20) the report was the
 *   Results array itself.
 * - Grype `grype IMAGE -o json`: `{ matches: [{ vulnerability: { id, severity, dataSource, urls,
 *   description, fix: { versions, state } }, artifact: { name, version, type, locations: [{ path,
 *   layerID }] } }], source: { target: { userInput } } }`.
 * - Docker Scout `docker scout cves --format sarif`: SARIF 2.1.0, one rule per vulnerability
 *   (`id`, `helpUri`, `shortDescription`, `properties: { cvssV3_severity, fixed_version ("not
 *   fixed" when none), affected_version, purls (older: purl) }`) and results naming them by
 *   `ruleId`, with their locations.
 * Each parser takes what JSON.parse gave and checks the shape it reads: a report of another shape
 * is refused with a ScanParseError, not read as "no vulnerabilities".
 */
import { severityOf, type Finding, type ScannerName } from './finding';

export class ScanParseError extends Error {
  constructor(
    readonly scanner: ScannerName,
    detail: string,
  ) {
    super(`The ${scanner} report could not be read: ${detail}`);
    this.name = 'ScanParseError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function finding(fields: {
  id: string | undefined;
  severity: string | undefined;
  package: string | undefined;
  installedVersion: string | undefined;
  fixedVersion: string | undefined;
  title: string | undefined;
  url: string | undefined;
  target: string | undefined;
}): Finding | undefined {
  if (fields.id === undefined) return undefined;
  return {
    id: fields.id,
    severity: severityOf(fields.severity),
    package: fields.package ?? '(unknown package)',
    installedVersion: fields.installedVersion ?? '',
    ...(fields.fixedVersion !== undefined ? { fixedVersion: fields.fixedVersion } : {}),
    ...(fields.title !== undefined ? { title: fields.title } : {}),
    ...(fields.url !== undefined ? { url: fields.url } : {}),
    ...(fields.target !== undefined ? { target: fields.target } : {}),
  };
}

const firstLine = (text: string | undefined): string | undefined => {
  const line = text?.split('\n')[0]?.trim();
  return line === undefined || line === '' ? undefined : line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

export function parseTrivy(report: unknown): Finding[] {
  const results = Array.isArray(report) ? report : isObject(report) && 'Results' in report ? arr(report.Results) : undefined;
  if (results === undefined) throw new ScanParseError('trivy', 'no Results in the report');
  return results.filter(isObject).flatMap((result) =>
    arr(result.Vulnerabilities)
      .filter(isObject)
      .flatMap((v) => {
        const layer = isObject(v.Layer) ? (str(v.Layer.DiffID) ?? str(v.Layer.Digest)) : undefined;
        const f = finding({
          id: str(v.VulnerabilityID),
          severity: str(v.Severity),
          package: str(v.PkgName),
          installedVersion: str(v.InstalledVersion),
          fixedVersion: str(v.FixedVersion),
          title: str(v.Title) ?? firstLine(str(v.Description)),
          url: str(v.PrimaryURL) ?? str(arr(v.References)[0]),
          target: [str(result.Target), layer && `layer ${layer}`].filter(Boolean).join(', ') || undefined,
        });
        return f ? [f] : [];
      }),
  );
}

export function parseGrype(report: unknown): Finding[] {
  if (!isObject(report) || !Array.isArray(report.matches)) throw new ScanParseError('grype', 'no matches in the report');
  return report.matches.filter(isObject).flatMap((m) => {
    const v = isObject(m.vulnerability) ? m.vulnerability : {};
    const a = isObject(m.artifact) ? m.artifact : {};
    const fix = isObject(v.fix) ? v.fix : {};
    const versions = arr(fix.versions).flatMap((x) => (str(x) ? [x as string] : []));
    const location = arr(a.locations).find(isObject);
    const f = finding({
      id: str(v.id),
      severity: str(v.severity),
      package: str(a.name),
      installedVersion: str(a.version),
      // grype's fix.state is fixed / not-fixed / wont-fix / unknown; versions only when fixed
      fixedVersion: fix.state === 'fixed' || versions.length > 0 ? versions.join(', ') || undefined : undefined,
      title: firstLine(str(v.description)),
      url: str(v.dataSource) ?? str(arr(v.urls)[0]),
      target: location
        ? [str(location.path), str(location.layerID) && `layer ${String(location.layerID)}`].filter(Boolean).join(', ') || undefined
        : undefined,
    });
    return f ? [f] : [];
  });
}

/** "pkg:deb/debian/openssl@3.0.11-1~deb12u1?os_distro=bookworm" → name and version. */
export function fromPurl(purl: string): { name: string; version: string } {
  const bare = purl.replace(/^pkg:/, '').split(/[?#]/)[0] ?? '';
  const at = bare.lastIndexOf('@');
  const path = at === -1 ? bare : bare.slice(0, at);
  const version = at === -1 ? '' : decodeURIComponent(bare.slice(at + 1));
  const [type = '', ...rest] = path.split('/');
  // OS packages carry their distribution as namespace (deb/debian/openssl); others their group
  const name = decodeURIComponent(['deb', 'apk', 'rpm', 'alpm'].includes(type) ? (rest.at(-1) ?? path) : rest.join('/') || path);
  return { name, version };
}

export function parseScoutSarif(report: unknown): Finding[] {
  if (!isObject(report) || !Array.isArray(report.runs)) throw new ScanParseError('docker-scout', 'no SARIF runs in the report');
  return report.runs.filter(isObject).flatMap((run) => {
    const driver = isObject(run.tool) && isObject(run.tool.driver) ? run.tool.driver : {};
    const rules = arr(driver.rules).filter(isObject);
    const byId = new Map(rules.flatMap((r) => (str(r.id) ? [[r.id as string, r] as const] : [])));
    const results = arr(run.results).filter(isObject);
    // a rule without results still names a vulnerability of the image (scout lists each once as a rule)
    const seen = new Set<string>();
    const out: Finding[] = [];
    const add = (rule: Json, location: string | undefined): void => {
      const props = isObject(rule.properties) ? rule.properties : {};
      const purl = str(arr(props.purls)[0]) ?? str(props.purl);
      const pkg = purl ? fromPurl(purl) : undefined;
      const fixed = str(props.fixed_version);
      const shortText = isObject(rule.shortDescription) ? str(rule.shortDescription.text) : undefined;
      const key = `${String(rule.id)}|${purl ?? ''}|${location ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      const f = finding({
        id: str(rule.id),
        severity: str(props.cvssV3_severity) ?? str(arr(props.tags)[0]),
        package: pkg?.name,
        installedVersion: pkg?.version,
        fixedVersion: fixed === undefined || /^not fixed$/i.test(fixed) ? undefined : fixed,
        title: shortText !== undefined && shortText !== rule.id ? shortText : undefined,
        url: str(rule.helpUri),
        target: location,
      });
      if (f) out.push(f);
    };
    for (const result of results) {
      const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : -1;
      const rule = (str(result.ruleId) ? byId.get(result.ruleId as string) : undefined) ?? rules[index];
      if (!rule) continue;
      const loc = arr(result.locations).find(isObject);
      const physical = loc && isObject(loc.physicalLocation) ? loc.physicalLocation : undefined;
      const uri = physical && isObject(physical.artifactLocation) ? str(physical.artifactLocation.uri) : undefined;
      add(rule, uri);
    }
    for (const rule of rules) if (!results.some((r) => r.ruleId === rule.id)) add(rule, undefined);
    return out;
  });
}

export const PARSERS: Readonly<Record<ScannerName, (report: unknown) => Finding[]>> = {
  trivy: parseTrivy,
  grype: parseGrype,
  'docker-scout': parseScoutSarif,
};
