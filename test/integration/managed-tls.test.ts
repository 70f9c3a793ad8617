/**
 * A managed gateway reaching its control plane over https signed by a private CA: with the CA in
 * OUTPOST_CA_FILE it syncs; without it the certificate is refused (coded, with the TLS cause) and
 * nothing is served. The control plane speaks plain http, so an https proxy written for tests
 * (test/support/control-plane-proxy.ts) sits in front of it; the CA and the server certificate are
 * made here, for this run only, with the openssl CLI (skipped where it is not installed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { opsGet, startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { ControlPlaneProxy } from '../support/control-plane-proxy.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

/** A throwaway CA and a server certificate it signed for localhost and 127.0.0.1 (EC keys: fast). */
function makeCertificates(dir: string): { caFile: string; key: string; cert: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Outpost Test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') };
}

describe('managed mode over https with a private CA', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const dir = testTempDir('outpost-managed-tls-');
  let cp: ControlPlaneProcess;
  let proxy: ControlPlaneProxy;
  let backend: TestBackend;
  let caFile: string;
  let token: string;
  const gateways: GatewayProcess[] = [];

  /** A gateway with its own env file and backup dir, so one run cannot serve another's backup. */
  async function startManaged(name: string, withCa: boolean): Promise<GatewayProcess> {
    const envFile = join(dir, `${name}.conf`);
    writeFileSync(envFile, [
      `config.service.endpoint=${proxy.url('localhost')}`,
      `config.service.auth=${token}`,
      `OUTPOST_BACKUP_DIR=${join(dir, `${name}-backup`)}`,
      'OUTPOST_RETRY_MAX_MS=1000',
      'OUTPOST_STARTUP_TIMEOUT_MS=3000',
      ...(withCa ? [`OUTPOST_CA_FILE=${caFile}`] : []),
      '',
    ].join('\n'));
    const gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile] });
    gateways.push(gw);
    return gw;
  }

  before(async () => {
    const certs = makeCertificates(dir);
    caFile = certs.caFile;
    backend = await startBackend(echoHandler);
    cp = await startControlPlane();
    assert.equal((await cp.admin('PUT', '/gateways/tls-gw', { name: 'TLS gateway' })).status, 201);
    assert.equal((await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    })).status, 201);
    assert.equal((await cp.admin('PUT', '/gateways/tls-gw/apis/orders')).status, 201);
    const issued = await cp.admin('POST', '/gateways/tls-gw/token', { keyType: 'primary', expiry: new Date(Date.now() + 20 * 86_400_000).toISOString() });
    token = issued.body.value as string;
    proxy = new ControlPlaneProxy(cp.url(''), { key: certs.key, cert: certs.cert });
    await proxy.start();
  });
  after(async () => {
    for (const gw of gateways) await gw.stop();
    await proxy?.stop();
    await cp?.stop();
    await backend?.close();
  });

  test('with OUTPOST_CA_FILE the gateway verifies the certificate and syncs', async () => {
    const gw = await startManaged('with-ca', true);
    const res = await request(gw.url('/orders/1'));
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    const ready = await opsGet(gw, '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.body.managed as { servingFrom: string }).servingFrom, 'control-plane');
  });

  test('without it the certificate is refused with the TLS cause, and nothing is served', async () => {
    const gw = await startManaged('without-ca', false);
    // Nothing is served, and the log says so (it used to claim "serving the current config").
    const failed = await gw.waitForLog((l) => l.msg === 'control plane request failed; no config to serve until it answers');
    assert.equal(failed.errorCode, 'OUTPOST_ERR_CONTROL_PLANE_UNREACHABLE');
    // Node names an unknown issuer one of these, depending on the chain it was sent.
    const cause = (failed.details as { cause?: string }).cause;
    assert.ok(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(String(cause)), JSON.stringify(failed.details));
    const res = await request(gw.url('/orders/1'));
    await res.body.dump();
    assert.equal(res.statusCode, 404);
    assert.equal((await opsGet(gw, '/health/ready')).status, 503);
  });
});
