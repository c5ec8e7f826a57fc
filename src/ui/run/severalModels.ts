/**
 * Run Model in Container on several model files selected in the Explorer: which files, the names
 * they are served under, and the profile variants for one container per model or one container
 * serving all. No vscode: the command (runModel.ts) asks and runs; this decides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isWeightFile } from '../../core/project/buildContext';
import { runContainerName } from '../../core/project/projectRun';
import { DEFAULT_MODEL_ENV, LOOPBACK, MODEL_NAME, modelName, MODELS_MOUNT, type RunProfile } from '../../core/project/runProfile';

/** A selected model file: where it is, and the name it is served under. */
export interface SelectedModel {
  readonly file: string;
  /** Relative to the project, with forward slashes. */
  readonly rel: string;
  /** Its file name without the extension: /models/<name>/predict, and its container's name suffix. */
  readonly name: string;
}

/** The user chose how to run them. */
export type SeveralMode = 'per-model' | 'one-container';

/** A profile variant ready to start under a container name. */
export interface ModelRun {
  readonly profile: RunProfile;
  readonly name: string;
  /** The playground's first request path. */
  readonly predictPath: string;
}

/**
 * The selected files as models of one project, in the order given (each once); refused with one
 * clear message when one is not a model file, lies outside the project, or two would be served
 * under one name or mounted at one path.
 */
export function selectedModels(
  projectDir: string,
  files: readonly string[],
  exists: (f: string) => boolean = fs.existsSync,
): SelectedModel[] {
  const unique = [...new Set(files)];
  const notModels = unique.filter((f) => !isWeightFile(f));
  if (notModels.length > 0)
    throw new Error(
      `${notModels.map((f) => path.basename(f)).join(', ')} ${notModels.length === 1 ? 'is not a model file' : 'are not model files'}: select only model files (.npz, .pt, .safetensors, .onnx, …) to run several at once.`,
    );
  const outside = unique.filter((f) => {
    const rel = path.relative(projectDir, f);
    return rel.startsWith('..') || path.isAbsolute(rel);
  });
  if (outside.length > 0)
    throw new Error(
      `${outside.map((f) => path.basename(f)).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in the project of ${path.basename(files[0] ?? '')} (${projectDir}): select model files of one project.`,
    );
  const missing = unique.filter((f) => !exists(f));
  if (missing.length > 0) throw new Error(`${missing.map((f) => path.basename(f)).join(', ')} no longer exists.`);
  const models = unique.map((file) => ({
    file,
    rel: path.relative(projectDir, file).split(path.sep).join('/'),
    name: modelName(file),
  }));
  const badName = models.find((m) => !MODEL_NAME.test(m.name));
  if (badName)
    throw new Error(
      `${badName.rel} cannot be served under its name "${badName.name}": a model's name is letters, digits, ".", "_" and "-". Rename the file, or list it in berth.yaml under models: with a name.`,
    );
  for (const [i, m] of models.entries()) {
    const other = models.slice(0, i).find((o) => o.name === m.name || path.basename(o.file) === path.basename(m.file));
    if (other)
      throw new Error(
        other.name === m.name && path.basename(other.file) !== path.basename(m.file)
          ? `${other.rel} and ${m.rel} would both be served as "${m.name}": rename one of them, or list them in berth.yaml under models: with names.`
          : `${other.rel} and ${m.rel} have the same file name, so both would be mounted at ${MODELS_MOUNT}/${path.basename(m.file)}: rename one of them.`,
      );
  }
  return models;
}

/** A profile without its model settings: the selection decides them. */
function withoutModels(profile: RunProfile): RunProfile {
  const { model: _model, models: _models, ...rest } = profile;
  return rest;
}

/**
 * One container per model: the profile with that model alone (in MODEL_PATH, as Run Model mounts a
 * clicked model), named after the model, its ports on any free port of 127.0.0.1 so that the
 * containers do not contend for one.
 */
export function perModelRuns(profile: RunProfile, projectDir: string, models: readonly SelectedModel[]): ModelRun[] {
  const base = runContainerName(profile, projectDir);
  return models.map((m) => ({
    profile: {
      ...withoutModels(profile),
      model: { path: m.rel, mountAt: `${MODELS_MOUNT}/${path.basename(m.file)}`, env: profile.model?.env ?? DEFAULT_MODEL_ENV },
      ports: profile.ports.map((p) => ({ ...p, hostIp: LOOPBACK, hostPort: 0 })),
    },
    name: `${base}-${m.name}`,
    predictPath: '/predict',
  }));
}

/** One container serving all: the profile with the files as its models (each at /models/<file name>, named in MODELS). */
export function multiModelRun(profile: RunProfile, projectDir: string, models: readonly SelectedModel[]): ModelRun {
  return {
    profile: { ...withoutModels(profile), models: models.map((m) => ({ name: m.name, path: m.rel })) },
    name: `${runContainerName(profile, projectDir)}-models`,
    predictPath: `/models/${models[0]?.name ?? ''}/predict`,
  };
}
