/**
 * The gateway configuration: the schema, its defaults and its cross-field rules. The same schema
 * validates a local YAML file and (later) what a control plane serves, and every problem is
 * reported with the path of the offending field, e.g. `apis[1].operations[0].urlTemplate`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { backendTlsSchema, listenerTlsSchema, upstreamTlsSchema } from './tls-config.js';
import { parseAddressOrCidr } from '../gateway/policies/ip-address.js';
import { patternShape, splitSuffix, TemplateMemo, type CheckedTemplate } from './url-template.js';
import { foldAscii } from './table-layout.js';
import { apiRequestLogSchema, requestLogSchema, telemetrySchema } from './telemetry-config.js';
export { DEFAULT_LATENCY_BUCKETS } from './telemetry-config.js';
import { backendSchema, certificateSchema, checkBackendReferences } from './backend-schema.js';
import { authorizationSchema, checkAuthorizationReferences } from './authorization-schema.js';
import { operationContractFields, schemaEntitySchema } from './api-contract-schema.js';
import { API_ID_PATTERN, API_PATH_PATTERN, fastApi, fastOperations, HOSTNAME_PATTERN, HTTP_METHODS } from './config-fast-path.js';
import { fragmentSchema, namedValueSchema, policiesSchema, productSchema, subscriptionKeyNamesSchema, subscriptionSchema } from './config-management.js';

export { HTTP_METHODS };

const upstreamSchema = z.object({
  /** Connections per backend origin per worker. */
  connections: z.number().int().min(1).max(4096).default(128),
  connectTimeoutMs: z.number().int().min(1).default(5_000),
  /** Time to wait for the backend's response headers. */
  headersTimeoutMs: z.number().int().min(1).default(60_000),
  /** Longest pause between two body chunks from the backend. */
  bodyTimeoutMs: z.number().int().min(1).default(60_000),
  /** How long an idle keep-alive connection to a backend is kept. */
  keepAliveTimeoutMs: z.number().int().min(1).default(4_000),
  /** Requests that may wait for a connection per backend origin per worker; more get 503 (OUTPOST_ERR_UPSTREAM_BUSY). */
  queueLimit: z.number().int().min(0).max(100_000).default(1_024),
  /**
   * After a connect to an origin fails (refused, unreachable, DNS, connect timeout) while the
   * worker has no open connection to it, its requests fail at once with the same 502/504 for this
   * long, then one request tries to connect again: a dead backend costs a connect attempt per
   * period, not one per request. 0: every request tries to connect.
   */
  connectBackoffMs: z.number().int().min(0).max(60_000).default(250),
  /** CA bundle (added to the system CAs) and client certificate for every https backend. */
  tls: upstreamTlsSchema.optional(),
}).strict();

/** The response cache (cache-lookup / cache-store and the cache-*-value policies). */
const cacheSchema = z.object({
  /** Largest response body (or cache-store-value value) kept; larger ones stream through unstored. */
  maxEntryBytes: z.number().int().min(1).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Byte bound of each worker's in-memory LRU (caching-type internal, or prefer-external without Redis). 0 turns it off. */
  internalMaxBytes: z.number().int().min(0).max(16 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
}).strict();

/**
 * gateway.redis: the external cache and the fleet-wide counters (src/gateway/redis/). Absent:
 * nothing connects. OUTPOST_REDIS_URL replaces `url` (and turns Redis on with these defaults).
 * Restart-only: workers open their connection at start.
 */
export const redisSchema = z.object({
  /** redis://[user:password@]host:port/db or rediss:// (TLS). Password and ACL user go here. */
  url: z.string().superRefine((v, ctx) => {
    const problem = redisUrlProblem(v);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  }).optional(),
  /** Redis Cluster: seed node URLs (redis:// or rediss://); replaces `url`'s host. */
  cluster: z.array(z.string().superRefine((v, ctx) => {
    const problem = redisUrlProblem(v);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  })).min(1).max(64).optional(),
  /** Redis Sentinel: the sentinels (host:port) and the monitored master's name. */
  sentinel: z.object({
    name: z.string().min(1).max(256),
    nodes: z.array(z.string().regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, 'must be host:port')).min(1).max(16),
  }).strict().optional(),
  /** Longest a request waits on one Redis command; past it the answer is "unavailable". */
  commandTimeoutMs: z.number().int().min(1).max(10_000).default(50),
  connectTimeoutMs: z.number().int().min(10).max(60_000).default(2_000),
  /** PEM file of the CA that signs the server's certificate (rediss://). */
  caFile: z.string().min(1).optional(),
  /** Prepended to every key; letters, digits and : . _ - only (no hash-tag braces). */
  keyPrefix: z.string().max(64).regex(/^[A-Za-z0-9:._-]*$/, 'letters, digits and : . _ - only').default('outpost:'),
  /** Consecutive failures that open the circuit breaker. */
  breakerFailures: z.number().int().min(1).max(1000).default(5),
  /** How long the breaker stays open before a probe (doubling on each failed probe, up to 30 s). */
  breakerOpenMs: z.number().int().min(10).max(60_000).default(1_000),
}).strict();

