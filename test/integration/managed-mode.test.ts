/**
 * Managed mode end to end, with real processes: the real control plane (src/control-plane), a
 * gateway started from an env file, and a backend. The gateway syncs and serves; a change made
 * through the management API arrives through the long poll; a rotated key or an expired token is
 * refused with the control plane's reason while the gateway keeps serving; SIGHUP takes a new
 * token; the control plane stopped under load costs zero requests and, started again on the same
 * data, delivers a change; a restart with the control plane's host unresolvable serves the backup;
 * a corrupt backup is reported and never served.
 *
 * One case needs a stand-in: a config the gateway cannot compile. The real control plane runs
 * every write through the gateway's own validation and policy compiler (src/control-plane/
 * resources.ts), so such a config cannot be published through it. That case (last describe) puts
 * a small proxy in front of the real control plane that replaces only the config body; the
 * gateway's rejection report still goes to the real control plane and shows in its
 * GET /gateways/{id} configStatus.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { opsGet, startGateway, type GatewayProcess, type LogLine } from '../support/gateway-process.js';
import { freePort, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { ControlPlaneProxy } from '../support/control-plane-proxy.js';
import { signGatewayToken } from '../../src/control-plane/gateway-token.js';
import { testTempDir } from '../support/temp-dir.js';

const GATEWAY_ID = 'gw-test';
const HEARTBEAT_MS = '300';
const DAY = 86_400_000;

const pathEcho = (req: IncomingMessage, res: ServerResponse) => {
  const body = req.url ?? '';
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** The API resource as the management API takes it; `version` shows in the backend path served. */
function svcApi(backendUrl: string, version: number, serviceUrl = `${backendUrl}/v${version}`): object {
  return { name: 'Svc', path: 'svc', serviceUrl, subscriptionRequired: false, operations: [{ id: 'get', method: 'GET', urlTemplate: '/req/{n}' }] };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function get(gw: GatewayProcess, path: string): Promise<{ status: number; body: string }> {
  const res = await request(gw.url(path));
  return { status: res.statusCode, body: await res.body.text() };
}

const served = (gw: GatewayProcess, expected: string, timeoutMs?: number) =>
  until(`served ${expected}`, async () => ((await get(gw, '/svc/req/1')).body === expected ? true : undefined), timeoutMs);

/** The refusal logged for a token the control plane turned down, with the control plane's reason. */
const refusal = (reason: string) => (l: LogLine) => l.msg === 'control plane request failed; serving the current config'
  && l.errorCode === 'OUTPOST_ERR_GATEWAY_TOKEN_REJECTED' && (l.details as { reason?: string } | undefined)?.reason === reason;

interface ConfigReport { nodeId: string; revision: number; ok: boolean; problems?: Array<{ path: string }> }

async function configStatus(cp: ControlPlaneProcess): Promise<ConfigReport[]> {
  return (await cp.admin('GET', `/gateways/${GATEWAY_ID}`)).body.configStatus as ConfigReport[];
}

/** Creates the gateway resource (its keys are shown once, here) and assigns the API to it. */
async function setUp(cp: ControlPlaneProcess, backendUrl: string): Promise<{ primaryKey: string; secondaryKey: string }> {
  const created = await cp.admin('PUT', `/gateways/${GATEWAY_ID}`, { name: 'Test gateway' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backendUrl, 1))).status, 201);
  assert.equal((await cp.admin('PUT', `/gateways/${GATEWAY_ID}/apis/svc`)).status, 201);
  return { primaryKey: created.body.primaryKey as string, secondaryKey: created.body.secondaryKey as string };
}

async function issueToken(cp: ControlPlaneProcess, keyType: 'primary' | 'secondary', days: number): Promise<string> {
  const r = await cp.admin('POST', `/gateways/${GATEWAY_ID}/token`, { keyType, expiry: new Date(Date.now() + days * DAY).toISOString() });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.value as string;
}

function envWriter(dir: string): { envFile: string; backupDir: string; write(endpoint: string, auth: string): void } {
  const envFile = join(dir, 'env.conf');
  const backupDir = join(dir, 'backup');
  return {
    envFile, backupDir,
    write: (endpoint, auth) => writeFileSync(envFile, [
      '# written by the test, as the control plane hands it out',
      `config.service.endpoint=${endpoint}`,
      `config.service.auth=${auth}`,
      `OUTPOST_BACKUP_DIR=${backupDir}`,
      `OUTPOST_HEARTBEAT_INTERVAL_MS=${HEARTBEAT_MS}`,
      'OUTPOST_RETRY_MAX_MS=1000',
      'OUTPOST_STARTUP_TIMEOUT_MS=3000',
      '',
    ].join('\n')),
  };
}

