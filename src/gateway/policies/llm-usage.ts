/**
 * Reads a language model's token usage from its response as the body streams to the client (a
 * ResponseBodyTap: it copies what it needs and never holds the stream back). Used by
 * llm-token-limit (to charge what the model reports) and llm-emit-token-metric.
 *
 * What is read, only from 2xx responses without a Content-Encoding:
 * - JSON (`application/json`, `+json`): the whole body, up to MAX_JSON_BODY bytes (a longer or
 *   unparsable body reports nothing), then its usage object.
 * - Server-sent events (`text/event-stream`, `stream: true`): each `data:` line that mentions
 *   "usage", up to MAX_SSE_LINE bytes a line, over the first MAX_SSE_BYTES bytes of the stream
 *   (past that it stops looking). The fields of every usage object seen are merged, later ones
 *   winning: OpenAI sends one final usage chunk (when the request asks for
 *   `stream_options.include_usage`), Anthropic sends input tokens first and output tokens last.
 *
 * A stream without any usage (OpenAI sends none unless asked) is estimated, as APIM estimates
 * streamed usage: completion tokens are the UTF-8 bytes / 4 (rounded up) of the text deltas
 * (`choices[].delta.content` or `choices[].text`, Anthropic's `delta.text`, the Responses API's
 * `delta`, Gemini's `candidates[].content.parts[].text`), prompt tokens the request's estimate
 * the policy passes in (llm-prompt-estimate.ts).
 *
 * The usage object is the first of `usage`, `response.usage` (Responses API events),
 * `message.usage` (Anthropic's message_start) or `usageMetadata` (Gemini) that the body holds;
 * prompt tokens are `prompt_tokens`, `input_tokens` or `promptTokenCount`; completion tokens
 * `completion_tokens`, `output_tokens` or `candidatesTokenCount`; total tokens `total_tokens` or
 * `totalTokenCount`, else prompt + completion. Counts must be whole numbers from 0 to 2^31 - 1.
 */
import { Buffer } from 'node:buffer';
import type { ResponseBodyTap } from '../pipeline/context.js';

export const MAX_JSON_BODY = 1024 * 1024;
export const MAX_SSE_BYTES = 16 * 1024 * 1024;
export const MAX_SSE_LINE = 64 * 1024;
const MAX_TOKENS = 0x7fffffff;

export interface TokenUsage {
  prompt: number;
  completion: number;
  total: number;
}

/** Usage fields found so far (-1: not seen). */
interface UsageFields { prompt: number; completion: number; total: number }

const NONE = 0;
const JSON_BODY = 1;
const EVENT_STREAM = 2;

const NEWLINE = 0x0a;
const DATA_PREFIX = 'data:';
const DONE = Buffer.from('[DONE]');
const BYTES_PER_TOKEN = 4;
/** Choices or parts looked at in one event (a stream event carries one or a few). */
const MAX_PARTS = 64;

function count(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS ? v : -1;
}

function firstCount(o: Record<string, unknown>, a: string, b: string, c: string): number {
  const x = count(o[a]);
  if (x >= 0) return x;
  const y = count(o[b]);
  return y >= 0 ? y : count(o[c]);
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The usage object a parsed response or event carries, or null. */
function usageObjectOf(doc: unknown): Record<string, unknown> | null {
  const o = asObject(doc);
  if (o === null) return null;
  return asObject(o.usage) ?? asObject(asObject(o.response)?.usage) ?? asObject(asObject(o.message)?.usage) ?? asObject(o.usageMetadata);
}

/** Merges the usage `doc` carries into `into`; false when it carries none. */
export function mergeUsage(doc: unknown, into: UsageFields): boolean {
  const u = usageObjectOf(doc);
  if (u === null) return false;
  const prompt = firstCount(u, 'prompt_tokens', 'input_tokens', 'promptTokenCount');
  const completion = firstCount(u, 'completion_tokens', 'output_tokens', 'candidatesTokenCount');
  const total = firstCount(u, 'total_tokens', 'totalTokenCount', 'totalTokens');
  if (prompt >= 0) into.prompt = prompt;
  if (completion >= 0) into.completion = completion;
  if (total >= 0) into.total = total;
  return prompt >= 0 || completion >= 0 || total >= 0;
}

function utf8Bytes(v: unknown): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0;
}

/** The bytes of generated text one stream event carries (for the estimate of a stream without usage). */
export function deltaTextBytes(doc: unknown): number {
  const o = asObject(doc);
  if (o === null) return 0;
  let bytes = 0;
  if (Array.isArray(o.choices)) {
    for (let i = 0; i < o.choices.length && i < MAX_PARTS; i++) {
      const c = asObject(o.choices[i]);
      if (c !== null) bytes += utf8Bytes(asObject(c.delta)?.content) + utf8Bytes(c.text);
    }
  }
  bytes += typeof o.delta === 'string' ? utf8Bytes(o.delta) : utf8Bytes(asObject(o.delta)?.text);
  if (Array.isArray(o.candidates)) {
    for (let i = 0; i < o.candidates.length && i < MAX_PARTS; i++) {
      const parts = asObject(asObject(o.candidates[i])?.content)?.parts;
      if (!Array.isArray(parts)) continue;
      for (let j = 0; j < parts.length && j < MAX_PARTS; j++) bytes += utf8Bytes(asObject(parts[j])?.text);
    }
  }
  return bytes;
}

