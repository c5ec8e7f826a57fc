import * as vscode from 'vscode';
import type { RemoteFilesSetting } from '../core/project/remoteFiles';

/** Typed reader for Berth's settings; read fresh each time so changes apply without a reload. */
export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('berth');
  }

  get engineHost(): string {
    return this.section.get<string>('engine.host', '').trim();
  }

  get engineContext(): string {
    return this.section.get<string>('engine.context', '').trim();
  }

  get engineTimeoutMs(): number {
    return Math.max(1000, this.section.get<number>('engine.timeoutMs', 10_000));
  }

  /** berth.engine.remoteFiles: upload the project's files into volumes (auto: when the engine is not on this machine). */
  get remoteFiles(): RemoteFilesSetting {
    const value = this.section.get<string>('engine.remoteFiles', 'auto');
    return value === 'upload' || value === 'bind' ? value : 'auto';
  }

  /** The safety-net full list of containers, behind the event stream. */
  get reconcileIntervalMs(): number {
    return Math.max(5, this.section.get<number>('containers.reconcileIntervalSeconds', 30)) * 1000;
  }

  /** Fleet alerts (berth.alerts.*): OOM kills, crash loops, unhealthy containers, error rates. */
  get alerts(): { enabled: boolean; crashLoopRestarts: number; crashLoopWindowMs: number; errorRate: number } {
    const s = this.section;
    return {
      enabled: s.get<boolean>('alerts.enabled', true),
      crashLoopRestarts: Math.max(2, Math.round(s.get<number>('alerts.crashLoopRestarts', 3))),
      crashLoopWindowMs: Math.max(1, s.get<number>('alerts.crashLoopMinutes', 5)) * 60_000,
      errorRate: Math.min(100, Math.max(0, s.get<number>('alerts.errorRatePercent', 5))) / 100,
    };
  }

  get logTail(): number {
    return Math.max(0, this.section.get<number>('logs.tail', 1000));
  }

  get logTimestamps(): boolean {
    return this.section.get<boolean>('logs.timestamps', false);
  }

  /** Settings of the notebook comparison (berth.compare.*). */
  get compare(): {
    rtol: number;
    atol: number;
    pixelRatio: number;
    timeoutSeconds: number;
    compareStderr: boolean;
    allowNondeterministic: boolean;
    image: string;
    localPython: string;
    keepWarm: boolean;
  } {
    const s = this.section;
    return {
      rtol: Math.max(0, s.get<number>('compare.relativeTolerance', 1e-3)),
      atol: Math.max(0, s.get<number>('compare.absoluteTolerance', 1e-6)),
      pixelRatio: Math.min(1, Math.max(0, s.get<number>('compare.imagePixelTolerance', 0.01))),
      timeoutSeconds: Math.max(0, s.get<number>('compare.cellTimeoutSeconds', 120)),
      compareStderr: s.get<boolean>('compare.compareStderr', false),
      allowNondeterministic: s.get<boolean>('compare.allowNondeterministic', false),
      image: s.get<string>('compare.image', '').trim(),
      localPython: s.get<string>('compare.localPython', '').trim(),
      keepWarm: s.get<boolean>('compare.keepWarm', true),
    };
  }

  /** The image scanner to run (berth.scan.scanner): 'auto' is the first installed of Trivy, Grype, Docker Scout. */
  get scanner(): 'auto' | 'trivy' | 'grype' | 'docker-scout' {
    const value = this.section.get<string>('scan.scanner', 'auto');
    return value === 'trivy' || value === 'grype' || value === 'docker-scout' ? value : 'auto';
  }

  /** How images are built (berth.build.*). */
  get build(): { builder: 'auto' | 'buildkit' | 'classic'; dockerPath: string } {
    const builder = this.section.get<string>('build.builder', 'auto');
    return {
      builder: builder === 'buildkit' || builder === 'classic' ? builder : 'auto',
      dockerPath: this.section.get<string>('build.dockerPath', '').trim(),
    };
  }

  /** Fires when a setting that changes which engine Berth talks to changes. */
  static affectsEngine(event: vscode.ConfigurationChangeEvent): boolean {
    // how files reach a run is read at each run: no reconnect for it
    const others = ['host', 'context', 'timeoutMs'].some((k) => event.affectsConfiguration(`berth.engine.${k}`));
    return others || (event.affectsConfiguration('berth.engine') && !event.affectsConfiguration('berth.engine.remoteFiles'));
  }
}
