/**
 * The records of Berth's client for OpenAI-compatible LLM servers (vLLM, TGI, llama.cpp server,
 * Ollama, LocalAI…): requests, streamed results and their measurements. No vscode import.
 */

export type LlmFlavor = 'vllm' | 'tgi' | 'llama.cpp' | 'ollama' | 'localai' | 'openai-compatible';

export type LlmApi = 'chat' | 'completions' | 'embeddings';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatParams {
  readonly model: string;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly max_tokens?: number;
  readonly stop?: readonly string[];
  /** Asked of servers that honour it (vLLM, llama.cpp, the sample) for repeatable sampling. */
  readonly seed?: number;
}

export interface ChatRequest extends ChatParams {
  readonly messages: readonly ChatMessage[];
}

export interface CompletionRequest extends ChatParams {
  readonly prompt: string;
}

export interface EmbeddingRequest {
  readonly model: string;
  readonly input: string | readonly string[];
}

/** Percentiles (nearest rank) and mean of a set of values; n is how many there were. */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
  readonly n: number;
}

export interface StreamMetrics {
  /** Request sent → first content token; undefined when none came. */
  readonly ttftMs?: number;
  /** Gaps between content chunks (one chunk is one token on the servers Berth knows). */
  readonly interTokenMs?: Percentiles;
  /** Decode speed: (completion tokens − 1) / (last token − first token); undefined with fewer than 2 tokens. */
  readonly tokensPerSecond?: number;
  /** Request sent → end of the answer (or of the failure). */
  readonly totalMs: number;
  readonly promptTokens?: number;
  readonly completionTokens: number;
  /** 'usage': the server's own count; 'counted': content chunks counted by Berth. */
  readonly tokenSource: 'usage' | 'counted';
}

export interface StreamResult {
  /** The HTTP status; 0 when no HTTP answer came. */
  readonly status: number;
  /** The whole content received (also when the stream failed part way). */
  readonly text: string;
  readonly finishReason?: string;
  /** Whether the answer was streamed (SSE) or came whole (a server that ignores `stream`). */
  readonly streamed: boolean;
  readonly metrics: StreamMetrics;
  /** One line a user can act on: refused, HTTP error, mid-stream error, no token in time, cancelled… */
  readonly error?: string;
}

export interface EmbedResult {
  readonly status: number;
  /** How many vectors came back, and the length of the first. */
  readonly vectors: number;
  readonly dims: number;
  readonly latencyMs: number;
  readonly promptTokens?: number;
  readonly error?: string;
}

export interface LlmServerInfo {
  readonly flavor: LlmFlavor;
  /** The model ids the server lists (empty when known by its image only). */
  readonly models: readonly string[];
  readonly via: 'v1/models' | 'image';
  readonly apis: readonly LlmApi[];
}

/** A batch of streamed requests summed up (src/core/llm/batch.ts). */
export interface BatchSummary {
  readonly n: number;
  /** Requests finished, with or without error. */
  readonly done: number;
  readonly errors: number;
  /** errors / done (0 before any is done). */
  readonly errorRate: number;
  readonly ttftMs?: Percentiles;
  /** Over the requests, each one's mean gap between tokens. */
  readonly interTokenMs?: Percentiles;
  readonly tokensPerSecond?: Percentiles;
  readonly totalMs?: Percentiles;
  /** Completion tokens of all requests together. */
  readonly completionTokens: number;
  /** Batch start → now (or → the last request's end). */
  readonly wallMs: number;
  readonly firstErrors: readonly string[];
}
