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
        `New AI Stack: ${path.basename(clicked)} has no Dockerfile. The stack's inference service is built from one: add it, or pick the folder that holds it.`,
      );
    return { dir: clicked, dockerfile: 'Dockerfile' };
  }
  const found = await vscode.workspace.findFiles(DOCKERFILES, IGNORED, 50);
  if (found.length === 0)
    throw new Error('New AI Stack: no Dockerfile in this workspace. The inference service is built from one: add it first.');
  const items = found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), fsPath: uri.fsPath }));
  const picked = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: 'New AI Stack: which Dockerfile?' });
  return picked ? { dir: path.dirname(picked.fsPath), dockerfile: path.basename(picked.fsPath) } : undefined;
}

async function pickVectorDb(): Promise<VectorDb | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Qdrant', description: 'default', detail: 'qdrant/qdrant: REST on 6333, gRPC on 6334', value: 'qdrant' as const },
      { label: 'Milvus standalone', detail: 'milvusdb/milvus with its etcd and MinIO: gRPC on 19530', value: 'milvus' as const },
    ],
    { title: 'New AI Stack: vector database' },
  );
  return picked?.value;
}

async function pickGpu(): Promise<GpuChoice | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: 'GPU if available',
        description: 'default',
        detail: 'Reserve the GPUs; Berth offers to start without them on an engine that has none',
        value: 'if-available' as const,
      },
      { label: 'Always GPU', detail: 'Reserve the GPUs; starting fails on an engine without one', value: 'always' as const },
      { label: 'No GPU', detail: 'CPU only', value: 'never' as const },
    ],
    { title: 'New AI Stack: GPU for the inference service' },
  );
  return picked?.value;
}

/** What the files will hold, in a few lines for the confirmation. */
function describeStack(project: StackProject, vectorDb: VectorDb, gpu: GpuChoice): string {
  const gpuText = gpu === 'never' ? 'no GPU' : gpu === 'always' ? 'GPU always' : 'GPU if available';
  const model = project.model ? `, model ./${project.model.hostPath} read-only at ${project.model.mountAt}` : '';
  const vector = vectorDb === 'qdrant' ? 'qdrant (6333, 6334)' : 'milvus standalone with milvus-etcd and milvus-minio (19530, 9091)';
  return [
    `${INFERENCE_SERVICE}: built from ${project.dockerfile}, port ${project.port}${model}, ${gpuText}`,
    vector,
    'redis: 256 MB, least recently used keys evicted (6379)',
    `prometheus: scrapes ${INFERENCE_SERVICE}:${project.port}/metrics every 5 s (9090)`,
    'Ports on 127.0.0.1 only; memory and CPU limits on every service; named volumes; one network.',
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
  const action = existing.length > 0 ? 'Overwrite' : 'Write';
  const detail =
    (existing.length > 0 ? `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''} and will be replaced.\n\n` : '') +
    describeStack(project, vectorDb, gpu);
  const answer = await vscode.window.showInformationMessage(
    `New AI Stack: write compose.yaml and prometheus.yml in ${where}?`,
    { modal: true, detail },
    action,
  );
  if (answer !== action) {
    if (existing.length > 0) void vscode.window.showInformationMessage(`New AI Stack: kept the existing ${existing.join(' and ')}.`);
    return undefined;
  }
  const result = writeStackFiles(target.dir, files, action === 'Overwrite');
  if ('existing' in result) {
    // written by something else since the question
    void vscode.window.showWarningMessage(
      `New AI Stack: ${result.existing.map((f) => path.basename(f)).join(' and ')} appeared meanwhile; nothing was written.`,
    );
    return undefined;
  }
  ctx.log.info(`New AI Stack: wrote ${result.written.join(', ')} (${vectorDb}, GPU ${gpu})`);
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(target.dir, 'compose.yaml')));
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage(
      'New AI Stack: files written. Nothing was built or started: this workspace is not trusted (Manage Workspace Trust).',
    );
  }
  return result.written;
}
