/** Berth's client for OpenAI-compatible LLM servers. No vscode import. */
export * from './types';
export { flavorOfImage, detectLlmServer, imageRepository } from './detect';
export { streamChat, streamCompletion, embed, requestBody, type StreamOptions } from './stream';
export { runStreamBatch, type BatchSummary, type BatchOptions } from './batch';
export { requestAsCode, type RequestCode } from './snippets';
export {
  chatExport,
  chatExportText,
  isChatExport,
  CHAT_EXPORT_KIND,
  type ChatExport,
  type ChatExportEntry,
  type ChatTarget,
} from './export';
export { apiUrl, LlmTargetError } from './url';
export { percentiles } from './stats';
