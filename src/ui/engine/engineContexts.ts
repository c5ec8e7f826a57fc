/**
 * The Engines view's commands: use another engine (a docker context, or a host), add an ssh host
 * as a docker context (the hosts of ~/.ssh/config offered), remove a context. Switching engine
 * is a change of Berth's user settings: the engine session reconnects, and what belonged to the
 * last connection (log terminals, stats) ends with it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_CONTEXT } from '../../core/engine/connection';
import {
  berthContextName,
  contextNameError,
  createContext,
  listContexts,
  removeContext,
  sshTargetHost,
  suggestContextName,
  type ContextList,
  type ContextsInput,
  type NewContext,
} from '../../core/engine/contexts';
import { parseSshConfig, resolveSshHost, sshConfigHosts } from '../../core/engine/sshConfig';
import type { Services } from '../services';
import { targetName, type EndpointRow, type EngineTarget } from './enginesModel';

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The contexts store of this machine, with Berth's engine settings (read now). */
function contextsInput(services: { config: Pick<Services['config'], 'engineHost' | 'engineContext'> }): ContextsInput {
  const host = services.config.engineHost;
  const context = services.config.engineContext;
  return {
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: readFileOrUndefined,
    readDir: (dir) => {
      try {
        return fs.readdirSync(dir);
      } catch {
        return [];
      }
    },
    writeFile: (file, text) => {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      fs.writeFileSync(file, text, { mode: 0o644 });
    },
    removeDir: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
    ...(host === '' ? {} : { host }),
    ...(context === '' ? {} : { context }),
  };
}

/**
 * The docker contexts of this machine for the Engines view and its commands: listed with Berth's
 * engine settings, and a change event when Berth adds or removes one (the view lists again).
 */
export class EngineContexts implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly config: Pick<Services['config'], 'engineHost' | 'engineContext'>) {}

  input(): ContextsInput {
    return contextsInput({ config: this.config });
  }

  list(): ContextList {
    return listContexts(this.input());
  }

  create(context: NewContext): string {
    const file = createContext(this.input(), context);
    this.changed.fire();
    return file;
  }

  remove(name: string): void {
    removeContext(this.input(), name);
    this.changed.fire();
  }

  /** Contexts changed outside Berth (docker context create in a terminal): list again. */
  refresh(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function isTarget(value: unknown): value is EngineTarget {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { kind?: unknown; name?: unknown; host?: unknown };
  return (v.kind === 'context' && typeof v.name === 'string') || (v.kind === 'host' && typeof v.host === 'string');
}

/** The engine a command was run on: a row of the view, a target (the view's Back row), or picked. */
async function targetArg(services: Services, arg: unknown): Promise<EngineTarget | undefined> {
  if (isTarget(arg)) return arg;
  const row = arg as Partial<EndpointRow> | undefined;
  if (row?.kind === 'endpoint' && row.target) return row.target;
  const list = services.engineContexts.list();
  const using = berthContextName(list);
  const pick = await vscode.window.showQuickPick(
    list.contexts.map((c) => ({
      label: c.name,
      description: c.name === using ? vscode.l10n.t('{0} · current', c.host) : c.host,
      ...(c.description ? { detail: c.description } : {}),
      name: c.name,
    })),
    { title: vscode.l10n.t('Use Engine'), placeHolder: vscode.l10n.t('The docker context Berth uses') },
  );
  return pick ? { kind: 'context', name: pick.name } : undefined;
}

/**
 * Berth uses `target` from now on: berth.engine.context (or .host) in the user settings, the other
 * one removed there. The "default" context with DOCKER_HOST set is DOCKER_HOST, as for the docker
 * CLI: both settings are cleared then. Says when a setting of another scope overrides the user's.
 */
export async function useEngine(services: Services, arg?: unknown): Promise<void> {
  const target = await targetArg(services, arg);
  if (!target) return;
  const section = vscode.workspace.getConfiguration('berth');
  const before = JSON.stringify([services.config.engineHost, services.config.engineContext]);
  const envHost = process.env.DOCKER_HOST?.trim();
  if (target.kind === 'context') {
    const clear = clearsContext(target, envHost);
    if (section.inspect<string>('engine.host')?.globalValue !== undefined)
      await section.update('engine.host', undefined, vscode.ConfigurationTarget.Global);
    await section.update('engine.context', clear ? undefined : target.name, vscode.ConfigurationTarget.Global);
  } else {
    await section.update('engine.host', target.host, vscode.ConfigurationTarget.Global);
  }
  services.log.info(`Engines: Berth uses ${targetName(target)} now (user settings)`);
  const override = overriddenBy(target, clearsContext(target, envHost));
  if (override !== undefined) {
    services.log.warn(`Engines: ${override} decides the engine over the user settings`);
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Berth now uses {0} in your user settings, but {1} overrides it here.', targetName(target), override),
      vscode.l10n.t('Open Settings'),
    );
    if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'berth.engine');
    return;
  }
  // settings that were already so do not reconnect by themselves
  if (JSON.stringify([services.config.engineHost, services.config.engineContext]) === before) await services.session.reconnect();
}

