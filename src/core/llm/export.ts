/**
 * The playground's chat runs as a versioned JSON document (`kind: 'berth.playground.chat'`): one
 * streamed request, a batch, or an A/B of two servers or models, with the request sent and what
 * was measured. No vscode import.
 */

import type { BatchSummary } from './batch';
import type { ChatRequest, StreamResult } from './types';

export const CHAT_EXPORT_KIND = 'berth.playground.chat';
export const CHAT_EXPORT_VERSION = 1;

export interface ChatTarget {
  /** What the user calls it (container name, "A"…). */
  readonly label: string;
  readonly baseUrl: string;
  readonly flavor?: string;
}

export type ChatExportEntry =
  | { readonly type: 'run'; readonly target: ChatTarget; readonly request: ChatRequest; readonly result: StreamResult }
  | {
      readonly type: 'batch';
      readonly target: ChatTarget;
      readonly request: ChatRequest;
      readonly concurrency: number;
      readonly summary: BatchSummary;
    };

export interface ChatExport {
  readonly kind: typeof CHAT_EXPORT_KIND;
  readonly version: typeof CHAT_EXPORT_VERSION;
  readonly exportedAt: string;
  /** 'ab' holds two entries, side A first. */
  readonly mode: 'run' | 'batch' | 'ab';
  readonly entries: readonly ChatExportEntry[];
}

/** The document for one run, one batch, or the two sides of an A/B. */
export function chatExport(mode: ChatExport['mode'], entries: readonly ChatExportEntry[], now = new Date()): ChatExport {
  if (mode === 'ab' && entries.length !== 2) throw new Error(`An A/B export has two sides, not ${entries.length}`);
  if (mode !== 'ab' && entries.length !== 1) throw new Error(`A ${mode} export has one entry, not ${entries.length}`);
  return { kind: CHAT_EXPORT_KIND, version: CHAT_EXPORT_VERSION, exportedAt: now.toISOString(), mode, entries };
}

/** The document as the text of a .json file. */
export function chatExportText(doc: ChatExport): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Whether parsed JSON is a chat export of a version this Berth reads. */
export function isChatExport(value: unknown): value is ChatExport {
  const v = value as Partial<ChatExport> | null;
  return (
    typeof v === 'object' && v !== null && v.kind === CHAT_EXPORT_KIND && v.version === CHAT_EXPORT_VERSION && Array.isArray(v.entries)
  );
}
