import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDirFor } from './projectLayout';
import type { RunProfile } from './runProfile';

/** What a `berth` task does: the commands Run Model in Container, Run as Batch Job, Build Image, Compare Notebook. */
export const BERTH_TASK_ACTIONS = ['run', 'batch', 'build', 'compare'] as const;
export type BerthTaskAction = (typeof BERTH_TASK_ACTIONS)[number];

/** A `berth` task's definition, as tasks.json writes it (package.json `taskDefinitions`). */
export interface BerthTaskDefinition {
  readonly type: 'berth';
  readonly action: BerthTaskAction;
  /** A berth.yaml profile name. */
  readonly profile?: string;
  /** The script, notebook, model, Dockerfile or project folder, relative to the workspace folder. */
  readonly file?: string;
  /** The image tag a build task gives (by default the one Build Image proposes). */
  readonly tag?: string;
}

/** What a task is to do, every answer a command would ask for already given. */
export type TaskPlan =
  | {
      readonly kind: 'run';
      readonly projectDir: string;
      /** The file the run is about (a model is mounted when the profile names none). */
      readonly clicked: string;
      /** Undefined: the project has no berth.yaml yet (Berth writes its one default profile). */
      readonly profile?: string;
    }
  | { readonly kind: 'batch'; readonly projectDir: string; readonly clicked: string; readonly profile?: string }
  | {
      readonly kind: 'build';
      readonly projectDir: string;
      readonly contextDir: string;
      /** Relative to the context. */
      readonly dockerfile: string;
      readonly target?: string;
      readonly buildArgs: Readonly<Record<string, string>>;
      /** Undefined: the tag Build Image proposes. */
      readonly tag?: string;
      /** The profile the build comes from, if any. */
      readonly profile?: string;
    }
  | { readonly kind: 'compare'; readonly projectDir: string; readonly notebook: string };

export type TaskPlanResult = { readonly ok: true; readonly plan: TaskPlan } | { readonly ok: false; readonly message: string };

/** A project's berth.yaml profiles; undefined when it has none. May throw on a berth.yaml with problems. */
export type ReadProfiles = (projectDir: string) => readonly RunProfile[] | undefined;

const refuse = (message: string): TaskPlanResult => ({ ok: false, message });
const quote = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

/**
 * A task definition (as tasks.json gives it: anything) → what to do, in the workspace folder
 * `folderDir`. Everything a command would ask in a quick pick comes from the definition; what is
 * missing or wrong is refused with a message that says what to write.
 */
export function planTask(definition: Readonly<Record<string, unknown>>, folderDir: string, readProfiles: ReadProfiles): TaskPlanResult {
  const action = definition['action'];
  if (typeof action !== 'string' || !(BERTH_TASK_ACTIONS as readonly string[]).includes(action))
    return refuse(`A berth task needs "action": one of ${quote(BERTH_TASK_ACTIONS)}.`);
  for (const key of ['profile', 'file', 'tag'] as const) {
    const value = definition[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
      return refuse(`The berth task's "${key}" must be a non-empty string.`);
  }
  const profileName = definition['profile'] as string | undefined;
  const fileRel = definition['file'] as string | undefined;
  const tag = (definition['tag'] as string | undefined)?.trim();
  const file = fileRel === undefined ? undefined : path.resolve(folderDir, fileRel);
  if (file !== undefined && !fs.existsSync(file)) return refuse(`The berth task's file ${fileRel ?? ''} does not exist in ${folderDir}.`);
  if (tag !== undefined && !/^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::\w[\w.-]{0,127})?$/.test(tag))
    return refuse(`The berth task's tag "${tag}" is not an image tag (lower-case name[:tag]).`);
  const clicked = file ?? folderDir;
  const projectDir = projectDirFor(clicked, folderDir);
  const profiles = readProfiles(projectDir);

  /** The named profile, or the only one; a message when it cannot be told which. */
  const pickProfile = (what: string): { profile?: RunProfile; message?: string } => {
    const names = (profiles ?? []).map((p) => p.name);
    if (profileName !== undefined) {
      const found = profiles?.find((p) => p.name === profileName);
      if (found) return { profile: found };
      return {
        message:
          profiles === undefined
            ? `The berth task names profile "${profileName}", but ${projectDir} has no berth.yaml.`
            : `berth.yaml in ${projectDir} has no profile "${profileName}" (it has ${quote(names)}).`,
      };
    }
    if (profiles === undefined || profiles.length === 0) return {};
    if (profiles.length === 1) return { profile: profiles[0] as RunProfile };
    return { message: `berth.yaml in ${projectDir} has several profiles (${quote(names)}): name the one to ${what} in "profile".` };
  };

  switch (action as BerthTaskAction) {
    case 'run': {
      const picked = pickProfile('run');
      if (picked.message) return refuse(picked.message);
      if (!picked.profile && !fs.existsSync(path.join(projectDir, 'Dockerfile')))
        return refuse(`No Dockerfile or berth.yaml in ${projectDir}: add a Dockerfile, or a berth.yaml profile naming an image.`);
      return { ok: true, plan: { kind: 'run', projectDir, clicked, ...(picked.profile ? { profile: picked.profile.name } : {}) } };
    }
    case 'batch': {
      if (file === undefined || fs.statSync(file).isDirectory())
        return refuse('A berth batch task needs "file": the Python script (or Dockerfile) to run, relative to the workspace folder.');
      const picked = pickProfile('use for the batch job');
      if (picked.message) return refuse(picked.message);
      if (!picked.profile && !fs.existsSync(path.join(projectDir, 'Dockerfile')))
        return refuse(`No Dockerfile or berth.yaml in ${projectDir}: add a Dockerfile, or a berth.yaml profile naming an image.`);
      return { ok: true, plan: { kind: 'batch', projectDir, clicked: file, ...(picked.profile ? { profile: picked.profile.name } : {}) } };
    }
    case 'compare': {
      if (file === undefined || !file.endsWith('.ipynb'))
        return refuse('A berth compare task needs "file": the notebook (.ipynb) to compare, relative to the workspace folder.');
      return { ok: true, plan: { kind: 'compare', projectDir, notebook: file } };
    }
    case 'build':
      return planBuild({ file, profileName, tag, projectDir, profiles, pickProfile });
  }
}

