/** Reading a model's token usage as its response streams (JSON, server-sent events), and the prompt estimate. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deltaTextBytes, MAX_JSON_BODY, MAX_SSE_LINE, UsageTap, usageOfJson, type TokenUsage } from '../../src/gateway/policies/llm-usage.js';
import { estimatePromptTokens } from '../../src/gateway/policies/llm-prompt-estimate.js';

class Recorder extends UsageTap {
  seen: TokenUsage[] = [];
  protected usageRead(usage: TokenUsage): void { this.seen.push(usage); }
}

/** Feeds `body` through a tap in pieces of `piece` bytes; what it reported. */
function read(headers: string[], body: string | Buffer, piece = 7, status = 200): TokenUsage[] {
  const tap = new Recorder();
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (!tap.begin(status, 'OK', headers, -1)) return [];
  for (let i = 0; i < bytes.length; i += piece) tap.chunk(bytes.subarray(i, i + piece));
  tap.complete();
  return tap.seen;
}

const JSON_HEAD = ['content-type', 'application/json; charset=utf-8'];
const SSE_HEAD = ['content-type', 'text/event-stream'];

describe('usage in JSON responses', () => {
  test('OpenAI chat completions: prompt, completion and total as reported', () => {
    const body = JSON.stringify({ id: 'c1', choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } });
    assert.deepEqual(read(JSON_HEAD, body), [{ prompt: 12, completion: 30, total: 42 }]);
  });

  test('Responses API and Anthropic (input/output tokens; total is their sum when absent), Gemini usageMetadata', () => {
    assert.deepEqual(usageOfJson('{"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}'), { prompt: 5, completion: 6, total: 11 });
    assert.deepEqual(usageOfJson('{"usage":{"input_tokens":5,"output_tokens":6}}'), { prompt: 5, completion: 6, total: 11 });
    assert.deepEqual(usageOfJson('{"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,"totalTokenCount":7}}'), { prompt: 3, completion: 4, total: 7 });
  });

  test('no usage, bad JSON, bad counts: nothing', () => {
    assert.equal(usageOfJson('{"choices":[]}'), null);
    assert.equal(usageOfJson('{"usage":'), null);
    assert.equal(usageOfJson('{"usage":{"prompt_tokens":-1,"completion_tokens":"9","total_tokens":1.5}}'), null);
  });

  test('non-2xx, compressed, other content types and bodies over the cap are not read', () => {
    const body = '{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    assert.deepEqual(read(JSON_HEAD, body, 7, 429), []);
    assert.deepEqual(read([...JSON_HEAD, 'content-encoding', 'gzip'], body), []);
    assert.deepEqual(read(['content-type', 'text/plain'], body), []);
    const tap = new Recorder();
    assert.equal(tap.begin(200, 'OK', JSON_HEAD, MAX_JSON_BODY + 1), false, 'a declared length over the cap is refused up front');
    const padded = `{"pad":"${'x'.repeat(MAX_JSON_BODY)}","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`;
    assert.deepEqual(read(JSON_HEAD, padded, 64 * 1024), [], 'a body that grows over the cap stops being copied');
  });

  test('an abandoned response reports nothing', () => {
    const tap = new Recorder();
    tap.begin(200, 'OK', JSON_HEAD, -1);
    tap.chunk(Buffer.from('{"usage":{"total_tokens":3}}'));
    tap.abandon();
    tap.complete();
    assert.deepEqual(tap.seen, []);
  });
});