describe('managed mode against the real control plane', () => {
  const env = envWriter(testTempDir('outpost-managed-'));
  let cpPort: number;
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let gw: GatewayProcess;
  let keys: { primaryKey: string; secondaryKey: string };
  /** The token the gateway holds last (after SIGHUP), for the restarts below. */
  let currentToken: string;
  const startManaged = () => startGateway({}, { workers: 2, sourceArgs: ['--env-file', env.envFile] });
  const startCp = (dataDir?: string) => startControlPlane({ port: cpPort, dataDir, env: { OUTPOST_HEARTBEAT_INTERVAL_MS: HEARTBEAT_MS } });

  before(async () => {
    backend = await startBackend(pathEcho);
    cpPort = await freePort();
    cp = await startCp();
    keys = await setUp(cp, backend.url);
    // 3 days: inside the 7-day warning window, so the warning is tested too.
    currentToken = await issueToken(cp, 'primary', 3);
    env.write(cp.url(''), currentToken);
    gw = await startManaged();
  });
  after(async () => { await gw?.stop(); await cp?.stop(); await backend?.close(); });

  test('syncs and serves the config; heartbeats, status, backup, token warning', async () => {
    await served(gw, '/v1/req/1');
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    const managed = ready.body.managed as { servingFrom: string; configRevision: number; token: { state: string; warning?: string } };
    assert.equal(managed.servingFrom, 'control-plane');
    assert.equal(typeof managed.configRevision, 'number');
    assert.equal(managed.token.state, 'expiring');
    assert.ok(managed.token.warning);
    const warn = await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_GATEWAY_TOKEN_EXPIRING');
    assert.equal(warn.level, 'warn');
    const metrics = (await opsGet(gw, '/metrics')).body.text as string;
    const expiry = Number(/^outpost_gateway_token_expiry_seconds (-?\d+)$/m.exec(metrics)?.[1]);
    assert.ok(expiry > 2.9 * 86_400 && expiry <= 3 * 86_400, `expiry metric ${expiry}`);
    // The control plane's own view of the node: its heartbeat and its config report.
    const node = await until('a heartbeat with the served revision', async () => {
      const nodes = (await cp.admin('GET', `/gateways/${GATEWAY_ID}/nodes`)).body as Array<Record<string, unknown>>;
      return nodes.find((n) => n.connected === true && n.configRevision === managed.configRevision);
    });
    assert.equal(typeof node.hostname, 'string');
    assert.equal(typeof node.version, 'string');
    assert.equal(typeof node.uptimeSeconds, 'number');
    assert.ok(String(node.tokenExpiresAt).endsWith('Z'));
    await until('config status ok', async () => (await configStatus(cp)).find((s) => s.revision === managed.configRevision && s.ok));
    await until('a backup file', async () => existsSync(join(env.backupDir, 'outpost-config.backup')) || undefined);
    assert.deepEqual(gw.badLines, []);
  });

  test('a change made through the management API arrives through the long poll, well inside the 10 s check', async () => {
    // The sync interval is 10 s: a change served within 2 s came through the long poll.
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 2))).status, 200);
    await served(gw, '/v2/req/1', 2_000);
  });

  test('a rotated key: refused with the control plane\'s reason, and the last config keeps serving', async () => {
    // Regenerating the primary key kills the gateway's token; the control plane answers the held
    // long poll with 401 at once, so the refusal shows without waiting for the next check.
    assert.equal((await cp.admin('POST', `/gateways/${GATEWAY_ID}/regenerate-key`, { keyType: 'primary' })).status, 200);
    const line = await gw.waitForLog(refusal('OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE'));
    assert.equal(line.level, 'error');
    assert.equal((await get(gw, '/svc/req/1')).body, '/v2/req/1');
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    const cpState = (ready.body.managed as { controlPlane: { connected: boolean; lastError: { errorCode: string } } }).controlPlane;
    assert.equal(cpState.connected, false);
    assert.equal(cpState.lastError.errorCode, 'OUTPOST_ERR_GATEWAY_TOKEN_REJECTED');
  });

  test('an expired token (given by SIGHUP): refused as expired, and the last config keeps serving', async () => {
    // Signed with the untouched secondary key, so the only thing wrong with it is its age.
    env.write(cp.url(''), signGatewayToken(GATEWAY_ID, new Date(Date.now() - 2 * 60_000), keys.secondaryKey));
    gw.proc.kill('SIGHUP');
    await gw.waitForLog(refusal('OUTPOST_ERR_GATEWAY_TOKEN_EXPIRED'));
    assert.equal((await get(gw, '/svc/req/1')).body, '/v2/req/1');
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { token: { state: string } }).token.state, 'expired');
  });

  test('SIGHUP with a fresh token: sync resumes without a restart and a change arrives', async () => {
    currentToken = await issueToken(cp, 'secondary', 20);
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 3))).status, 200);
    env.write(cp.url(''), currentToken);
    gw.proc.kill('SIGHUP');
    await served(gw, '/v3/req/1');
    const managed = (await opsGet(gw, '/health/ready')).body.managed as { token: { state: string }; controlPlane: { connected: boolean } };
    assert.equal(managed.token.state, 'ok');
    assert.equal(managed.controlPlane.connected, true);
  });

  test('control plane stopped under load: zero failed requests; started again on the same data, a change arrives', async () => {
    const agent = new Agent({ connections: 16 });
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        try {
          const res = await request(gw.url('/svc/req/1'), { dispatcher: agent });
          const body = await res.body.text();
          if (res.statusCode === 200 && body === '/v3/req/1') ok++;
          else failures.push(`${res.statusCode} ${body}`);
        } catch (err) { failures.push(String(err)); }
      }
    });
    await until('load under way', async () => (ok > 50 ? true : undefined));
    const dataDir = cp.dataDir;
    await cp.stop();
    await gw.waitForLog((l) => l.msg === 'control plane request failed; serving the current config' && l.errorCode === 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE');
    // Keep the load on through a few retries of the backoff (counted in attempts, not a clock).
    await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE' && Number(l.attempt) >= 3);
    const ready = await opsGet(gw, '/health/ready');
    running = false;
    await Promise.all(loops);
    await agent.close();
    assert.deepEqual(failures.slice(0, 5), []);
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { controlPlane: { connected: boolean } }).controlPlane.connected, false);

    cp = await startCp(dataDir);
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 4))).status, 200);
    await served(gw, '/v4/req/1');
    await gw.waitForLog((l) => l.msg === 'control plane reachable again');
    const revision = ((await opsGet(gw, '/health/ready')).body.managed as { configRevision: number }).configRevision;
    await until('config status ok for the new revision', async () => (await configStatus(cp)).find((s) => s.revision === revision && s.ok));
  });

  test('restart with the control plane down and its host unresolvable: serves from the backup', async () => {
    await gw.stop();
    await cp.stop();
    // .invalid never resolves (RFC 6761): a DNS failure, not a refused connection.
    env.write(`http://outpost-cp.invalid:${cpPort}`, currentToken);
    gw = await startManaged();
    assert.equal((await get(gw, '/svc/req/1')).body, '/v4/req/1');
    const failed = await gw.waitForLog((l) => l.msg === 'control plane request failed; serving the current config');
    assert.equal(failed.errorCode, 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE');
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes((failed.details as { cause: string }).cause), JSON.stringify(failed.details));
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { servingFrom: string }).servingFrom, 'backup');
  });

  test('a corrupt backup is reported with a coded error and never served', async () => {
    await gw.stop();
    const file = join(env.backupDir, 'outpost-config.backup');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(file, bytes);
    gw = await startManaged();
    const line = await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_BACKUP_CORRUPT');
    assert.equal(line.level, 'error');
    assert.match(String(line.reason), /checksum/);
    assert.equal((await get(gw, '/svc/req/1')).status, 404);
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 503);
    assert.equal(((ready.body.managed as { backup: { problem: { errorCode: string } } }).backup.problem.errorCode), 'OUTPOST_ERR_BACKUP_CORRUPT');
    assert.deepEqual(gw.badLines, []);
  });
});