function planBuild(input: {
  file: string | undefined;
  profileName: string | undefined;
  tag: string | undefined;
  projectDir: string;
  profiles: readonly RunProfile[] | undefined;
  pickProfile: (what: string) => { profile?: RunProfile; message?: string };
}): TaskPlanResult {
  const { file, projectDir, profiles, tag } = input;
  const withTag = tag === undefined ? {} : { tag };
  // a Dockerfile named: the profile that builds it gives its args and stage, as Build Image does
  if (file !== undefined && fs.statSync(file).isFile() && input.profileName === undefined) {
    const contextDir = path.dirname(file);
    const dockerfile = path.basename(file);
    const match = profiles?.find((p) => p.build && path.resolve(projectDir, p.build.context, p.build.dockerfile) === file);
    return {
      ok: true,
      plan: {
        kind: 'build',
        projectDir,
        contextDir,
        dockerfile,
        ...(match?.build?.target ? { target: match.build.target } : {}),
        buildArgs: { ...match?.build?.args },
        ...withTag,
        ...(match ? { profile: match.name } : {}),
      },
    };
  }
  const builders = (profiles ?? []).filter((p) => p.build);
  let profile: RunProfile | undefined;
  if (input.profileName !== undefined) {
    const picked = input.pickProfile('build');
    if (picked.message !== undefined) return { ok: false, message: picked.message };
    profile = picked.profile;
    if (profile && !profile.build)
      return { ok: false, message: `Profile "${profile.name}" names an image (${profile.image ?? ''}); it builds nothing.` };
  } else if (builders.length === 1) profile = builders[0];
  if (profile?.build) {
    return {
      ok: true,
      plan: {
        kind: 'build',
        projectDir,
        contextDir: path.resolve(projectDir, profile.build.context),
        dockerfile: profile.build.dockerfile,
        ...(profile.build.target ? { target: profile.build.target } : {}),
        buildArgs: { ...profile.build.args },
        ...withTag,
        profile: profile.name,
      },
    };
  }
  if (builders.length > 1)
    return {
      ok: false,
      message: `Several profiles build an image (${quote(builders.map((p) => p.name))}): say which with "profile", or name the Dockerfile with "file".`,
    };
  if (fs.existsSync(path.join(projectDir, 'Dockerfile')))
    return { ok: true, plan: { kind: 'build', projectDir, contextDir: projectDir, dockerfile: 'Dockerfile', buildArgs: {}, ...withTag } };
  return {
    ok: false,
    message: `Nothing to build in ${projectDir}: name a Dockerfile with "file", or a profile that builds with "profile".`,
  };
}

/** A task Berth offers in Run Task: its name and definition; `build` ones go in the Build group. */
export interface ProvidedTask {
  readonly name: string;
  readonly definition: BerthTaskDefinition;
  readonly detail: string;
}

/**
 * The tasks a workspace folder offers: for each project (a folder with berth.yaml, relative to
 * the workspace folder; '' is the folder itself), one run task per profile and one build task per
 * profile that builds; a project with a Dockerfile and no building profile gets a build task for
 * its Dockerfile.
 */
export function providedTasks(
  projects: readonly { readonly dir: string; readonly profiles: readonly RunProfile[]; readonly hasDockerfile: boolean }[],
): ProvidedTask[] {
  const tasks: ProvidedTask[] = [];
  for (const project of projects) {
    const where = project.dir === '' ? '' : ` (${project.dir})`;
    const file = project.dir === '' ? {} : { file: project.dir };
    for (const p of project.profiles)
      tasks.push({
        name: `run ${p.name}${where}`,
        definition: { type: 'berth', action: 'run', profile: p.name, ...file },
        detail: `Run profile ${p.name} until its container is healthy`,
      });
    const builders = project.profiles.filter((p) => p.build);
    for (const p of builders)
      tasks.push({
        name: `build ${p.name}${where}`,
        definition: { type: 'berth', action: 'build', profile: p.name, ...file },
        detail: `Build the image of profile ${p.name} (${p.build?.dockerfile ?? ''})`,
      });
    if (builders.length === 0 && project.hasDockerfile)
      tasks.push({
        name: `build Dockerfile${where}`,
        definition: { type: 'berth', action: 'build', file: project.dir === '' ? 'Dockerfile' : `${project.dir}/Dockerfile` },
        detail: 'Build the image of the Dockerfile',
      });
  }
  return tasks;
}