/** Why a Redis URL is unusable, or null. Never quotes the URL (it may hold a password). */
export function redisUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as redis://host:6379/0 or rediss://user:password@host:6380';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return 'must start with redis:// or rediss://';
  if (url.hostname === '') return 'needs a host';
  if (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535)) return 'port must be 1..65535';
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) return 'the path must be a database number such as /0';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  return null;
}
/**
 * Which CPU each worker thread is pinned to (needs the native addon): `auto` puts worker i on the
 * i-th CPU the process may use (mod their count); a list puts worker i on list[i mod length].
 * Absent: no pinning, the kernel schedules the threads.
 */
const MAX_CPU = 1023; // CPU_SETSIZE - 1 on Linux
const cpuAffinitySchema = z.union([
  z.literal('auto'),
  z.array(z.number().int().min(0).max(MAX_CPU)).min(1).max(MAX_CPU + 1),
], { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? `must be "auto" or a list of CPU numbers (0-${MAX_CPU})` : ctx.defaultError }) });

const gatewaySchema = z.object({
  name: z.string().min(1).default('outpost'),
  port: z.number().int().min(0).max(65535).default(8080),
  opsPort: z.number().int().min(0).max(65535).default(9090),
  /** 0 means one worker per core. */
  workers: z.number().int().min(0).max(256).default(0),
  /** Sum of request header names and values; larger requests get 431. */
  maxHeaderBytes: z.number().int().min(1024).max(1 << 20).default(16_384),
  /** Largest request body; larger ones get 413. 0 means no limit. */
  maxBodyBytes: z.number().int().min(0).default(100 * 1024 * 1024),
  /**
   * Largest request body kept whole so a retry can send it again, with forward-request
   * buffer-request-body="true"; larger ones get 413 OUTPOST_ERR_REPLAY_BODY_TOO_LARGE.
   */
  maxReplayBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Most header field lines in a request; more get 431. */
  maxHeaderCount: z.number().int().min(8).max(1000).default(100),
  /** A request head must arrive within this long of its first byte (slowloris): else 408. */
  requestHeadTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** Idle keep-alive client connections are closed after this long. */
  clientIdleTimeoutMs: z.number().int().min(100).max(3_600_000).default(5_000),
  /** A request body that sends nothing for this long is cut off (408 when nothing was answered). */
  requestBodyTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * Peers (addresses or CIDR ranges) whose X-Forwarded-* / Forwarded / X-Real-IP headers are
   * believed. From anyone else those headers are replaced by what the gateway saw.
   */
  trustedProxies: z.array(z.string().superRefine((v, ctx) => {
    const r = parseAddressOrCidr(v);
    if (typeof r === 'string') ctx.addIssue({ code: z.ZodIssueCode.custom, message: r });
  })).max(1000).default([]),
  /** How long SIGTERM waits for in-flight requests before closing them. */
  drainTimeoutSeconds: z.number().min(0).max(3600).default(30),
  /**
   * Requests each worker sends through its own request path on loopback before it listens, so its
   * first clients meet optimized code (README, Operations: Warm-up). 0: none. Restart-only.
   */
  warmupRequests: z.number().int().min(0).max(100_000).default(10_000), // bound: MAX_WARMUP_REQUESTS (cli/gateway-options.ts)
  cpuAffinity: cpuAffinitySchema.optional(),
  upstream: upstreamSchema.default({}),
  /** One JSON line per request on stdout (README, Request logs). */
  requestLog: requestLogSchema.default({}),
  telemetry: telemetrySchema.default({}),
  cache: cacheSchema.default({}),
  redis: redisSchema.optional(),
  /** The HTTPS listener; absent means none. */
  tls: listenerTlsSchema.optional(),
}).strict();

