/**
 * Managed mode end to end, with real processes: a gateway started from an env file syncs its
 * config from a control plane, takes changes through the long poll, rejects a bad config (and
 * reports it), takes a new token on SIGHUP, keeps serving with zero failed requests while the
 * control plane is down, catches up when it returns, restarts from its backup when the control
 * plane's host does not resolve, and refuses a corrupt backup.
 *
 * The control plane here is a small server written below that implements the gateway contract
 * (GET /gateway/config with ETag and long poll, heartbeats, config status); the real one
 * (src/control-plane) implements the same contract.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { opsGet, startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

const GATEWAY_ID = 'gw-test';
const SIGNING_KEY = 'test-signing-key';

function token(expiresAt: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const expiry = `${p(expiresAt.getUTCFullYear(), 4)}${p(expiresAt.getUTCMonth() + 1)}${p(expiresAt.getUTCDate())}${p(expiresAt.getUTCHours())}${p(expiresAt.getUTCMinutes())}`;
  const sig = createHmac('sha512', SIGNING_KEY).update(`${GATEWAY_ID}\n${expiry}`).digest('base64');
  return `GatewayKey ${GATEWAY_ID}&${expiry}&${sig}`;
}

/** A control-plane stand-in implementing the gateway contract; stop() and start() keep its state. */
class TestControlPlane {
  server: Server | null = null;
  port = 0;
  revision = 0;
  config: object = {};
  heartbeats: Array<Record<string, unknown>> = [];
  statuses: Array<{ revision: number; ok: boolean; problems?: Array<{ path: string }> }> = [];
  configRequests: Array<{ url: string; auth: string }> = [];
  private waiters = new Set<() => void>();

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  publish(config: object): number {
    this.config = config;
    this.revision++;
    for (const w of this.waiters) w();
    return this.revision;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const w of this.waiters) w();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private refuse(res: ServerResponse, reason: string): void {
    res.writeHead(401, { 'content-type': 'application/json', 'x-outpost-error': reason });
    res.end(JSON.stringify({ statusCode: 401, message: reason }));
  }

  private authorised(req: IncomingMessage, res: ServerResponse): boolean {
    const m = /^GatewayKey ([^&]+)&(\d{12})&(.+)$/.exec(req.headers.authorization ?? '');
    if (!m) { this.refuse(res, 'OUTPOST_ERR_TOKEN_MALFORMED'); return false; }
    const [, id, expiry, sig] = m;
    const want = createHmac('sha512', SIGNING_KEY).update(`${id}\n${expiry}`).digest();
    const got = Buffer.from(sig, 'base64');
    if (id !== GATEWAY_ID || got.length !== want.length || !timingSafeEqual(got, want)) { this.refuse(res, 'OUTPOST_ERR_TOKEN_INVALID'); return false; }
    const e = expiry;
    if (Date.UTC(+e.slice(0, 4), +e.slice(4, 6) - 1, +e.slice(6, 8), +e.slice(8, 10), +e.slice(10, 12)) < Date.now()) { this.refuse(res, 'OUTPOST_ERR_TOKEN_EXPIRED'); return false; }
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!this.authorised(req, res)) return;
    if (req.method === 'GET' && url.pathname === '/gateway/config') {
      this.configRequests.push({ url: req.url ?? '', auth: req.headers.authorization ?? '' });
      const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), 60);
      if (req.headers['if-none-match'] === this.etag() && wait > 0) {
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
          const timer = setTimeout(done, wait * 1000);
          this.waiters.add(done);
        });
      }
      if (res.destroyed) return;
      if (req.headers['if-none-match'] === this.etag()) { res.writeHead(304, { etag: this.etag() }); res.end(); return; }
      const body = JSON.stringify({ revision: this.revision, config: this.config });
      res.writeHead(200, { 'content-type': 'application/json', etag: this.etag() });
      res.end(body);
      return;
    }
    const body = await readJson(req);
    if (req.method === 'POST' && url.pathname === '/gateway/heartbeat') this.heartbeats.push(body);
    else if (req.method === 'POST' && url.pathname === '/gateway/config-status') this.statuses.push(body as never);
    else { res.writeHead(404); res.end(); return; }
    res.writeHead(204);
    res.end();
  }

  private etag(): string { return `"rev-${this.revision}"`; }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? JSON.parse(text) as Record<string, unknown> : {};
}

