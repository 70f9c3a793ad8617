/**
 * A backend that accepts no connections, through the real gateway (gateway.upstream.connectBackoffMs):
 * its requests get 502 OUTPOST_ERR_BACKEND_UNREACHABLE, at once between connect attempts; the
 * worker says once that the origin went down and once that it came back; the first request after
 * the period reaches the backend again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/free-port.js';

const PERIOD_MS = 500;

describe('a backend that accepts no connections', () => {
  let port: number;
  let gw: GatewayProcess;
  let backend: Server | null = null;
  const sockets = new Set<Socket>();
  let connections = 0;

  before(async () => {
    port = await freePort();
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 1, upstream: { connectBackoffMs: PERIOD_MS } },
      apis: [{ id: 'dead', name: 'dead', path: 'dead', serviceUrl: `http://127.0.0.1:${port}`, subscriptionRequired: false, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] }],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    for (const s of sockets) s.destroy();
    backend?.close();
  });

  const get = async (): Promise<{ status: number; code: string | undefined; body: string }> => {
    const res = await request(gw.url('/dead/item'));
    return { status: res.statusCode, code: res.headers['x-outpost-error'] as string | undefined, body: await res.body.text() };
  };

  test('502 OUTPOST_ERR_BACKEND_UNREACHABLE for every request, the origin going down logged once', async () => {
    const first = await get();
    assert.deepEqual([first.status, first.code], [502, 'OUTPOST_ERR_BACKEND_UNREACHABLE']);
    assert.deepEqual(JSON.parse(first.body), { statusCode: 502, message: 'Bad gateway: the backend could not be reached' });
    const rest = await Promise.all(Array.from({ length: 30 }, get));
    for (const r of rest) assert.deepEqual([r.status, r.code, r.body], [502, 'OUTPOST_ERR_BACKEND_UNREACHABLE', first.body]);
    const down = await gw.waitForLog((l) => l.msg === 'backend origin accepts no connections; its requests fail at once between connect attempts');
    assert.equal(down.origin, `http://127.0.0.1:${port}`);
    assert.equal(down.cause, 'ECONNREFUSED');
    assert.equal(down.connectBackoffMs, PERIOD_MS);
    assert.equal(gw.logs.filter((l) => l.msg === down.msg).length, 1, 'once, not per request');
  });

  test('the backend comes up: after the period the next request reaches it, and the worker says so', async () => {
    backend = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    });
    await new Promise<void>((r) => backend!.listen(port, '127.0.0.1', r));
    await sleep(PERIOD_MS + 200);
    const back = await get();
    assert.deepEqual([back.status, back.body], [200, 'ok']);
    assert.equal(connections, 1);
    await gw.waitForLog((l) => l.msg === 'backend origin accepts connections again' && l.origin === `http://127.0.0.1:${port}`);
  });
});
