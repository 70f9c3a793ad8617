/**
 * APIM forms real documents use that Outpost refused: trace's older text form, variable names
 * with spaces (context.Variables is a .NET dictionary), emit-metric's documented default
 * dimensions (and a clear refusal for others), set-backend-service base-url="", cache durations
 * up to APIM's Int32 maximum.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '../../src/gateway/policies/trace.js';
import { setVariable } from '../../src/gateway/policies/set-variable.js';
import { returnResponse } from '../../src/gateway/policies/return-response.js';
import { emitMetric } from '../../src/gateway/policies/emit-metric.js';
import { setBackendService } from '../../src/gateway/policies/set-backend-service.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';

const f = <T>(factory: PolicyFactory<T>) => factory as PolicyFactory<unknown>;

function compileMessage(factory: PolicyFactory<unknown>, xml: string): string {
  try { compileOne(factory, xml); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err.message;
  }
  throw new Error('compiled without error');
}

describe('trace: the older text form', () => {
  test('the element\'s own text (or an expression in it) is the message', () => {
    const plain = compileOne(f(trace), '<trace source="OnError">\n      On Error\n    </trace>', 'on-error') as { message: { k: string; v?: string } };
    assert.deepEqual(plain.message, { k: 'text', v: 'On Error' });
    const expr = compileOne(f(trace), '<trace source="s">@(context.Request.Method)</trace>') as { message: { k: string } };
    assert.equal(expr.message.k, 'code');
  });

  test('text beside <message>, two <message>s, or neither is refused', () => {
    assert.match(compileMessage(f(trace), '<trace source="s">text<message>m</message></trace>'), /either as a <message> element or as its text/);
    assert.match(compileMessage(f(trace), '<trace source="s"><message>a</message><message>b</message></trace>'), /one <message>/);
    assert.match(compileMessage(f(trace), '<trace source="s">  </trace>'), /needs a <message>/);
  });
});

describe('context variable names (any string, as APIM\'s dictionary)', () => {
  test('return-response response-variable-name and set-variable name may hold spaces', () => {
    assert.doesNotThrow(() => compileOne(f(setVariable), '<set-variable name="existing context variable" value="x" />'));
    const rr = instanceOf(f(returnResponse), '<return-response response-variable-name="existing context variable"><set-status code="201" reason="Made" /></return-response>');
    assert.ok(rr);
  });

  test('control characters, leading/trailing spaces and over 128 characters are refused', () => {
    for (const bad of ['a\nb', 'tab\there', ' lead', 'trail ', 'x'.repeat(129)]) {
      assert.equal(compileErrorAttribute(f(setVariable), { name: bad, value: 'x' }), 'name', bad);
      assert.equal(compileErrorAttribute(f(returnResponse), { 'response-variable-name': bad }), 'response-variable-name', bad);
    }
  });
});

describe('emit-metric default dimensions', () => {
  test('"Location ID" (APIM\'s other spelling of Location) needs no value', () => {
    assert.doesNotThrow(() => compileOne(f(emitMetric), '<emit-metric name="m"><dimension name="Location ID" /><dimension name="API ID" /></emit-metric>'));
  });

  test('a dimension APIM has no default for ("Method") needs a value, and the error says how', () => {
    const message = compileMessage(f(emitMetric), '<emit-metric name="m"><dimension name="Method" /></emit-metric>');
    assert.match(message, /@value: is required: "Method" is not a default dimension/);
    assert.match(message, /context\.Request\.Method/);
    assert.match(compileMessage(f(emitMetric), '<emit-metric name="m"><dimension name="Client IP" /></emit-metric>'), /context\.Request\.IpAddress/);
  });
});

describe('set-backend-service base-url=""', () => {
  test('changes nothing: the request keeps the backend it had', () => {
    const ctx = newContext();
    ctx.backendOrigin = 'http://earlier:81';
    assert.equal(instanceOf(f(setBackendService), '<set-backend-service base-url="" />').run(ctx), CONTINUE);
    assert.equal(ctx.backendOrigin, 'http://earlier:81');
    assert.deepEqual(ctx.headers, ['host', 'backend:80']);
  });

  test('an attribute missing altogether, or a relative URL, is still refused', () => {
    assert.equal(compileErrorAttribute(f(setBackendService), '<set-backend-service />'), 'base-url');
    assert.equal(compileErrorAttribute(f(setBackendService), '<set-backend-service base-url="relative/path" />'), 'base-url');
  });
});

test('return-response from a variable with spaces in its name: a variable that holds no response fails the policy', () => {
  const rr = instanceOf(f(returnResponse), '<return-response response-variable-name="existing context variable"><set-header name="x-a" exists-action="override"><value>1</value></set-header></return-response>');
  const ctx = newContext();
  ctx.setVariable('existing context variable', 'not a response');
  assert.throws(() => rr.run(ctx), (err: unknown) => (err as { code?: string }).code === 'OUTPOST_ERR_POLICY_FAILED' && /existing context variable/.test((err as Error).message));
});
