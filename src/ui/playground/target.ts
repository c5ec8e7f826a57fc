/**
 * Which address the playground (and "Open published port") sends to, from a container's port
 * bindings. Only this machine's loopback is ever a target: a binding on all interfaces (0.0.0.0,
 * ::) is reached on loopback, one on a specific non-loopback address is not reached at all and
 * says why. No vscode import.
 */
import type { ContainerEngine } from '../../core/engine/contract';
import { httpUrl, loopbackFor } from '../../core/engine/loopback';

export { loopbackFor };

export interface Binding {
  readonly containerPort: number;
  readonly protocol: string;
  readonly hostIp?: string;
  readonly hostPort?: number;
}

export type PortTarget =
  | {
      readonly url: string;
      /** The loopback address the port is published on, as the engine's host sees it. */
      readonly host: string;
      readonly containerPort: number;
      readonly hostPort: number;
      readonly protocol: string;
      /** How the URL reaches the engine's host when it is not this machine ("ssh tunnel to …"). */
      readonly via?: string;
    }
  | { readonly error: string };

/**
 * The base URL for a container port: the first container port (in the order given) with a
 * binding reachable on loopback, IPv4 first. Without one, the error names the port and where it
 * is published. `protocol` limits the bindings looked at (the playground speaks TCP).
 */
export function chooseTarget(name: string, bindings: readonly Binding[], protocol: string | undefined = 'tcp'): PortTarget {
  const published = bindings.filter(
    (b) => b.hostPort !== undefined && b.hostPort > 0 && (protocol === undefined || b.protocol === protocol),
  );
  if (published.length === 0)
    return {
      error: `${name} publishes no ${protocol === undefined ? '' : `${protocol.toUpperCase()} `}port: the playground needs one to send requests to.`,
    };
  const ports = [...new Set(published.map((b) => `${b.containerPort}/${b.protocol}`))];
  for (const key of ports) {
    const group = published.filter((b) => `${b.containerPort}/${b.protocol}` === key);
    const reachable = group
      .map((b) => ({ b, host: loopbackFor(b.hostIp) }))
      .filter((x): x is { b: Binding; host: string } => x.host !== undefined)
      .sort((x, y) => Number(x.host.includes(':')) - Number(y.host.includes(':')));
    const first = reachable[0];
    if (first)
      return {
        url: httpUrl(first.host, first.b.hostPort ?? 0),
        host: first.host,
        containerPort: first.b.containerPort,
        hostPort: first.b.hostPort ?? 0,
        protocol: first.b.protocol,
      };
  }
  const first = published[0]!;
  const ips = [...new Set(published.filter((b) => b.containerPort === first.containerPort).map((b) => b.hostIp ?? ''))];
  const where = ips.join(' and ');
  return {
    error:
      `${name}: port ${first.containerPort} is published on ${where} only, which Berth does not send traffic to; ` +
      `publish it on 127.0.0.1 (berth.yaml ports: ['${first.containerPort}']) or on all interfaces.`,
  };
}

/**
 * The target as this machine reaches it: the same URL for a local engine, a forwarded 127.0.0.1
 * port for an ssh:// engine, or the engine's reason why the port is out of reach.
 */
export async function reachTarget(engine: Pick<ContainerEngine, 'reachPort'>, name: string, target: PortTarget): Promise<PortTarget> {
  if ('error' in target) return target;
  const route = await engine.reachPort(target.host, target.hostPort);
  if ('error' in route) return { error: `${name}: ${route.error}` };
  if (route.via === undefined) return target;
  return { ...target, url: httpUrl(route.host, route.port), via: route.via };
}
