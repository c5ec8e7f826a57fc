/**
 * Why two environments may behave differently: the Python version and the versions of the
 * packages the notebook imports, in the container, as the notebook recorded them, and in the
 * local interpreter (when one is known).
 */
import type { PackageInfo, PythonEnvironment } from './containerRun';

export interface EnvironmentRow {
  /** 'Python' or the imported module's name. */
  readonly name: string;
  readonly kind: 'python' | 'package';
  readonly container?: string;
  readonly notebook?: string;
  readonly local?: string;
  /** The sides that know a value disagree. */
  readonly differs: boolean;
}

/** How a package shows in the table: its version, 'missing', or 'installed' when it has no version. */
export function describePackage(info: PackageInfo | undefined): string | undefined {
  if (!info) return undefined;
  if (info.missing) return 'missing';
  if (info.version) return info.version;
  return 'installed';
}

const isStdlib = (info: PackageInfo | undefined): boolean => info?.stdlib === true;

function differs(values: readonly (string | undefined)[]): boolean {
  return new Set(values.filter((v): v is string => v !== undefined)).size > 1;
}

/** Python versions agree when their release numbers do (3.11.2 and "3.11.2 (main, …)"). */
const shortVersion = (v: string | undefined): string | undefined => (v === undefined ? undefined : (/^\d+(?:\.\d+)*/.exec(v)?.[0] ?? v));

/** The object without its undefined properties (optional fields stay absent, not undefined). */
function row(fields: {
  name: string;
  kind: EnvironmentRow['kind'];
  container?: string | undefined;
  notebook?: string | undefined;
  local?: string | undefined;
}): EnvironmentRow {
  const out: { -readonly [K in keyof EnvironmentRow]?: EnvironmentRow[K] } = { name: fields.name, kind: fields.kind };
  if (fields.container !== undefined) out.container = fields.container;
  if (fields.notebook !== undefined) out.notebook = fields.notebook;
  if (fields.local !== undefined) out.local = fields.local;
  return { ...out, name: fields.name, kind: fields.kind, differs: differs([fields.container, fields.notebook, fields.local]) };
}

export function environmentDiff(
  modules: readonly string[],
  container: PythonEnvironment | undefined,
  notebookPython: string | undefined,
  local: PythonEnvironment | undefined,
): EnvironmentRow[] {
  const rows: EnvironmentRow[] = [
    row({
      name: 'Python',
      kind: 'python',
      container: shortVersion(container?.python),
      notebook: shortVersion(notebookPython),
      local: shortVersion(local?.python),
    }),
  ];
  for (const name of modules) {
    const c = container?.packages[name];
    const l = local?.packages[name];
    // the standard library travels with Python: its version is Python's
    if (isStdlib(c) || (c === undefined && isStdlib(l))) continue;
    rows.push(row({ name, kind: 'package', container: describePackage(c), local: describePackage(l) }));
  }
  return rows;
}

/** One sentence per difference, e.g. "numpy 1.24.2 in the container, 2.1.0 locally". */
export function describeDifferences(rows: readonly EnvironmentRow[]): string[] {
  return rows
    .filter((r) => r.differs)
    .map((r) => {
      const parts = [
        r.container === undefined ? undefined : `${r.container} in the container`,
        r.notebook === undefined ? undefined : `${r.notebook} in the notebook's metadata`,
        r.local === undefined ? undefined : `${r.local} in the local interpreter`,
      ].filter((p): p is string => p !== undefined);
      return `${r.name}: ${parts.join(', ')}`;
    });
}
