/**
 * One conformance suite every policy runs through (DESIGN rule 8): each registered policy must
 * have a case here; each case checks phase placement (compiles in exactly its sections), its run
 * outcomes on a real RequestContext, and that bad configs are coded compile errors naming the
 * attribute.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { instantiateChain, runSection } from '../../src/gateway/pipeline/chain-runtime.js';
import { SECTIONS, type Section } from '../../src/gateway/pipeline/phases.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { SharedGauges } from '../../src/gateway/pipeline/shared-gauges.js';
import { findFactory, policyNames } from '../../src/gateway/policies/registry.js';
import { parsePolicyDocument } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { POLICY_CASES } from './policy-cases.js';

function configWith(section: Section, policy: Record<string, unknown>) {
  const result = validateGatewayConfig({
    // Named by authentication-certificate's case; compilePolicies does not read the files.
    certificates: [{ id: 'client1', certFile: '/nonexistent/client1.pem', keyFile: '/nonexistent/client1.key' }],
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false,
      operations: [{ id: 'o', method: 'GET', urlTemplate: '/{id}', policies: { [section]: [policy] } }] }],
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.config;
}

export function newContext(): RequestContext {
  return new RequestContext('GET', '/42', 'a=1', ['host', 'backend', 'x-in', 'v'], '10.1.2.3', 'a', 'o', { id: '42' });
}

const services = { counters: new SharedCounters(SharedCounters.allocate(1024)), gauges: new SharedGauges(SharedGauges.allocate(1, 1024), 0), now: () => Date.now() };

describe('policy conformance', () => {
  test('every registered policy has a conformance case', () => {
    assert.deepEqual(policyNames().filter((n) => !POLICY_CASES.some((c) => c.name === n)), []);
  });

  for (const c of POLICY_CASES) {
    describe(c.name, () => {
      test('declares the sections it may be placed in', () => {
        assert.deepEqual([...findFactory(c.name)!.sections].sort(), [...c.sections].sort());
      });

      for (const section of SECTIONS) {
        const allowed = c.sections.includes(section);
        test(`${allowed ? 'compiles' : 'is a coded compile error'} in ${section}`, () => {
          const { problems, chains } = compilePolicies(configWith(section, { [c.name]: c.yaml }));
          if (allowed) {
            assert.deepEqual(problems, []);
            assert.equal(chains[0]![''][section][0].name, c.name);
          } else {
            assert.equal(problems.length, 1);
            assert.equal(problems[0].path, 'apis[0].operations[0].policies');
            assert.match(problems[0].message, new RegExp(`"${c.name}" cannot be used in ${section}`));
          }
        });
      }

      for (const run of c.runs) {
        test(`in ${run.section}: ${run.title}`, async () => {
          const { chains } = compilePolicies(configWith(run.section, { [c.name]: run.yaml ?? c.yaml }));
          const chain = instantiateChain(chains[0]![''], services);
          const ctx = newContext();
          run.setup?.(ctx);
          const outcome = await runSection(chain[run.section]!, ctx);
          assert.equal(outcome, run.expect, JSON.stringify(ctx.lastError));
          run.check?.(ctx);
        });
      }

      for (const bad of c.bad) {
        test(`bad config → OUTPOST_ERR_POLICY_INVALID naming ${bad.attribute ?? 'the element'}`, () => {
          const doc = parsePolicyDocument({ [c.sections[0]]: [{ [c.name]: bad.yaml }] }, 'test');
          const element = doc[c.sections[0]]![0];
          const at = { scope: 'test', section: c.sections[0], index: 0, element: c.name };
          assert.throws(() => findFactory(c.name)!.compile(element, at), (err: unknown) => {
            assert.ok(err instanceof PolicyCompileError);
            assert.equal(err.code, 'OUTPOST_ERR_POLICY_INVALID');
            assert.equal(err.attribute, bad.attribute);
            return true;
          });
        });
      }
    });
  }
});
