/**
 * Differential fuzzing, bounded for the suite: 2,000 seeded cases (test/support/response-fuzz.ts)
 * must show zero disagreements with llhttp on framing. Longer runs: `npm run fuzz:response`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../support/response-fuzz.js';

const CASES = 2_000;
const SEED = 20_261_204;

test(`response parser vs llhttp: ${CASES} mutated responses, zero framing disagreements`, () => {
  const r = runFuzz(CASES, SEED);
  process.stdout.write(`# fuzz: ${r.cases} cases, ${r.compared} compared (${r.accepted} accepted by both), ${r.excused} excused as documented differences\n`);
  assert.equal(r.cases, CASES);
  assert.ok(r.compared > CASES / 2, 'most cases are compared, not excused');
  assert.ok(r.accepted > CASES / 10, 'a good share of cases are valid responses');
  assert.deepEqual(r.disagreements.slice(0, 3), []);
});
