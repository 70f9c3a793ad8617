/** Two policies watching one response body (cache-store and an LLM token policy), and weighted counter hits. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addBodyTap } from '../../src/gateway/pipeline/body-taps.js';
import { RequestContext, type ResponseBodyTap } from '../../src/gateway/pipeline/context.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { slidingNodeCount, slidingNodePeek } from '../../src/gateway/policies/sliding-window.js';
import { MAX_COUNT } from '../../src/shared/counter-layout.js';

class Log implements ResponseBodyTap {
  events: string[] = [];
  constructor(private readonly wants: boolean) {}
  begin(status: number, _r: string, _headers: string[], _length: number): boolean { this.events.push(`begin ${status}`); return this.wants; }
  chunk(bytes: Buffer): void { this.events.push(`chunk ${bytes.toString()}`); }
  complete(): void { this.events.push('complete'); }
  abandon(): void { this.events.push('abandon'); }
}

describe('addBodyTap', () => {
  test('every tap that wants the body sees it; one that declines sees only the head', () => {
    const ctx = new RequestContext('GET', '/', '', [], '10.0.0.1', 'a', 'o', {});
    const [a, b, c] = [new Log(true), new Log(false), new Log(true)];
    addBodyTap(ctx, a);
    assert.equal(ctx.bodyTap, a, 'one tap stands alone');
    addBodyTap(ctx, b);
    addBodyTap(ctx, c);
    const tap = ctx.bodyTap!;
    const headers = ['content-type', 'text/plain'];
    assert.equal(tap.begin(200, 'OK', headers, 2), true);
    tap.chunk(Buffer.from('hi'));
    tap.complete();
    assert.deepEqual(a.events, ['begin 200', 'chunk hi', 'complete']);
    assert.deepEqual(b.events, ['begin 200']);
    assert.deepEqual(c.events, ['begin 200', 'chunk hi', 'complete']);
    const solo = new RequestContext('GET', '/', '', [], '10.0.0.1', 'a', 'o', {});
    addBodyTap(solo, new Log(false));
    addBodyTap(solo, new Log(false));
    assert.equal(solo.bodyTap!.begin(200, 'OK', [], 0), false, 'nobody wants it: the exchange copies nothing');
  });

  test('an abandoned body is abandoned for each tap that took it', () => {
    const ctx = new RequestContext('GET', '/', '', [], '10.0.0.1', 'a', 'o', {});
    const [a, b] = [new Log(true), new Log(true)];
    addBodyTap(ctx, a);
    addBodyTap(ctx, b);
    ctx.bodyTap!.begin(200, 'OK', [], -1);
    ctx.bodyTap!.abandon();
    assert.deepEqual([a.events.at(-1), b.events.at(-1)], ['abandon', 'abandon']);
  });
});

describe('weighted hits', () => {
  test('hit adds its amount, saturates at MAX_COUNT, and a new window starts at the amount', () => {
    const clock = { ms: 1_000_000 };
    const counters = new SharedCounters(SharedCounters.allocate(16), () => clock.ms);
    assert.equal(counters.hit('k', 2000, 25), 25);
    assert.equal(counters.hit('k', 2000), 26);
    assert.equal(counters.peek('k', 2000), 26);
    assert.equal(counters.hit('k', 2000, MAX_COUNT), MAX_COUNT);
    assert.equal(counters.hit('k', 3000, 7), 7);
  });

  test('the sliding peek is what the next weighted count adds to', () => {
    const counters = new SharedCounters(SharedCounters.allocate(16), () => 0);
    const minute = 60_000;
    slidingNodeCount(counters, 'k', 10 * minute + 1000, 60, 120);
    // 30 s into the next minute: half of the previous minute's 120 still counts.
    assert.equal(slidingNodePeek(counters, 'k', 11 * minute + 30_000, 60), 60);
    assert.equal(slidingNodeCount(counters, 'k', 11 * minute + 30_000, 60, 5), 65);
    assert.equal(slidingNodePeek(counters, 'k', 11 * minute + 30_000, 60), 65);
  });
});