const operationSchema = z.object({
  id: z.string().min(1),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(HTTP_METHODS)),
  urlTemplate: z.string().startsWith('/', { message: 'must start with "/"' }),
  policies: policiesSchema.optional(),
  /** What the validation policies check against (api-contract-schema.ts): parameters, request and responses. */
  ...operationContractFields,
}).strict();

/**
 * The operation schema, or (in the fast schema) the hand-written check of config-fast-path.ts,
 * which accepts exactly the common case (id, method, urlTemplate, no policies, all well-formed)
 * and gives what operationSchema gives for it. Anything else goes through operationSchema, and
 * if that fails the whole config is validated again by the plain schema, so every problem and its
 * path stay exactly the same.
 */
type OperationOutput = z.output<typeof operationSchema>;

const plainOperationsSchema = z.array(operationSchema).min(1, 'an API needs at least one operation');

/** The whole array in one step: zod's per-element bookkeeping (paths, effects) was most of the cost. */
const fastOperationsSchema = z.unknown().transform((value, ctx): OperationOutput[] => {
  const fast = fastOperations(value);
  if (fast !== null) return fast;
  const full = plainOperationsSchema.safeParse(value);
  if (full.success) return full.data;
  ctx.addIssue({ code: 'custom', message: 'revalidate with the plain schema', fatal: true });
  return z.NEVER;
});

function apiSchemaWith<Ops extends z.ZodType<OperationOutput[], z.ZodTypeDef, unknown>>(operations: Ops) {
  return z.object({
    id: z.string().min(1).regex(API_ID_PATTERN, 'letters, digits and . _ ~ - only'),
    name: z.string().min(1),
    /** The API URL suffix: requests under /{path}/ go to this API. "" serves the root. */
    path: z.string().regex(API_PATH_PATTERN, 'must be URL path segments such as "echo" or "v1/orders"'),
    serviceUrl: z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL'),
    hostnames: z.array(z.string().min(1).regex(HOSTNAME_PATTERN, 'must be a host name without port')).optional(),
    /** Send the client's Host header to the backend instead of the backend's own. */
    preserveHost: z.boolean().default(false),
    operations,
    /** As in APIM: true unless the API is declared open. */
    subscriptionRequired: z.boolean().default(true),
    subscriptionKeyParameterNames: subscriptionKeyNamesSchema.default({}),
    policies: policiesSchema.optional(),
    /** https backends of this API: extra CA, client certificate (mTLS), or no verification at all. */
    backendTls: backendTlsSchema.optional(),
    /** false: no request-log line for this API's requests (metrics still count them). */
    requestLog: apiRequestLogSchema,
  }).strict();
}

/** An API as the plain schema checks it (without the cross-field rules): what fastApi must agree with (tests). */
export const plainApiSchema = apiSchemaWith(plainOperationsSchema);
type ApiOutput = z.output<typeof plainApiSchema>;
/** One API with the fast operations check, for an API fastApi does not answer. */
const fastApiSchema = apiSchemaWith(fastOperationsSchema);

/**
 * `values` checked as APIs, each by fastApi when it answers, else by the schema with the fast
 * operations check, appended to `into`; false as soon as one is not valid. `serviceUrls`: the URL checks so far.
 */
function checkApis(values: readonly unknown[], serviceUrls: Map<string, boolean>, into: ApiOutput[]): boolean {
  for (const value of values) {
    const fast = fastApi(value, isHttpUrl, serviceUrls);
    if (fast !== null) { into.push(fast); continue; }
    const checked = fastApiSchema.safeParse(value);
    if (!checked.success) return false;
    into.push(checked.data);
  }
  return true;
}

/** The APIs array in one step (the fast schema): anything invalid fails it, without detail. */
const fastApisSchema = z.unknown().transform((value, ctx): ApiOutput[] => {
  const out: ApiOutput[] = [];
  if (Array.isArray(value) && checkApis(value, new Map(), out)) return out;
  ctx.addIssue({ code: 'custom', message: 'revalidate with the plain schema', fatal: true });
  return z.NEVER;
});

