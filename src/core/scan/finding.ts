/** What an image scan found, one record whichever scanner found it (Trivy, Grype, Docker Scout). */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ScannerName = 'trivy' | 'grype' | 'docker-scout';

export interface Finding {
  /** CVE-…, GHSA-…, or the distribution's advisory id. */
  readonly id: string;
  readonly severity: Severity;
  readonly package: string;
  readonly installedVersion: string;
  /** The version that fixes it; undefined when there is no fix (yet). */
  readonly fixedVersion?: string;
  readonly title?: string;
  readonly url?: string;
  /** Where in the image: Trivy's target ("img (debian 12.4)"), a path, or a layer digest. */
  readonly target?: string;
}

export interface ScanReport {
  readonly scanner: ScannerName;
  readonly image: string;
  readonly findings: readonly Finding[];
}

export interface ScanSummary {
  readonly counts: Readonly<Record<Severity, number>>;
  readonly total: number;
  /** Findings with a fixed version. */
  readonly fixable: number;
  /** The worst severity found, if any. */
  readonly worst?: Severity;
}

/** A scanner's severity word, as each spells it (CRITICAL, High, Negligible, UNSPECIFIED…). */
export function severityOf(text: string | undefined | null): Severity {
  const word = (text ?? '').trim().toLowerCase();
  if (word === 'critical') return 'critical';
  if (word === 'high') return 'high';
  if (word === 'medium' || word === 'moderate') return 'medium';
  if (word === 'low' || word === 'negligible') return 'low';
  return 'unknown';
}

export function summarise(findings: readonly Finding[]): ScanSummary {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) counts[f.severity]++;
  const worst = SEVERITIES.find((s) => counts[s] > 0);
  return {
    counts,
    total: findings.length,
    fixable: findings.filter((f) => f.fixedVersion !== undefined).length,
    ...(worst ? { worst } : {}),
  };
}

/** "2 critical, 5 high vulnerabilities in app:1; fixes available for 4" (severities with none left out). */
export function describeSummary(summary: ScanSummary, image: string): string {
  if (summary.total === 0) return `No known vulnerabilities in ${image}`;
  const parts = SEVERITIES.filter((s) => summary.counts[s] > 0).map((s) => `${summary.counts[s]} ${s}`);
  const noun = summary.total === 1 ? 'vulnerability' : 'vulnerabilities';
  return `${parts.join(', ')} ${noun} in ${image}; fixes available for ${summary.fixable}`;
}

/** Worst first, then by id; a stable order for views. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.id.localeCompare(b.id) || a.package.localeCompare(b.package),
  );
}
