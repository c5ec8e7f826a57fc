/**
 * Podman through its Docker-compatible API (`podman system service`): where its sockets are, how
 * to tell it from Docker Engine, and where it answers differently — its event and state names
 * (mapped to Docker's here, so the container model stays right) and GPUs, which Podman hands to
 * containers through CDI only (`--device nvidia.com/gpu=all`), never through Docker's
 * DeviceRequests (`--gpus`), which its compat API accepts and silently drops. Pure: what it needs
 * of the machine is passed in. Measured on Podman 4.3.1 (Debian 12).
 */
import type { EngineVersion } from './contract';
import type { RawEngineVersion } from './records';

export type EngineFlavour = 'docker' | 'podman';

/** The component Podman names itself by in GET /version. */
export const PODMAN_COMPONENT = 'Podman Engine';

/** Rootful Podman's socket (the `podman.socket` unit's). */
export const PODMAN_ROOTFUL_SOCKET = '/run/podman/podman.sock';

export interface PodmanSocket {
  /** unix:///path */
  readonly host: string;
  readonly path: string;
  readonly mode: 'rootful' | 'rootless';
}

/**
 * The Podman sockets that exist on this machine, the one most likely meant first: rootless
 * ($XDG_RUNTIME_DIR/podman/podman.sock, or /run/user/<uid>/… without XDG_RUNTIME_DIR) before
 * rootful (/run/podman/podman.sock) for a user, rootful first for root.
 */
export function podmanSockets(input: {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's uid; undefined where there is none (Windows). */
  readonly uid: number | undefined;
  readonly exists: (path: string) => boolean;
}): PodmanSocket[] {
  const runtimeDir = input.env.XDG_RUNTIME_DIR?.trim() || (input.uid === undefined ? undefined : `/run/user/${input.uid}`);
  const rootless = runtimeDir === undefined ? undefined : `${runtimeDir.replace(/\/+$/, '')}/podman/podman.sock`;
  const candidates: PodmanSocket[] = [];
  const add = (path: string | undefined, mode: PodmanSocket['mode']): void => {
    if (path !== undefined && !candidates.some((c) => c.path === path)) candidates.push({ host: `unix://${path}`, path, mode });
  };
  if (input.uid === 0) {
    add(PODMAN_ROOTFUL_SOCKET, 'rootful');
    add(rootless, 'rootless');
  } else {
    add(rootless, 'rootless');
    add(PODMAN_ROOTFUL_SOCKET, 'rootful');
  }
  return candidates.filter((c) => input.exists(c.path));
}

type VersionLike = Pick<RawEngineVersion, 'Components'> | Pick<EngineVersion, 'components'>;

/** Is the engine that sent this version (raw, or normalised) Podman? */
export function isPodman(version: VersionLike): boolean {
  const raw = 'Components' in version ? (version.Components ?? []).map((c) => c.Name) : undefined;
  const names = raw ?? ('components' in version ? version.components.map((c) => c.name) : []);
  return names.some((n) => n === PODMAN_COMPONENT);
}

export function flavourOf(version: VersionLike): EngineFlavour {
  return isPodman(version) ? 'podman' : 'docker';
}

/** The engine's name as people call it: "Docker" or "Podman". */
export function engineProductName(flavour: EngineFlavour): string {
  return flavour === 'podman' ? 'Podman' : 'Docker';
}

/**
 * Podman's container event names that mean what a Docker one means. Podman sends `remove` where
 * Docker sends `destroy`, `exec`/`exec_died` for `exec_start`/`exec_die` (and `died` from older
 * services); Docker sends none of these for containers.
 */
const PODMAN_VERBS: Readonly<Record<string, string>> = Object.freeze({
  remove: 'destroy',
  exec: 'exec_start',
  exec_died: 'exec_die',
  died: 'die',
});

/** Docker's name for a container event verb (Podman's names mapped, every other one kept). */
export function dockerEventVerb(type: string, verb: string): string {
  return type === 'container' ? (PODMAN_VERBS[verb] ?? verb) : verb;
}

/**
 * Podman's container events that change nothing the model shows: `init` (before `start`),
 * `cleanup` (after `die`), `mount`/`unmount` (of the container's root fs), `sync`.
 */
export const PODMAN_QUIET_EVENTS: readonly string[] = Object.freeze(['init', 'cleanup', 'mount', 'unmount', 'sync']);

/**
 * Podman's container states that Docker does not have, as Docker would say them: `configured`
 * and `initialized` are created, `stopped` (exited, not yet cleaned up) is exited, and `stopping`
 * (a stop under way: Podman already says Running false) is still running, as on Docker until the
 * `die`.
 */
