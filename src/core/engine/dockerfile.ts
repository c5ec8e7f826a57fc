/**
 * What a Dockerfile needs that the engine's classic builder does not have: BuildKit-only syntax,
 * found with its line, so that a build the classic builder would refuse ("the --mount option
 * requires BuildKit") is refused before the context is sent, naming the line and what to do.
 */

export interface BuildKitNeed {
  /** 1-based line of the instruction in the Dockerfile. */
  readonly line: number;
  /** What it uses: "RUN --mount=type=cache". */
  readonly what: string;
}

/** BuildKit-only flags of RUN, COPY and ADD. */
const FLAGS: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^RUN\b.*?\s--mount=(?:type=)?([\w-]+)?/i, (m) => `RUN --mount${m[1] ? `=type=${m[1]}` : ''}`],
  [/^RUN\b.*?\s--(network|security)=/i, (m) => `RUN --${(m[1] ?? '').toLowerCase()}`],
  [/^(COPY|ADD)\b.*?\s--(link|chmod|parents|exclude)\b/i, (m) => `${(m[1] ?? '').toUpperCase()} --${(m[2] ?? '').toLowerCase()}`],
  [/^ADD\b.*?\s--(checksum|keep-git-dir)\b/i, (m) => `ADD --${(m[1] ?? '').toLowerCase()}`],
];

/**
 * A Dockerfile's instructions, each with the line it starts on: continuation lines joined, comments
 * and blank lines left out (comments inside an instruction are dropped, as Docker does).
 */
export function dockerfileInstructions(text: string): { readonly line: number; readonly text: string }[] {
  const instructions: { line: number; text: string }[] = [];
  let start = 0;
  let instruction = '';
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (instruction === '') {
      if (line === '' || line.startsWith('#')) continue;
      start = i + 1;
    }
    if (line.startsWith('#')) continue;
    const continued = line.endsWith('\\');
    instruction += `${continued ? line.slice(0, -1) : line} `;
    if (continued) continue;
    instructions.push({ line: start, text: instruction.trim() });
    instruction = '';
  }
  return instructions;
}

/** Where a Dockerfile uses what only BuildKit builds: RUN --mount, heredocs, a `# syntax=` frontend, … */
export function buildKitNeeds(text: string): BuildKitNeed[] {
  const needs: BuildKitNeed[] = [];
  const lines = text.split(/\r?\n/);
  // a "# syntax=" directive counts only at the very top, before any instruction or other comment
  for (const [i, raw] of lines.entries()) {
    const directive = /^#\s*([a-z]+)\s*=\s*(\S+)/i.exec(raw.trim());
    if (!directive) break;
    if (directive[1]?.toLowerCase() === 'syntax') needs.push({ line: i + 1, what: `# syntax=${directive[2] ?? ''} (a frontend image)` });
  }
  for (const { line: start, text: whole } of dockerfileInstructions(text)) {
    for (const [pattern, what] of FLAGS) {
      const m = pattern.exec(whole);
      if (m) needs.push({ line: start, what: what(m) });
    }
    // a heredoc: RUN <<EOF, COPY <<EOF /dest
    if (/^(RUN|COPY|ADD)\b.*<<-?\s*["']?[A-Za-z_][\w]*["']?/i.test(whole))
      needs.push({ line: start, what: `${whole.split(/\s/)[0]?.toUpperCase() ?? ''} <<heredoc` });
  }
  return needs;
}

/** The message for a Dockerfile the classic builder cannot build. */
export function needsBuildKitMessage(dockerfile: string, needs: readonly BuildKitNeed[]): string {
  const where = needs
    .slice(0, 3)
    .map((n) => `line ${n.line}: ${n.what}`)
    .join('; ');
  const more = needs.length > 3 ? ` and ${needs.length - 3} more` : '';
  return (
    `${dockerfile} needs BuildKit (${where}${more}), and this build uses the engine's classic builder, which refuses it. ` +
    'Build it with BuildKit (DOCKER_BUILDKIT=1 docker build, or docker buildx build), or change those lines.'
  );
}
