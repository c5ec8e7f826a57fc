/**
 * New AI Stack: compose.yaml and prometheus.yml for a project — its inference service built from
 * its Dockerfile, a vector database (Qdrant, or Milvus standalone with its etcd and MinIO), Redis
 * as a cache and Prometheus scraping the service's /metrics. The text is written by hand, with
 * comments, in the syntax that Compose v1 (1.29) and v2 both read: no `version:` and no top-level
 * `name:`, short `depends_on` lists, ports published on 127.0.0.1 only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type VectorDb = 'qdrant' | 'milvus';
export type GpuChoice = 'if-available' | 'always' | 'never';

/** What the stack needs to know about the project (see `stackProjectOf`). */
export interface StackProject {
  /** The folder compose.yaml is written to; paths below are relative to it. */
  readonly dir: string;
  /** The Dockerfile, relative to `dir` (the build context). */
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The port the service listens on inside its container. */
  readonly port: number;
  /** The model file or folder on the host (relative to `dir`) and where the image expects it. */
  readonly model?: { readonly hostPath: string; readonly mountAt: string; readonly modelPath: string };
  /** An HTTP path that answers 200 when the service is ready. */
  readonly healthPath?: string;
  /** The image runs Python (PID 1 ignores SIGTERM: `init: true`). */
  readonly python: boolean;
}

export interface StackImages {
  readonly redis: string;
  readonly prometheus: string;
  readonly qdrant: string;
  readonly milvus: string;
  readonly etcd: string;
  readonly minio: string;
}

export const DEFAULT_STACK_IMAGES: StackImages = {
  redis: 'redis:7',
  prometheus: 'prom/prometheus',
  qdrant: 'qdrant/qdrant',
  milvus: 'milvusdb/milvus:v2.4.15',
  // the versions Milvus's own standalone compose file uses
  etcd: 'quay.io/coreos/etcd:v3.5.5',
  minio: 'minio/minio:RELEASE.2023-03-20T20-16-18Z',
};

export interface StackChoices {
  readonly vectorDb?: VectorDb;
  readonly gpu?: GpuChoice;
  readonly images?: Partial<StackImages>;
  /** Publish on any free loopback port ("127.0.0.1::8000") instead of the same port number. */
  readonly anyHostPort?: boolean;
}

export interface StackFiles {
  readonly 'compose.yaml': string;
  readonly 'prometheus.yml': string;
}

export const STACK_FILES = ['compose.yaml', 'prometheus.yml'] as const;

/** The inference service's name: Prometheus scrapes it by this name on the stack's network. */
export const INFERENCE_SERVICE = 'inference';
export const STACK_NETWORK = 'stack';

/** A YAML scalar that reads back as exactly this string (JSON strings are YAML double-quoted scalars). */
const q = (s: string): string => JSON.stringify(s);

function port(host: boolean, container: number, anyHostPort: boolean): string {
  return q(`127.0.0.1:${anyHostPort || !host ? '' : String(container)}:${container}`);
}

/** The one network, and a service's limits (memory, cpus) with a note on why, if any. */
function networkAndLimits(memory: string, cpus: string, why?: string): string[] {
  return [
    `    networks: [${STACK_NETWORK}]`,
    `    deploy:`,
    `      resources:`,
    `        limits:`,
    ...(why ? [`          # ${why}`] : []),
    `          memory: ${memory}`,
    `          cpus: ${q(cpus)}`,
  ];
}

/** A health check: its test (a compose list, as text) and its timings. */
function healthcheck(test: string, interval: string, timeout: string, retries: number): string[] {
  return [
    `    healthcheck:`,
    `      test: ${test}`,
    `      interval: ${interval}`,
    `      timeout: ${timeout}`,
    `      retries: ${retries}`,
  ];
}

