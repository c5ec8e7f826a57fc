/** The run form's fields, all text as a form holds them (shared with the form's webview). */
export interface ProfileFields {
  name: string;
  image: string;
  dockerfile: string;
  context: string;
  /** One argument per line. */
  command: string;
  /** KEY=VALUE per line. */
  env: string;
  /** Comma-separated port mappings. */
  ports: string;
  /** source:target[:ro] per line. */
  volumes: string;
  modelPath: string;
  modelMountAt: string;
  /** none | all | a count | comma-separated device ids */
  gpus: string;
  gpuFallback: 'cpu' | 'fail';
  shmSize: string;
  memory: string;
  cpus: string;
  restart: string;
  /** image | none | /http/path */
  healthcheck: string;
}
