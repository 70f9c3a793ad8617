/**
 * choose end to end through real workers: a condition on a request header picks a set-header
 * (seen by the backend), a return-response (the backend is not called), or the otherwise branch;
 * the same policy written in APIM XML behaves the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const YAML_CHOOSE = {
  inbound: [{
    choose: {
      when: [
        { condition: "request.headers['x-tier'] == 'gold'", policies: [{ 'set-header': { name: 'x-branch', value: 'gold' } }] },
        { condition: "startsWith(request.headers['x-tier'], 'block')", policies: [{ 'return-response': { 'set-status': { code: 403, reason: 'Forbidden' }, 'set-body': 'blocked by choose' } }] },
      ],
      otherwise: [{ 'set-header': { name: 'x-branch', value: 'other' } }],
    },
  }],
};
const XML_CHOOSE = `<policies><inbound>
  <choose>
    <when condition="request.headers['x-tier'] == 'gold'"><set-header name="x-branch"><value>gold</value></set-header></when>
    <when condition="startsWith(request.headers['x-tier'], 'block')"><return-response><set-status code="403" reason="Forbidden" /><set-body>blocked by choose</set-body></return-response></when>
    <otherwise><set-header name="x-branch"><value>other</value></set-header></otherwise>
  </choose>
</inbound></policies>`;

describe('choose through real workers', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway({
      apis: [{
        id: 'tiers', name: 'Tiers', path: 'tiers', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'yaml', method: 'GET', urlTemplate: '/yaml', policies: YAML_CHOOSE },
          { id: 'xml', method: 'GET', urlTemplate: '/xml', policies: XML_CHOOSE },
        ],
      }],
    }, { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const get = async (path: string, tier?: string) => {
    const res = await request(gw.url(path), { headers: tier === undefined ? {} : { 'x-tier': tier } });
    return { status: res.statusCode, text: await res.body.text() };
  };

  for (const form of ['yaml', 'xml']) {
    test(`${form}: the header picks the branch`, async () => {
      const gold = await get(`/tiers/${form}`, 'gold');
      assert.equal(gold.status, 200);
      assert.equal((JSON.parse(gold.text) as { headers: Record<string, string> }).headers['x-branch'], 'gold');

      const other = await get(`/tiers/${form}`);
      assert.equal(other.status, 200);
      assert.equal((JSON.parse(other.text) as { headers: Record<string, string> }).headers['x-branch'], 'other');

      const seen = backend.seen.length;
      const blocked = await get(`/tiers/${form}`, 'blocked');
      assert.equal(blocked.status, 403);
      assert.equal(blocked.text, 'blocked by choose');
      assert.equal(backend.seen.length, seen);
    });
  }
});