function inferenceService(project: StackProject, choices: Required<Omit<StackChoices, 'images'>>): string[] {
  const { vectorDb, gpu, anyHostPort } = choices;
  const l: string[] = [
    `  # The project's own service, built from its Dockerfile.`,
    `  ${INFERENCE_SERVICE}:`,
    `    build:`,
    `      context: .`,
    `      dockerfile: ${q(project.dockerfile)}`,
  ];
  const args = Object.entries(project.buildArgs);
  if (args.length > 0) {
    l.push(`      # the build arguments of the project's berth.yaml profile`, `      args:`);
    for (const [k, v] of args) l.push(`        ${q(k)}: ${q(v)}`);
  }
  l.push(
    `    # published on the loopback interface only: not reachable from other machines`,
    `    ports:`,
    `      - ${port(true, project.port, anyHostPort)}`,
    `    environment:`,
    `      PORT: ${q(String(project.port))}`,
  );
  if (project.model) l.push(`      MODEL_PATH: ${q(project.model.modelPath)}`);
  l.push(`      REDIS_URL: ${q('redis://redis:6379/0')}`);
  l.push(vectorDb === 'qdrant' ? `      QDRANT_URL: ${q('http://qdrant:6333')}` : `      MILVUS_URI: ${q('http://milvus:19530')}`);
  l.push(`    volumes:`);
  if (project.model) {
    l.push(
      `      # the model from the project folder, read-only, where the image expects it`,
      `      - ${q(`./${project.model.hostPath}:${project.model.mountAt}:ro`)}`,
    );
  }
  l.push(
    `      # a named volume for weights the service downloads (point its cache there, e.g. HF_HOME=/weights):`,
    `      # they outlive the container`,
    `      - ${q('weights:/weights')}`,
  );
  if (project.healthPath !== undefined) {
    const url = `http://127.0.0.1:${project.port}${project.healthPath}`;
    l.push(`    # healthy once ${project.healthPath} answers; \`docker-compose ps\` and Berth show it`, `    healthcheck:`);
    l.push(
      project.python
        ? `      test: ["CMD", "python3", "-c", ${q(`import urllib.request; urllib.request.urlopen('${url}', timeout=2)`)}]`
        : `      test: ["CMD-SHELL", ${q(`wget -qO- ${url} >/dev/null || curl -fsS ${url} >/dev/null`)}]`,
      `      interval: 5s`,
      `      timeout: 3s`,
      `      retries: 5`,
      `      start_period: 10s`,
    );
  } else {
    l.push(`    # no health endpoint known: the image's own HEALTHCHECK (if any) applies`);
  }
  if (project.python) {
    l.push(`    # Python as PID 1 ignores SIGTERM: a tiny init forwards it, so \`down\` is quick`, `    init: true`);
  }
  l.push(...networkAndLimits('2g', '2'));
  if (gpu !== 'never') {
    l.push(
      gpu === 'if-available'
        ? `        # GPU if available: on an engine without a GPU, Berth starts the stack with an override\n        # file that drops this reservation (shown to you, never written here).`
        : `        # GPU always: \`up\` fails on an engine without a GPU ("could not select device driver").`,
      `        reservations:`,
      `          devices:`,
      `            - driver: nvidia`,
      `              count: all`,
      `              capabilities: [gpu]`,
    );
  }
  return l;
}

function redisService(image: string, anyHostPort: boolean): string[] {
  return [
    `  # Cache: at most 256 MB, the least recently used keys evicted first.`,
    `  redis:`,
    `    image: ${q(image)}`,
    `    # protected mode off: only the stack's network and 127.0.0.1 reach it`,
    `    command: ["redis-server", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru", "--protected-mode", "no", "--dir", "/data"]`,
    `    ports:`,
    `      - ${port(true, 6379, anyHostPort)}`,
    `    volumes:`,
    `      - ${q('redis-data:/data')}`,
    ...healthcheck('["CMD", "redis-cli", "ping"]', '5s', '3s', 5),
    ...networkAndLimits('384m', '0.5', "above --maxmemory: room for Redis's own overhead"),
  ];
}

