/**
 * The dashboard in headless Chromium (Debian's chromium, driven by playwright-core): log in with
 * the admin token, see the gateway listed, open it, download its env.conf, and start a real
 * managed gateway with that file that serves the assigned API. A wrong token stays on the login
 * page, and no page shows the gateway's keys, a secret named value or a subscription key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { echoHandler, startBackend, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function within(ms: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('dashboard (headless Chromium)', { timeout: 120_000 }, () => {
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let context: BrowserContext;
  let gateway: GatewayProcess | undefined;
  const dir = testTempDir('outpost-dashboard-');
  /** Everything no page may show. */
  const secrets: string[] = [];
  /** The HTML of every page visited, checked for secrets at the end. */
  const seen: string[] = [];

  const visit = async (page: Page): Promise<void> => { seen.push(await page.content()); };

  before(async () => {
    backend = await startBackend(echoHandler);
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' } });
    const gw = await cp.admin('PUT', '/gateways/edge-1', { name: 'Edge <one>', description: 'branch office' });
    assert.equal(gw.status, 201, JSON.stringify(gw.body));
    secrets.push(gw.body.primaryKey as string, gw.body.secondaryKey as string);
    const api = await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    });
    assert.equal(api.status < 300, true, JSON.stringify(api.body));
    assert.equal((await cp.admin('PUT', '/gateways/edge-1/apis/orders')).status < 300, true);
    assert.equal((await cp.admin('PUT', '/named-values/backend-token', { value: 'named-secret-value-0123', secret: true })).status < 300, true);
    const sub = await cp.admin('PUT', '/subscriptions/acme', { scope: '/apis/orders' });
    assert.equal(sub.status < 300, true, JSON.stringify(sub.body));
    secrets.push('named-secret-value-0123', sub.body.primaryKey as string, sub.body.secondaryKey as string, ADMIN_TOKEN);
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, acceptDownloads: true, timeout: 30_000,
    });
    context.setDefaultTimeout(10_000);
  });

  after(async () => {
    await context?.close();
    await gateway?.stop();
    await cp?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a session every page redirects to the login page', async () => {
    const page = await context.newPage();
    await page.goto(cp.url('/dashboard/gateways/edge-1'));
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    const env = await fetch(cp.url('/dashboard/gateways/edge-1/env.conf'), { redirect: 'manual' });
    assert.equal(env.status, 303);
    assert.equal(env.headers.get('location'), '/dashboard/login');
    await page.close();
  });

  test('a wrong token stays on the login page', async () => {
    const page = await context.newPage();
    await page.goto(cp.url('/dashboard/login'));
    await page.fill('input[name=token]', 'not-the-admin-token-at-all');
    await page.click('button[type=submit]');
    await page.waitForSelector('.error');
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    assert.match(await page.textContent('.error') ?? '', /not the admin token/);
    assert.equal((await context.cookies()).length, 0);
    await page.close();
  });

  test('log in, see the gateway, download env.conf, and a gateway started with it serves the API', async () => {
    const page = await context.newPage();
    await page.goto(cp.url('/dashboard/login'));
    await visit(page);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(cp.url('/dashboard')), page.click('button[type=submit]')]);
    await visit(page);
    const [cookie] = await context.cookies();
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.notEqual(cookie.value, ADMIN_TOKEN);
    const row = page.locator('tr[data-gateway="edge-1"]');
    assert.match(await row.textContent() ?? '', /Edge <one>.*none/s);

    await Promise.all([page.waitForURL(cp.url('/dashboard/gateways/edge-1')), row.locator('a').click()]);
    await visit(page);
    assert.match(await page.textContent('main') ?? '', /Orders/);
    assert.match(await page.textContent('#docker-command') ?? '', /^docker run -d -p 80:8080 -p 443:8081 --env-file env\.conf \S+$/);
    assert.match(await page.textContent('#systemd-steps') ?? '', /--env-file \/etc\/outpost\/outpost\.env[\s\S]*enable --now outpost-gateway/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-env')]);
    assert.equal(download.suggestedFilename(), 'env.conf');
    const envFile = join(dir, 'env.conf');
    await download.saveAs(envFile);
    const env = readFileSync(envFile, 'utf8');
    assert.match(env, new RegExp(`^config\\.service\\.endpoint=http://127\\.0\\.0\\.1:${cp.port}$`, 'm'));
    const auth = /^config\.service\.auth=GatewayKey edge-1&(\d{12})&\S+$/m.exec(env);
    assert.ok(auth, env);
    const days = (Date.UTC(+auth[1].slice(0, 4), +auth[1].slice(4, 6) - 1, +auth[1].slice(6, 8)) - Date.now()) / 86_400_000;
    assert.ok(days > 28 && days <= 30, `token expiry ${auth[1]}`);
    secrets.push(auth[0].split('&')[2]); // the token's signature: only in the download

    gateway = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile], env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' } });
    await within(10_000, 'orders served by the managed gateway', async () => {
      const res = await request(gateway!.url('/orders/ping'));
      await res.body.dump();
      return res.statusCode === 200;
    });

    // The node shows up once it has sent a heartbeat.
    await within(10_000, 'the node listed as connected', async () => {
      await page.goto(cp.url('/dashboard'));
      return (await row.locator('.nodes').textContent()) === '1';
    });
    await visit(page);
    await page.goto(cp.url('/dashboard/gateways/edge-1'));
    await visit(page);
    assert.match(await page.textContent('main') ?? '', /connected/);

    await Promise.all([page.waitForURL(cp.url('/dashboard/login')), page.click('.logout button')]);
    await page.goto(cp.url('/dashboard'));
    assert.equal(new URL(page.url()).pathname, '/dashboard/login');
    await page.close();
  });

  test('no page shows a gateway key, a secret named value or a subscription key', () => {
    assert.ok(seen.length >= 5, 'pages were visited');
    for (const html of seen) for (const secret of secrets) assert.equal(html.includes(secret), false, `a page shows ${secret.slice(0, 6)}…`);
  });
});