/** The usage merged fields amount to, or null when nothing was found. */
export function finishUsage(f: UsageFields): TokenUsage | null {
  if (f.prompt < 0 && f.completion < 0 && f.total < 0) return null;
  const prompt = Math.max(0, f.prompt);
  const completion = Math.max(0, f.completion);
  return { prompt, completion, total: f.total >= 0 ? f.total : Math.min(MAX_TOKENS, prompt + completion) };
}

/** The usage in a whole JSON response body, or null. */
export function usageOfJson(body: Buffer | string): TokenUsage | null {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return null;
  }
  const f = { prompt: -1, completion: -1, total: -1 };
  return mergeUsage(doc, f) ? finishUsage(f) : null;
}

/** Whether a response head carries a body this reader can read, and how. */
function modeOf(status: number, headers: readonly string[], contentLength: number): number {
  if (status < 200 || status > 299) return NONE;
  let type = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'content-encoding' && headers[i + 1].trim().toLowerCase() !== 'identity') return NONE;
    if (name === 'content-type') type = headers[i + 1].toLowerCase();
  }
  if (type.startsWith('text/event-stream')) return EVENT_STREAM;
  if (type.startsWith('application/json') || /^[a-z]+\/[^;]*\+json/.test(type)) return contentLength > MAX_JSON_BODY ? NONE : JSON_BODY;
  return NONE;
}

/**
 * Watches one response and calls `usageRead` once, when the whole body has passed and held a
 * usage. Subclasses say what to do with it (charge it, emit it); one object per request, no closure.
 */
export abstract class UsageTap implements ResponseBodyTap {
  private mode = NONE;
  private parts: Buffer[] = [];
  private size = 0;
  /** event-stream: the unfinished line's pieces, or null while skipping an over-long line. */
  private line: Buffer[] | null = [];
  private lineSize = 0;
  private readonly fields: UsageFields = { prompt: -1, completion: -1, total: -1 };
  /** Generated text seen in a stream, for the estimate when it reports no usage. */
  private textBytes = 0;
  /** The body's declared length, -1 when unknown. */
  private expected = -1;

  /** `promptEstimate`: the request's estimated prompt tokens, reported for a stream without usage. */
  constructor(private readonly promptEstimate = 0) {}

  protected abstract usageRead(usage: TokenUsage): void;

  begin(status: number, _reason: string, headers: string[], contentLength: number): boolean {
    this.mode = modeOf(status, headers, contentLength);
    this.expected = contentLength;
    return this.mode !== NONE;
  }

  chunk(bytes: Buffer): void {
    if (this.mode === JSON_BODY) {
      this.size += bytes.length;
      if (this.size > MAX_JSON_BODY) { this.mode = NONE; this.parts = []; return; }
      this.parts.push(Buffer.from(bytes));
      // The last declared byte is here: read the usage now, before these bytes reach the client, so
      // the client's next request already sees the charge (complete() then finds nothing to do).
      if (this.size === this.expected) this.complete();
    } else if (this.mode === EVENT_STREAM) {
      this.size += bytes.length;
      if (this.size > MAX_SSE_BYTES) { this.mode = NONE; this.line = null; return; }
      this.scanEvents(bytes);
    }
  }

  complete(): void {
    const mode = this.mode;
    this.mode = NONE;
    let usage: TokenUsage | null = null;
    if (mode === JSON_BODY) usage = usageOfJson(Buffer.concat(this.parts, this.size));
    else if (mode === EVENT_STREAM) {
      if (this.line !== null && this.lineSize > 0) this.eventLine(Buffer.concat(this.line, this.lineSize));
      usage = finishUsage(this.fields) ?? this.estimated();
    }
    this.parts = [];
    this.line = null;
    if (usage !== null) this.usageRead(usage);
  }

  abandon(): void {
    this.mode = NONE;
    this.parts = [];
    this.line = null;
  }

  /** Splits the stream into lines (bounded) and reads each finished one. */
  private scanEvents(bytes: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl;
      if (this.line !== null && end > start) {
        this.lineSize += end - start;
        if (this.lineSize > MAX_SSE_LINE) { this.line = null; this.lineSize = 0; } // too long: skip to its end
        else this.line.push(Buffer.from(bytes.subarray(start, end)));
      }
      if (nl < 0) return;
      if (this.line !== null && this.lineSize > 0) this.eventLine(this.line.length === 1 ? this.line[0] : Buffer.concat(this.line, this.lineSize));
      this.line = [];
      this.lineSize = 0;
      start = nl + 1;
    }
  }

  /** One line of the event stream: a `data:` line's usage, or its generated text. */
  private eventLine(line: Buffer): void {
    if (line.length < 7 || line.indexOf(DONE) >= 0) return;
    const text = line.toString('utf8');
    if (!text.startsWith(DATA_PREFIX)) return;
    let doc: unknown;
    try {
      doc = JSON.parse(text.slice(5));
    } catch {
      return; // not JSON: nothing to read
    }
    if (!mergeUsage(doc, this.fields)) this.textBytes += deltaTextBytes(doc);
  }

  /** A stream that reported no usage: the estimate (null when it carried no text either). */
  private estimated(): TokenUsage | null {
    if (this.textBytes === 0) return null;
    const completion = Math.min(MAX_TOKENS, Math.ceil(this.textBytes / BYTES_PER_TOKEN));
    return { prompt: this.promptEstimate, completion, total: Math.min(MAX_TOKENS, this.promptEstimate + completion) };
  }
}
