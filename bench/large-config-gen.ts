/**
 * Generates large gateway configs for the large-config bench: N APIs × 10 operations with
 * realistic templates (static segments, `{param}`s, one `/*`), every 25th API with host names,
 * every 100th with an API-scope rate limit, a few products and one global policy. Deterministic:
 * the same N gives the same config, so runs compare.
 */
const RESOURCES = ['orders', 'customers', 'invoices', 'shipments', 'products', 'accounts', 'payments', 'tickets', 'devices', 'reports'];
const CHILDREN = ['items', 'notes', 'events', 'lines', 'attachments'];

export interface LargeConfigOptions {
  apis: number;
  serviceUrl: string;
  /** A global set-header and API-scope rate limits on every 100th API (default true). */
  policies?: boolean;
}

/**
 * An API's shape depends on its index modulo 25 (host names), 3 (path depth), 10 and 5 (resource
 * and child names), 2 (version) and 7 (host name): APIs `SHAPE_PERIOD` apart are alike but for
 * their numbers. Keep it the least common multiple of the moduli used below.
 */
export const SHAPE_PERIOD = 1050;

export interface GeneratedOperation { id: string; method: string; urlTemplate: string }

/** The 10 operations of API `i`: resource names vary with `i` so tries are not all alike. */
export function operationsFor(i: number): GeneratedOperation[] {
  const r = RESOURCES[i % RESOURCES.length];
  const c = CHILDREN[i % CHILDREN.length];
  const id = `${r.slice(0, -1)}Id`;
  return [
    { id: `list-${r}`, method: 'GET', urlTemplate: `/${r}` },
    { id: `create-${r}`, method: 'POST', urlTemplate: `/${r}` },
    { id: `get-${r}`, method: 'GET', urlTemplate: `/${r}/{${id}}` },
    { id: `replace-${r}`, method: 'PUT', urlTemplate: `/${r}/{${id}}` },
    { id: `delete-${r}`, method: 'DELETE', urlTemplate: `/${r}/{${id}}` },
    { id: `list-${c}`, method: 'GET', urlTemplate: `/${r}/{${id}}/${c}` },
    { id: `get-${c}`, method: 'GET', urlTemplate: `/${r}/{${id}}/${c}/{childId}` },
    { id: `search-${r}`, method: 'GET', urlTemplate: `/search/${r}?q={query}` },
    { id: 'health', method: 'GET', urlTemplate: '/health' },
    { id: 'files', method: 'GET', urlTemplate: '/files/*' },
  ];
}

/** API `i`'s URL suffix: two or three segments, grouped by team. */
export function apiPath(i: number): string {
  return i % 3 === 0 ? `team${i % 97}/svc${i}/v1` : `svc${i}/v${1 + (i % 2)}`;
}

export function apiHostnames(i: number): string[] | undefined {
  return i % 25 === 0 ? [`api${i % 7}.example.com`] : undefined;
}

export function largeConfig(opts: LargeConfigOptions): Record<string, unknown> {
  const policies = opts.policies ?? true;
  const apis = Array.from({ length: opts.apis }, (_, i) => ({
    id: `api-${i}`,
    name: `Service ${i}`,
    path: apiPath(i),
    serviceUrl: `${opts.serviceUrl}/svc${i % 10}`,
    ...(apiHostnames(i) ? { hostnames: apiHostnames(i) } : {}),
    subscriptionRequired: false,
    operations: operationsFor(i),
    ...(policies && i % 100 === 0 ? { policies: { inbound: [{ base: {} }, { 'rate-limit': { calls: 1_000_000, 'renewal-period': 60 } }] } } : {}),
  }));
  const products = Array.from({ length: Math.min(5, Math.ceil(opts.apis / 1000)) }, (_, p) => ({
    id: `product-${p}`, name: `Product ${p}`,
    apis: apis.filter((_, i) => i % 1000 === p).map((a) => a.id),
  }));
  return {
    gateway: { drainTimeoutSeconds: 5 },
    apis,
    products,
    ...(policies ? { policies: { inbound: [{ 'set-header': { name: 'X-Gateway', 'exists-action': 'override', value: 'outpost' } }] } } : {}),
  };
}

/** A realistic request path for API `i`, operation `o` (what the match micro-benchmark looks up). */
export function samplePath(i: number, o: number): { method: string; host: string; path: string } {
  const ops = operationsFor(i);
  const op = ops[o % ops.length];
  // The template's query part too: its parameters are required (a request without them matches no operation).
  const path = op.urlTemplate
    .replace(/\{[^}]+\}/g, (_, k: number) => `id${(i * 31 + o + k) % 100000}`)
    .replace('*', 'a/b.txt');
  const host = apiHostnames(i)?.[0] ?? 'localhost';
  return { method: op.method, host, path: `/${apiPath(i)}${path}` };
}
