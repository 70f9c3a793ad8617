/**
 * cors: compile errors (credentials with "*", bad origins, max-age), preflight answered or not,
 * terminate-unmatched-request, and the headers an actual request gets on its response.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cors } from '../../src/gateway/policies/cors.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';

/** These policies use no worker services. */
const services = {} as WorkerServices;

function compile(policy: string | object) {
  const doc = parsePolicyDocument(typeof policy === 'string' ? `<policies><inbound>${policy}</inbound></policies>` : { inbound: [policy] }, 'api "t"');
  const el = doc.inbound![0];
  return cors.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}
const instance = (policy: string | object) => cors.create(compile(policy), services);
const ctx = (method: string, ...headers: string[]) => new RequestContext(method, '/x', '', headers, '127.0.0.1', 'a', 'o', {});

function compileError(policy: string): PolicyCompileError {
  try { compile(policy); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err; }
  assert.fail('expected a compile error');
}

/** Header list → object (names are lowercase already). */
const asObject = (list: string[] | null | undefined) => {
  const out: Record<string, string> = {};
  for (let i = 0; list && i < list.length; i += 2) out[list[i]] = list[i + 1];
  return out;
};

const APP = 'https://app.example';
const FULL = `<cors allow-credentials="true">
  <allowed-origins><origin>${APP}</origin><origin>https://admin.example:8443</origin></allowed-origins>
  <allowed-methods preflight-result-max-age="600"><method>GET</method><method>PUT</method></allowed-methods>
  <allowed-headers><header>Content-Type</header><header>X-Api-Version</header></allowed-headers>
  <expose-headers><header>X-Request-Id</header><header>X-Remaining</header></expose-headers>
</cors>`;

describe('cors: compile', () => {
  test('allow-credentials="true" with origin "*" is refused, naming allow-credentials', () => {
    assert.equal(compileError('<cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins></cors>').attribute, 'allow-credentials');
  });
  test('bad attributes and elements are named', () => {
    assert.equal(compileError('<cors allow-credentials="maybe"><allowed-origins><origin>*</origin></allowed-origins></cors>').attribute, 'allow-credentials');
    assert.equal(compileError('<cors terminate-unmatched-request="1"><allowed-origins><origin>*</origin></allowed-origins></cors>').attribute, 'terminate-unmatched-request');
    assert.equal(compileError('<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age="soon"><method>GET</method></allowed-methods></cors>').attribute, 'preflight-result-max-age');
    assert.match(compileError('<cors />').message, /allowed-origins/);
    assert.match(compileError('<cors><allowed-origins><origin>app.example/path</origin></allowed-origins></cors>').message, /cors\[0\]\/allowed-origins.*app\.example\/path/);
    assert.match(compileError('<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>GET POST</method></allowed-methods></cors>').message, /GET POST/);
    assert.match(compileError('<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-origins><origin>*</origin></allowed-origins></cors>').message, /only once/);
  });
  test('YAML and XML give the same config', () => {
    assert.deepEqual(compile({
      cors: {
        'allow-credentials': true,
        'allowed-origins': { origin: [APP, 'https://admin.example:8443'] },
        'allowed-methods': { 'preflight-result-max-age': 600, method: ['GET', 'PUT'] },
        'allowed-headers': { header: ['Content-Type', 'X-Api-Version'] },
        'expose-headers': { header: ['X-Request-Id', 'X-Remaining'] },
      },
    }), compile(FULL));
  });
});

