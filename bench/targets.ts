/**
 * What the bench loads. Each target says where to send requests, which pids burn CPU on its
 * behalf, how many cores it may use, and how to stop it. The gateway lives here; the peers are in
 * nginx.ts, haproxy.ts and caddy.ts. The bench knows the gateway only by its command line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { logProblems, processGroup, spawnGateway, stopChild } from './proc.js';

export interface Target {
  name: string;
  /** The URL wrk hits. */
  url: string;
  /** Request headers every load request carries (the policy scenario's subscription key). */
  headers?: Record<string, string>;
  /** Cores the target may run on: its CPU share is judged against this many. */
  cores: number;
  /** Processes whose CPU time is the target's cost per request (all their threads count). */
  pids(): number[];
  /** Warn/error lines the target logged so far. */
  problems(): string[];
  /**
   * The gateway only: what it measures of itself (its /metrics on the ops port): the workers'
   * sampled end-of-request telemetry hook, cumulative. Read before and after a run.
   */
  selfReport?(): Promise<SelfReport>;
  /** The gateway only: the primary thread (the process's main thread: stdout writer, telemetry merge). */
  primaryTid?: number;
  stop(): Promise<void>;
}

/** What the gateway measures of itself (cumulative): its end-of-request telemetry hook, one call in 64 timed. */
export interface SelfReport { hookSeconds: number; hookSamples: number }

export interface Layout {
  repoRoot: string;
  tmpDir: string;
  /** Core for the proxy under test; null when the machine has one core and nothing is pinned. */
  proxyCore: number | null;
  /** Core for the backend and the load generator. */
  loadCore: number | null;
  /** Cores for the two-worker gateway ("0,1"), null when unpinned. */
  allCores: string | null;
}

/** The path the backend serves; the proxies serve it under PROXY_PREFIX and strip the prefix. */
export const ITEM_PATH = '/items/123';
export const PROXY_PREFIX = '/bench';

/** The subscription key of the policy scenario (a bench-only key, not a secret). */
export const BENCH_KEY = 'bench-subscription-key-0123456789';
export const KEY_HEADER = 'ocp-apim-subscription-key';

export type GatewayVariant = 'plain' | 'policies' | 'workers2' | 'https' | 'telemetry-off' | 'metrics-only';

/** What the gateway records: metrics and request logs (the defaults), metrics only, or neither. */
export type TelemetryMode = 'all' | 'metrics' | 'off';

/** A self-signed EC certificate for the https scenario, made once per bench run with the openssl CLI. */
function benchCertificate(tmpDir: string): { certFile: string; keyFile: string } {
  const certFile = join(tmpDir, 'bench-cert.pem');
  const keyFile = join(tmpDir, 'bench-key.pem');
  if (!existsSync(certFile)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return { certFile, keyFile };
}

/**
 * One API, `GET /items/{id}` → the backend. `policies` adds the policy set on every request:
 * subscription key, rate-limit-by-key (a limit it never reaches) and set-header.
 */
export function gatewayConfig(backendPort: number, withPolicies: boolean, tls?: { certFile: string; keyFile: string }, telemetry: TelemetryMode = 'all'): object {
  const policies = {
    inbound: [
      { 'rate-limit-by-key': { calls: 1_000_000_000, 'renewal-period': 300, 'counter-key': 'subscription' } },
      { 'set-header': { name: 'x-bench', value: 'outpost' } },
    ],
  };
  return {
    gateway: { name: 'bench', drainTimeoutSeconds: 5, ...(tls ? { tls: { port: 0, certificates: [tls] } } : {}), ...(telemetry === 'all' ? {} : { telemetry: { enabled: telemetry === 'metrics' }, requestLog: { enabled: false } }) },
    apis: [{
      id: 'bench', name: 'Bench API', path: PROXY_PREFIX.slice(1), serviceUrl: `http://127.0.0.1:${backendPort}`,
      subscriptionRequired: withPolicies,
      ...(withPolicies ? { policies } : {}),
      operations: [{ id: 'get-item', method: 'GET', urlTemplate: '/items/{id}' }],
    }],
    subscriptions: withPolicies ? [{ id: 'bench', scope: '/apis/bench', primaryKey: BENCH_KEY }] : [],
  };
}

/**
 * `plain` and `policies`: one worker (primary + one worker thread) alone on the proxy core.
 * `workers2`: two workers on both cores (the load core is shared with backend and wrk, so only its
 * CPU per request is meaningful). `cpuProfDir` starts it with --cpu-prof (one profile per thread).
 */
export async function startGateway(layout: Layout, backendPort: number, variant: GatewayVariant, cpuProfDir: string | null, tag: string = variant): Promise<Target> {
  // `tag` names its files: two gateways of one variant at once (bench:ab's A/A run) need two.
  const configFile = join(layout.tmpDir, `gateway-${tag}.yaml`);
  const tls = variant === 'https' ? benchCertificate(layout.tmpDir) : undefined;
  writeFileSync(configFile, stringify(gatewayConfig(backendPort, variant === 'policies', tls, variant === 'telemetry-off' ? 'off' : variant === 'metrics-only' ? 'metrics' : 'all')));
  const nodeArgs: string[] = [];
  if (cpuProfDir) {
    mkdirSync(cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir);
  }
  const workers = variant === 'workers2' ? 2 : 1;
  const core = variant === 'workers2' ? layout.allCores : layout.proxyCore;
  const logFile = join(layout.tmpDir, `gateway-${tag}.log`);
  const gateway = await spawnGateway(layout.repoRoot, core, configFile, nodeArgs, workers, logFile);
  return {
    name: 'gateway',
    headers: variant === 'policies' ? { [KEY_HEADER]: BENCH_KEY } : undefined,
    url: variant === 'https'
      ? `https://127.0.0.1:${gateway.httpsPort}${PROXY_PREFIX}${ITEM_PATH}`
      : `http://127.0.0.1:${gateway.port}${PROXY_PREFIX}${ITEM_PATH}`,
    cores: workers,
    pids: () => processGroup(gateway.child.pid),
    selfReport: () => hookSummary(gateway.opsPort),
    primaryTid: gateway.child.pid,
    problems: () => [...new Set([...gateway.problems, ...logProblems(logFile)])].slice(0, 20),
    // Each run's log can be tens of MB of request lines: gone with the run.
    stop: async () => { await stopChild(gateway.child); rmSync(logFile, { force: true }); },
  };
}

/** The gateway's outpost_telemetry_hook_seconds summary (sum and count) from its /metrics. */
async function hookSummary(opsPort: number): Promise<SelfReport> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.slice(name.length + 1));
  };
  return { hookSeconds: value('outpost_telemetry_hook_seconds_sum'), hookSamples: value('outpost_telemetry_hook_seconds_count') };
}
