/**
 * What the bench loads: the backend itself (direct), the Outpost gateway, and (nginx.ts) nginx.
 * Each target says where to send requests, which pids burn CPU on its behalf, and how to stop it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnGateway, spawnPinned, stopChild, waitForLine, type Child } from './proc.js';

export interface Target {
  /** Request headers every load request carries (the policy scenario's subscription key). */
  headers?: Record<string, string>;
  name: string;
  /** The URL autocannon hits. */
  url: string;
  /** Processes whose CPU time is the target's cost per request (empty for direct). */
  pids(): number[];
  /** Warn/error lines the target logged so far (gateway: JSON log lines; nginx: its error log). */
  problems(): string[];
  stop(): Promise<void>;
}

export interface Layout {
  repoRoot: string;
  tmpDir: string;
  /** Core for the proxy under test; null when the machine has one core and nothing is pinned. */
  proxyCore: number | null;
  /** Core for the backend and the load generator. */
  loadCore: number | null;
}

/** The path every target serves the backend's answer under; the proxies strip `/bench`. */
export const ITEM_PATH = '/items/123';
export const PROXY_PREFIX = '/bench';

export async function startBackend(layout: Layout): Promise<{ child: Child; port: number }> {
  const child = spawnPinned(layout.loadCore, process.execPath, [join(layout.repoRoot, 'dist/bench/backend.js')]);
  const port = await waitForLine(child, (line) => {
    try { return (JSON.parse(line) as { port?: number }).port; } catch { return undefined; }
  }, 10_000, 'bench backend');
  return { child, port };
}

export function directTarget(backendPort: number): Target {
  return { name: 'direct', url: `http://127.0.0.1:${backendPort}${ITEM_PATH}`, pids: () => [], problems: () => [], stop: async () => {} };
}

/** The subscription key of the policy scenario (a bench-only key, not a secret). */
export const BENCH_KEY = 'bench-subscription-key-0123456789';

/**
 * `withPolicies`: the same API behind a subscription key, rate-limit-by-key and set-header on
 * every request (the policy scenario of the issue), the limit high enough never to reject.
 */
export async function startGateway(layout: Layout, backendPort: number, cpuProfDir: string | null, withPolicies = false): Promise<Target> {
  const policies = {
    inbound: [
      { 'rate-limit-by-key': { calls: 1_000_000_000, 'renewal-period': 3600, 'counter-key': 'subscription' } },
      { 'set-header': { name: 'x-bench', value: 'outpost' } },
    ],
  };
  const config = {
    gateway: { name: 'bench', workers: 1, drainTimeoutSeconds: 5 },
    apis: [{
      id: 'bench', name: 'Bench API', path: PROXY_PREFIX.slice(1), serviceUrl: `http://127.0.0.1:${backendPort}`,
      subscriptionRequired: withPolicies,
      ...(withPolicies ? { policies } : {}),
      operations: [
        { id: 'get-item', method: 'GET', urlTemplate: '/items/{id}' },
        { id: 'anything', method: '*', urlTemplate: '/*' },
      ],
    }],
    subscriptions: withPolicies ? [{ id: 'bench', scope: '/apis/bench', primaryKey: BENCH_KEY }] : [],
  };
  const configFile = join(layout.tmpDir, 'gateway.yaml');
  writeFileSync(configFile, stringify(config));

  const nodeArgs: string[] = [];
  if (cpuProfDir) {
    // Written at exit, one .cpuprofile per thread (primary, request worker, piscina compilers).
    mkdirSync(cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir);
  }
  const gateway = await spawnGateway(layout.repoRoot, layout.proxyCore, configFile, nodeArgs);
  return {
    name: withPolicies ? 'gateway+policies' : 'gateway',
    headers: withPolicies ? { 'ocp-apim-subscription-key': BENCH_KEY } : undefined,
    url: `http://127.0.0.1:${gateway.port}${PROXY_PREFIX}${ITEM_PATH}`,
    pids: () => [gateway.child.pid],
    problems: () => [...gateway.problems],
    stop: () => stopChild(gateway.child),
  };
}
