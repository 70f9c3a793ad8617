/**
 * Readiness means "can serve": a reload of a large config rolls out to the workers over tens of
 * milliseconds, and during that time every worker serves generation N or N+1, so /health/ready
 * (and APIM's probe on the API port, which follows it) stays 200 throughout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { SLOW_TABLE_PRELOAD } from '../support/slow-table-preload.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const APIS = 3_000;
const RELOADS = 5;

function largeConfig(backendUrl: string): object {
  return {
    gateway: { drainTimeoutSeconds: 5 },
    apis: Array.from({ length: APIS }, (_, i) => ({
      id: `api-${i}`, name: `API ${i}`, path: `svc-${i}`, serviceUrl: `${backendUrl}/v${i}`, subscriptionRequired: false,
      operations: [{ id: 'get', method: 'GET', urlTemplate: '/items/{id}' }, { id: 'put', method: 'PUT', urlTemplate: '/items/{id}' }],
    })),
  };
}

interface ReadyBody { generation: number; rollingOut: boolean; workers: Array<{ generation: number }> }

describe('readiness during reloads of a large config', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    // Workers apply each table 150 ms late, so the polls land inside rollouts (a lazy generation
    // switch otherwise takes about a millisecond).
    gw = await startGateway(largeConfig(backend.url), { workers: 2, env: { OUTPOST_TEST_WORKER_PRELOAD: SLOW_TABLE_PRELOAD } });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  test('/health/ready and the API-port probe never answer 503 while generations roll out', { timeout: 120_000 }, async () => {
    const agent = new Agent({ connections: 1 });
    const statuses = new Map<string, number>();
    let rolloutsSeen = 0;
    let live = 0; // the newest generation every worker serves
    let running = true;
    const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const pollReady = async () => {
      while (running) {
        const res = await request(`http://127.0.0.1:${gw.opsPort}/health/ready`, { dispatcher: agent });
        const body = await res.body.json() as ReadyBody;
        count(`ready ${res.statusCode}`);
        if (body.rollingOut) rolloutsSeen++;
        if (body.workers.every((w) => w.generation === body.generation)) live = body.generation;
      }
    };
    const pollProbe = async () => {
      while (running) {
        const res = await request(gw.url('/status-0123456789abcdef'));
        await res.body.dump();
        count(`probe ${res.statusCode}`);
      }
    };
    const pollers = [pollReady(), pollProbe()];
    for (let i = 0; i < RELOADS; i++) {
      const target = live + 1;
      gw.proc.kill('SIGHUP');
      for (let n = 0; n < 6_000 && live < target; n++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(live >= target, `generation ${target} never went live`);
    }
    running = false;
    await Promise.all(pollers);
    await agent.close();
    assert.equal(statuses.get('ready 503') ?? 0, 0, JSON.stringify([...statuses]));
    assert.equal(statuses.get('probe 503') ?? 0, 0, JSON.stringify([...statuses]));
    // The polls did land inside rollouts: the test saw workers on two generations at once.
    assert.ok(rolloutsSeen > 0, JSON.stringify([...statuses]));
    process.stdout.write(`# readiness during ${RELOADS} reloads of ${APIS} APIs: ${JSON.stringify(Object.fromEntries(statuses))}, ${rolloutsSeen} polls mid-rollout\n`);
  });
});
