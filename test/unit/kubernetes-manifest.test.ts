/**
 * config/kubernetes/gateway.yaml: its Pod passes the "restricted" Pod Security Standard, stops
 * gracefully (preStop sleep, then a drain that fits in the grace period), and its sample config
 * is valid and serves an open API from the demo backend the container starts (not 401 for all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { parseConfigText } from '../../src/gateway/config/load-config.js';

/** A parsed manifest: plain YAML data, walked by the keys Kubernetes defines. */
type Obj = Record<string, any>;

const root = resolve(import.meta.dirname, '../../..');
const docs = parseAllDocuments(readFileSync(resolve(root, 'config/kubernetes/gateway.yaml'), 'utf8'));
const manifests = (Array.isArray(docs) ? docs : [docs]).map((d) => {
  assert.deepEqual(d.errors, []);
  return d.toJS() as Obj;
});
const byKind = (kind: string): Obj => {
  const found = manifests.find((m) => m.kind === kind);
  assert.ok(found, `the manifest has a ${kind}`);
  return found;
};
const deployment = byKind('Deployment');
const pod = deployment.spec.template.spec as Obj;
const containers = pod.containers as Obj[];
const sampleText = byKind('ConfigMap').data['gateway.yaml'] as string;

test('the Pod passes the restricted Pod Security Standard', () => {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0);
  assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod[key], true, key);
  assert.ok(containers.length > 0);
  for (const c of [...containers, ...((pod.initContainers as Obj[] | undefined) ?? [])]) {
    const sc = c.securityContext as Obj;
    assert.equal(sc.allowPrivilegeEscalation, false, c.name);
    assert.equal(sc.readOnlyRootFilesystem, true, c.name);
    assert.deepEqual(sc.capabilities?.drop, ['ALL'], c.name);
    assert.equal(sc.capabilities?.add, undefined, c.name);
    assert.notEqual(sc.privileged, true, c.name);
    assert.notEqual(sc.runAsUser, 0, c.name);
    for (const p of (c.ports as Obj[] | undefined) ?? []) assert.equal(p.hostPort, undefined, `${c.name} hostPort`);
  }
});

test('stopping: a preStop sleep, then the drain, within the grace period', () => {
  const gateway = containers.find((c) => (c.args as string[])[0] === 'gateway')!;
  const command = gateway.lifecycle?.preStop?.exec?.command as string[] | undefined;
  assert.ok(command && command[0] === 'sleep', JSON.stringify(gateway.lifecycle));
  const sleep = Number(command[1]);
  assert.ok(sleep >= 1 && sleep <= 30, `preStop sleeps ${command[1]}`);
  const parsed = parseConfigText(sampleText);
  assert.ok(parsed.ok);
  const result = validateGatewayConfig(parsed.value);
  assert.ok(result.ok);
  assert.ok(sleep + result.config.gateway.drainTimeoutSeconds < pod.terminationGracePeriodSeconds,
    'preStop + drainTimeoutSeconds must end before the grace period kills the Pod');
});

test('the sample config is valid and serves an open API from the demo backend the container starts', () => {
  const parsed = parseConfigText(sampleText);
  assert.ok(parsed.ok);
  const result = validateGatewayConfig(parsed.value);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  assert.deepEqual(compilePolicies(result.config).problems, []);
  const open = result.config.apis.filter((a) => !a.subscriptionRequired);
  assert.ok(open.length > 0, 'without an open API (or a documented key) every request gets 401');
  const gateway = containers.find((c) => (c.args as string[])[0] === 'gateway')!;
  const args = gateway.args as string[];
  assert.ok(args.includes('--demo-backend'), 'the sample API\'s backend is the demo backend');
  assert.ok(open.some((a) => a.serviceUrl === 'http://127.0.0.1:8090'), 'an open API points at the demo backend (127.0.0.1:8090)');
  assert.equal(args[args.indexOf('--config') + 1], `${(gateway.volumeMounts as Obj[]).find((m) => m.name === 'config')!.mountPath}/gateway.yaml`);
  const ports = Object.fromEntries((gateway.ports as Obj[]).map((p) => [p.name, p.containerPort]));
  assert.deepEqual([ports.http, ports.ops], [result.config.gateway.port, result.config.gateway.opsPort]);
});

test('the image runs as the user the Pod names, numerically', () => {
  const user = /^USER\s+(\S+)\s*$/m.exec(readFileSync(resolve(root, 'Dockerfile'), 'utf8'))?.[1];
  assert.equal(user, `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
});
