/**
 * Managed mode under faults, with the real control plane and gateway processes:
 *   - no config (control plane down, no backup): APIM's probe on the API port answers 503 with
 *     the error shape, not "healthy", and the log does not claim a config is being served;
 *   - the control plane stopped and started again on the same port: the gateway notices within
 *     its quick checks, not when a long poll (60 s here) comes back, and logs the outage measured
 *     from the first failure to the first success;
 *   - a backup that cannot be written (its directory's parent is a regular file, which stops root
 *     too): the control plane hears it in the config-status report, /metrics counts it, and the
 *     log says so once per state change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { opsGet, startGateway, type GatewayProcess, type LogLine } from '../support/gateway-process.js';
import { freePort, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const GATEWAY_ID = 'gw-faults';
const PROBES = ['/status-0123456789abcdef', '/internal-status-0123456789abcdef'];

const pathEcho = (req: IncomingMessage, res: ServerResponse) => {
  const body = req.url ?? '';
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const svcApi = (backendUrl: string, version: number) => ({
  name: 'Svc', path: 'svc', serviceUrl: `${backendUrl}/v${version}`, subscriptionRequired: false,
  operations: [{ id: 'get', method: 'GET', urlTemplate: '/req/{n}' }],
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function get(gw: GatewayProcess, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await request(gw.url(path));
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

const served = (gw: GatewayProcess, expected: string) =>
  until(`served ${expected}`, async () => ((await get(gw, '/svc/req/1')).body === expected ? true : undefined));

/** Creates the gateway resource, one API assigned to it, and a 20-day token. */
async function setUp(cp: ControlPlaneProcess, backendUrl: string): Promise<string> {
  assert.equal((await cp.admin('PUT', `/gateways/${GATEWAY_ID}`, { name: 'Faults' })).status, 201);
  assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backendUrl, 1))).status, 201);
  assert.equal((await cp.admin('PUT', `/gateways/${GATEWAY_ID}/apis/svc`)).status, 201);
  const token = await cp.admin('POST', `/gateways/${GATEWAY_ID}/token`, { keyType: 'primary', expiry: new Date(Date.now() + 20 * 86_400_000).toISOString() });
  assert.equal(token.status, 200);
  return token.body.value as string;
}

function writeEnv(dir: string, lines: string[]): string {
  const file = join(dir, 'env.conf');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const connected = async (gw: GatewayProcess) =>
  ((await opsGet(gw, '/health/ready')).body.managed as { controlPlane: { connected: boolean | null } }).controlPlane.connected;

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('managed gateway with no config (control plane down, no backup)', () => {
  const dir = testTempDir('outpost-faults-');
  let cpPort: number;
  let dataDir: string;
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(pathEcho);
    cpPort = await freePort();
    cp = await startControlPlane({ port: cpPort });
    dataDir = cp.dataDir;
    const token = await setUp(cp, backend.url);
    await cp.stop();
    // No backup directory: with the control plane down the gateway starts with nothing to serve.
    const envFile = writeEnv(dir, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${token}`,
      'OUTPOST_STARTUP_TIMEOUT_MS=2000', 'OUTPOST_HEARTBEAT_INTERVAL_MS=500']);
    gw = await startGateway({}, { workers: 2, sourceArgs: ['--env-file', envFile] });
  });
  after(async () => { await gw?.stop(); await cp?.stop(); await backend?.close(); });

  test('no config: the APIM probe answers 503 with the error shape, and the log does not claim to serve', async () => {
    for (const path of PROBES) {
      const res = await get(gw, path);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_NOT_READY');
      const body = JSON.parse(res.body) as { statusCode: number; message: string };
      assert.equal(body.statusCode, 503);
      assert.equal(typeof body.message, 'string');
    }
    assert.equal((await get(gw, '/svc/req/1')).status, 404);
    assert.equal((await opsGet(gw, '/health/ready')).status, 503);
    await gw.waitForLog((l) => l.msg === 'control plane request failed; no config to serve until it answers' && Number(l.attempt) >= 2);
    const failures = gw.logs.filter((l) => String(l.msg).startsWith('control plane request failed'));
    assert.ok(failures.length >= 2);
    assert.deepEqual(failures.filter((l) => l.msg === 'control plane request failed; serving the current config'), []);

    cp = await startControlPlane({ port: cpPort, dataDir });
    await served(gw, '/v1/req/1');
    const probe = await until('the probe healthy', async () => {
      const res = await get(gw, PROBES[0]);
      return res.status === 200 ? res : undefined;
    });
    assert.equal((JSON.parse(probe.body) as { status: string }).status, 'healthy');
  });
});

describe('managed gateway whose control plane is stopped and started again on the same port', () => {
  const dir = testTempDir('outpost-faults-restart-');
  let cpPort: number;
  let dataDir: string;
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(pathEcho);
    cpPort = await freePort();
    cp = await startControlPlane({ port: cpPort });
    dataDir = cp.dataDir;
    const token = await setUp(cp, backend.url);
    // A 60 s long poll: a retry that long-polled would be held that long by a control plane that is back.
    const envFile = writeEnv(dir, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${token}`,
      'OUTPOST_LONG_POLL_SECONDS=60', 'OUTPOST_HEARTBEAT_INTERVAL_MS=500']);
    gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile] });
    await served(gw, '/v1/req/1');
  });
  after(async () => { await gw?.stop(); await cp?.stop(); await backend?.close(); });

  test('restarted on the same port: reconnection is noticed by a quick check, not when a long poll returns; the outage is logged from first failure to first success', { timeout: 120_000 }, async () => {
    await until('connected', async () => ((await connected(gw)) === true ? true : undefined));
    const stoppedAt = Date.now();
    const before = gw.logs.length;
    await cp.stop();
    const since = (l: LogLine) => gw.logs.indexOf(l) >= before;
    await gw.waitForLog((l) => since(l) && l.errorCode === 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE' && Number(l.attempt) >= 2, 30_000);
    assert.equal(await connected(gw), false);
    cp = await startControlPlane({ port: cpPort, dataDir });
    const restartedAt = Date.now();
    // Nothing changed on the control plane, so a long poll would be held for 60 s: being
    // connected well before that shows the retry was a quick check.
    await until('connected again', async () => ((await connected(gw)) === true ? true : undefined), 40_000);
    const seenAt = Date.now();
    const recovered = await gw.waitForLog((l) => since(l) && l.msg === 'control plane reachable again');
    const firstFailure = gw.logs.slice(before).find((l) => l.errorCode === 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE')!;
    const outageMs = Number(recovered.outageMs);
    assert.ok(outageMs > 0);
    // Inside the time the test itself saw the control plane away...
    assert.ok(outageMs <= seenAt - stoppedAt, `outage ${outageMs} ms, but the test saw ${seenAt - stoppedAt} ms`);
    // ...and from the first failure logged to the recovery logged (both stamped by the gateway).
    const logged = Date.parse(String(recovered.time)) - Date.parse(String(firstFailure.time));
    assert.ok(Math.abs(outageMs - logged) <= 100, `outage ${outageMs} ms, logs ${logged} ms apart`);
    assert.equal((await get(gw, '/svc/req/1')).body, '/v1/req/1');
    assert.deepEqual(gw.badLines, []);
    process.stdout.write(`# reconnection: connected within ${seenAt - restartedAt} ms of the control plane's restart; outage logged ${outageMs} ms, test saw ${seenAt - stoppedAt} ms\n`);
  });
});