describe('usage in server-sent event streams', () => {
  const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ delta: { content } }], usage: null })}\n\n`;

  test('OpenAI: the final usage chunk (include_usage), across any split of the bytes, CRLF or LF', () => {
    const stream = chunk('Hel') + chunk('lo') + 'data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}\n\ndata: [DONE]\n\n';
    for (const piece of [1, 3, 16, 4096]) assert.deepEqual(read(SSE_HEAD, stream, piece), [{ prompt: 9, completion: 2, total: 11 }], `pieces of ${piece}`);
    assert.deepEqual(read(SSE_HEAD, stream.replaceAll('\n', '\r\n'), 5), [{ prompt: 9, completion: 2, total: 11 }]);
  });

  test('Anthropic: input tokens from message_start, output tokens from the last message_delta', () => {
    const stream = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}\n\n'
      + 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n'
      + 'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":15}}\n\n';
    assert.deepEqual(read(SSE_HEAD, stream, 10), [{ prompt: 25, completion: 15, total: 40 }]);
  });

  test('a stream without usage is estimated: text bytes / 4 and the prompt estimate given; no text, nothing', () => {
    assert.deepEqual(read(SSE_HEAD, chunk('Hello, ') + chunk('wörld') + 'data: [DONE]\n\n', 5), [{ prompt: 0, completion: 4, total: 4 }], '13 bytes');
    const tap = new (class extends UsageTap {
      seen: TokenUsage[] = [];
      constructor() { super(11); }
      protected usageRead(usage: TokenUsage): void { this.seen.push(usage); }
    })();
    tap.begin(200, 'OK', SSE_HEAD, -1);
    tap.chunk(Buffer.from(chunk('12345678')));
    tap.complete();
    assert.deepEqual(tap.seen, [{ prompt: 11, completion: 2, total: 13 }]);
    assert.deepEqual(read(SSE_HEAD, 'data: {"choices":[]}\n\ndata: [DONE]\n\n'), []);
  });

  test('text deltas of each provider\'s stream events count', () => {
    assert.equal(deltaTextBytes({ choices: [{ delta: { content: 'abc' } }, { text: 'de' }] }), 5);
    assert.equal(deltaTextBytes({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'abcd' } }), 4);
    assert.equal(deltaTextBytes({ type: 'response.output_text.delta', delta: 'ab' }), 2);
    assert.equal(deltaTextBytes({ candidates: [{ content: { parts: [{ text: 'abc' }, { text: 'é' }] } }] }), 5);
    assert.equal(deltaTextBytes({ choices: 'x', delta: 7 }), 0);
  });

  test('a last line without a newline still counts', () => {
    assert.deepEqual(read(SSE_HEAD, 'data: {"usage":{"total_tokens":4}}'), [{ prompt: 0, completion: 0, total: 4 }]);
  });

  test('a line over the line cap is skipped, the stream goes on being read', () => {
    const long = `data: {"usage":{"total_tokens":1000},"pad":"${'x'.repeat(MAX_SSE_LINE)}"}\n\n`;
    assert.deepEqual(read(SSE_HEAD, long + 'data: {"usage":{"total_tokens":4}}\n\n', 1000), [{ prompt: 0, completion: 0, total: 4 }]);
    assert.deepEqual(read(SSE_HEAD, long, 1000), []);
  });
});

describe('prompt token estimate', () => {
  test('bytes/4 of the messages\' text, rounded up, plus 3 per message', () => {
    const body = { model: 'm', messages: [{ role: 'system', content: 'abcd' }, { role: 'user', content: 'efghi' }] };
    assert.deepEqual(estimatePromptTokens(Buffer.from(JSON.stringify(body))), { tokens: Math.ceil(9 / 4) + 6, stream: false });
  });

  test('content parts, prompt, input and system count; UTF-8 bytes, not characters', () => {
    const parts = { messages: [{ role: 'user', content: [{ type: 'text', text: '12345678' }, { type: 'image_url', image_url: { url: 'x' } }] }] };
    assert.equal(estimatePromptTokens(Buffer.from(JSON.stringify(parts))).tokens, 2 + 3);
    assert.equal(estimatePromptTokens(Buffer.from(JSON.stringify({ prompt: ['1234', '5678'] }))).tokens, 2);
    assert.equal(estimatePromptTokens(Buffer.from(JSON.stringify({ input: 'éé', system: 'ab' }))).tokens, Math.ceil(6 / 4));
  });

  test('stream: true is seen; no body or not JSON: nothing', () => {
    assert.deepEqual(estimatePromptTokens(Buffer.from('{"stream":true,"messages":[]}')), { tokens: 0, stream: true });
    assert.deepEqual(estimatePromptTokens(null), { tokens: 0, stream: false });
    assert.deepEqual(estimatePromptTokens(Buffer.from('not json')), { tokens: 0, stream: false });
  });
});
