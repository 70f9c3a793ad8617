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

/** Each kind the manifest uses, by apiVersion/kind, with its model from kubernetes-models (JSON schemas + ajv). */
type Model = new (data: Obj) => { validate(): void };
/** The models type their input per kind; here they take parsed YAML, which validate() checks. */
const model = (m: unknown): Model => m as Model;
const MODELS: Record<string, Promise<Model>> = {
  'v1/ConfigMap': import('kubernetes-models/v1/ConfigMap').then((m) => model(m.ConfigMap)),
  'v1/Secret': import('kubernetes-models/v1/Secret').then((m) => model(m.Secret)),
  'v1/PersistentVolumeClaim': import('kubernetes-models/v1/PersistentVolumeClaim').then((m) => model(m.PersistentVolumeClaim)),
  'v1/Service': import('kubernetes-models/v1/Service').then((m) => model(m.Service)),
  'apps/v1/Deployment': import('kubernetes-models/apps/v1/Deployment').then((m) => model(m.Deployment)),
  'policy/v1/PodDisruptionBudget': import('kubernetes-models/policy/v1/PodDisruptionBudget').then((m) => model(m.PodDisruptionBudget)),
  'autoscaling/v2/HorizontalPodAutoscaler': import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').then((m) => model(m.HorizontalPodAutoscaler)),
};

test('every document validates against its Kubernetes schema', async () => {
  assert.deepEqual(manifests.map((m) => m.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Secret', 'Service']);
  for (const m of manifests) {
    const Model = await MODELS[`${m.apiVersion}/${m.kind}`];
    assert.ok(Model, `a schema for ${m.apiVersion} ${m.kind}`);
    assert.doesNotThrow(() => new Model(m).validate(), `${m.kind} ${m.metadata?.name}`);
  }
  // The validator does reject what the API server would: a wrong type, a missing required field.
  const Deployment = await MODELS['apps/v1/Deployment'];
  assert.throws(() => new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } }).validate(), /replicas/);
  const { selector: _dropped, ...noSelector } = deployment.spec as Obj;
  assert.throws(() => new Deployment({ ...deployment, spec: noSelector }).validate(), /selector/);
});

test('rolling updates keep capacity; probes on the ops port; resources bounded', () => {
  assert.ok(deployment.spec.replicas >= 2);
  assert.equal(deployment.spec.strategy.type, 'RollingUpdate');
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  assert.equal(pod.terminationGracePeriodSeconds, 60);
  const gateway = containers.find((c) => (c.args as string[])[0] === 'gateway')!;
  const ports = Object.fromEntries((gateway.ports as Obj[]).map((p) => [p.name, p.containerPort]));
  assert.deepEqual(ports, { http: 8080, https: 8081, ops: 9090 });
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) assert.equal(gateway[probe]?.httpGet?.port, 'ops', probe);
  assert.equal(gateway.readinessProbe.httpGet.path, '/health/ready');
  assert.equal(gateway.livenessProbe.httpGet.path, '/health/live');
  for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(gateway.resources?.[kind]?.[r], `${kind}.${r}`);
});

test('Service on 8080 and 8081; env.conf from a Secret; the backup on a claim; PDB and HPA aim at the Pods', () => {
  const labels = deployment.spec.template.metadata.labels as Obj;
  const service = byKind('Service');
  assert.deepEqual(service.spec.selector, labels);
  assert.deepEqual((service.spec.ports as Obj[]).map((p) => [p.port, p.targetPort]), [[8080, 'http'], [8081, 'https']]);
  const gateway = containers.find((c) => (c.args as string[])[0] === 'gateway')!;
  const mountOf = (volume: Obj) => (gateway.volumeMounts as Obj[]).find((m) => m.name === volume.name);
  const volumes = pod.volumes as Obj[];
  const secret = byKind('Secret');
  assert.ok(typeof secret.stringData['env.conf'] === 'string');
  const secretVolume = volumes.find((v) => v.secret?.secretName === secret.metadata.name)!;
  assert.equal(mountOf(secretVolume)?.readOnly, true);
  const claim = byKind('PersistentVolumeClaim');
  const backupVolume = volumes.find((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name)!;
  assert.equal(mountOf(backupVolume)?.mountPath, '/var/lib/outpost');
  assert.ok((claim.spec.accessModes as string[]).includes('ReadWriteMany'), 'every replica mounts the claim');
  assert.equal(pod.securityContext.fsGroup, pod.securityContext.runAsGroup, 'the volumes are writable by the gateway\'s group');
  assert.deepEqual(byKind('PodDisruptionBudget').spec.selector.matchLabels, labels);
  const hpa = byKind('HorizontalPodAutoscaler');
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  assert.deepEqual((hpa.spec.metrics as Obj[]).map((m) => [m.type, m.resource?.name]), [['Resource', 'cpu']]);
});
