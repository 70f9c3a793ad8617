/**
 * Http11Probe's 161 scored cases (MDA2AV/Http11Probe, MIT licence; ported as data under
 * test/conformance/http11probe/) against the real gateway, with the probe's reference app (its
 * NodeServer: /echo echoes headers, /cookie parses cookies, POST echoes the body, anything else
 * answers "OK") as the backend behind an open API at the root.
 *
 * Yardstick, from the issue: nginx 1.22 as a reverse proxy passes 121 (18 fail) when run the same
 * way. Outpost must pass at least as many and fail none of the smuggling cases.
 *
 * One deliberate failure: MAL-POST-CL-HUGE-NO-BODY (Content-Length: 999999999, no body) accepts
 * only 400 or a server that waits; a body over `gateway.maxBodyBytes` gets 413 here at once, which
 * is the right answer for a size we refuse (nginx answers it the same way).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../support/backends.js';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { scoredProbeCases } from './http11probe/index.js';
import { runCases } from './http11probe/probe-runner.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

const NGINX_PASSED = 121;

/** The probe's NodeServer app (src/Servers/NodeServer/server.js), as the backend. */
function probeApp(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: string | Buffer = 'OK';
    if (path === '/cookie') {
      body = '';
      for (const pair of (req.headers.cookie ?? '').split(';')) {
        const t = pair.trimStart();
        const eq = t.indexOf('=');
        if (eq > 0) body += `${t.slice(0, eq)}=${t.slice(eq + 1)}\n`;
      }
    } else if (path === '/echo') {
      body = '';
      for (let i = 0; i < req.rawHeaders.length; i += 2) body += `${req.rawHeaders[i].toLowerCase()}: ${req.rawHeaders[i + 1]}\n`;
    } else if (req.method === 'POST') {
      body = Buffer.concat(chunks);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(body);
  });
}

let backend: TestBackend;
let gateway: GatewayProcess;
after(async () => { await gateway?.stop(); await backend?.close(); });

test('Http11Probe scored cases: at least nginx\'s score, no smuggling failure', async () => {
  backend = await startBackend(probeApp);
  gateway = await startGateway({
    apis: [{
      id: 'probe', name: 'Probe app', path: '', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    }],
  }, { workers: 2 });
  assert.equal(scoredProbeCases.length, 161, 'the probe scores 161 cases');
  const results = await runCases(gateway.port, scoredProbeCases);
  const count = (v: string) => results.filter((r) => r.verdict === v).length;
  for (const r of results) {
    if (r.verdict !== 'pass') console.log(`# http11probe ${r.verdict.padEnd(5)} ${r.category.padEnd(14)} ${r.id} (status ${r.status ?? '-'}, ${r.state})`);
  }
  console.log(`# http11probe score: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail, ${count('error')} error of ${results.length}`);
  const smugglingFailures = results.filter((r) => r.category === 'Smuggling' && r.verdict === 'fail').map((r) => r.id);
  assert.deepEqual(smugglingFailures, [], 'no smuggling case may fail');
  assert.ok(count('pass') >= NGINX_PASSED, `passed ${count('pass')}, nginx passes ${NGINX_PASSED}`);
  assert.deepEqual(gateway.badLines, [], 'stdout stays one JSON object per line');
});
