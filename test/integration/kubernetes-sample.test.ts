/**
 * The Kubernetes sample as its container runs it: the ConfigMap's gateway.yaml with the
 * Deployment's args answers a request to the sample API (200 from the demo backend, not 401).
 * Ports are moved to free ones so the test never collides with a gateway on 8080/8090.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CLI } from '../support/gateway-process.js';
import { collectJsonLines, type LogLine } from '../support/json-lines.js';
import { testTempDir } from '../support/temp-dir.js';
import { freePort } from '../support/free-port.js';

const root = resolve(import.meta.dirname, '../../..');

test('the Kubernetes sample answers its sample API with 200, without a key', async () => {
  const docs = parseAllDocuments(readFileSync(resolve(root, 'config/kubernetes/gateway.yaml'), 'utf8'));
  const manifests = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as { kind: string; data?: Record<string, string>; spec?: { template: { spec: { containers: Array<{ args: string[] }> } } } });
  const sample = manifests.find((m) => m.kind === 'ConfigMap')!.data!['gateway.yaml'];
  const args = manifests.find((m) => m.kind === 'Deployment')!.spec!.template.spec.containers[0].args;
  const demo = await freePort();
  const file = join(testTempDir('outpost-k8s-'), 'gateway.yaml');
  writeFileSync(file, sample.replaceAll('127.0.0.1:8090', `127.0.0.1:${demo}`));
  const argv = args.map((a) => (a === '--demo-backend' ? `--demo-backend=${demo}` : a.endsWith('/gateway.yaml') ? file : a));
  const proc = spawn(process.execPath, [CLI, ...argv, '--port', '0', '--ops-port', '0', '--workers', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  try {
    const logs: LogLine[] = [];
    const started = await new Promise<LogLine | undefined>((r) => {
      collectJsonLines(proc.stdout, logs, [], (added) => { const s = added.find((l) => l.msg === 'gateway started'); if (s) r(s); });
      void exited.then(() => r(undefined));
    });
    assert.ok(started, JSON.stringify(logs));
    const res = await fetch(`http://127.0.0.1:${started.port as number}/echo/resource?x=1`);
    assert.equal(res.status, 200);
    const body = await res.json() as { path: string; query: string };
    assert.deepEqual([body.path, body.query], ['/resource', 'x=1']);
  } finally {
    proc.kill('SIGTERM');
    await exited;
    clearTimeout(killer);
  }
});
