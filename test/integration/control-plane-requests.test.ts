/**
 * The control plane's handling of odd requests: resource kinds that are names of Object.prototype
 * members (404, not a SQLite error), and bodies over their limit (413 with `Connection: close`,
 * the connection closed so nothing pipelined behind the body is ever answered).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawUntilClose } from '../support/raw-http.js';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

/** Counts the status lines in what came back on one connection. */
const responses = (text: string) => (text.match(/^HTTP\/1\.1 \d{3}/gm) ?? []).length;

describe('control plane: odd requests', () => {
  let cp: ControlPlaneProcess;

  before(async () => { cp = await startControlPlane(); });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  test('Object.prototype names as resource kinds: 404 with the JSON error shape, at every depth and method', async () => {
    for (const name of PROTO_NAMES) {
      for (const [method, path] of [['GET', `/${name}`], ['GET', `/${name}/x`], ['PUT', `/${name}/x`], ['DELETE', `/${name}/x`], ['POST', `/${name}/x/token`]] as const) {
        const r = await cp.admin(method, path, method === 'PUT' || method === 'POST' ? {} : undefined);
        assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get('x-outpost-error'), 'OUTPOST_ERR_ROUTE_NOT_FOUND');
        assert.equal(r.body.statusCode, 404);
        assert.equal(typeof r.body.message, 'string');
      }
    }
    // As ids under a real kind they are just ids that do not exist.
    for (const name of PROTO_NAMES) {
      const r = await cp.admin('GET', `/apis/${name}`);
      assert.equal(r.status, 404);
      assert.equal(r.headers.get('x-outpost-error'), 'OUTPOST_ERR_RESOURCE_NOT_FOUND');
    }
    assert.equal(cp.logs.filter((l) => l.level === 'error').length, 0, JSON.stringify(cp.logs.filter((l) => l.level === 'error')));
  });

  test('a declared body over the limit: 413, Connection: close, and the pipelined request behind it is not answered', async () => {
    const body = 'token=' + 'x'.repeat(5000);
    const second = 'GET /dashboard/login HTTP/1.1\r\nHost: cp\r\n\r\n';
    const r = await rawUntilClose(cp.port, `POST /dashboard/login HTTP/1.1\r\nHost: cp\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}${second}`, 3000);
    assert.equal(r.statuses[0], 413, r.text.slice(0, 300));
    assert.match(r.text, /\r\nconnection: close\r\n/i);
    assert.match(r.text, /\r\nx-outpost-error: OUTPOST_ERR_BODY_TOO_LARGE\r\n/i);
    assert.equal(responses(r.text), 1, r.text);
    assert.equal(r.closed, true);
  });

  test('a chunked body that grows over the limit: 413 and closed, nothing pipelined answered', async () => {
    const chunk = 'x'.repeat(1024);
    const chunks = Array.from({ length: 6 }, () => `400\r\n${chunk}\r\n`).join('');
    const second = 'GET /dashboard/login HTTP/1.1\r\nHost: cp\r\n\r\n';
    const r = await rawUntilClose(cp.port, `POST /dashboard/login HTTP/1.1\r\nHost: cp\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n${second}`, 3000);
    assert.equal(r.statuses[0], 413, r.text.slice(0, 300));
    assert.match(r.text, /\r\nconnection: close\r\n/i);
    assert.equal(responses(r.text), 1, r.text);
    assert.equal(r.closed, true);
  });

  test('an admin body declared over 10 MiB is refused before it is read', async () => {
    const r = await rawUntilClose(cp.port, `PUT /apis/big HTTP/1.1\r\nHost: cp\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${11 * 1024 * 1024}\r\n\r\n{"name":`, 3000);
    assert.equal(r.statuses[0], 413, JSON.stringify(r));
    assert.match(r.text, /\r\nconnection: close\r\n/i);
    assert.equal(r.closed, true);
  });
});
