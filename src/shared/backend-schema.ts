/**
 * Backends as config entities, the shape of APIM's backend entity: a URL with credentials, TLS
 * settings, a circuit breaker, or a load-balanced pool of other backends. Policies reach them
 * through `<set-backend-service backend-id="..."/>`. Every problem names its field path.
 */
import { z } from 'zod';
import { headerNameProblem, headerValueProblem } from './http-syntax.js';

const ID = /^[A-Za-z0-9._~-]+$/;

/** Upper bounds: APIM allows 30 backends in a pool and one circuit-breaker rule. */
export const MAX_POOL_SERVICES = 30;
const MAX_DURATION_MS = 24 * 3600 * 1000;

/**
 * An ISO 8601 duration as APIM writes them (PT1M, PT30S, PT1H30M, P1D): milliseconds, or null
 * when the text is not one. Years and months have no fixed length and are refused.
 */
export function parseIsoDuration(text: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (m === null || text === 'P' || text.endsWith('T')) return null;
  const [, d, h, min, s] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60 + Number(s ?? 0)) * 1000;
}

const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseIsoDuration(text);
  if (ms === null || ms <= 0 || ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 duration such as PT1M or PT30S, above zero and at most one day, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

const headerNameSchema = z.string().superRefine((name, ctx) => {
  const problem = headerNameProblem(name);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});
const headerValueSchema = z.string().superRefine((value, ctx) => {
  const problem = headerValueProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const credentialsSchema = z.object({
  /** Headers added to every request sent to this backend: `{ name: [values] }`. */
  header: z.record(headerNameSchema, z.array(headerValueSchema).min(1).max(16)).default({}),
  /** Query parameters added likewise. */
  query: z.record(z.string().min(1).max(256), z.array(z.string().max(4096)).min(1).max(16)).default({}),
  /** Authorization: `<scheme> <parameter>`. */
  authorization: z.object({
    scheme: z.string().min(1).max(64).regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a token such as Basic or Bearer'),
    parameter: headerValueSchema,
  }).strict().optional(),
}).strict();

/** The backend's TLS checks. Outpost's upstream client always validates both; false is refused until it can skip them. */
const tlsSchema = z.object({
  validateCertificateChain: z.literal(true, { errorMap: () => ({ message: 'must be true: Outpost always validates the backend certificate chain' }) }).default(true),
  validateCertificateName: z.literal(true, { errorMap: () => ({ message: 'must be true: Outpost always validates the backend certificate name' }) }).default(true),
}).strict();

const statusRangeSchema = z.object({
  min: z.number().int().min(100).max(599),
  max: z.number().int().min(100).max(599),
}).strict().refine((r) => r.min <= r.max, { message: 'min must not exceed max', path: ['max'] });

/** Outpost's coded backend failures a rule may count; absent = every connection failure and timeout. */
export const BREAKER_ERROR_REASONS = ['OUTPOST_ERR_BACKEND_UNREACHABLE', 'OUTPOST_ERR_BACKEND_TIMEOUT', 'OUTPOST_ERR_BACKEND_PROTOCOL'] as const;

const ruleSchema = z.object({
  name: z.string().max(256).optional(),
  failureCondition: z.object({
    /** Failures within `interval` that trip the breaker. */
    count: z.number().int().min(1).max(10_000),
    interval: durationSchema,
    statusCodeRanges: z.array(statusRangeSchema).max(32).default([]),
    errorReasons: z.array(z.enum(BREAKER_ERROR_REASONS)).max(BREAKER_ERROR_REASONS.length).optional(),
  }).strict(),
  tripDuration: durationSchema,
  /** Stay open for as long as the backend's Retry-After says (bounded by a day) when it sends one. */
  acceptRetryAfter: z.boolean().default(false),
}).strict();

const poolServiceSchema = z.object({
  id: z.string().min(1),
  /** 0..100; lower is tried first (APIM: priority 1 before 2). */
  priority: z.number().int().min(0).max(100).default(1),
  /** 0..100; share of traffic among the healthy services of the same priority. */
  weight: z.number().int().min(0).max(100).default(1),
}).strict();

export const backendSchema = z.object({
  id: z.string().min(1).max(256).regex(ID, 'letters, digits and . _ ~ - only'),
  description: z.string().max(2000).optional(),
  type: z.enum(['single', 'pool']).default('single'),
  url: z.string().optional(),
  credentials: credentialsSchema.optional(),
  tls: tlsSchema.optional(),
  pool: z.object({ services: z.array(poolServiceSchema).min(1).max(MAX_POOL_SERVICES) }).strict().optional(),
  circuitBreaker: z.object({
    rules: z.array(ruleSchema).min(1).max(1, 'APIM supports one circuit-breaker rule per backend'),
  }).strict().optional(),
}).strict().superRefine((b, ctx) => {
  if (b.type === 'single') {
    if (b.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'a single backend needs a url' });
    else {
      const problem = backendUrlProblem(b.url);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['url'], message: problem });
    }
    if (b.pool !== undefined) ctx.addIssue({ code: 'custom', path: ['pool'], message: 'only a backend of type "pool" has a pool' });
  } else {
    if (b.pool === undefined) ctx.addIssue({ code: 'custom', path: ['pool'], message: 'a pool backend needs pool.services' });
    for (const field of ['url', 'credentials', 'tls', 'circuitBreaker'] as const) {
      if (b[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'a pool backend takes this from its services; set it on them' });
    }
  }
});

