/**
 * rediss:// with gateway.redis.caFile and an ACL user and password in the URL, against a TLS
 * redis-server of the test's own (certificates made here with the openssl CLI; skipped where it
 * is missing). A CA that did not sign the server's certificate never gets a connection up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedisLink } from '../../src/gateway/redis/create-redis-link.js';
import { REDIS_UNAVAILABLE } from '../../src/gateway/redis/redis-link.js';
import { resolveRedisSettings } from '../../src/gateway/redis/redis-settings.js';
import { redisSchema } from '../../src/shared/config-schema.js';
import { freePort, waitUntil } from '../support/redis-server.js';
import { testTempDir } from '../support/temp-dir.js';

const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

function makeCertificates(dir: string, name: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=Outpost Redis Test CA ${name}`);
  openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'ext.cnf');
}

describe('rediss:// with a private CA and an ACL user', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const dir = testTempDir('outpost-redis-tls-');
  let server: ChildProcess;
  let port: number;

  before(async () => {
    makeCertificates(dir, 'server');
    makeCertificates(dir, 'other');
    port = await freePort();
    // ACL users go in a config file (the command line does not take a rule with spaces).
    writeFileSync(join(dir, 'redis.conf'), 'user default off\nuser app on >app-s3cret ~* &* +@all\n');
    server = spawn('redis-server', [
      join(dir, 'redis.conf'), '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'server-ca.pem'),
      '--tls-auth-clients', 'no',
    ], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
  });
  after(() => { server?.kill('SIGKILL'); });

  const link = (url: string, caFile: string) => createRedisLink(resolveRedisSettings(redisSchema.parse({ url, caFile, commandTimeoutMs: 500, connectTimeoutMs: 1_000 }))!);

  test('the CA file, user and password from the URL: connected, counting in the chosen db', async () => {
    const l = link(`rediss://app:app-s3cret@127.0.0.1:${port}/3`, join(dir, 'server-ca.pem'));
    try {
      await waitUntil(() => l.state === 'up', 10_000, 'TLS link up');
      assert.equal(await l.hitFixed('tls', 0), 1);
      assert.equal(await l.hitFixed('tls', 0), 2);
      const other = link(`rediss://app:app-s3cret@127.0.0.1:${port}/4`, join(dir, 'server-ca.pem'));
      await waitUntil(() => other.state === 'up', 10_000, 'second link up');
      assert.equal(await other.hitFixed('tls', 0), 1, 'db 4 is another keyspace');
      await other.close();
    } finally {
      await l.close();
    }
  });

  test('a CA that did not sign the server certificate, or a wrong password: never up, answers unavailable', async () => {
    for (const [url, ca] of [
      [`rediss://app:app-s3cret@127.0.0.1:${port}/0`, join(dir, 'other-ca.pem')],
      [`rediss://app:wrong@127.0.0.1:${port}/0`, join(dir, 'server-ca.pem')],
    ]) {
      const l = link(url, ca);
      try {
        await new Promise((r) => setTimeout(r, 700));
        assert.notEqual(l.state, 'up');
        assert.equal(await l.hitFixed('x', 0), REDIS_UNAVAILABLE);
      } finally {
        await l.close();
      }
    }
  });
});
