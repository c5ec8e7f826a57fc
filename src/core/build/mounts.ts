import { dockerfileInstructions } from '../engine/dockerfile';

/**
 * What a Dockerfile's RUN --mount flags ask the build for: the ids of its secret mounts (a value
 * each, supplied at build time) and whether it forwards ssh. BuildKit's rules: a secret mount's id
 * defaults to the basename of its target; `type=ssh` uses the "default" ssh id unless given one.
 */
export interface MountNeeds {
  /** Secret ids, in order of first use, each once, with the line of first use. */
  readonly secrets: readonly { readonly id: string; readonly line: number }[];
  /** ssh ids forwarded (usually "default"), with the line of first use. */
  readonly ssh: readonly { readonly id: string; readonly line: number }[];
}

/** The secrets and ssh a Dockerfile's RUN --mount flags need. */
export function mountNeeds(text: string): MountNeeds {
  const secrets: { id: string; line: number }[] = [];
  const ssh: { id: string; line: number }[] = [];
  for (const { line: start, text: whole } of dockerfileInstructions(text)) {
    if (!/^RUN\s/i.test(whole)) continue;
    for (const m of whole.matchAll(/--mount=(\S+)/g)) {
      const fields = new Map<string, string>();
      for (const part of (m[1] ?? '').split(',')) {
        const eq = part.indexOf('=');
        fields.set((eq < 0 ? part : part.slice(0, eq)).toLowerCase(), eq < 0 ? '' : part.slice(eq + 1).replace(/^["']|["']$/g, ''));
      }
      const type = fields.get('type');
      if (type === 'secret') {
        const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
        const id = fields.get('id') ?? (target ? target.split('/').filter(Boolean).at(-1) : undefined);
        if (id && !secrets.some((s) => s.id === id)) secrets.push({ id, line: start });
      } else if (type === 'ssh') {
        const id = fields.get('id') ?? 'default';
        if (!ssh.some((s) => s.id === id)) ssh.push({ id, line: start });
      }
    }
  }
  return { secrets, ssh };
}
