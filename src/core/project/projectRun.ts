/**
 * The decisions of running a project's profile that need no editor: the container's name, the
 * model the clicked file adds, GPU or CPU, the create options, the variants a retry or a notebook
 * comparison asks for.
 */
import type { GpuDetection } from '../engine/gpu';
import { gpuUnavailable, toCreateOptions, type RunPlan } from './createOptions';
import { readEnvFiles } from './envFile';
import { repositoryName } from './imageTag';
import { modelFor } from './projectLayout';
import type { RunProfile } from './runProfile';

/** The workspace-state key remembering that a profile may run on CPU when the engine has no GPU. */
export const gpuPreferenceKey = (projectDir: string, profile: string): string => `berth.gpuIfAvailable:${projectDir}:${profile}`;

/** The name of a profile's container: one per profile and project, so a new run replaces the last. */
export const runContainerName = (profile: RunProfile, projectDir: string): string => `berth-${profile.name}-${repositoryName(projectDir)}`;

/** The profile with the clicked file mounted as the model (in MODEL_PATH) when it is weights and the profile names none. */
export function withClickedModel(profile: RunProfile, projectDir: string, clicked: string): RunProfile {
  if (profile.model || profile.models) return profile;
  const model = modelFor(projectDir, clicked);
  return model ? { ...profile, model: { ...model, env: 'MODEL_PATH' } } : profile;
}

/**
 * GPU or CPU before anything starts: `cpu` when the profile wants a GPU the engine cannot give and
 * an earlier answer allowed the CPU; `ask` when the profile does not allow the CPU by itself.
 */
export type CpuDecision = { readonly kind: 'as-planned' } | { readonly kind: 'cpu' } | { readonly kind: 'ask'; readonly reason: string };

export function cpuDecision(profile: RunProfile, gpu: GpuDetection | undefined, rememberedCpu: boolean): CpuDecision {
  if (profile.gpus.kind !== 'none' && gpu?.available !== true && rememberedCpu) return { kind: 'cpu' };
  if (!gpuUnavailable(profile, gpu)) return { kind: 'as-planned' };
  return { kind: 'ask', reason: `this engine has none (${gpu?.reasons[0] ?? 'no GPU detected'}).` };
}

/** The same profile published on free host ports (the engine picks them), after "port in use". */
export const onAnyFreePort = (profile: RunProfile): RunProfile => ({
  ...profile,
  ports: profile.ports.map((port) => ({ ...port, hostPort: 0 })),
});

/** A notebook comparison uses the profile's image, env, limits and GPU, but serves nothing and is not kept alive. */
export const comparisonProfile = (profile: RunProfile): RunProfile => ({
  ...profile,
  ports: [],
  healthcheck: { kind: 'none' },
  restart: { name: 'no' },
});

/** A profile's run in a project as create options: its env files read, the GPU as the engine allows. */
export function planFor(
  profile: RunProfile,
  run: { image: string; projectDir: string; name?: string; gpu: GpuDetection | undefined; forceCpu: boolean },
): RunPlan {
  return toCreateOptions(profile, {
    image: run.image,
    projectDir: run.projectDir,
    ...(run.name ? { name: run.name } : {}),
    ...(run.gpu ? { gpu: run.gpu } : {}),
    forceCpu: run.forceCpu,
    envFromFiles: readEnvFiles(run.projectDir, profile.envFiles),
  });
}

/**
 * On a local engine a batch job runs as the user, so what it writes to output/ is theirs — unless
 * the profile names a user.
 */
export function batchUser(profile: RunProfile, localEngine: boolean, uid: number | undefined, gid: number | undefined): RunProfile {
  if (profile.user || !localEngine || uid === undefined || gid === undefined) return profile;
  return { ...profile, user: `${uid}:${gid}` };
}
