/**
 * The one way Berth builds an image: BuildKit through a docker CLI when one is found (and the
 * setting allows), else the engine's classic builder through the Engine API. `chooseBuilder` says
 * which and why (for the Build output's header); `build` runs it.
 */
import { BuildFailedError, buildImage } from '../engine/build';
import type { Engine } from '../engine/engine';
import { buildWithBuildKit, type BuildKitOptions } from './buildkitBuild';
import { candidates, describeCli, type BuildKitCli, type BuildKitFinder, type CliDecision } from './dockerCli';

export type BuilderSetting = 'auto' | 'buildkit' | 'classic';

export type BuilderChoice =
  | { readonly kind: 'buildkit'; readonly cli: BuildKitCli; readonly decision: CliDecision }
  | { readonly kind: 'classic'; readonly why: string; readonly decision?: CliDecision };

export interface ChooseOptions {
  readonly setting: BuilderSetting;
  readonly finder: BuildKitFinder;
  /** The berth.build.dockerPath setting (a CLI to try first). */
  readonly cliPath?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The CLIs to try; default: the setting's, every docker on PATH, /usr/bin/docker. */
  readonly candidates?: readonly string[];
}

/** BuildKit or the classic builder, and why. */
export async function chooseBuilder(engine: Pick<Engine, 'endpoint' | 'serverVersion'>, options: ChooseOptions): Promise<BuilderChoice> {
  if (options.setting === 'classic') return { kind: 'classic', why: 'the berth.build.builder setting is "classic"' };
  if (engine.serverVersion.flavour === 'podman') {
    // the docker CLI's BuildKit session is a Docker Engine endpoint Podman does not have
    const why =
      'the engine is Podman, which builds with Buildah behind the classic build API (the docker CLI’s BuildKit route fails against it)';
    if (options.setting === 'buildkit')
      throw new BuildFailedError(
        `berth.build.builder is "buildkit", and ${why}. Set it to "auto" to build with Podman's builder.`,
        undefined,
        [],
      );
    return { kind: 'classic', why };
  }
  const env = options.env ?? process.env;
  const list =
    options.candidates ??
    candidates({
      ...(options.cliPath === undefined ? {} : { setting: options.cliPath }),
      ...(env.PATH === undefined ? {} : { pathEnv: env.PATH }),
    });
  const decision = await options.finder.find(engine.endpoint, list, env);
  if (decision.cli) return { kind: 'buildkit', cli: decision.cli, decision };
  if (options.setting === 'buildkit')
    throw new BuildFailedError(
      `berth.build.builder is "buildkit", and ${decision.why}. Set it to "auto" to build with the classic builder.`,
      undefined,
      [],
    );
  return { kind: 'classic', why: decision.why, decision };
}

/** The Build output's header line: "BuildKit via /usr/bin/docker 20.10.24 (built-in)". */
export function describeBuilder(choice: BuilderChoice): string {
  return choice.kind === 'buildkit' ? describeCli(choice.cli) : `classic builder (Engine API): ${choice.why}`;
}

/** Build and tag an image with the chosen builder; resolves to its id. */
export async function build(engine: Engine, options: BuildKitOptions, choice: BuilderChoice): Promise<string> {
  // the classic builder has no secrets or ssh: it refuses the RUN --mount lines that use them, by line
  if (choice.kind === 'classic') return buildImage(engine, options);
  const id = await buildWithBuildKit(engine.endpoint, choice.cli, options);
  return id ?? (await engine.inspectImage(options.tag, options.signal)).id;
}
