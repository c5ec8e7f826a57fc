/** Labels Berth puts on what it creates, and the compose labels it groups by. */
export const BERTH_LABEL = {
  /** Present on every container, image and volume Berth creates. */
  managed: 'berth.managed',
  /** The run profile a container was started from. */
  profile: 'berth.profile',
  /** The workspace folder (path) a run belongs to. */
  project: 'berth.project',
} as const;

export const COMPOSE_LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  number: 'com.docker.compose.container-number',
} as const;
