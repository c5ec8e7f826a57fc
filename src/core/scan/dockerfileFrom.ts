/**
 * The FROM lines a scan's summary belongs on: the final stage's, and the FROM lines of the
 * stages it is built on (`FROM builder AS app` → builder's FROM), since those base images are
 * what the shipped image carries. Earlier stages that only feed COPY --from are not shipped.
 */

export interface FromLine {
  /** 0-based line of the FROM instruction. */
  readonly line: number;
  /** Columns of the image reference on that line. */
  readonly start: number;
  readonly end: number;
  readonly image: string;
  readonly stage?: string;
}

/** Every FROM of a Dockerfile (flags such as --platform skipped), in order. */
export function fromLines(text: string): FromLine[] {
  const out: FromLine[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const m = /^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(?:\s+AS\s+(\S+))?/i.exec(raw);
    if (!m) continue;
    const start = (m[1]?.length ?? 0) + (m[2]?.length ?? 0);
    const image = m[3] ?? '';
    out.push({ line: i, start, end: start + image.length, image, ...(m[4] ? { stage: m[4].toLowerCase() } : {}) });
  }
  return out;
}

/** The final stage's FROM and those of the stages it derives from, final first. */
export function shippedFromLines(text: string): FromLine[] {
  const all = fromLines(text);
  const chain: FromLine[] = [];
  let current = all.at(-1);
  while (current && !chain.includes(current)) {
    chain.push(current);
    const base = current.image.toLowerCase();
    current = all.slice(0, all.indexOf(current)).findLast((f) => f.stage === base);
  }
  return chain;
}
