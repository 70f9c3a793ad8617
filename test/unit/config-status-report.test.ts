/** The gateway trims a rejection's problems so the report always fits the control plane's bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundProblems, configStatusSchema, MAX_REPORT_BYTES, MAX_REPORT_PROBLEMS } from '../../src/shared/config-status-report.js';

test('thousands of long problems: the first ones, clipped, within the body limit, with the count', () => {
  const problems = Array.from({ length: 5000 }, (_, i) => ({ path: `apis[${i}].${'p'.repeat(1000)}`, message: '\u0001'.repeat(5000) }));
  const bounded = boundProblems(problems);
  assert.equal(bounded.problemCount, 5000);
  assert.ok(bounded.problems.length > 0 && bounded.problems.length <= MAX_REPORT_PROBLEMS);
  const body = { nodeId: 'n'.repeat(200), revision: 1, ok: false, ...bounded };
  assert.ok(configStatusSchema.safeParse(body).success);
  assert.ok(Buffer.byteLength(JSON.stringify(body)) <= MAX_REPORT_BYTES);
});

test('a few short problems pass unchanged', () => {
  const problems = [{ path: 'apis[0].serviceUrl', message: 'must be an absolute http:// or https:// URL' }];
  assert.deepEqual(boundProblems(problems), { problems, problemCount: 1 });
});
