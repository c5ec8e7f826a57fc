import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  INFERENCE_SERVICE,
  STACK_FILES,
  newStackFiles,
  writeStackFiles,
  type GpuChoice,
  type StackProject,
  type VectorDb,
} from '../../core/compose/newStack';
import { stackProjectOf } from '../../core/compose/stackProject';
import type { CommandContext } from '../commands';

const DOCKERFILES = '**/{Dockerfile,Dockerfile.*,*.Dockerfile,*.dockerfile}';
const IGNORED = '**/{node_modules,.git,.vscode-test}/**';

/** A resource argument from the Explorer or an editor (a Uri, or anything with its fsPath). */
export const hasFsPath = (arg: unknown): arg is { fsPath: string } =>
  typeof arg === 'object' && arg !== null && typeof (arg as { fsPath?: unknown }).fsPath === 'string';

/** The project folder and its Dockerfile: the Explorer's folder (or Dockerfile), else one the user picks. */
async function pickProject(arg: unknown): Promise<{ dir: string; dockerfile: string } | undefined> {
  if (hasFsPath(arg)) {
    const clicked = arg.fsPath;
    if (fs.existsSync(clicked) && fs.statSync(clicked).isFile()) return { dir: path.dirname(clicked), dockerfile: path.basename(clicked) };
    if (!fs.existsSync(path.join(clicked, 'Dockerfile')))
      throw new Error(
        vscode.l10n.t(
          "New AI Stack: {0} has no Dockerfile. The stack's inference service is built from one: add it, or pick the folder that holds it.",
          path.basename(clicked),
        ),
      );
    return { dir: clicked, dockerfile: 'Dockerfile' };
  }
  const found = await vscode.workspace.findFiles(DOCKERFILES, IGNORED, 50);
  if (found.length === 0)
    throw new Error(vscode.l10n.t('New AI Stack: no Dockerfile in this workspace. The inference service is built from one: add it first.'));
  const items = found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), fsPath: uri.fsPath }));
  const picked =
    items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: vscode.l10n.t('New AI Stack: which Dockerfile?') });
  return picked ? { dir: path.dirname(picked.fsPath), dockerfile: path.basename(picked.fsPath) } : undefined;
}

async function pickVectorDb(): Promise<VectorDb | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: 'Qdrant',
        description: vscode.l10n.t('default'),
        detail: vscode.l10n.t('qdrant/qdrant: REST on 6333, gRPC on 6334'),
        value: 'qdrant' as const,
      },
      {
        label: vscode.l10n.t('Milvus standalone'),
        detail: vscode.l10n.t('milvusdb/milvus with its etcd and MinIO: gRPC on 19530'),
        value: 'milvus' as const,
      },
    ],
    { title: vscode.l10n.t('New AI Stack: vector database') },
  );
  return picked?.value;
}

async function pickGpu(): Promise<GpuChoice | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('GPU if available'),
        description: vscode.l10n.t('default'),
        detail: vscode.l10n.t('Reserve the GPUs; Berth offers to start without them on an engine that has none'),
        value: 'if-available' as const,
      },
      {
        label: vscode.l10n.t('Always GPU'),
        detail: vscode.l10n.t('Reserve the GPUs; starting fails on an engine without one'),
        value: 'always' as const,
      },
      { label: vscode.l10n.t('No GPU'), detail: vscode.l10n.t('CPU only'), value: 'never' as const },
    ],
    { title: vscode.l10n.t('New AI Stack: GPU for the inference service') },
  );
  return picked?.value;
}

/** What the files will hold, in a few lines for the confirmation. */
function describeStack(project: StackProject, vectorDb: VectorDb, gpu: GpuChoice): string {
  const gpuText =
    gpu === 'never' ? vscode.l10n.t('no GPU') : gpu === 'always' ? vscode.l10n.t('GPU always') : vscode.l10n.t('GPU if available');
  const vector =
    vectorDb === 'qdrant' ? 'qdrant (6333, 6334)' : vscode.l10n.t('milvus standalone with milvus-etcd and milvus-minio (19530, 9091)');
  return [
    project.model
      ? vscode.l10n.t(
          '{0}: built from {1}, port {2}, model ./{3} read-only at {4}, {5}',
          INFERENCE_SERVICE,
          project.dockerfile,
          project.port,
          project.model.hostPath,
          project.model.mountAt,
          gpuText,
        )
      : vscode.l10n.t('{0}: built from {1}, port {2}, {3}', INFERENCE_SERVICE, project.dockerfile, project.port, gpuText),
    vector,
    vscode.l10n.t('redis: 256 MB, least recently used keys evicted (6379)'),
    vscode.l10n.t('prometheus: scrapes {0}:{1}/metrics every 5 s (9090)', INFERENCE_SERVICE, project.port),
    vscode.l10n.t('Ports on 127.0.0.1 only; memory and CPU limits on every service; named volumes; one network.'),
  ].join('\n');
}

/**
 * New AI Stack…: compose.yaml and prometheus.yml for a project with a Dockerfile — the inference
 * service, a vector database, Redis and Prometheus. Writes files only: nothing is built or run, so
 * an untrusted workspace is fine. Existing files are kept unless the user says Overwrite.
 */
export async function newAiStack(ctx: CommandContext, ...args: unknown[]): Promise<readonly string[] | undefined> {
  const target = await pickProject(args[0]);
  if (!target) return undefined;
  const vectorDb = await pickVectorDb();
  if (!vectorDb) return undefined;
  const gpu = await pickGpu();
  if (!gpu) return undefined;

  const project = stackProjectOf(target.dir, target.dockerfile);
  const files = newStackFiles(project, { vectorDb, gpu });
  const existing = STACK_FILES.filter((f) => fs.existsSync(path.join(target.dir, f)));
  const where = vscode.workspace.asRelativePath(target.dir) || path.basename(target.dir);
  const overwrite = existing.length > 0;
  const action = overwrite ? vscode.l10n.t('Overwrite') : vscode.l10n.t('Write');
  const replaced =
    existing.length === 0
      ? ''
      : existing.length === 1
        ? vscode.l10n.t('{0} already exists and will be replaced.', existing.join(' '))
        : vscode.l10n.t('{0} already exist and will be replaced.', existing.join(vscode.l10n.t(' and ')));
  const detail = (replaced === '' ? '' : `${replaced}\n\n`) + describeStack(project, vectorDb, gpu);
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t('New AI Stack: write compose.yaml and prometheus.yml in {0}?', where),
    { modal: true, detail },
    action,
  );
  if (answer !== action) {
    if (existing.length > 0)
      void vscode.window.showInformationMessage(
        vscode.l10n.t('New AI Stack: kept the existing {0}.', existing.join(vscode.l10n.t(' and '))),
      );
    return undefined;
  }
  const result = writeStackFiles(target.dir, files, overwrite);
  if ('existing' in result) {
    // written by something else since the question
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'New AI Stack: {0} appeared meanwhile; nothing was written.',
        result.existing.map((f) => path.basename(f)).join(vscode.l10n.t(' and ')),
      ),
    );
    return undefined;
  }
  ctx.log.info(`New AI Stack: wrote ${result.written.join(', ')} (${vectorDb}, GPU ${gpu})`);
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(target.dir, 'compose.yaml')));
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('New AI Stack: files written. Nothing was built or started: this workspace is not trusted (Manage Workspace Trust).'),
    );
  }
  return result.written;
}
