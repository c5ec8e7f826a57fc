import * as vscode from 'vscode';
import { RegistryError } from '../../core/registry/client';
import { DOCKER_HUB_SERVER, displayServer, normaliseServer } from '../../core/registry/dockerConfig';
import type { CommandContext } from '../commands';
import type { RegistriesNode } from './registriesTree';

/** The server a command was given: a registry node, a row under one, or a server string. */
export function serverOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.trim() !== '') return arg.trim();
  const node = arg as RegistriesNode | undefined;
  if (node?.kind === 'registry' || node?.kind === 'repository' || node?.kind === 'tag') return node.registry.server;
  if (node?.kind === 'row' && node.parent) return node.parent.registry.server;
  return undefined;
}

const SERVER_PATTERN = /^(?:https?:\/\/)?[A-Za-z0-9.-]+(?::\d+)?(?:\/.*)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;

/**
 * Log In: server, user name, password (hidden). The credential is checked against the registry
 * first; a refused one is said plainly and nothing is stored.
 */
export async function logIn(ctx: CommandContext, ...args: unknown[]): Promise<boolean> {
  let server = serverOf(args[0]);
  if (server === undefined) {
    const typed = await vscode.window.showInputBox({
      title: vscode.l10n.t('Log In to a Registry (1/3): server'),
      prompt: vscode.l10n.t('host[:port] of the registry, e.g. ghcr.io or 127.0.0.1:5000; empty for Docker Hub'),
      placeHolder: 'docker.io',
      ignoreFocusOut: true,
      validateInput: (v) =>
        v.trim() === '' || SERVER_PATTERN.test(v.trim()) ? undefined : vscode.l10n.t('a host name with an optional :port'),
    });
    if (typed === undefined) return false;
    server = typed.trim() === '' ? DOCKER_HUB_SERVER : typed.trim();
  }
  const key = normaliseServer(server);
  const shown = displayServer(key);
  const username = await vscode.window.showInputBox({
    title: vscode.l10n.t('Log In to {0} (2/3): user name', shown),
    value: (await ctx.registries.credential(key).catch(() => undefined))?.username ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? vscode.l10n.t('the user name') : undefined),
  });
  if (username === undefined) return false;
  const password = await vscode.window.showInputBox({
    title: vscode.l10n.t('Log In to {0} (3/3): password or access token', shown),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' ? vscode.l10n.t('the password or an access token') : undefined),
  });
  if (password === undefined) return false;
  const stored = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Logging in to {0}…', shown), cancellable: true },
    async (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        return await ctx.registries.login(key, { username: username.trim(), secret: password }, controller.signal);
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'unauthorized')
          throw new Error(
            vscode.l10n.t(
              '{0} refused the user name or password for {1}: nothing was stored. Check them and log in again.',
              shown,
              username.trim(),
            ),
            {
              cause: err,
            },
          );
        if (err instanceof RegistryError && err.code === 'cancelled') return undefined;
        throw err;
      }
    },
  );
  if (!stored) return false;
  ctx.log.info(
    `Logged in to ${key} as ${username.trim()} (${stored.kind === 'helper' ? `docker-credential-${stored.helper}` : 'SecretStorage'})`,
  );
  void vscode.window.showInformationMessage(
    stored.kind === 'helper'
      ? vscode.l10n.t(
          'Logged in to {0} as {1}; the credential is kept in the docker credential store (docker-credential-{2}).',
          shown,
          username.trim(),
          stored.helper,
        )
      : vscode.l10n.t("Logged in to {0} as {1}; the credential is kept in VS Code's secret storage.", shown, username.trim()),
  );
  return true;
}

/** Log Out: erase the credential from the credential store or SecretStorage. */
export async function logOut(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  let server = serverOf(args[0]);
  if (server === undefined) {
    const registries = await ctx.registries.list();
    const picked = await vscode.window.showQuickPick(
      registries.map((r) => ({ label: r.display, description: r.server, server: r.server })),
      { title: vscode.l10n.t('Log Out of a Registry') },
    );
    server = picked?.server;
  }
  if (server === undefined) return;
  const config = await ctx.registries.config();
  await ctx.registries.logout(server);
  const key = normaliseServer(server);
  const inFile = Object.keys(config.auths).some((k) => normaliseServer(k) === key && config.auths[k]?.password !== undefined);
  void vscode.window.showInformationMessage(
    inFile
      ? vscode.l10n.t(
          'Logged out of {0} in Berth. {1} still holds a password for it (written by docker login): run `docker logout {2}` to remove it.',
          displayServer(key),
          config.file,
          key,
        )
      : vscode.l10n.t('Logged out of {0}.', displayServer(key)),
  );
}
