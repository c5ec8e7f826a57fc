import * as vscode from 'vscode';
import type { BuildSecret } from '../../core/build/buildkitBuild';
import type { MountNeeds } from '../../core/build/mounts';

/** Where a secret's value is kept: SecretStorage under this key, never settings or files. */
export const secretKey = (id: string): string => `berth.build.secret.${id}`;
/** The ids stored (SecretStorage cannot list its keys on every VS Code Berth supports): ids only, no values. */
const STORED_IDS = 'berth.build.secretIds';
/** Where each id's value comes from, remembered per workspace: "stored" or "env:NAME". */
const sourceKey = (id: string): string => `berth.build.secretSource.${id}`;

type Source = { kind: 'stored' } | { kind: 'env'; name: string };

function readSource(context: vscode.ExtensionContext, id: string): Source | undefined {
  const raw = context.workspaceState.get<string>(sourceKey(id));
  if (raw === 'stored') return { kind: 'stored' };
  if (raw?.startsWith('env:')) return { kind: 'env', name: raw.slice(4) };
  return undefined;
}

async function askSource(id: string, line: number, hasStored: boolean): Promise<Source | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: hasStored
          ? vscode.l10n.t('$(key) The stored secret')
          : vscode.l10n.t('$(key) Enter it once, kept in VS Code’s secret storage'),
        description: hasStored ? vscode.l10n.t('saved earlier') : '',
        source: 'stored' as const,
      },
      {
        label: vscode.l10n.t('$(symbol-variable) An environment variable'),
        description: vscode.l10n.t('of the VS Code window'),
        source: 'env' as const,
      },
    ],
    { title: vscode.l10n.t('Build Image: the secret "{0}" (line {1} of the Dockerfile) comes from…', id, line) },
  );
  if (!picked) return undefined;
  if (picked.source === 'stored') return { kind: 'stored' };
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Build Image: the environment variable that holds the secret "{0}"', id),
    value: id.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
    validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()) ? undefined : vscode.l10n.t('a variable name: letters, digits, _')),
  });
  return name === undefined ? undefined : { kind: 'env', name: name.trim() };
}

/**
 * The values of the Dockerfile's secret mounts: each from an environment variable or from
 * SecretStorage (asked once with a password box, reused after), as the user chose for that id
 * (remembered per workspace). Undefined: the user backed out.
 */
export async function resolveBuildSecrets(context: vscode.ExtensionContext, needs: MountNeeds): Promise<BuildSecret[] | undefined> {
  const secrets: BuildSecret[] = [];
  for (const { id, line } of needs.secrets) {
    const stored = await context.secrets.get(secretKey(id));
    let source = readSource(context, id);
    if (source?.kind === 'stored' && stored === undefined) source = undefined;
    if (source === undefined) {
      source = await askSource(id, line, stored !== undefined);
      if (source === undefined) return undefined;
      await context.workspaceState.update(sourceKey(id), source.kind === 'stored' ? 'stored' : `env:${source.name}`);
    }
    if (source.kind === 'env') {
      const value = process.env[source.name];
      if (value === undefined) {
        await context.workspaceState.update(sourceKey(id), undefined);
        throw new Error(
          vscode.l10n.t(
            'The secret "{0}" comes from the environment variable {1}, which is not set in VS Code\'s environment. Set it before starting VS Code, or build again and store the secret instead.',
            id,
            source.name,
          ),
        );
      }
      secrets.push({ id, value });
      continue;
    }
    let value = stored;
    if (value === undefined) {
      value = await vscode.window.showInputBox({
        title: vscode.l10n.t('Build Image: the secret "{0}"', id),
        prompt: vscode.l10n.t('Kept in VS Code’s secret storage and passed to the build only through the docker CLI’s environment'),
        password: true,
        ignoreFocusOut: true,
      });
      if (value === undefined) return undefined;
      await context.secrets.store(secretKey(id), value);
      const ids = context.globalState.get<string[]>(STORED_IDS, []);
      if (!ids.includes(id)) await context.globalState.update(STORED_IDS, [...ids, id]);
    }
    secrets.push({ id, value });
  }
  return secrets;
}

/** Berth: Forget Build Secrets — every stored build secret and where each came from. */
export async function forgetBuildSecrets(ctx: { readonly context: vscode.ExtensionContext }): Promise<void> {
  const { context } = ctx;
  const ids = context.globalState.get<string[]>(STORED_IDS, []);
  for (const id of ids) await context.secrets.delete(secretKey(id));
  await context.globalState.update(STORED_IDS, []);
  for (const key of context.workspaceState.keys())
    if (key.startsWith('berth.build.secretSource.')) await context.workspaceState.update(key, undefined);
  void vscode.window.showInformationMessage(
    ids.length === 0
      ? vscode.l10n.t('No build secrets were stored.')
      : ids.length === 1
        ? vscode.l10n.t('Forgot 1 build secret ({0}).', ids.join(', '))
        : vscode.l10n.t('Forgot {0} build secrets ({1}).', ids.length, ids.join(', ')),
  );
}