const pathEcho = (req: IncomingMessage, res: ServerResponse) => {
  const body = req.url ?? '';
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

function managedConfig(backendUrl: string, version: number, serviceUrl = `${backendUrl}/v${version}`): object {
  return {
    apis: [{ id: 'svc', name: 'Svc', path: 'svc', serviceUrl, subscriptionRequired: false, operations: [{ id: 'get', method: 'GET', urlTemplate: '/req/{n}' }] }],
    products: [], subscriptions: [], namedValues: [],
  };
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

const served = (gw: GatewayProcess, expected: string) => until(`served ${expected}`, async () => ((await get(gw, '/svc/req/1')).body === expected ? true : undefined));

describe('managed mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-managed-'));
  const backupDir = join(dir, 'backup');
  const envFile = join(dir, 'env.conf');
  const cp = new TestControlPlane();
  let backend: TestBackend;
  let gw: GatewayProcess;
  const writeEnv = (endpoint: string, auth: string) => writeFileSync(envFile, [
    '# written by the test, as a control plane would hand it out',
    `config.service.endpoint=${endpoint}`,
    `config.service.auth=${auth}`,
    `OUTPOST_BACKUP_DIR=${backupDir}`,
    'OUTPOST_HEARTBEAT_INTERVAL_MS=300',
    'OUTPOST_RETRY_MAX_MS=1000',
    'OUTPOST_STARTUP_TIMEOUT_MS=3000',
    '',
  ].join('\n'));
  const startManaged = () => startGateway({}, { workers: 2, sourceArgs: ['--env-file', envFile] });

  before(async () => {
    backend = await startBackend(pathEcho);
    await cp.start();
    cp.publish(managedConfig(backend.url, 1));
    writeEnv(cp.url, token(new Date(Date.now() + 3 * 86_400_000)));
    gw = await startManaged();
  });
  after(async () => { await gw?.stop(); await cp.stop(); await backend?.close(); });

  test('syncs and serves the config; heartbeats, status, backup, token warning', async () => {
    await served(gw, '/v1/req/1');
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    const managed = ready.body.managed as { servingFrom: string; configRevision: number; token: { state: string; warning?: string } };
    assert.equal(managed.servingFrom, 'control-plane');
    assert.equal(managed.configRevision, 1);
    assert.equal(managed.token.state, 'expiring');
    assert.ok(managed.token.warning);
    const warn = await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_GATEWAY_TOKEN_EXPIRING');
    assert.equal(warn.level, 'warn');
    const metrics = (await opsGet(gw, '/metrics')).body.text as string;
    const expiry = Number(/^outpost_gateway_token_expiry_seconds (-?\d+)$/m.exec(metrics)?.[1]);
    assert.ok(expiry > 2.9 * 86_400 && expiry <= 3 * 86_400, `expiry metric ${expiry}`);
    const beat = await until('a heartbeat', async () => cp.heartbeats.find((h) => h.configRevision === 1));
    assert.equal(typeof beat.nodeId, 'string');
    assert.equal(typeof beat.hostname, 'string');
    assert.equal(typeof beat.version, 'string');
    assert.equal(typeof beat.uptimeSeconds, 'number');
    assert.ok(String(beat.tokenExpiresAt).endsWith('Z'));
    await until('config status ok', async () => cp.statuses.find((s) => s.revision === 1 && s.ok));
    await until('a backup file', async () => existsSync(join(backupDir, 'outpost-config.backup')) || undefined);
    assert.deepEqual(gw.badLines, []);
  });

  test('a change arrives through the long poll in well under the 10 s check interval', async () => {
    await until('a long poll in flight', async () => (cp.configRequests.at(-1)?.url.includes('wait=30') ? true : undefined));
    const t0 = Date.now();
    cp.publish(managedConfig(backend.url, 2));
    await served(gw, '/v2/req/1');
    assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
  });

  test('a config that does not validate is rejected, reported with field paths, and v2 keeps serving', async () => {
    const revision = cp.publish(managedConfig(backend.url, 9, 'not a url'));
    const status = await until('config status rejected', async () => cp.statuses.find((s) => s.revision === revision));
    assert.equal(status.ok, false);
    assert.deepEqual(status.problems?.map((p) => p.path), ['apis[0].serviceUrl']);
    const line = await gw.waitForLog((l) => l.msg === 'config reload rejected; the running config stays' && l.revision === revision);
    assert.equal(line.errorCode, 'OUTPOST_ERR_CONFIG_INVALID');
    assert.equal((await get(gw, '/svc/req/1')).body, '/v2/req/1');
    assert.equal((await opsGet(gw, '/health/ready')).status, 200);
  });

  test('SIGHUP re-reads the env file: a new token is used without a restart', async () => {
    const fresh = token(new Date(Date.now() + 20 * 86_400_000));
    writeEnv(cp.url, fresh);
    gw.proc.kill('SIGHUP');
    await until('the new token in use', async () => (cp.configRequests.some((r) => r.auth === fresh) ? true : undefined));
    const managed = (await opsGet(gw, '/health/ready')).body.managed as { token: { state: string } };
    assert.equal(managed.token.state, 'ok');
  });

  test('control plane stopped under load: zero failed requests; it returns and a change arrives', async () => {
    const agent = new Agent({ connections: 16 });
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        try {
          const res = await request(gw.url('/svc/req/1'), { dispatcher: agent });
          const body = await res.body.text();
          if (res.statusCode === 200 && body === '/v2/req/1') ok++;
          else failures.push(`${res.statusCode} ${body}`);
        } catch (err) { failures.push(String(err)); }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await cp.stop();
    await gw.waitForLog((l) => l.msg === 'control plane request failed; serving the current config' && l.errorCode === 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE');
    await new Promise((r) => setTimeout(r, 2_000));
    const ready = await opsGet(gw, '/health/ready');
    running = false;
    await Promise.all(loops);
    await agent.close();
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(ok > 100, `only ${ok} requests`);
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { controlPlane: { connected: boolean } }).controlPlane.connected, false);

    cp.publish(managedConfig(backend.url, 3));
    await cp.start();
    await served(gw, '/v3/req/1');
    await gw.waitForLog((l) => l.msg === 'control plane reachable again');
    await until('backup of revision', async () => cp.statuses.find((s) => s.revision === cp.revision && s.ok));
  });

  test('restart with the control plane down and its host unresolvable: serves from the backup', async () => {
    await gw.stop();
    await cp.stop();
    writeEnv('http://outpost-cp.invalid:7070', token(new Date(Date.now() + 20 * 86_400_000)));
    gw = await startManaged();
    assert.equal((await get(gw, '/svc/req/1')).body, '/v3/req/1');
    const failed = await gw.waitForLog((l) => l.msg === 'control plane request failed; serving the current config');
    assert.equal(failed.errorCode, 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE');
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes((failed.details as { cause: string }).cause), JSON.stringify(failed.details));
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { servingFrom: string }).servingFrom, 'backup');
  });

  test('a corrupt backup is reported with a coded error and never served', async () => {
    await gw.stop();
    const file = join(backupDir, 'outpost-config.backup');
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