function shapeWith<Apis extends z.ZodType<ApiOutput[], z.ZodTypeDef, unknown>>(apis: Apis) {
  return z.object({
    gateway: gatewaySchema.default({}),
    apis: apis.default([]),
    products: z.array(productSchema).default([]),
    subscriptions: z.array(subscriptionSchema).default([]),
    namedValues: z.array(namedValueSchema).default([]),
    /** Policy fragments, inserted by include-fragment (see src/gateway/pipeline/fragments.ts). */
    fragments: z.array(fragmentSchema).max(1000).default([]),
    /** Backend entities, reached by set-backend-service backend-id (see src/gateway/backends/). */
    backends: z.array(backendSchema).max(1000).default([]),
    /** JSON schemas named by validate-content schema-id (APIM's service-level schemas). */
    schemas: z.array(schemaEntitySchema).max(1000).optional(),
    /** Client certificates for authentication-certificate certificate-id. */
    certificates: z.array(certificateSchema).max(100).default([]),
    /** Access tokens for get-authorization-context (APIM's credential manager connections). */
    authorizations: z.array(authorizationSchema).max(100).default([]),
    /** Global policies: the outermost scope. */
    policies: policiesSchema.optional(),
  }).strict();
}

const baseShape = shapeWith(z.array(plainApiSchema));
/** The whole document (validateGatewayConfig's first try), and the document without its APIs (validateInParts). */
const fastShape = shapeWith(fastApisSchema);
type BaseConfig = z.infer<typeof baseShape>;

export const gatewayConfigSchema = baseShape.superRefine(crossFieldRules);
/** Same output for valid configs, much faster on large ones; fails (without detail) on invalid ones. */
const fastConfigSchema = fastShape.superRefine(crossFieldRules);

/** A bit per method (operation methods are validated upper case, one of HTTP_METHODS). */
const METHOD_BITS: ReadonlyMap<string, number> = new Map(HTTP_METHODS.map((m, i) => [m, 1 << i]));

function crossFieldRules(config: BaseConfig, ctx: z.RefinementCtx): void {
  checkManagementReferences(config, ctx);
  const tls = config.gateway.tls;
  if (tls !== undefined && tls.port !== 0 && tls.port === config.gateway.port) {
    ctx.addIssue({ code: 'custom', path: ['gateway', 'tls', 'port'], message: `must differ from gateway.port (${config.gateway.port})` });
  }
  checkBackendReferences(config.backends, new Map(config.namedValues.map((v) => [v.name, v.value])), ctx);
  checkAuthorizationReferences(config.authorizations, new Set(config.namedValues.map((v) => v.name)), ctx);
  const apiIds = new Set<string>();
  const suffixHosts = new Set<string>();
  const templates = new TemplateMemo();
  // A template's routing shape (what two operations of one API must not share), once per template.
  const shapes = new Map<CheckedTemplate, string>();
  const shapeOf = (checked: CheckedTemplate): string => {
    let shape = shapes.get(checked);
    if (shape === undefined) {
      shape = checked.path.map((s) => (s.kind === 'static' ? foldAscii(s.value) : s.kind === 'param' ? '\u0001{}' : s.kind === 'pattern' ? `\u0002${patternShape(s)}` : '\u0001*')).join('\u0000');
      shapes.set(checked, shape);
    }
    return shape;
  };
  const schemaIds = new Set<string>();
  config.schemas?.forEach((sc, i) => {
    if (schemaIds.has(sc.id)) ctx.addIssue({ code: 'custom', path: ['schemas', i, 'id'], message: `duplicate schema id "${sc.id}"` });
    schemaIds.add(sc.id);
  });
  // An API's operation ids and its operations' routing shapes, emptied for each API (not made anew 50,000 times).
  const opIds = new Set<string>();
  const opShapes = new Map<string, number>();
  config.apis.forEach((api, a) => {
    if (apiIds.has(api.id)) ctx.addIssue({ code: 'custom', path: ['apis', a, 'id'], message: `duplicate API id "${api.id}"` });
    apiIds.add(api.id);
    const segments = splitSuffix(api.path);
    if (typeof segments === 'string') {
      ctx.addIssue({ code: 'custom', path: ['apis', a, 'path'], message: segments });
      return;
    }
    // Keys compare what the router compares: decoded segments, ASCII case folded.
    const suffix = segments.map(foldAscii).join('\u0000');
    for (const host of api.hostnames ?? ['*']) {
      const key = `${host.toLowerCase()} ${suffix}`;
      if (suffixHosts.has(key)) ctx.addIssue({ code: 'custom', path: ['apis', a, 'path'], message: `another API already uses path "${api.path}" for host ${host}` });
      suffixHosts.add(key);
    }
    opIds.clear();
    opShapes.clear();
    api.operations.forEach((op, o) => {
      // Only an operation with a contract has references to check (most have none: no path array and sets for each).
      if (op.parameters !== undefined || op.request !== undefined || op.responses !== undefined) checkContractReferences(op, schemaIds, ['apis', a, 'operations', o], ctx);
      if (opIds.has(op.id)) ctx.addIssue({ code: 'custom', path: ['apis', a, 'operations', o, 'id'], message: `duplicate operation id "${op.id}"` });
      opIds.add(op.id);
      const checked = templates.check(op.urlTemplate);
      if (typeof checked === 'string') {
        ctx.addIssue({ code: 'custom', path: ['apis', a, 'operations', o, 'urlTemplate'], message: checked });
        return;
      }
      // The methods seen with each shape, as bits: a set of `${method} ${shape}` strings made
      // 500,000 strings for a 50,000-API config.
      const shape = shapeOf(checked);
      const seen = opShapes.get(shape) ?? 0;
      const bit = METHOD_BITS.get(op.method)!;
      if ((seen & bit) !== 0) ctx.addIssue({ code: 'custom', path: ['apis', a, 'operations', o, 'urlTemplate'], message: `another ${op.method} operation of this API already matches "${op.urlTemplate}"` });
      opShapes.set(shape, seen | bit);
    });
  });
}