export type BackendConfig = z.output<typeof backendSchema>;

/** A client certificate authentication-certificate presents to a backend (PEM files, read at compile time). */
export const certificateSchema = z.object({
  id: z.string().min(1).max(256).regex(ID, 'letters, digits and . _ ~ - only'),
  certFile: z.string().min(1).max(4096),
  keyFile: z.string().min(1).max(4096),
}).strict();

function backendUrlProblem(raw: string): string | null {
  let url: URL;
  try { url = new URL(raw); } catch { return 'must be an absolute http:// or https:// URL'; }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return 'must be an absolute http:// or https:// URL';
  if (url.search !== '' || url.hash !== '') return 'may not have a query or a fragment (use credentials.query)';
  if (url.username !== '' || url.password !== '') return 'may not carry credentials (use credentials.authorization)';
  return null;
}

const REFERENCE = /\{\{([^{}]*)\}\}/g;

/**
 * Credential values may name named values (`{{orders-key}}`, as APIM's backend credentials do):
 * replaced when the table is compiled, one pass, never expanded again. Names are checked here.
 */
export function substituteCredential(value: string, named: ReadonlyMap<string, string>): string {
  return value.replace(REFERENCE, (whole, name: string) => named.get(name) ?? whole);
}

/** Every `{{name}}` exists; a header value stays a valid field value once filled (the message never quotes it: it may be secret). */
function checkCredentialReferences(b: BackendConfig, i: number, named: ReadonlyMap<string, string>, ctx: z.RefinementCtx): void {
  const check = (value: string, path: Array<string | number>, header: boolean): void => {
    let known = true;
    for (const m of value.matchAll(REFERENCE)) {
      if (named.has(m[1])) continue;
      known = false;
      ctx.addIssue({ code: 'custom', path: ['backends', i, 'credentials', ...path], message: `no named value "${m[1].slice(0, 100)}" (config: namedValues)` });
    }
    const problem = header && known ? headerValueProblem(substituteCredential(value, named)) : null;
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['backends', i, 'credentials', ...path], message: `with its named values filled in, ${problem}` });
  };
  const c = b.credentials;
  if (c === undefined) return;
  for (const [name, values] of Object.entries(c.header)) values.forEach((v, j) => check(v, ['header', name, j], true));
  for (const [name, values] of Object.entries(c.query)) values.forEach((v, j) => check(v, ['query', name, j], false));
  if (c.authorization !== undefined) check(c.authorization.parameter, ['authorization', 'parameter'], true);
}

/**
 * Ids are unique; a pool names existing single backends (APIM: a pool holds no pool), each once;
 * credentials name existing named values.
 */
export function checkBackendReferences(backends: readonly BackendConfig[], namedValues: ReadonlyMap<string, string>, ctx: z.RefinementCtx): void {
  const byId = new Map<string, BackendConfig>();
  backends.forEach((b, i) => {
    if (byId.has(b.id)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'id'], message: `duplicate backend id "${b.id}"` });
    else byId.set(b.id, b);
  });
  backends.forEach((b, i) => {
    checkCredentialReferences(b, i, namedValues, ctx);
    const seen = new Set<string>();
    b.pool?.services.forEach((s, j) => {
      const path = ['backends', i, 'pool', 'services', j, 'id'];
      const target = byId.get(s.id);
      if (target === undefined) ctx.addIssue({ code: 'custom', path, message: `no backend with id "${s.id}"` });
      else if (target.type === 'pool') ctx.addIssue({ code: 'custom', path, message: `"${s.id}" is a pool; a pool holds single backends only` });
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path, message: `"${s.id}" is already in this pool` });
      seen.add(s.id);
    });
  });
}
