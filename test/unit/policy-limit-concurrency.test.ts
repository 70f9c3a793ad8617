/**
 * limit-concurrency on the real SharedGauges: slots taken and given back at the end of the
 * request, exact across worker threads, and a replacement worker taking back a crashed one's share.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { SharedGauges } from '../../src/gateway/pipeline/shared-gauges.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';

const limitConcurrency = findFactory('limit-concurrency')!;

function compile(attrs: Record<string, unknown> | string) {
  const doc = parsePolicyDocument(typeof attrs === 'string' ? `<policies><inbound>${attrs}</inbound></policies>` : { inbound: [{ 'limit-concurrency': attrs }] }, 'api "t"');
  return limitConcurrency.compile(doc.inbound![0], policyLocation('api "t"', 'inbound', 0, 'limit-concurrency'));
}

function instance(attrs: Record<string, unknown>, gauges = new SharedGauges(SharedGauges.allocate(1), 0)) {
  return limitConcurrency.create(compile(attrs), { counters: new SharedCounters(SharedCounters.allocate(16)), gauges, now: Date.now });
}

const ctx = (headers: string[] = []) => new RequestContext('GET', '/x', '', headers, '10.0.0.1', 'a', 'o', {});

describe('limit-concurrency', () => {
  test('at most max-count in flight; a slot comes back when its request ends', () => {
    const policy = instance({ key: 'ip', 'max-count': 2 });
    const a = ctx(); const b = ctx(); const c = ctx();
    assert.equal(policy.run(a), CONTINUE);
    assert.equal(policy.run(b), CONTINUE);
    assert.equal(policy.run(c), RESPOND);
    assert.equal(c.response!.status, 429);
    assert.deepEqual(c.response!.headers, ['content-type', 'application/json', 'x-outpost-error', 'OUTPOST_ERR_CONCURRENCY_LIMITED']);
    assert.deepEqual(JSON.parse(c.response!.body as string), { statusCode: 429, message: 'Too many concurrent requests.' });
    c.ended(); // a rejected request holds nothing
    a.ended();
    a.ended(); // once only
    const d = ctx();
    assert.equal(policy.run(d), CONTINUE);
    assert.equal(policy.run(ctx()), RESPOND);
  });

  test('keys are separate', () => {
    const policy = instance({ key: 'header:x-client', 'max-count': 1 });
    assert.equal(policy.run(ctx(['x-client', 'a'])), CONTINUE);
    assert.equal(policy.run(ctx(['x-client', 'b'])), CONTINUE);
    assert.equal(policy.run(ctx(['x-client', 'a'])), RESPOND);
  });

  test('a hook registered after the request ended runs at once', () => {
    const gauges = new SharedGauges(SharedGauges.allocate(1), 0);
    const policy = instance({ key: 'ip', 'max-count': 1 }, gauges);
    const late = ctx();
    late.ended();
    assert.equal(policy.run(late), CONTINUE);
    assert.equal(policy.run(ctx()), CONTINUE);
  });

  test('a replacement worker takes back what its crashed predecessor held', () => {
    const buffer = SharedGauges.allocate(2);
    const w0 = new SharedGauges(buffer, 0);
    const w1 = new SharedGauges(buffer, 1);
    assert.ok(w0.acquire('k', 10) >= 0);
    assert.ok(w1.acquire('k', 10) >= 0);
    assert.ok(w1.acquire('k', 10) >= 0);
    assert.equal(w0.current('k'), 3);
    new SharedGauges(buffer, 1); // worker 1 "crashed" and was replaced
    assert.equal(w0.current('k'), 1);
  });

  test('exact across 4 threads: never more than max-count held at once', async () => {
    const buffer = SharedGauges.allocate(4);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.module).then(({ SharedGauges }) => {
        const g = new SharedGauges(workerData.buffer, workerData.index);
        const ints = new Int32Array(workerData.buffer);
        let got = 0, maxSeen = 0;
        for (let i = 0; i < 20000; i++) {
          const slot = g.acquire('k', 3);
          if (slot >= 0) { got++; maxSeen = Math.max(maxSeen, g.current('k')); g.release(slot); }
        }
        parentPort.postMessage({ got, maxSeen });
      });`;
    const module = new URL('../../src/gateway/pipeline/shared-gauges.js', import.meta.url).href;
    const results = await Promise.all([0, 1, 2, 3].map((index) => new Promise<{ got: number; maxSeen: number }>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { buffer, index, module } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    for (const r of results) { assert.ok(r.got > 0); assert.ok(r.maxSeen <= 3, `saw ${r.maxSeen}`); }
    assert.equal(new SharedGauges(buffer, 0).current('k'), 0);
  });

  test('compile errors name the attribute', () => {
    const attrOf = (a: Record<string, unknown> | string) => { try { compile(a); } catch (e) { assert.ok(e instanceof PolicyCompileError); return e.attribute; } throw new Error('compiled'); };
    assert.equal(attrOf({ 'max-count': 2 }), 'key');
    assert.equal(attrOf({ key: 'ip' }), 'max-count');
    assert.equal(attrOf({ key: 'ip', 'max-count': 0 }), 'max-count');
    assert.equal(attrOf({ key: 'query:x', 'max-count': 1 }), 'key');
    assert.equal(attrOf('<limit-concurrency key="ip" max-count="1"><forward-request /></limit-concurrency>'), null);
  });
});
