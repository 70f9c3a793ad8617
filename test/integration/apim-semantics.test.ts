/**
 * APIM semantics through a real gateway (1 worker): an operation's template query parameters
 * (`/items?id={id}`) are required and bound, so rewrite-uri's {id} takes the value; a parameter
 * inside a segment (`/{Sid}.json`) is routed and bound the same way; set-header's
 * several values reach the backend as one line; a policy document in APIM's file format (raw
 * quotes and `<` in an expression-free document with comments and CDATA) is served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

describe('APIM semantics', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway({
      apis: [{
        id: 'shop', name: 'Shop', path: 'shop', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          {
            id: 'by-query', method: 'GET', urlTemplate: '/items?id={itemId}&view={mode}',
            policies: '<policies><inbound><rewrite-uri template="/v2/items/{itemId}/{mode}" /></inbound></policies>',
          },
          {
            id: 'call', method: 'GET', urlTemplate: '/Accounts/{AccountSid}/Calls/{Sid}.json',
            policies: '<policies><inbound><rewrite-uri template="/calls/{AccountSid}/{Sid}" /></inbound></policies>',
          },
          {
            id: 'headers', method: 'GET', urlTemplate: '/headers',
            policies: [
              '<policies>',
              '  <!-- comments inside sections are ignored -->',
              '  <inbound>',
              '    <base />',
              '    <set-header name="X-Multi" exists-action="override"><value>a</value><value><![CDATA[b<c]]></value></set-header>',
              '  </inbound>',
              '</policies>',
            ].join('\n'),
          },
        ],
      }],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  const get = async (path: string) => {
    const res = await request(gw.url(path));
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('template query parameters are bound (rewrite-uri reads them) and not copied again', async () => {
    const r = await get('/shop/items?view=full&id=42&other=1');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.text) as { url: string };
    assert.equal(seen.url, '/v2/items/42/full?other=1');
  });

  test('a request without a template query parameter matches no operation: 404', async () => {
    const r = await get('/shop/items?id=42');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_ROUTE_NOT_FOUND');
  });

  test('a parameter inside a segment (/{Sid}.json) is routed and bound', async () => {
    const r = await get('/shop/Accounts/AC1/Calls/CA%209.JSON');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.text) as { url: string }).url, '/calls/AC1/CA%209');
    assert.equal((await get('/shop/Accounts/AC1/Calls/CA9.xml')).status, 404);
  });

  test('set-header with several values sends one comma-joined line', async () => {
    const r = await get('/shop/headers');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.text) as { headers: Record<string, string> };
    // Node joins repeated lines with ", ": "a,b<c" is one line as the gateway sent it.
    assert.equal(seen.headers['x-multi'], 'a,b<c');
  });
});