export function dockerState(state: string | undefined): string | undefined {
  switch (state) {
    case 'configured':
    case 'initialized':
      return 'created';
    case 'stopped':
      return 'exited';
    case 'stopping':
      return 'running';
    default:
      return state;
  }
}

/** Event attributes Podman adds to every container event that are not the container's labels. */
export const PODMAN_EVENT_ATTRIBUTES: readonly string[] = Object.freeze(['containerExitCode', 'podId']);

/** A CDI device name: vendor.com/class=name, e.g. nvidia.com/gpu=all. */
export function isCdiName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]+\/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9_.:-]+$/.test(name);
}

interface GpuAsk {
  readonly HostConfig?:
    | {
        readonly DeviceRequests?:
          | readonly {
              readonly Driver?: string | undefined;
              readonly Capabilities?: readonly (readonly string[])[] | null | undefined;
            }[]
          | null
          | undefined;
        /** dockerode types them loosely; a CDI device is { PathOnHost: "nvidia.com/gpu=all" }. */
        readonly Devices?: readonly unknown[] | null | undefined;
      }
    | undefined;
}

/** Does this create request ask for a GPU the Docker way (DeviceRequests with the gpu capability or the nvidia driver)? */
export function asksDockerGpu(options: GpuAsk): boolean {
  return (options.HostConfig?.DeviceRequests ?? []).some(
    (r) => r.Driver === 'nvidia' || (r.Capabilities ?? []).some((set) => set.includes('gpu')),
  );
}

/** The CDI device names a create request asks for. */
export function cdiDevicesAsked(options: GpuAsk): string[] {
  return (options.HostConfig?.Devices ?? []).flatMap((d) => {
    const path = (d as { PathOnHost?: unknown } | null)?.PathOnHost;
    return typeof path === 'string' && isCdiName(path) ? [path] : [];
  });
}

/** How Podman gives a container a GPU, for every message that says so. */
export const PODMAN_CDI_HINT =
  'Podman hands GPUs to containers through CDI: generate the spec on the engine host with "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml" (NVIDIA Container Toolkit), then run "podman run --device nvidia.com/gpu=all …"';

/**
 * Why Berth refuses a Docker-style GPU request on Podman before creating anything: Podman's
 * Docker-compatible API takes DeviceRequests and drops them, so the container would start without
 * a GPU and no error would say so.
 */
export const PODMAN_DEVICE_REQUESTS_MESSAGE = `Podman ignores Docker's GPU request (--gpus, DeviceRequests): the container would start without a GPU. ${PODMAN_CDI_HINT}. Run on CPU instead?`;

/**
 * What Podman's Docker-compatible API (4.3) says to a CDI device name in HostConfig.Devices: it
 * takes it for a file ("stat nvidia.com/gpu=all: no such file or directory"); its own API (and
 * `podman run`) resolve CDI names, and say "unresolvable CDI devices …" when no spec names them.
 */
export function podmanCdiRefusal(message: string, asked: readonly string[]): string | undefined {
  const named = asked.find((n) => message.includes(`stat ${n}:`) || message.includes(`unresolvable CDI devices`));
  if (named === undefined) return undefined;
  return `Podman could not give this container the GPU device ${named}: ${message.replace(/\.?\s*$/, '')}. ${PODMAN_CDI_HINT}. Run on CPU instead?`;
}

/**
 * Where Podman differs from Docker Engine, one line each, for the engine's info view and the
 * places the user meets the difference. Keyed so the UI can show the one that applies.
 */
export const PODMAN_DIFFERENCES = Object.freeze({
  gpu: "GPUs: Podman ignores Docker's --gpus (DeviceRequests); it hands GPUs through CDI (--device nvidia.com/gpu=all), so Berth's GPU runs refuse on Podman and say so.",
  events:
    'Events: Podman names some container events differently (init, cleanup, exec_died, remove) and sends no kill or stop events; Berth maps them, and the tree stays right.',
  stats: 'Stats: Podman samples a container about every 5 seconds (Docker: every second): the charts move in 5-second steps.',
  images:
    'Images: Podman names images it loaded or imported localhost/NAME:TAG, and names what it builds docker.io/NAME:TAG; short names still find them.',
  build:
    'Build: Podman builds with Buildah behind the classic build API (progress reads "STEP 1/7: …"); the BuildKit route (the docker CLI with DOCKER_BUILDKIT=1) fails against it, while Buildah itself accepts RUN --mount=type=cache there.',
  health:
    'Health checks: Podman runs them from systemd timers; without systemd (WSL, containers) they never run on their own and the status stays "starting" — Berth runs them on request there. Its health events carry no status, and its list shows none.',
  logs: 'Logs: Podman stamps log lines to the whole second (Docker: to the nanosecond), so the times shown for its lines are whole seconds.',
});
