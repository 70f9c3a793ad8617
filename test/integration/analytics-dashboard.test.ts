/**
 * The analytics part of a gateway's dashboard page in headless Chromium (Debian's chromium,
 * driven by playwright-core): after uploads from two nodes, the page shows the request count
 * that was uploaded, draws its uPlot charts (served from the package under the page's CSP, with
 * no CSP violation reported), lists both nodes and the APIs, and narrows to one API. A
 * screenshot is kept under test-artifacts/ (git-ignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { currentMinute, gatewayToken, latencies, postTelemetry, row } from '../support/telemetry-rows.js';
import { testTempDir } from '../support/temp-dir.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** dist/test/integration → the repository root's test-artifacts/. */
const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts');

describe('analytics on the dashboard (headless Chromium)', { timeout: 120_000 }, () => {
  let cp: ControlPlaneProcess;
  let context: BrowserContext;
  const dir = testTempDir('outpost-analytics-dashboard-');
  const minute = currentMinute();

  before(async () => {
    cp = await startControlPlane();
    const token = await gatewayToken(cp, 'edge-1');
    const api = await cp.admin('PUT', '/apis/orders', { name: 'Orders', path: 'orders', serviceUrl: 'http://127.0.0.1:9', operations: [{ id: 'get', method: 'GET', urlTemplate: '/*' }] });
    assert.ok(api.status < 300, JSON.stringify(api.body));
    assert.ok((await cp.admin('PUT', '/gateways/edge-1/apis/orders')).status < 300);
    const uploads = [
      { nodeId: 'node-a', batchId: '1', rows: [
        row({ minute: minute - 120_000, totalUs: latencies(120, 8000, 1) }),
        row({ minute: minute - 60_000, totalUs: latencies(150, 9000, 2), errors: 5, cache: { hit: 100, miss: 50 } }),
        row({ minute: minute - 60_000, apiId: '', operationId: '', totalUs: latencies(9, 300, 3), statuses: { 404: 9 }, errorCodes: { OUTPOST_ERR_ROUTE_NOT_FOUND: 9 } }),
      ] },
      { nodeId: 'node-b', batchId: '1', rows: [row({ minute, totalUs: latencies(94, 40_000, 4), backendShare: 0.95 })] },
    ];
    for (const u of uploads) assert.equal((await postTelemetry(cp, token, u)).status, 204);
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
    context.setDefaultTimeout(15_000);
  });

  after(async () => {
    await context?.close();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the gateway page shows the uploaded request count, charts, nodes and APIs', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    // The browser's own /favicon.ico request is answered 401 (outside the dashboard): not the page's doing.
    page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) problems.push(`${m.text()} ${m.location().url}`); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(cp.url('/dashboard/login'));
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(cp.url('/dashboard')), page.click('button[type=submit]')]);
    // The overview: each gateway's requests of the last hour.
    assert.equal(await page.textContent('tr[data-gateway="edge-1"] td.requests'), String(120 + 150 + 9 + 94));
    await page.goto(cp.url('/dashboard/gateways/edge-1'));
    await page.waitForSelector('#analytics[data-loaded]');
    assert.equal(await page.getAttribute('#analytics', 'data-loaded'), 'true', await page.textContent('#analytics-status') ?? '');
    assert.equal(await page.textContent('#analytics-total-requests'), String(120 + 150 + 9 + 94));
    assert.equal(await page.textContent('#analytics-total-errors'), '5');
    assert.equal(await page.textContent('#analytics-cache'), '66.7 %');
    // Five charts, each a uPlot canvas.
    assert.equal(await page.locator('#analytics .uplot canvas').count(), 5);
    assert.deepEqual((await page.locator('#analytics-nodes tbody tr td:first-child').allTextContents()).sort(), ['node-a', 'node-b']);
    assert.deepEqual((await page.locator('#analytics-apis tbody tr td:first-child').allTextContents()).sort(), ['(no API matched)', 'orders']);
    assert.ok((await page.locator('#analytics-error-codes').textContent())?.includes('OUTPOST_ERR_ROUTE_NOT_FOUND'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'analytics-dashboard.png'), fullPage: true });

    // One API: the count narrows to it.
    await Promise.all([page.waitForURL(/apiId=orders/), page.locator('#analytics-apis a', { hasText: 'orders' }).click()]);
    await page.waitForSelector('#analytics[data-loaded]');
    assert.equal(await page.textContent('#analytics-total-requests'), String(120 + 150 + 94));
    assert.deepEqual(problems, [], 'no script error or CSP violation');
    await page.close();
  });

  test('the analytics JSON needs a session, and the chart library is served from the package', async () => {
    const anonymous = await fetch(cp.url('/dashboard/gateways/edge-1/analytics.json'), { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    const lib = await fetch(cp.url('/dashboard/assets/uPlot.iife.min.js'));
    assert.equal(lib.status, 200);
    assert.match(lib.headers.get('content-type') ?? '', /javascript/);
    assert.match(await lib.text(), /uPlot/);
    assert.equal((await fetch(cp.url('/dashboard/assets/uPlot.min.css'))).status, 200);
    assert.equal((await fetch(cp.url('/dashboard/assets/..%2Fpackage.json'))).status, 404);
  });
});
