/**
 * The environment for a CLI (docker, docker compose, docker-compose) that must talk to the engine
 * Berth talks to.
 */
import type { EngineEndpoint } from './connection';

/**
 * DOCKER_HOST (and TLS from the folder Berth read it from), with DOCKER_CONTEXT removed so that no
 * context overrides it.
 */
export function cliEnv(endpoint: EngineEndpoint, base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_TLS', 'DOCKER_CERT_PATH']) delete env[k];
  env.DOCKER_HOST = endpoint.host;
  if (endpoint.tls) {
    env.DOCKER_CERT_PATH = endpoint.tls.from;
    if (endpoint.tls.verify) env.DOCKER_TLS_VERIFY = '1';
    else env.DOCKER_TLS = '1';
  }
  return env;
}