/** An operation's representations name existing schemas; a parameter is declared once. */
function checkContractReferences(op: BaseConfig['apis'][number]['operations'][number], schemaIds: ReadonlySet<string>, at: Array<string | number>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  op.parameters?.forEach((p, i) => {
    const key = `${p.in} ${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [...at, 'parameters', i, 'name'], message: `${p.in} parameter "${p.name}" is declared twice` });
    seen.add(key);
  });
  const checkReps = (reps: ReadonlyArray<{ schemaId?: string }>, path: Array<string | number>) => reps.forEach((r, i) => {
    if (r.schemaId !== undefined && !schemaIds.has(r.schemaId)) ctx.addIssue({ code: 'custom', path: [...path, i, 'schemaId'], message: `no schema with id "${r.schemaId}"` });
  });
  if (op.request !== undefined) checkReps(op.request.representations, [...at, 'request', 'representations']);
  const statuses = new Set<number>();
  op.responses?.forEach((r, i) => {
    if (statuses.has(r.statusCode)) ctx.addIssue({ code: 'custom', path: [...at, 'responses', i, 'statusCode'], message: `status ${r.statusCode} is declared twice` });
    statuses.add(r.statusCode);
    checkReps(r.representations, [...at, 'responses', i, 'representations']);
  });
}

/** Products name existing APIs; subscriptions name existing products or APIs; ids and keys are unique. */
function checkManagementReferences(config: BaseConfig, ctx: z.RefinementCtx): void {
  const apiIds = new Set(config.apis.map((a) => a.id));
  const productIds = new Set<string>();
  config.products.forEach((p, i) => {
    if (productIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['products', i, 'id'], message: `duplicate product id "${p.id}"` });
    productIds.add(p.id);
    p.apis.forEach((apiId, j) => {
      if (!apiIds.has(apiId)) ctx.addIssue({ code: 'custom', path: ['products', i, 'apis', j], message: `no API with id "${apiId}"` });
    });
  });
  const subIds = new Set<string>();
  const keys = new Map<string, string>();
  config.subscriptions.forEach((s, i) => {
    if (subIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, 'id'], message: `duplicate subscription id "${s.id}"` });
    subIds.add(s.id);
    const [, kind, id] = s.scope.split('/');
    if (kind === 'products' && !productIds.has(id)) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, 'scope'], message: `no product with id "${id}"` });
    if (kind === 'apis' && id !== undefined && !apiIds.has(id)) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, 'scope'], message: `no API with id "${id}"` });
    // Compared as hashes: a plain key and the hash of the same key are the same key.
    for (const field of ['primaryKey', 'primaryKeyHash', 'secondaryKey', 'secondaryKeyHash'] as const) {
      const key = s[field];
      if (key === undefined) continue;
      const hash = key.startsWith('sha256:') ? key.slice(7) : createHash('sha256').update(key, 'utf8').digest('hex');
      const other = keys.get(hash);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, field], message: `the same key is already used by ${other}` });
      keys.set(hash, `subscription "${s.id}"`);
    }
  });
  const certificateIds = new Set<string>();
  config.certificates.forEach((c, i) => {
    if (certificateIds.has(c.id)) ctx.addIssue({ code: 'custom', path: ['certificates', i, 'id'], message: `duplicate certificate id "${c.id}"` });
    certificateIds.add(c.id);
  });
  const fragmentIds = new Set<string>();
  config.fragments.forEach((f, i) => {
    if (fragmentIds.has(f.id)) ctx.addIssue({ code: 'custom', path: ['fragments', i, 'id'], message: `duplicate fragment "${f.id}"` });
    fragmentIds.add(f.id);
  });
  const names = new Set<string>();
  config.namedValues.forEach((v, i) => {
    if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['namedValues', i, 'name'], message: `duplicate named value "${v.name}"` });
    names.add(v.name);
  });
}

/** serviceUrl's check: an absolute http(s) URL with a host. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type ApiConfig = GatewayConfig['apis'][number];
export type OperationConfig = ApiConfig['operations'][number];
export type GatewaySettings = GatewayConfig['gateway'];
export type RedisConfig = z.output<typeof redisSchema>;

export interface ConfigProblem {
  /** e.g. `apis[1].operations[0].urlTemplate`; empty for the document itself. */
  path: string;
  message: string;
  /** What kind of problem; absent means OUTPOST_ERR_CONFIG_INVALID (a field breaks the schema). */
  code?: ConfigProblemCode;
  /** 1-based position in the file, for problems found while reading it (YAML syntax). */
  line?: number;
  column?: number;
}

export type ConfigProblemCode = 'OUTPOST_ERR_CONFIG_INVALID' | 'OUTPOST_ERR_CONFIG_UNREADABLE' | 'OUTPOST_ERR_POLICY_INVALID' | 'OUTPOST_ERR_TLS_FILE_INVALID';

/** One code for a list of problems (a log line, the error that stops startup): theirs if they share one. */
export function problemsCode(problems: readonly ConfigProblem[]): ConfigProblemCode {
  const first = problems[0]?.code ?? 'OUTPOST_ERR_CONFIG_INVALID';
  return problems.every((p) => (p.code ?? 'OUTPOST_ERR_CONFIG_INVALID') === first) ? first : 'OUTPOST_ERR_CONFIG_INVALID';
}

export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

export type ValidationResult = { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * validateGatewayConfig's answer for a valid config whose APIs come in batches (a JSON file read
 * in parts, config/json-parts.ts): `shell` is the document with an empty `apis`, `batches` yields
 * the APIs in order. Each batch is validated as it comes, so its raw objects are garbage before
 * the next batch is parsed, instead of the whole parsed document surviving beside its validated
 * copy. null as soon as anything is not valid, with no detail: the caller then validates the
 * whole document with validateGatewayConfig, whose problems (and paths) are the reference.
 */
export function validateInParts(shell: unknown, batches: Iterable<unknown[]>): GatewayConfig | null {
  const top = fastShape.safeParse(shell);
  if (!top.success || top.data.apis.length > 0) return null;
  const apis: ApiConfig[] = [];
  const serviceUrls = new Map<string, boolean>();
  for (const batch of batches) if (!checkApis(batch, serviceUrls, apis)) return null;
  // Spread, then `apis` replaced: the key keeps its place, as in the schema's own output.
  const config: GatewayConfig = { ...top.data, apis };
  let failed = false;
  crossFieldRules(config, { addIssue: () => { failed = true; }, path: [] });
  return failed ? null : config;
}

export function validateGatewayConfig(input: unknown): ValidationResult {
  const fast = fastConfigSchema.safeParse(input ?? {});
  if (fast.success) return { ok: true, config: fast.data };
  const result = gatewayConfigSchema.safeParse(input ?? {});
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.flatMap((issue) => issue.code === 'unrecognized_keys'
    // One problem per unknown key, at the key's own path: `apis[0].serviceURL: unknown field`.
    ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }))
    : [{ path: formatPath(issue.path), message: issue.message }]);
  return { ok: false, problems };
}
