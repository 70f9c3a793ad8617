/**
 * The request side against llhttp, differential and bounded for the suite: 10,000 seeded cases of
 * pipelined, mutated requests fed in random pieces (test/support/request-fuzz.ts). Zero cases may
 * show Outpost completing a request llhttp does not, or completing it otherwise, or waiting for
 * bytes where llhttp completed one: any of those is a request-smuggling desync. Longer runs:
 * `npm run fuzz:request -- 1000000`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../support/request-fuzz.js';

const CASES = 10_000;
const SEED = 20_261_207;

test(`request side vs llhttp: ${CASES} mutated, pipelined requests, zero framing disagreements`, () => {
  const r = runFuzz(CASES, SEED);
  process.stdout.write(`# fuzz: ${r.cases} cases, ${r.requestsCompleted} requests completed by both, ${r.stricter} refused by Outpost only, ${r.bothRefused} by both, ${r.excused} excused (a method llhttp does not know)\n`);
  assert.equal(r.cases, CASES);
  assert.ok(r.requestsCompleted > CASES, 'most cases complete requests: the generator makes valid ones');
  assert.ok(r.stricter + r.bothRefused > CASES / 10, 'mutations produce refusals too');
  assert.deepEqual(r.disagreements.slice(0, 3), []);
});
