/**
 * Outpost's response parser against llhttp on the same bytes (response-cases.ts), each case fed
 * whole, byte by byte and split in three, and (Outpost only) with the sink pausing on every body
 * range: same verdict, status, header list, body bytes and keep-alive decision, except where a
 * case documents a deliberate difference, which is asserted as documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESPONSE_CASES } from './response-cases.js';
import { runLlhttp, runOutpost, type Outcome } from '../support/response-harness.js';

function splitPlans(length: number): number[][] {
  const byByte = Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  return [[], byByte, [Math.floor(length / 3), Math.floor((2 * length) / 3)]];
}

for (const c of RESPONSE_CASES) {
  test(`response framing: ${c.name}`, () => {
    const wire = Buffer.from(c.wire, 'latin1');
    const isHead = c.head === true;
    const reference = runOutpost(wire, isHead);
    assert.equal(reference.verdict, c.expect, 'Outpost verdict');
    if (c.body !== undefined) assert.equal(reference.body, c.body, 'Outpost body');
    if (c.keepAlive !== undefined) assert.equal(reference.keepAlive, c.keepAlive, 'Outpost keep-alive');
    for (const splits of splitPlans(wire.length)) {
      for (const pauseEvery of [0, 1]) {
        assert.deepEqual(runOutpost(wire, isHead, splits, pauseEvery), reference, `Outpost split at ${splits.length} points, pause ${pauseEvery}`);
      }
      const ll = runLlhttp(wire, isHead, splits);
      assertAgainstLlhttp(c.llhttp, reference, ll);
    }
  });
}

function assertAgainstLlhttp(diff: { verdict?: 'accept' | 'reject'; keepAlive?: boolean; varies?: boolean } | undefined, ours: Outcome, ll: Outcome): void {
  if (diff?.varies) return;
  const verdict = diff?.verdict ?? ours.verdict;
  assert.equal(ll.verdict, verdict, 'llhttp verdict (documented when it differs)');
  if (ours.verdict !== 'accept' || ll.verdict !== 'accept') return;
  assert.equal(ll.status, ours.status, 'status');
  assert.deepEqual(ll.headers, ours.headers, 'header list');
  assert.equal(ll.body, ours.body, 'body bytes');
  assert.equal(ll.keepAlive, diff?.keepAlive ?? ours.keepAlive, 'keep-alive (documented when it differs)');
}
