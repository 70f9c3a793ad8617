/**
 * What one gateway token holder can make the control plane keep: node ids per gateway are capped
 * (a new id past the cap is refused with 429 until a silent node can be pruned), config reports
 * are bounded in bytes and fields, only the last few per node are kept, the log line of a
 * rejection holds only the first problems, and every gateway endpoint caps its request body.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { rawUntilClose } from '../support/raw-http.js';

/** Long enough that 64 heartbeats sent at once all count as connected; short enough to wait out. */
const HEARTBEAT_MS = 1500;
const MAX_NODES = 64;
const beat = (nodeId: string) => ({ nodeId, hostname: 'h', version: '1', configRevision: 0, uptimeSeconds: 1 });

describe('control plane: bounds on what a gateway token holder can send', () => {
  let cp: ControlPlaneProcess;
  let auth: string;
  const post = (path: string, body: unknown) => cp.call('POST', path, { authorization: auth }, body);

  before(async () => {
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) } });
    assert.equal((await cp.admin('PUT', '/gateways/gw', { name: 'gw' })).status, 201);
    const t = await cp.admin('POST', '/gateways/gw/token', { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
    auth = t.body.value as string;
  });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  test('node ids per gateway: 64 tracked; a 65th is refused with 429 while all are connected; a silent one is pruned for it', async () => {
    const first = await Promise.all(Array.from({ length: MAX_NODES }, (_, i) => post('/gateway/heartbeat', beat(`node-${i}`))));
    assert.deepEqual(first.map((r) => r.status), first.map(() => 204));
    const refused = await post('/gateway/heartbeat', beat('node-extra'));
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('x-outpost-error'), 'OUTPOST_ERR_GATEWAY_NODE_LIMIT');
    assert.equal(refused.body.statusCode, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const reportRefused = await post('/gateway/config-status', { nodeId: 'node-extra-2', revision: 1, ok: true });
    assert.equal(reportRefused.status, 429);
    // A known id keeps working.
    assert.equal((await post('/gateway/heartbeat', beat('node-0'))).status, 204);
    assert.equal(((await cp.admin('GET', '/gateways/gw/nodes')).body as unknown[]).length, MAX_NODES);
    // Keep node-0 alive; the others fall silent (3 missed heartbeats) and the new id gets a place.
    let accepted = false;
    for (let i = 0; i < 40 && !accepted; i++) {
      await new Promise((r) => setTimeout(r, HEARTBEAT_MS / 2));
      assert.equal((await post('/gateway/heartbeat', beat('node-0'))).status, 204);
      accepted = (await post('/gateway/heartbeat', beat('node-extra'))).status === 204;
    }
    assert.ok(accepted, 'a silent node was never pruned');
    const ids = ((await cp.admin('GET', '/gateways/gw/nodes')).body as Array<{ nodeId: string }>).map((n) => n.nodeId);
    assert.equal(ids.length, MAX_NODES);
    assert.ok(ids.includes('node-0') && ids.includes('node-extra'));
  });

  test('config reports: fields bounded (400), bytes bounded (413), only the last 5 per node kept', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ path: `apis[${i}]`, message: 'bad' }));
    const tooMany = await post('/gateway/config-status', { nodeId: 'node-0', revision: 1, ok: false, problems: many });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.headers.get('x-outpost-error'), 'OUTPOST_ERR_RESOURCE_INVALID');
    const longMessage = await post('/gateway/config-status', { nodeId: 'node-0', revision: 1, ok: false, problems: [{ path: 'x', message: 'm'.repeat(501) }] });
    assert.equal(longMessage.status, 400);
    const nested = await post('/gateway/config-status', { nodeId: 'node-0', revision: 1, ok: false, problems: [{ path: 'x', message: 'm', extra: { deep: [1, 2, 3] } }] });
    assert.equal(nested.status, 400);
    const big = await post('/gateway/config-status', { nodeId: 'node-0', revision: 1, ok: true, padding: 'x'.repeat(130 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(big.headers.get('x-outpost-error'), 'OUTPOST_ERR_BODY_TOO_LARGE');

    for (let revision = 1; revision <= 8; revision++) {
      assert.equal((await post('/gateway/config-status', { nodeId: 'node-0', revision, ok: true })).status, 204);
    }
    const status = (await cp.admin('GET', '/gateways/gw')).body.configStatus as Array<{ nodeId: string; revision: number }>;
    assert.deepEqual(status.filter((s) => s.nodeId === 'node-0').map((s) => s.revision), [4, 5, 6, 7, 8]);
  });

  test('a rejection with 100 long problems: accepted, and its log line holds the count and only the first 10, clipped', async () => {
    const problems = Array.from({ length: 100 }, (_, i) => ({ path: `apis[${i}].serviceUrl`, message: 'z'.repeat(500) }));
    assert.equal((await post('/gateway/config-status', { nodeId: 'node-0', revision: 9, ok: false, problems, problemCount: 5000 })).status, 204);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = cp.logs.find((l) => l.msg === 'a gateway node rejected its config' && l.revision === 9);
      if (!line) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(line);
    assert.equal(line.problemCount, 5000);
    const logged = line.problems as Array<{ message: string }>;
    assert.equal(logged.length, 10);
    assert.ok(logged.every((p) => p.message.length <= 200));
    assert.ok(JSON.stringify(line).length < 4096, `log line of ${JSON.stringify(line).length} bytes`);
  });

  test('request bodies: heartbeat over 4 KiB → 413; a body on GET /gateway/config → 413; both close the connection', async () => {
    const r = await post('/gateway/heartbeat', { ...beat('node-0'), hostname: 'h'.repeat(5000) });
    assert.equal(r.status, 413);
    const get = await rawUntilClose(cp.port, `GET /gateway/config HTTP/1.1\r\nHost: cp\r\nAuthorization: ${auth}\r\nContent-Length: 2048\r\n\r\n${'x'.repeat(2048)}GET /gateway/config HTTP/1.1\r\nHost: cp\r\nAuthorization: ${auth}\r\n\r\n`);
    assert.equal(get.statuses[0], 413, get.text.slice(0, 200));
    assert.equal((get.text.match(/^HTTP\/1\.1 /gm) ?? []).length, 1);
    assert.equal(get.closed, true);
  });

  test('long polls held per gateway: 128; past that a poll is answered 304 at once', async () => {
    const first = await cp.call('GET', '/gateway/config', { authorization: auth });
    const etag = first.headers.get('etag')!;
    const controller = new AbortController();
    const poll = (signal: AbortSignal) => cp.call('GET', '/gateway/config?wait=30', { authorization: auth, 'if-none-match': etag }, undefined, signal);
    const held = Array.from({ length: 2 * MAX_NODES }, () => poll(controller.signal).catch(() => undefined));
    const heldNow = async () => Number(/^outpost_cp_long_polls_held (\d+)$/m.exec(await (await fetch(cp.url('/metrics'))).text())?.[1]);
    for (let i = 0; i < 100 && (await heldNow()) < 2 * MAX_NODES; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await heldNow(), 2 * MAX_NODES);
    // Held, it would run into the abort; answered at once, it is a 304.
    const extra = await poll(AbortSignal.timeout(5_000)).catch((err: Error) => err.name);
    assert.equal(typeof extra === 'string' ? extra : extra.status, 304);
    assert.equal(await heldNow(), 2 * MAX_NODES);
    controller.abort();
    await Promise.all(held);
  });
});
