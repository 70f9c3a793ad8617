/**
 * Config reload: by file change and SIGHUP, rejected when invalid (the running config stays), and
 * 20 reloads under several hundred concurrent connections with zero failed requests, each response
 * coming from a generation that was live while its request was in flight.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startGateway, waitForGeneration, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

/** The backend answers with the path it was asked for: the generation shows in serviceUrl's path. */
const pathEcho = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  const body = req.url ?? '';
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

function configFor(backendUrl: string, version: number, extra: object[] = []): object {
  return {
    gateway: { drainTimeoutSeconds: 5 },
    apis: [
      { id: 'svc', name: 'Svc', path: 'svc', serviceUrl: `${backendUrl}/v${version}`, subscriptionRequired: false, operations: [{ id: 'get', method: 'GET', urlTemplate: '/req/{n}' }] },
      ...extra,
    ],
  };
}

describe('config reload', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(pathEcho);
    gw = await startGateway(configFor(backend.url, 1), { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  test('a changed file is picked up; SIGHUP reloads too', async () => {
    gw.writeConfig(configFor(backend.url, 2, [{ id: 'extra', name: 'Extra', path: 'extra', serviceUrl: backend.url, subscriptionRequired: false, operations: [{ id: 'x', method: 'GET', urlTemplate: '/*' }] }]));
    await waitForGeneration(gw, 2);
    const res = await request(gw.url('/extra/hello'));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), '/hello');
    gw.proc.kill('SIGHUP');
    await waitForGeneration(gw, 3);
    // Readiness can report the generation before the primary's log line has reached this process.
    const line = await gw.waitForLog((l) => l.msg === 'config reloaded' && l.trigger === 'SIGHUP');
    assert.equal(line.generation, 3);
  });

  test('an invalid config is rejected with the field path and the running config keeps serving', async () => {
    const bad = configFor(backend.url, 9) as { apis: Array<Record<string, unknown>> };
    bad.apis[0].serviceUrl = 'not a url';
    gw.writeConfig(bad);
    const line = await gw.waitForLog((l) => l.msg === 'config reload rejected; the running config stays');
    assert.equal(line.errorCode, 'OUTPOST_ERR_CONFIG_INVALID');
    assert.deepEqual((line.problems as Array<{ path: string }>).map((p) => p.path), ['apis[0].serviceUrl']);
    const res = await request(gw.url('/svc/req/1'));
    assert.equal(await res.body.text(), '/v2/req/1');
    const ready = await fetch(`http://127.0.0.1:${gw.opsPort}/health/ready`);
    const detail = await ready.json() as { lastReload: { ok: boolean; problems: Array<{ path: string }> } };
    assert.equal(detail.lastReload.ok, false);
    assert.equal(detail.lastReload.problems[0].path, 'apis[0].serviceUrl');
    const metrics = await (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();
    assert.match(metrics, /^outpost_config_reload_failures_total 1$/m);
  });

  test('20 reloads under 300 concurrent connections: zero failures, every response from a live generation', async () => {
    const CONNECTIONS = 300;
    const RELOADS = 20;
    let version = 10;
    gw.writeConfig(configFor(backend.url, version));
    let generation = await currentGeneration(gw);
    while ((await currentGeneration(gw)) === generation) await new Promise((r) => setTimeout(r, 10));
    generation = await currentGeneration(gw);
    await waitForGeneration(gw, generation);

    // `confirmed`: every worker serves it; `written`: the newest version on disk.
    let confirmed = version;
    let written = version;
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
    const client = async (id: number) => {
      let n = 0;
      while (running) {
        const low = confirmed;
        const path = `/svc/req/${id}-${n++}`;
        try {
          const res = await request(gw.url(path), { dispatcher: agent });
          const text = await res.body.text();
          const high = written;
          const m = /^\/v(\d+)\/req\/(\d+-\d+)$/.exec(text);
          if (res.statusCode !== 200 || !m) failures.push(`${path}: ${res.statusCode} ${text}`);
          else if (m[2] !== path.slice('/svc/req/'.length)) failures.push(`${path}: answered for ${m[2]}`);
          else if (Number(m[1]) < low || Number(m[1]) > high) failures.push(`${path}: version ${m[1]} outside [${low}, ${high}]`);
          else ok++;
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: CONNECTIONS }, (_, i) => client(i));
    for (let i = 0; i < RELOADS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      written = ++version;
      gw.writeConfig(configFor(backend.url, version));
      generation++;
      await waitForGeneration(gw, generation);
      confirmed = version;
    }
    await new Promise((r) => setTimeout(r, 100));
    running = false;
    await Promise.all(clients);
    await agent.close();
    assert.deepEqual(failures.slice(0, 10), []);
    assert.equal(failures.length, 0);
    assert.ok(ok > CONNECTIONS * 5, `only ${ok} requests completed`);
    // stdout is written off the primary's event loop, behind the request-log batches of this load:
    // the last lines may still be on their way (bounded wait).
    const reloadLines = () => gw.logs.filter((l) => l.msg === 'config reloaded' && (l.generation as number) > generation - RELOADS);
    for (let waited = 0; reloadLines().length < RELOADS && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.equal(reloadLines().length, RELOADS);
    process.stdout.write(`# reload under load: ${ok} requests, 0 failures, ${RELOADS} reloads\n`);
  });
});

async function currentGeneration(gw: GatewayProcess): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${gw.opsPort}/health/ready`);
  return ((await res.json()) as { generation: number }).generation;
}