describe('managed gateway whose backup cannot be written', () => {
  const dir = testTempDir('outpost-faults-backup-');
  // The backup directory's parent is a regular file: mkdir fails with ENOTDIR, even for root.
  const blocker = join(dir, 'not-a-directory');
  const backupDir = join(blocker, 'backup');
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    writeFileSync(blocker, 'a regular file');
    backend = await startBackend(pathEcho);
    cp = await startControlPlane();
    const token = await setUp(cp, backend.url);
    const envFile = writeEnv(dir, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${token}`, `OUTPOST_BACKUP_DIR=${backupDir}`, 'OUTPOST_HEARTBEAT_INTERVAL_MS=500']);
    gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile] });
  });
  after(async () => { await gw?.stop(); await cp?.stop(); await backend?.close(); });

  interface Report { revision: number; ok: boolean; backup?: { ok: boolean; error?: string; cause?: string } }
  const reportFor = (revision: number) => until(`config status for revision ${revision}`, async () => {
    const reports = (await cp.admin('GET', `/gateways/${GATEWAY_ID}`)).body.configStatus as Report[];
    return reports.find((r) => r.revision === revision);
  });
  const revision = async () => ((await opsGet(gw, '/health/ready')).body.managed as { configRevision: number }).configRevision;
  const metrics = async () => (await opsGet(gw, '/metrics')).body.text as string;
  const failureLines = () => gw.logs.filter((l) => l.errorCode === 'OUTPOST_ERR_BACKUP_WRITE_FAILED' && l.level === 'error');

  test('reported to the control plane, counted in /metrics, logged once per state change', async () => {
    await served(gw, '/v1/req/1');
    const first = await reportFor(await revision());
    assert.equal(first.ok, true);
    assert.deepEqual(first.backup, { ok: false, error: 'OUTPOST_ERR_BACKUP_WRITE_FAILED', cause: 'ENOTDIR' });
    let text = await metrics();
    assert.equal(metric(text, 'outpost_backup_failures_total'), 1);
    assert.equal(metric(text, 'outpost_backup_last_success_timestamp_seconds'), 0);
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { backup: { problem: { errorCode: string } } }).backup.problem.errorCode, 'OUTPOST_ERR_BACKUP_WRITE_FAILED');

    // A second failure: counted and reported, not logged again at error level.
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 2))).status, 200);
    await served(gw, '/v2/req/1');
    assert.equal((await reportFor(await revision())).backup?.ok, false);
    assert.equal(metric(await metrics(), 'outpost_backup_failures_total'), 2);
    assert.equal(failureLines().length, 1, JSON.stringify(failureLines()));

    // The directory becomes usable: the next write succeeds, is reported, and logged once.
    rmSync(blocker);
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 3))).status, 200);
    await served(gw, '/v3/req/1');
    assert.deepEqual((await reportFor(await revision())).backup, { ok: true });
    text = await metrics();
    assert.ok(metric(text, 'outpost_backup_last_success_timestamp_seconds') > 0);
    assert.equal(metric(text, 'outpost_backup_failures_total'), 2);
    assert.equal(gw.logs.filter((l) => l.msg === 'config backup written again').length, 1);
    assert.ok(existsSync(join(backupDir, 'outpost-config.backup')));
    assert.equal(failureLines().length, 1);
    assert.deepEqual(gw.badLines, []);
  });
});