describe('cors: per request', () => {
  test('an allowed preflight is answered at the gateway with the Access-Control-* headers', () => {
    const c = ctx('OPTIONS', 'origin', APP, 'access-control-request-method', 'PUT', 'access-control-request-headers', 'content-type, x-api-version');
    assert.equal(instance(FULL).run(c), RESPOND);
    assert.equal(c.response!.status, 200);
    assert.deepEqual(asObject(c.response!.headers), {
      'access-control-allow-origin': APP, vary: 'Origin', 'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, PUT', 'access-control-allow-headers': 'content-type, x-api-version', 'access-control-max-age': '600',
    });
  });

  test('a preflight not allowed (origin, method or header) gets 200 without CORS headers, or goes on when terminate-unmatched-request="false"', () => {
    const p = instance(FULL);
    const cases = [
      ['origin', 'https://evil.example', 'access-control-request-method', 'GET'],
      ['origin', APP, 'access-control-request-method', 'DELETE'],
      ['origin', APP, 'access-control-request-method', 'GET', 'access-control-request-headers', 'x-secret'],
    ];
    for (const h of cases) {
      const c = ctx('OPTIONS', ...h);
      assert.equal(p.run(c), RESPOND);
      assert.equal(c.response!.status, 200);
      assert.deepEqual(c.response!.headers, []);
    }
    const lenient = instance(FULL.replace('<cors ', '<cors terminate-unmatched-request="false" '));
    assert.equal(lenient.run(ctx('OPTIONS', ...cases[0])), CONTINUE);
  });

  test('an actual request from an allowed origin gets the headers on the eventual response', () => {
    const c = ctx('PUT', 'origin', 'https://ADMIN.example:8443');
    assert.equal(instance(FULL).run(c), CONTINUE);
    assert.equal(c.response, null);
    assert.deepEqual(asObject(c.extraResponseHeaders), {
      'access-control-allow-origin': 'https://ADMIN.example:8443', vary: 'Origin', 'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Request-Id, X-Remaining',
    });
  });

  test('a wildcard origin without credentials answers "*"; methods default to GET and POST; safelisted headers pass', () => {
    const p = instance('<cors><allowed-origins><origin>*</origin></allowed-origins></cors>');
    const pre = ctx('OPTIONS', 'origin', 'https://any.example', 'access-control-request-method', 'POST', 'access-control-request-headers', 'Content-Type');
    assert.equal(p.run(pre), RESPOND);
    assert.equal(asObject(pre.response!.headers)['access-control-allow-origin'], '*');
    assert.equal(asObject(pre.response!.headers)['access-control-allow-methods'], 'GET, POST');
    assert.equal(asObject(pre.response!.headers).vary, undefined);
    const put = ctx('OPTIONS', 'origin', 'https://any.example', 'access-control-request-method', 'PUT');
    assert.equal(p.run(put), RESPOND);
    assert.deepEqual(put.response!.headers, []);
    const actual = ctx('GET', 'origin', 'https://any.example');
    assert.equal(p.run(actual), CONTINUE);
    assert.deepEqual(actual.extraResponseHeaders, ['access-control-allow-origin', '*']);
  });

  test('"*" methods and headers echo what the preflight asks for', () => {
    const p = instance(`<cors allow-credentials="true"><allowed-origins><origin>${APP}</origin></allowed-origins><allowed-methods><method>*</method></allowed-methods><allowed-headers><header>*</header></allowed-headers></cors>`);
    const c = ctx('OPTIONS', 'origin', APP, 'access-control-request-method', 'PATCH', 'access-control-request-headers', 'x-anything');
    assert.equal(p.run(c), RESPOND);
    assert.equal(asObject(c.response!.headers)['access-control-allow-methods'], 'PATCH');
    assert.equal(asObject(c.response!.headers)['access-control-allow-headers'], 'x-anything');
  });

  test('requests without Origin pass untouched; an unmatched GET is ended (APIM), an unmatched POST goes on bare', () => {
    const p = instance(FULL);
    const plain = ctx('GET');
    assert.equal(p.run(plain), CONTINUE);
    assert.equal(plain.extraResponseHeaders, null);
    const get = ctx('GET', 'origin', 'https://evil.example');
    assert.equal(p.run(get), RESPOND);
    assert.deepEqual(get.response!.headers, []);
    const post = ctx('POST', 'origin', 'https://evil.example');
    assert.equal(p.run(post), CONTINUE);
    assert.equal(post.extraResponseHeaders, null);
    // OPTIONS without Access-Control-Request-Method is not a preflight.
    const options = ctx('OPTIONS', 'origin', APP);
    assert.equal(p.run(options), CONTINUE);
    assert.equal(asObject(options.extraResponseHeaders)['access-control-allow-origin'], APP);
  });
});