function qdrantService(image: string, anyHostPort: boolean): string[] {
  return [
    `  # Vector database: Qdrant (REST on 6333, gRPC on 6334).`,
    `  qdrant:`,
    `    image: ${q(image)}`,
    `    ports:`,
    `      - ${port(true, 6333, anyHostPort)}`,
    `      - ${port(true, 6334, anyHostPort)}`,
    `    volumes:`,
    `      - ${q('qdrant-data:/qdrant/storage')}`,
    ...networkAndLimits('1g', '1'),
  ];
}

function milvusServices(images: StackImages, anyHostPort: boolean): string[] {
  return [
    `  # Vector database: Milvus standalone, with the etcd (metadata) and MinIO (segments)`,
    `  # it needs, as Milvus's own standalone compose file sets them up.`,
    `  milvus-etcd:`,
    `    image: ${q(images.etcd)}`,
    `    environment:`,
    `      ETCD_AUTO_COMPACTION_MODE: revision`,
    `      ETCD_AUTO_COMPACTION_RETENTION: "1000"`,
    `      ETCD_QUOTA_BACKEND_BYTES: "4294967296"`,
    `      ETCD_SNAPSHOT_COUNT: "50000"`,
    `    command: ["etcd", "-advertise-client-urls=http://127.0.0.1:2379", "-listen-client-urls", "http://0.0.0.0:2379", "--data-dir", "/etcd"]`,
    `    volumes:`,
    `      - ${q('etcd-data:/etcd')}`,
    ...healthcheck('["CMD", "etcdctl", "endpoint", "health"]', '30s', '20s', 3),
    ...networkAndLimits('512m', '0.5'),
    `  milvus-minio:`,
    `    image: ${q(images.minio)}`,
    `    # MinIO's default credentials: it is reachable only on the stack's network (no ports)`,
    `    environment:`,
    `      MINIO_ACCESS_KEY: minioadmin`,
    `      MINIO_SECRET_KEY: minioadmin`,
    `    command: ["minio", "server", "/minio_data", "--console-address", ":9001"]`,
    `    volumes:`,
    `      - ${q('minio-data:/minio_data')}`,
    ...healthcheck('["CMD", "curl", "-f", "http://localhost:9000/minio/health/live"]', '30s', '20s', 3),
    ...networkAndLimits('512m', '0.5'),
    `  milvus:`,
    `    image: ${q(images.milvus)}`,
    `    command: ["milvus", "run", "standalone"]`,
    `    # as Milvus's own compose file: its memory-mapped I/O needs syscalls the default profile blocks`,
    `    security_opt: ["seccomp:unconfined"]`,
    `    environment:`,
    `      ETCD_ENDPOINTS: "milvus-etcd:2379"`,
    `      MINIO_ADDRESS: "milvus-minio:9000"`,
    `    # gRPC on 19530, health and metrics on 9091`,
    `    ports:`,
    `      - ${port(true, 19530, anyHostPort)}`,
    `      - ${port(true, 9091, anyHostPort)}`,
    `    volumes:`,
    `      - ${q('milvus-data:/var/lib/milvus')}`,
    `    healthcheck:`,
    `      test: ["CMD", "curl", "-f", "http://localhost:9091/healthz"]`,
    `      interval: 30s`,
    `      timeout: 20s`,
    `      start_period: 90s`,
    `      retries: 3`,
    `    depends_on: [milvus-etcd, milvus-minio]`,
    ...networkAndLimits('4g', '2'),
  ];
}

