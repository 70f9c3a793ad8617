/**
 * The case table of the policy conformance suite: for each policy, a valid config (YAML form),
 * the sections it may be placed in, runs with their expected outcome, and bad configs with the
 * attribute the error must name (null: the element itself).
 */
import assert from 'node:assert/strict';
import { CONTINUE, RESPOND, type Outcome, type Section } from '../../src/gateway/pipeline/phases.js';
import type { RequestContext } from '../../src/gateway/pipeline/context.js';

export interface PolicyRun {
  title: string;
  section: Section;
  yaml?: Record<string, unknown>;
  setup?: (ctx: RequestContext) => void;
  expect: Outcome;
  check?: (ctx: RequestContext) => void;
}

export interface PolicyCase {
  name: string;
  yaml: Record<string, unknown>;
  sections: Section[];
  runs: PolicyRun[];
  bad: Array<{ yaml: Record<string, unknown>; attribute: string | null }>;
}

const ALL: Section[] = ['inbound', 'backend', 'outbound', 'on-error'];

export const POLICY_CASES: PolicyCase[] = [
  {
    name: 'set-header', yaml: { name: 'X-Out', value: 'v' }, sections: ALL,
    runs: [
      { title: 'adds a request header', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('x-out'), 'v') },
      { title: 'deletes a request header', section: 'inbound', yaml: { name: 'X-In', 'exists-action': 'delete' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('x-in'), null) },
      { title: 'sets a response header', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.deepEqual(ctx.response!.headers, ['x-out', 'v']) },
    ],
    bad: [
      { yaml: { name: 'X', 'exists-action': 'replace', value: 'v' }, attribute: 'exists-action' },
      { yaml: { name: 'bad name', value: 'v' }, attribute: 'name' },
      { yaml: { name: 'X', value: 'v', colour: 'red' }, attribute: 'colour' },
      { yaml: { name: 'X' }, attribute: null },
    ],
  },
  {
    name: 'set-status', yaml: { code: 418, reason: 'Teapot' }, sections: ['outbound', 'on-error'],
    runs: [{ title: 'sets the status', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.response!.status, 418) }],
    bad: [{ yaml: { code: 99 }, attribute: 'code' }, { yaml: { reason: 'x' }, attribute: 'code' }],
  },
  {
    name: 'return-response', yaml: { 'set-status': { code: 202 }, 'set-body': 'done' }, sections: ALL,
    runs: [{ title: 'answers', section: 'inbound', expect: RESPOND, check: (ctx) => { assert.equal(ctx.response!.status, 202); assert.equal(ctx.response!.body, 'done'); } }],
    bad: [{ yaml: { 'response-variable-name': 'r' }, attribute: 'response-variable-name' }, { yaml: { 'set-status': { code: 'x' } }, attribute: 'code' }],
  },
  {
    name: 'mock-response', yaml: { 'status-code': 200, body: '{}' }, sections: ALL,
    runs: [{ title: 'answers with JSON', section: 'inbound', expect: RESPOND, check: (ctx) => assert.deepEqual(ctx.response!.headers, ['content-type', 'application/json']) }],
    bad: [{ yaml: { 'status-code': 700 }, attribute: 'status-code' }],
  },
  {
    name: 'rate-limit', yaml: { calls: 1, 'renewal-period': 3600 }, sections: ['inbound'],
    runs: [{ title: 'first call passes', section: 'inbound', yaml: { calls: 1, 'renewal-period': 3599 }, expect: CONTINUE }],
    bad: [{ yaml: { calls: 0, 'renewal-period': 10 }, attribute: 'calls' }, { yaml: { calls: 5 }, attribute: 'renewal-period' }],
  },
  {
    name: 'rate-limit-by-key', yaml: { calls: 1, 'renewal-period': 3600, 'counter-key': 'ip' }, sections: ['inbound'],
    runs: [
      { title: 'first hit for a header key passes and reports what remains', section: 'inbound',
        yaml: { calls: 3, 'renewal-period': 3598, 'counter-key': 'header:x-in', 'remaining-calls-header-name': 'x-remaining' },
        expect: CONTINUE, check: (ctx) => assert.deepEqual(ctx.extraResponseHeaders, ['x-remaining', '2']) },
    ],
    bad: [{ yaml: { calls: 5, 'renewal-period': 10 }, attribute: 'counter-key' }, { yaml: { calls: 5, 'renewal-period': 10, 'counter-key': 'cookie:x' }, attribute: 'counter-key' }],
  },
];
