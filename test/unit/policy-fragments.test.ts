/** Policy fragments and include-fragment: inserted as written, where written; APIM's limits refused with the field path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';

const CORS_FRAGMENT = `<fragment>
  <set-header name="x-from-fragment" exists-action="override"><value>yes</value></set-header>
  <set-header name="x-second" exists-action="append"><value>@(context.Request.Method)</value></set-header>
</fragment>`;

function compile(fragments: unknown[], policies: unknown) {
  const result = validateGatewayConfig({
    fragments,
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', policies, operations: [{ id: 'x', method: 'GET', urlTemplate: '/x' }] }],
  });
  if (!result.ok) return { chains: null, problems: result.problems };
  return compilePolicies(result.config);
}

test('include-fragment is replaced by the fragment\'s policies, in place, before and after other policies', () => {
  const { chains, problems } = compile([{ id: 'common-headers', policy: CORS_FRAGMENT }],
    '<policies><inbound><set-method>POST</set-method><include-fragment fragment-id="common-headers" /><set-header name="x-last"><value>1</value></set-header></inbound></policies>');
  assert.deepEqual(problems, []);
  assert.deepEqual(chains![0]![''].inbound.map((p) => p.name), ['set-method', 'set-header', 'set-header', 'set-header']);
  assert.match(JSON.stringify(chains![0]![''].inbound[1].config), /x-from-fragment/);
  assert.match(JSON.stringify(chains![0]![''].inbound[3].config), /x-last/);
});

test('include-fragment inside choose/when, and a fragment written as a YAML list of policies', () => {
  const { chains, problems } = compile([{ id: 'y', policy: [{ 'set-header': { name: 'x-yaml', value: 'v' } }] }],
    '<policies><inbound><choose><when condition="@(true)"><include-fragment fragment-id="y" /></when></choose></inbound></policies>');
  assert.deepEqual(problems, []);
  assert.match(JSON.stringify(chains![0]![''].inbound[0].config), /x-yaml/);
});

test('an unknown fragment id, an expression as id and extra attributes are problems at the including scope', () => {
  const { problems } = compile([], '<policies><inbound><include-fragment fragment-id="nope" /><include-fragment fragment-id="@(&quot;x&quot;)" /><include-fragment fragment-id="a" bogus="1" /></inbound></policies>');
  assert.equal(problems.length, 3);
  for (const p of problems) assert.equal(p.path, 'apis[0].policies');
  const messages = problems.map((p) => p.message).join('\n');
  assert.match(messages, /include-fragment\[0\] @fragment-id: no fragment with id "nope"/);
  assert.match(messages, /include-fragment\[1\] @fragment-id: .*policy expression/);
  assert.match(messages, /include-fragment\[2\] @bogus: include-fragment takes only the fragment-id attribute/);
});

test('APIM\'s fragment limits: no <base />, no section, no nested include-fragment, one <fragment> root, 32 KB', () => {
  const { problems } = compile([
    { id: 'b', policy: '<fragment><base /></fragment>' },
    { id: 'n', policy: '<fragment><include-fragment fragment-id="b" /></fragment>' },
    { id: 'r', policy: '<policies><inbound /></policies>' },
  ], undefined);
  assert.deepEqual(problems.map((p) => p.path), ['fragments[0].policy', 'fragments[1].policy', 'fragments[2].policy']);
  assert.match(problems[0].message, /may not hold <base>/);
  assert.match(problems[1].message, /may not include another fragment/);
  assert.match(problems[2].message, /one <fragment> element/);
  const big = compile([{ id: 'big', policy: `<fragment><set-method>${'x'.repeat(33_000)}</set-method></fragment>` }], undefined);
  assert.equal(big.problems[0].path, 'fragments[0].policy');
  assert.match(big.problems[0].message, /at most 32768 bytes/);
});

test('duplicate fragment ids are refused; a bad policy inside a fragment is reported where it is included', () => {
  const dup = compile([{ id: 'd', policy: CORS_FRAGMENT }, { id: 'd', policy: CORS_FRAGMENT }], undefined);
  assert.equal(dup.problems[0].path, 'fragments[1].id');
  const bad = compile([{ id: 'bad', policy: '<fragment><set-header name="bad name"><value>v</value></set-header></fragment>' }],
    '<policies><inbound><include-fragment fragment-id="bad" /></inbound></policies>');
  assert.equal(bad.problems[0].path, 'apis[0].policies');
  assert.match(bad.problems[0].message, /set-header\[0\] @name/);
});

test('each inclusion is its own copy: two places, two rate-limit statements', () => {
  const { chains, problems } = compile([{ id: 'limit', policy: '<fragment><rate-limit calls="5" renewal-period="60" /></fragment>' }],
    '<policies><inbound><include-fragment fragment-id="limit" /><include-fragment fragment-id="limit" /></inbound></policies>');
  assert.deepEqual(problems, []);
  const [first, second] = chains![0]![''].inbound;
  assert.equal(first.name, 'rate-limit');
  assert.notEqual(first.at, second.at);
});
