/**
 * choose: YAML and XML compile to the same config (which survives msgpack); the first matching
 * <when> runs, else <otherwise>, else nothing; a nested respond ends the choose with RESPOND; a
 * nested policy that returns a promise is awaited; and the compile errors: a nested policy not
 * allowed in the section, an unknown one, a bad condition (naming `condition` and the position),
 * <otherwise> out of place, no <when>.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { pack, unpack } from 'msgpackr';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError, type PolicyElement } from '../../src/gateway/pipeline/policy-element.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND, type Section } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { makeChoose } from '../../src/gateway/policies/choose.js';

const SCOPE = 'api "shop"';
const services = { counters: { hit: () => 1 }, gauges: { acquire: () => 0, release: () => {} }, now: () => 0 } as unknown as WorkerServices;
const choose = findFactory('choose')!;

const YAML = `
inbound:
  - choose:
      when:
        - condition: "request.headers['x-tier'] == 'gold'"
          policies:
            - set-header: { name: x-branch, value: gold }
        - condition: "in(request.headers['x-tier'], 'silver', 'bronze') and request.method == 'GET'"
          policies:
            - set-header: { name: x-branch, value: metal }
            - return-response: { set-status: { code: 202, reason: Accepted } }
      otherwise:
        - mock-response: { status-code: 404 }
`;
const XML = `<policies><inbound>
  <choose>
    <when condition="request.headers['x-tier'] == 'gold'">
      <set-header name="x-branch"><value>gold</value></set-header>
    </when>
    <when condition="in(request.headers['x-tier'], 'silver', 'bronze') and request.method == 'GET'">
      <set-header name="x-branch"><value>metal</value></set-header>
      <return-response><set-status code="202" reason="Accepted" /></return-response>
    </when>
    <otherwise><mock-response status-code="404" /></otherwise>
  </choose>
</inbound></policies>`;

function element(source: string, section: Section = 'inbound'): PolicyElement {
  const doc = parsePolicyDocument(source.trimStart().startsWith('<') ? source : parseYaml(source), SCOPE);
  return doc[section]![0];
}

function compile(el: PolicyElement, section: Section = 'inbound', factory: PolicyFactory<unknown> = choose): unknown {
  return factory.compile(el, policyLocation(SCOPE, section, 0, el.name));
}

function compileError(fn: () => unknown): PolicyCompileError {
  try { fn(); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, `expected PolicyCompileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a PolicyCompileError');
}

const ctx = (tier: string | null, method = 'GET') =>
  new RequestContext(method, '/x', '', tier === null ? [] : ['x-tier', tier], '::1', 'shop', 'op', {});

describe('choose', () => {
  test('YAML and XML compile to the same config, which survives msgpack', () => {
    const fromYaml = compile(element(YAML));
    assert.deepEqual(compile(element(XML)), fromYaml);
    assert.deepEqual(unpack(pack(fromYaml)), fromYaml);
    const config = fromYaml as { branches: Array<{ policies: Array<{ at: string }> }> };
    assert.equal(config.branches[1].policies[1].at, `${SCOPE} / inbound / choose[0]/when[1]/return-response[1]`);
  });

  test('the first matching branch runs; otherwise when none does', () => {
    const instance = choose.create(unpack(pack(compile(element(YAML)))), services);
    const gold = ctx('gold');
    assert.equal(instance.run(gold), CONTINUE);
    assert.equal(gold.header('x-branch'), 'gold');

    const silver = ctx('silver');
    assert.equal(instance.run(silver), RESPOND);
    assert.equal(silver.header('x-branch'), 'metal');
    assert.equal(silver.response?.status, 202);

    const post = ctx('silver', 'POST');
    assert.equal(instance.run(post), RESPOND);
    assert.equal(post.header('x-branch'), null);
    assert.equal(post.response?.status, 404);

    const none = ctx(null);
    assert.equal(instance.run(none), RESPOND);
    assert.equal(none.response?.status, 404);
  });

  test('no otherwise and no match: continue, nothing runs', () => {
    const el = element(`inbound:\n  - choose:\n      when:\n        - condition: "false"\n          policies:\n            - return-response: {}\n`);
    const c = ctx('gold');
    assert.equal(choose.create(compile(el), services).run(c), CONTINUE);
    assert.equal(c.response, null);
  });

  test('a nested policy returning a promise is awaited, and the branch goes on after it', async () => {
    const order: string[] = [];
    const fake = (name: string, outcome: number, async: boolean): PolicyFactory<unknown> => ({
      name, sections: ['inbound'], compile: () => null,
      create: () => ({ run: () => { order.push(name); return (async ? Promise.resolve(outcome) : outcome) as never; } }),
    });
    const factories = new Map([fake('slow', CONTINUE, true), fake('fast', CONTINUE, false), fake('stop', RESPOND, true)].map((f) => [f.name, f]));
    const local = makeChoose((n) => factories.get(n));
    const el = element('<policies><inbound><choose><when condition="true"><fast /><slow /><fast /><stop /><fast /></when></choose></inbound></policies>');
    const result = local.create(compile(el, 'inbound', local as PolicyFactory<unknown>) as never, services).run(ctx(null));
    assert.ok(result instanceof Promise);
    assert.equal(await result, RESPOND);
    assert.deepEqual(order, ['fast', 'slow', 'fast', 'stop']);
  });

  test('choose is allowed in every section; a nested policy must be allowed in the section', () => {
    assert.deepEqual([...choose.sections].sort(), ['backend', 'inbound', 'on-error', 'outbound']);
    const el = element(`outbound:\n  - choose:\n      when:\n        - condition: "true"\n          policies:\n            - set-header: { name: x-a, value: a }\n            - rate-limit: { calls: 5, renewal-period: 60 }\n`, 'outbound');
    const err = compileError(() => compile(el, 'outbound'));
    assert.equal(err.at.element, 'choose[0]/when[0]/rate-limit');
    assert.equal(err.at.index, 1);
    assert.match(err.message, /"rate-limit" cannot be used in outbound \(allowed: inbound\)/);
  });

  test('an unknown nested policy, and a bad nested policy, are compile errors naming it', () => {
    const late = compileError(() => compile(element('<policies><inbound><choose><when condition="true" /><otherwise /><when condition="true" /></choose></inbound></policies>')));
    assert.match(late.message, /choose\[0\]\/when\[2\]: <otherwise> must be the last/);
    const err = compileError(() => compile(element('<policies><inbound><choose><when condition="true"><teleport /></when></choose></inbound></policies>')));
    assert.equal(err.at.element, 'choose[0]/when[0]/teleport');
    assert.match(err.message, /unknown policy "teleport"/);
    const bad = compileError(() => compile(element('<policies><inbound><choose><when condition="true"><set-header name="x-a" exists-action="maybe"><value>v</value></set-header></when></choose></inbound></policies>')));
    assert.equal(bad.attribute, 'exists-action');
    assert.equal(bad.at.element, 'choose[0]/when[0]/set-header');
  });

  test('a bad condition is a compile error naming the attribute `condition` and the position', () => {
    const err = compileError(() => compile(element(`<policies><inbound><choose><when condition="request.method = 'GET'" /></choose></inbound></policies>`)));
    assert.equal(err.attribute, 'condition');
    assert.equal(err.at.element, 'choose[0]/when');
    assert.match(err.message, /@condition: at 16: unexpected character "="/);
    const missing = compileError(() => compile(element('<policies><inbound><choose><when /></choose></inbound></policies>')));
    assert.equal(missing.attribute, 'condition');
  });

  test('structure: at least one <when>, nothing but <when> and <otherwise>, no stray attributes', () => {
    assert.match(compileError(() => compile(element('<policies><inbound><choose><otherwise /></choose></inbound></policies>'))).message, /at least one <when/);
    assert.match(compileError(() => compile(element('<policies><inbound><choose><set-header name="a" /></choose></inbound></policies>'))).message, /unknown child element <set-header>/);
    assert.equal(compileError(() => compile(element('<policies><inbound><choose><when condition="true" mode="x" /></choose></inbound></policies>'))).attribute, 'mode');
  });

  test('choose nests', () => {
    const el = element('<policies><inbound><choose><when condition="true"><choose><when condition="request.headers.x-tier == \'gold\'"><return-response /></when></choose></when></choose></inbound></policies>');
    const instance = choose.create(compile(el), services);
    assert.equal(instance.run(ctx('gold')), RESPOND);
    assert.equal(instance.run(ctx('tin')), CONTINUE);
  });
});