function prometheusService(image: string, anyHostPort: boolean): string[] {
  return [
    `  # Monitoring: Prometheus scrapes ${INFERENCE_SERVICE}'s /metrics (see prometheus.yml).`,
    `  prometheus:`,
    `    image: ${q(image)}`,
    `    # the same binary name in prom/prometheus and in Debian's package`,
    `    entrypoint: ["prometheus"]`,
    `    command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9090"]`,
    `    ports:`,
    `      - ${port(true, 9090, anyHostPort)}`,
    `    volumes:`,
    `      - ${q('./prometheus.yml:/etc/prometheus/prometheus.yml:ro')}`,
    `      - ${q('prometheus-data:/prometheus')}`,
    ...networkAndLimits('512m', '0.5'),
  ];
}

/** compose.yaml and prometheus.yml for `project`, as text with comments. */
export function newStackFiles(project: StackProject, choices: StackChoices = {}): StackFiles {
  const vectorDb = choices.vectorDb ?? 'qdrant';
  const gpu = choices.gpu ?? 'if-available';
  const anyHostPort = choices.anyHostPort ?? false;
  const images: StackImages = { ...DEFAULT_STACK_IMAGES, ...choices.images };
  const volumes = [
    'weights',
    'redis-data',
    'prometheus-data',
    ...(vectorDb === 'qdrant' ? ['qdrant-data'] : ['etcd-data', 'minio-data', 'milvus-data']),
  ];
  const compose = [
    `# An AI stack written by Berth's "New AI Stack": the inference service, a vector database,`,
    `# a cache and monitoring, started together (\`docker compose up -d\`, or \`docker-compose up -d\`).`,
    `# No \`version:\` and no top-level \`name:\`: Compose v2 and v1 (1.27+) both read this file.`,
    `# Limits are under deploy.resources: both apply them to \`up\`.`,
    `services:`,
    ...inferenceService(project, { vectorDb, gpu, anyHostPort }),
    ``,
    ...(vectorDb === 'qdrant' ? qdrantService(images.qdrant, anyHostPort) : milvusServices(images, anyHostPort)),
    ``,
    ...redisService(images.redis, anyHostPort),
    ``,
    ...prometheusService(images.prometheus, anyHostPort),
    ``,
    `# Named volumes: data that outlives \`down\` (removed only by \`down -v\`).`,
    `volumes:`,
    ...volumes.map((v) => `  ${v}: {}`),
    ``,
    `# One network: the services reach each other by service name.`,
    `networks:`,
    `  ${STACK_NETWORK}: {}`,
    ``,
  ].join('\n');
  const prometheus = [
    `# Prometheus for Berth's AI stack (mounted read-only into the prometheus service).`,
    `global:`,
    `  scrape_interval: 5s`,
    `  evaluation_interval: 5s`,
    `scrape_configs:`,
    `  # the inference service's metrics (Prometheus text format), by service name on the stack's network`,
    `  - job_name: ${q(INFERENCE_SERVICE)}`,
    `    scrape_interval: 5s`,
    `    metrics_path: /metrics`,
    `    static_configs:`,
    `      - targets: [${q(`${INFERENCE_SERVICE}:${project.port}`)}]`,
    `  # Prometheus itself`,
    `  - job_name: "prometheus"`,
    `    static_configs:`,
    `      - targets: ["localhost:9090"]`,
    ``,
  ].join('\n');
  return { 'compose.yaml': compose, 'prometheus.yml': prometheus };
}

export type WriteStackResult =
  | { readonly written: readonly string[] }
  /** Nothing written: these files exist (absolute paths) and overwriting was not asked for. */
  | { readonly existing: readonly string[] };

/** Write the stack's files into `dir`; files that exist are kept unless `overwrite`. */
export function writeStackFiles(dir: string, files: StackFiles, overwrite = false): WriteStackResult {
  const targets = STACK_FILES.map((name) => path.join(dir, name));
  const existing = targets.filter((t) => fs.existsSync(t));
  if (existing.length > 0 && !overwrite) return { existing };
  for (const name of STACK_FILES) fs.writeFileSync(path.join(dir, name), files[name]);
  return { written: targets };
}
