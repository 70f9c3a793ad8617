/**
 * The prompt-token estimate of llm-token-limit's estimate-prompt-tokens="true" (and of every
 * `stream: true` request, as APIM). APIM runs the model's tokenizer; Outpost does not ship one.
 * It approximates instead, as OpenAI's own rule of thumb does: one token per 4 bytes of UTF-8
 * text, rounded up, plus 3 tokens of framing per message. English prose comes out close; code,
 * non-Latin scripts and very short messages come out low or high by tens of percent. The model's
 * reported usage corrects the count afterwards (llm-token-limit.ts), so an estimate only decides
 * whether a request is let through up front.
 *
 * Text read from the request's JSON body: `messages[].content` (a string or an array of parts with
 * `text`) and `messages[].name` (Chat Completions, Anthropic), `prompt` (a string or strings:
 * Completions), `input` (a string or messages: Responses API, embeddings), `system` and
 * `instructions`. At most MAX_ITEMS messages or parts are looked at; the body itself is bounded
 * by the gateway's buffered-body limit (request-body.ts) before this runs.
 */
import { Buffer } from 'node:buffer';
const MAX_ITEMS = 10_000;
const BYTES_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 3;

export interface PromptEstimate {
  /** Estimated prompt tokens (0 when the body is absent or not JSON). */
  tokens: number;
  /** The request asks for a streamed answer (`"stream": true`). */
  stream: boolean;
}

const NOTHING: PromptEstimate = { tokens: 0, stream: false };

interface Tally { bytes: number; messages: number; items: number }

function textBytes(v: unknown, t: Tally): void {
  if (typeof v === 'string') { t.bytes += Buffer.byteLength(v, 'utf8'); return; }
  if (!Array.isArray(v)) return;
  for (const part of v) {
    if (++t.items > MAX_ITEMS) return;
    if (typeof part === 'string') t.bytes += Buffer.byteLength(part, 'utf8');
    else if (part !== null && typeof part === 'object') {
      const p = part as Record<string, unknown>;
      if (typeof p.text === 'string') t.bytes += Buffer.byteLength(p.text, 'utf8');
      // A Responses API input item may itself be a message with content.
      else if (p.content !== undefined) message(p, t);
    }
  }
}

function message(m: Record<string, unknown>, t: Tally): void {
  t.messages++;
  textBytes(m.content, t);
  if (typeof m.name === 'string') t.bytes += Buffer.byteLength(m.name, 'utf8');
}

/** The estimate for a request body (UTF-8 JSON); NOTHING for an absent or unparsable body. */
export function estimatePromptTokens(body: Buffer | null): PromptEstimate {
  if (body === null || body.length === 0) return NOTHING;
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return NOTHING;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return NOTHING;
  const o = doc as Record<string, unknown>;
  const t: Tally = { bytes: 0, messages: 0, items: 0 };
  if (Array.isArray(o.messages)) {
    for (const m of o.messages) {
      if (++t.items > MAX_ITEMS) break;
      if (m !== null && typeof m === 'object') message(m as Record<string, unknown>, t);
    }
  }
  textBytes(o.prompt, t);
  textBytes(o.input, t);
  textBytes(o.system, t);
  textBytes(o.instructions, t);
  const tokens = Math.ceil(t.bytes / BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE * t.messages;
  return { tokens, stream: o.stream === true };
}
