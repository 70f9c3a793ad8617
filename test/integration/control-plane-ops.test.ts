/**
 * Operating the control plane: it listens on loopback unless told otherwise (--host, then
 * OUTPOST_CONTROL_PLANE_HOST), and answers GET /health and GET /metrics without admin auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { signGatewayToken } from '../../src/control-plane/gateway-token.js';
import { FREE_FAILURES } from '../../src/control-plane/auth-throttle.js';
import { CLI } from '../support/gateway-process.js';
import { collectJsonLines, type LogLine } from '../support/json-lines.js';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { testTempDir } from '../support/temp-dir.js';

/** Starts `outpost control-plane` with exactly these extra args and env; returns its start line and stops it. */
async function startLine(args: string[], env: Record<string, string> = {}): Promise<LogLine> {
  const proc = spawn(process.execPath, [CLI, 'control-plane', '--port', '0', '--data', testTempDir('outpost-cp-host-'), ...args], {
    env: { ...process.env, OUTPOST_ADMIN_TOKEN: ADMIN_TOKEN, OUTPOST_CONTROL_PLANE_HOST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  try {
    return await new Promise<LogLine>((resolve, reject) => {
      collectJsonLines(proc.stdout!, logs, [], (added) => {
        const line = added.find((l) => l.msg === 'control plane started');
        if (line) resolve(line);
      });
      proc.once('exit', (code) => reject(new Error(`exited ${code}: ${JSON.stringify(logs)}`)));
    });
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
}

/** GET from a chosen loopback source address; body as text. */
function get(port: number, path: string, headers: Record<string, string> = {}, host = '127.0.0.1', localAddress = '127.0.0.1'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control plane: listen address', () => {
  test('loopback by default', async () => {
    assert.equal((await startLine([])).host, '127.0.0.1');
  });

  test('OUTPOST_CONTROL_PLANE_HOST, and --host over it', async () => {
    const fromEnv = await startLine([], { OUTPOST_CONTROL_PLANE_HOST: '127.0.0.2' });
    assert.equal(fromEnv.host, '127.0.0.2');
    assert.equal((await startLine(['--host', '127.0.0.3'], { OUTPOST_CONTROL_PLANE_HOST: '127.0.0.2' })).host, '127.0.0.3');
  });
});

describe('control plane: /health and /metrics', () => {
  let cp: ControlPlaneProcess;
  before(async () => { cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '60000' } }); });
  after(async () => { await cp?.stop(); });

  test('GET /health: 200 {"status":"ok"} without auth', async () => {
    const r = await get(cp.port, '/health');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  test('GET /metrics without auth: gateways, connected nodes, reports, throttled attempts, requests by route class and status', async () => {
    assert.equal((await cp.admin('PUT', '/gateways/gw', { name: 'gw' })).status, 201);
    const t = await cp.admin('POST', '/gateways/gw/token', { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
    const auth = t.body.value as string;
    assert.equal((await cp.call('POST', '/gateway/heartbeat', { authorization: auth }, { nodeId: 'n1', hostname: 'h', version: '1', configRevision: 0, uptimeSeconds: 1 })).status, 204);
    assert.equal((await cp.call('POST', '/gateway/config-status', { authorization: auth }, { nodeId: 'n1', revision: 1, ok: true })).status, 204);
    assert.equal((await cp.call('POST', '/gateway/config-status', { authorization: auth }, { nodeId: 'n1', revision: 2, ok: false, problems: [{ path: 'x', message: 'y' }] })).status, 204);
    const forged = signGatewayToken('gw', new Date(Date.now() + 86_400_000), 'not-the-key-0123456789abcdef0123456789');
    for (let i = 0; i < FREE_FAILURES + 3; i++) await get(cp.port, '/gateway/config', { authorization: forged }, '127.0.0.1', '127.0.0.9');

    const r = await get(cp.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain/);
    const value = (series: string) => {
      const line = r.body.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no ${series} in\n${r.body}`);
      return Number(line.slice(series.length + 1));
    };
    assert.equal(value('outpost_cp_gateways'), 1);
    assert.equal(value('outpost_cp_nodes_connected'), 1);
    assert.equal(value('outpost_cp_config_reports_total{result="accepted"}'), 1);
    assert.equal(value('outpost_cp_config_reports_total{result="rejected"}'), 1);
    assert.equal(value('outpost_cp_config_reports_kept'), 2);
    assert.equal(value('outpost_cp_auth_throttled_total'), 2);
    assert.equal(value('outpost_cp_requests_total{route="gateway",status="204"}'), 3);
    assert.equal(value('outpost_cp_requests_total{route="gateway",status="401"}'), FREE_FAILURES + 1);
    assert.equal(value('outpost_cp_requests_total{route="gateway",status="429"}'), 2);
    assert.ok(value('outpost_cp_requests_total{route="admin",status="201"}') >= 1);
    assert.equal(value('outpost_cp_requests_total{route="health",status="200"}'), 1);
    for (const line of r.body.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? \d+)$/, line);
  });
});
