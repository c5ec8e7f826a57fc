/**
 * BuildKit's `--progress=plain` output turned into Berth's build events. Each vertex of the build
 * graph is `#N <name>`; its lines follow as `#N 0.251 <output>`, `#N CACHED`, `#N DONE 0.3s` or
 * `#N ERROR: …`, and parallel stages interleave (a vertex's header is printed again when it comes
 * back). Steps are the vertices named `[stage k/n] INSTRUCTION` (`[k/n]` for a one-stage
 * Dockerfile); `[internal] …`, `exporting to image` and the like are BuildKit's own work, logged
 * but not steps. Step k of n is per stage, as BuildKit numbers them: stages run in parallel and a
 * stage that is not needed never appears, so an overall count would be a guess. A step is announced
 * on its first line after the header, so that a cached step comes flagged. On failure: the vertex
 * that said ERROR, its output, and the CLI's last word (`executor failed running [...]: exit
 * code: N`, `failed to solve: …`).
 */
import { BuildFailedError, type BuildEvent, type BuildStep } from '../engine/build';

interface Vertex {
  readonly id: string;
  readonly name: string;
  readonly step?: BuildStep;
  announced: boolean;
  readonly output: string[];
  error?: string;
}

const LINE = /^#(\d+) (.*)$/;
const OUTPUT = /^(\d+\.\d+) (.*)$/;
const STEP = /^\[(?:(\S+) )?(\d+)\/(\d+)\] (.*)$/;
const IMAGE = /^writing image (sha256:[0-9a-f]{64})/;

/** Turn a vertex's name into a step, when it is one. */
export function stepOf(name: string): BuildStep | undefined {
  const m = STEP.exec(name);
  if (!m?.[2] || !m[3] || m[4] === undefined) return undefined;
  return { index: Number(m[2]), total: Number(m[3]), instruction: m[4], ...(m[1] ? { stage: m[1] } : {}) };
}

export class PlainProgress {
  readonly #vertices = new Map<string, Vertex>();
  /** A header seen, its step not announced yet (the next line says whether it is cached). */
  #pending: Vertex | undefined;
  #failed: Vertex | undefined;
  #inErrorBlock = false;
  /** Lines outside vertices: the error block's summary and the CLI's last words. */
  readonly #trailer: string[] = [];
  imageId: string | undefined;

  /** One line of the CLI's output (stderr, where the plain progress goes). */
  push(raw: string): BuildEvent[] {
    const line = raw.replace(/\r$/, '');
    const events: BuildEvent[] = [];
    const m = LINE.exec(line);
    if (!m?.[1] || m[2] === undefined) {
      this.#flush(events, false);
      if (line.trim() === '------') this.#inErrorBlock = !this.#inErrorBlock;
      else if (line.trim() !== '' && !this.#inErrorBlock) this.#trailer.push(line.trim());
      return events;
    }
    const [, id, rest] = m;
    let vertex = this.#vertices.get(id);
    if (vertex === undefined || rest === vertex.name) {
      if (vertex === undefined) {
        const step = stepOf(rest);
        vertex = { id, name: rest, announced: false, output: [], ...(step ? { step } : {}) };
        this.#vertices.set(id, vertex);
      }
      if (this.#pending !== vertex) this.#flush(events, false);
      if (!vertex.announced && vertex.step) this.#pending = vertex;
      return events;
    }
    if (rest.startsWith('sha256:') || rest === '...') return events;
    if (rest === 'CACHED') {
      if (this.#pending === vertex) this.#flush(events, true);
      return events;
    }
    this.#flush(events, false);
    if (rest.startsWith('ERROR:') || rest.startsWith('ERROR ')) {
      vertex.error = rest.replace(/^ERROR:?\s*/, '');
      this.#failed ??= vertex;
      return events;
    }
    if (/^DONE\b/.test(rest) || /^CANCELED\b/.test(rest)) return events;
    const out = OUTPUT.exec(rest);
    if (out?.[2] !== undefined) {
      vertex.output.push(out[2]);
      events.push({ kind: 'output', text: out[2], ...(vertex.step ? { step: vertex.step } : {}) });
      return events;
    }
    // a status line of BuildKit's own work ("transferring context: 2B done", "writing image …")
    const image = IMAGE.exec(rest);
    if (image?.[1] && image[1] !== this.imageId) {
      this.imageId = image[1];
      events.push({ kind: 'done', imageId: image[1] });
    }
    return events;
  }

  /** Announce the pending step. */
  #flush(events: BuildEvent[], cached: boolean): void {
    const vertex = this.#pending;
    this.#pending = undefined;
    if (vertex?.step === undefined || vertex.announced) return;
    vertex.announced = true;
    const step: BuildStep = cached ? { ...vertex.step, cached: true } : vertex.step;
    events.push({ kind: 'step', step });
  }

  /** The end of the output: a step still pending is announced. */
  end(): BuildEvent[] {
    const events: BuildEvent[] = [];
    this.#flush(events, false);
    return events;
  }

  /** The CLI's final error line ("executor failed running …", "failed to solve …"), if any. */
  get lastWord(): string | undefined {
    return this.#trailer.at(-1);
  }

  /** The vertex that failed: its step (when it is one), its name, its error and output. */
  get failedVertex(): { name: string; step?: BuildStep; error?: string; output: readonly string[] } | undefined {
    const v = this.#failed;
    return v ? { name: v.name, ...(v.step ? { step: v.step } : {}), ...(v.error ? { error: v.error } : {}), output: v.output } : undefined;
  }

  /** The failure as Berth's error: the failing step named, with its output. */
  failure(exitCode: number | undefined): BuildFailedError {
    const v = this.#failed;
    const reason = this.lastWord ?? v?.error ?? `the docker CLI exited with code ${exitCode ?? 'unknown'}`;
    const where = v !== undefined && v.step === undefined ? `${v.name}: ` : '';
    return new BuildFailedError(`${where}${reason}`, v?.step, v?.output ?? []);
  }
}