/** The "default" context with DOCKER_HOST set is DOCKER_HOST: both settings cleared. */
function clearsContext(target: EngineTarget, envHost: string | undefined): boolean {
  return target.kind === 'context' && target.name === DEFAULT_CONTEXT && envHost !== undefined && envHost !== '';
}

/**
 * The setting that decides the engine over what was just written to the user settings (Berth's
 * engine settings are machine-scoped: a remote machine's settings, or a workspace's where VS Code
 * honours them), in words; undefined when the user settings decide.
 */
function overriddenBy(target: EngineTarget, cleared: boolean): string | undefined {
  const section = vscode.workspace.getConfiguration('berth');
  const host = section.get<string>('engine.host', '').trim();
  const context = section.get<string>('engine.context', '').trim();
  const describe = (key: string, value: string): string => {
    const inspected = section.inspect<string>(key);
    return inspected?.workspaceFolderValue !== undefined
      ? vscode.l10n.t('this folder\'s berth.{0} setting ("{1}")', key, value)
      : inspected?.workspaceValue !== undefined
        ? vscode.l10n.t('this workspace\'s berth.{0} setting ("{1}")', key, value)
        : vscode.l10n.t('the remote machine\'s berth.{0} setting ("{1}")', key, value);
  };
  if (target.kind === 'host') return host === target.host ? undefined : describe('engine.host', host);
  if (host !== '') return describe('engine.host', host);
  const wanted = cleared ? '' : target.name;
  return context === wanted ? undefined : describe('engine.context', context);
}

function sshHostsOfConfig(home: string): { alias: string; detail: string }[] {
  const file = path.join(home, '.ssh', 'config');
  const text = readFileOrUndefined(file);
  if (text === undefined) return [];
  const blocks = parseSshConfig(text, file, { readFile: readFileOrUndefined, home });
  const localUser = os.userInfo().username;
  return sshConfigHosts(blocks).map((alias) => {
    const h = resolveSshHost(blocks, alias, { home, localUser });
    const jump = h.proxyJump.length > 0 ? ` via ${h.proxyJump.join(', ')}` : '';
    return { alias, detail: `${h.user ?? localUser}@${h.hostName}${h.port === undefined ? '' : `:${h.port}`}${jump}` };
  });
}

/**
 * Add an ssh host as a docker context: a host of ~/.ssh/config (ssh://alias, so that ssh — and the
 * docker CLI — use its settings) or one typed as [user@]host[:port]; named (the alias by default),
 * then offered to switch to.
 */