describe('managed mode: a config the gateway cannot compile', () => {
  const env = envWriter(testTempDir('outpost-managed-reject-'));
  let cp: ControlPlaneProcess;
  let proxy: ControlPlaneProxy;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(pathEcho);
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: HEARTBEAT_MS } });
    await setUp(cp, backend.url);
    proxy = new ControlPlaneProxy(cp.url(''));
    await proxy.start();
    env.write(proxy.url(), await issueToken(cp, 'primary', 20));
    gw = await startGateway({}, { workers: 2, sourceArgs: ['--env-file', env.envFile] });
  });
  after(async () => { await gw?.stop(); await proxy?.stop(); await cp?.stop(); await backend?.close(); });

  test('rejected, reported to the control plane with field paths (GET /gateways/{id}), and the last good config keeps serving', async () => {
    await served(gw, '/v1/req/1');
    // The real control plane refuses this very API (same validation): the proxy has to inject it.
    const refused = await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 9, 'not a url'));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.problems[0].path, 'serviceUrl');

    proxy.override = {
      apis: [{ id: 'svc', ...svcApi(backend.url, 9, 'not a url') }],
      products: [], subscriptions: [], namedValues: [],
    };
    // A real change moves the ETag and wakes the long poll; the proxy swaps in the bad config.
    assert.equal((await cp.admin('PUT', '/apis/svc', svcApi(backend.url, 2))).status, 200);
    const line = await gw.waitForLog((l) => l.msg === 'config reload rejected; the running config stays');
    assert.equal(line.errorCode, 'OUTPOST_ERR_CONFIG_INVALID');
    const status = await until('a rejection in the control plane\'s configStatus', async () => (await configStatus(cp)).find((s) => s.revision === line.revision && !s.ok));
    assert.deepEqual(status.problems?.map((p) => p.path), ['apis[0].serviceUrl']);
    assert.equal((await get(gw, '/svc/req/1')).body, '/v1/req/1');
    assert.equal((await opsGet(gw, '/health/ready')).status, 200);
    assert.deepEqual(gw.badLines, []);
  });
});