export async function addSshHost(services: Services): Promise<void> {
  const home = os.homedir();
  const existing = services.engineContexts.list().contexts;
  const byHost = new Map(existing.map((c) => [c.host, c.name]));
  const OTHER = vscode.l10n.t('Other host…');
  const picks = [
    ...sshHostsOfConfig(home).map(({ alias, detail }) => {
      const taken = byHost.get(`ssh://${alias}`);
      return {
        label: alias,
        description: detail,
        ...(taken === undefined ? {} : { detail: vscode.l10n.t('already the docker context "{0}"', taken) }),
        target: alias,
      };
    }),
    { label: OTHER, description: '[user@]host[:port]', target: undefined },
  ];
  const pick = await vscode.window.showQuickPick(picks, {
    title: vscode.l10n.t('Add SSH Host'),
    placeHolder:
      picks.length > 1
        ? vscode.l10n.t('A host of {0}, or another', path.join(home, '.ssh', 'config'))
        : vscode.l10n.t('No hosts in ~/.ssh/config: type one'),
    matchOnDescription: true,
  });
  if (!pick) return;
  let target = pick.target;
  if (target === undefined) {
    target = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add SSH Host'),
      prompt: vscode.l10n.t('The ssh host that runs Docker: [user@]host[:port]'),
      placeHolder: 'me@gpu-box:22',
      validateInput: (v) => {
        try {
          sshTargetHost(v);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    if (target === undefined) return;
  }
  const host = sshTargetHost(target);
  const suggested = contextNameError(target) === undefined ? target : suggestContextName(target);
  const names = new Set(existing.map((c) => c.name));
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add SSH Host: name of the docker context'),
    prompt: vscode.l10n.t('The docker context for {0} (the docker CLI sees it too: docker --context NAME)', host),
    value: names.has(suggested) ? '' : suggested,
    validateInput: (v) =>
      contextNameError(v.trim()) ?? (names.has(v.trim()) ? vscode.l10n.t('The context "{0}" exists already', v.trim()) : undefined),
  });
  if (name === undefined) return;
  const file = services.engineContexts.create({ name: name.trim(), host, description: `ssh host added by Berth` });
  services.log.info(`Engines: created the docker context "${name.trim()}" → ${host} (${file})`);
  const USE = vscode.l10n.t('Use It Now');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Created the docker context "{0}" for {1}.', name.trim(), host),
    USE,
    vscode.l10n.t('Not Now'),
  );
  if (choice === USE) await useEngine(services, { kind: 'context', name: name.trim() });
}

/** Remove a stored docker context, after asking; not the one Berth or the docker CLI uses. */
export async function removeEngineContext(services: Services, arg?: unknown): Promise<void> {
  const row = arg as Partial<EndpointRow> | undefined;
  const list: ContextList = services.engineContexts.list();
  const name = row?.kind === 'endpoint' && row.target?.kind === 'context' ? row.target.name : await pickStored(list);
  if (name === undefined) return;
  if (name === berthContextName(list)) {
    throw new Error(
      vscode.l10n.t('Berth uses the docker context "{0}": switch to another engine first (Use This Engine), then remove it.', name),
    );
  }
  if ('context' in list.cli && list.cli.context === name) {
    throw new Error(
      vscode.l10n.t('The docker CLI uses the context "{0}" (docker context use): run "docker context use default" first.', name),
    );
  }
  const context = list.contexts.find((c) => c.name === name);
  const REMOVE = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    context?.host
      ? vscode.l10n.t('Remove the docker context "{0}" ({1})? The docker CLI loses it too.', name, context.host)
      : vscode.l10n.t('Remove the docker context "{0}"? The docker CLI loses it too.', name),
    { modal: true },
    REMOVE,
  );
  if (choice !== REMOVE) return;
  services.engineContexts.remove(name);
  services.log.info(`Engines: removed the docker context "${name}"`);
}

async function pickStored(list: ContextList): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    list.contexts.filter((c) => !c.implicit).map((c) => ({ label: c.name, description: c.host })),
    { title: vscode.l10n.t('Remove Docker Context') },
  );
  return pick?.label;
}

export function refreshEngines(services: Services): void {
  services.engineContexts.refresh();
}
