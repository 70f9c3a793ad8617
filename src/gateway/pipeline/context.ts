/**
 * The typed per-request context every policy sees. Built only for operations that have policies
 * or need a subscription key (the plain proxy path never allocates one).
 *
 * Headers are flat `[name, value, …]` lists with lowercase names: the request list is exactly
 * what undici sends; the response list is what the client gets.
 */
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Section } from './phases.js';
import type { RuntimeSection } from './run-section.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { ResponseStorePlan } from '../cache/store-plan.js';
import type { ProxyRoute } from '../upstream/proxy-route.js';
import type { CompiledApi, CompiledOperation } from '../../shared/compiled-meta.js';

export interface LastError {
  source: 'client' | 'backend' | 'policy' | 'internal';
  reason: string;
  message: string;
  section: Section;
  policy: string | null;
  code: ErrorCode;
  /** What the client sees instead of the code's fixed message (the validation policies' public responses). */
  publicMessage?: string;
}

export interface SubscriptionView {
  id: string;
  /** The product this key belongs to, when the subscription is product-scoped. */
  productId: string | null;
}

/**
 * What a retry that holds <forward-request> asks of the forward: bound once per generation, shared
 * by requests. The retry policy ran `before` once already (the first round); the exchange re-runs
 * it before each retry, runs `after` on each attempt's answer, then asks `test`.
 */
export interface RetryPlan {
  /** Whether to send again, seeing the backend's answer in ctx.response or its failure in ctx.lastError. */
  test(ctx: RequestContext): boolean;
  /** Retries after the first attempt (count may be a policy expression, so it is asked per request). */
  count(ctx: RequestContext): number;
  /** Wait before retry number `attempt` (1-based), ms. */
  delayMs(ctx: RequestContext, attempt: number): number;
  /** The retry's children before <forward-request> (re-run before each retry), or null when none. */
  before: RuntimeSection | null;
  /** The retry's children after <forward-request>, run on each attempt's answer, or null when none. */
  after: RuntimeSection | null;
}

/** A backend entity chosen by set-backend-service backend-id (see src/gateway/backends/). */
export interface BackendEntityRoute {
  /** Credential headers, flat [lowercase name, value, …]: they replace the client's own. */
  readonly headers: readonly string[];
  /** Credential query parameters, encoded; appended to the forwarded query. */
  readonly query: string;
  /** Tells the backend's circuit breaker how an attempt went. */
  reportStatus(status: number, retryAfter: string | null): void;
  reportError(code: ErrorCode): void;
}

export interface PolicyResponse {
  status: number;
  reason: string;
  headers: string[];
  body: string | Buffer | null;
}

/** Sees a response body as it streams to the client; it never holds the stream back. */
export interface ResponseBodyTap {
  /** The head the client gets (after outbound); `contentLength` -1 when unknown. False: no interest. */
  begin(status: number, reason: string, headers: string[], contentLength: number): boolean;
  /** A body chunk, valid only during the call (copy what you keep). */
  chunk(bytes: Buffer): void;
  /** The whole body went through. */
  complete(): void;
  /** The exchange failed or the client left: what was seen is incomplete. */
  abandon(): void;
}

export class RequestContext {
  /** Set by respond/return-response and by on-error shaping; what the client gets. */
  response: PolicyResponse | null = null;
  lastError: LastError | null = null;
  subscription: SubscriptionView | null = null;
  /** Backend origin override (set-backend-service); null keeps the API's serviceUrl. */
  backendOrigin: string | null = null;
  /** Backend path prefix override when set-backend-service gives a path. */
  backendBasePath: string | null = null;
  /** The backend entity set-backend-service backend-id chose; null for a URL or the API's serviceUrl. */
  backendEntity: BackendEntityRoute | null = null;
  /** authentication-certificate: the id of the client certificate to present to the backend, or null. */
  clientCertificate: string | null = null;
  /** The proxy policy's HTTP proxy the forward goes through; null connects to the backend directly. */
  proxy: ProxyRoute | null = null;
  /**
   * The client's TLS connection when the request came in on the HTTPS listener (its peer
   * certificate, OpenSSL's verdict on it), for validate-client-certificate; null on plain HTTP.
   */
  clientTls: TLSSocket | null = null;
  /** forward-request timeout, ms; 0 keeps the gateway's upstream settings. */
  timeoutMs = 0;
  /** Set by a retry that holds forward-request; null sends once. */
  retry: RetryPlan | null = null;
  /** forward-request fail-on-error-status-code="true": a 400-599 answer goes to on-error. */
  failOnErrorStatus = false;
  /** forward-request follow-redirects="true": the gateway follows the backend's redirects itself. */
  followRedirects = false;
  /**
   * APIM's context.Variables (set-variable, cache-lookup-value, send-request's
   * response-variable-name, validate-jwt's output-token-variable-name...). Null until a policy
   * sets one, so requests that use none allocate nothing.
   */
  variables: Map<string, unknown> | null = null;
  /** The matched API and operation as policy expressions see them (context.Api, context.Operation); null in unit tests. */
  apiMeta: CompiledApi | null = null;
  operationMeta: CompiledOperation | null = null;
  /** The request body when the gateway buffered it before inbound (context.Request.Body); null otherwise. */
  requestBody: Buffer | null = null;
  /** The request body streams to the backend (chunked, or over the buffered size): policies cannot read or replace it. */
  requestBodyStreamed = false;
  /** set-body or find-and-replace in inbound/backend replaced requestBody: it is what the backend gets. */
  requestBodyReplaced = false;
  /** The request's correlation id (the client's X-Request-Id or one the gateway made), as in its request-log line. */
  correlationId = '';
  /** context.RequestId, made on first read (most requests never ask). */
  requestId: string | null = null;
  /** What a cache policy found, for telemetry and request logs: null when no cache policy ran. */
  cacheResult: 'hit' | 'miss' | null = null;
  /**
   * Query parameters the operation's template matched (`/items?id={id}` → ["id"]): they are
   * matched parameters, so rewrite-uri's copy-unmatched-params does not copy them (APIM).
   */
  templateQueryNames: readonly string[] = [];
  /** Set by cache-lookup on a GET miss: where cache-store may put the response (see cache/store-plan.ts). */
  cacheStore: ResponseStorePlan | null = null;
  /**
   * The request headers before inbound ran (the client's, plus the gateway's Host and forwarding
   * headers): copied only for chains with cache-lookup, which must tell the client's headers from
   * those policies set. Null otherwise.
   */
  clientHeaders: string[] | null = null;
  /**
   * Set by an outbound policy that wants the response body as it streams to the client
   * (cache-store); the exchange hands it the final head and every chunk. Null: no copy is made.
   */
  bodyTap: ResponseBodyTap | null = null;

  constructor(
    public method: string,
    /** Path after the API suffix, as the client encoded it, starting with "/". */
    public path: string,
    /** Raw query string without "?". */
    public query: string,
    public readonly headers: string[],
    public readonly clientIp: string,
    public readonly apiId: string,
    public readonly operationId: string,
    /** `{param}` values of the matched template, by name. */
    public readonly params: Record<string, string>,
    /** performance.now() when the request began (context.Elapsed): the worker passes its response's, one clock read fewer a request. */
    public readonly startedAt: number = performance.now(),
  ) {}

  variable(name: string): unknown {
    return this.variables?.get(name);
  }

  setVariable(name: string, value: unknown): void {
    (this.variables ??= new Map()).set(name, value);
  }

  /** First value of a request header (lowercase name), or null. */
  header(name: string): string | null {
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
    return null;
  }

  /** Removes every request header with this (lowercase) name. */
  removeHeader(name: string): void {
    const h = this.headers;
    for (let i = h.length - 2; i >= 0; i -= 2) if (h[i] === name) h.splice(i, 2);
  }

  /** The response's header list (outbound and on-error work on the response being built). */
  responseHeaders(): string[] {
    return (this.response ??= { status: 200, reason: 'OK', headers: [], body: null }).headers;
  }

  /**
   * Headers that inbound policies want on the eventual response (e.g. remaining-calls); the
   * gateway adds them to whatever response the client gets.
   */
  extraResponseHeaders: string[] | null = null;

  addResponseHeader(name: string, value: string): void {
    (this.extraResponseHeaders ??= []).push(name, value);
  }

  /** Claims of a validated JWT (set by validate-jwt), or null. */
  claims: Record<string, unknown> | null = null;

  claim(name: string): string | null {
    const v = this.claims?.[name];
    return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
  }

  /**
   * The bytes the request moved (request and response, heads and bodies, as the client
   * connection counted them): set when the exchange ends, before the atEnd hooks run (quota's
   * bandwidth counts them there). 0 until then.
   */
  transferredBytes = 0;

  /**
   * Work to do once when the exchange ends, however it ends (answered, failed, client gone):
   * limit-concurrency gives its slot back here. Registered after the end, it runs at once.
   * Null until a policy needs it, so other requests allocate nothing.
   */
  private endHooks: Array<() => void> | null = null;
  private endedAlready = false;

  atEnd(hook: () => void): void {
    if (this.endedAlready) hook();
    else (this.endHooks ??= []).push(hook);
  }

  /** Called by the exchange when the request is over; runs the atEnd hooks once. */
  ended(): void {
    if (this.endedAlready) return;
    this.endedAlready = true;
    const hooks = this.endHooks;
    this.endHooks = null;
    if (hooks !== null) for (const hook of hooks) hook();
  }

  /** Ends the request with this response (inbound/backend: outbound does not run). */
  respond(status: number, reason: string, headers: string[], body: string | Buffer | null): void {
    this.response = { status, reason, headers, body };
  }

  /** Records why the request failed; the on-error section runs next. */
  fail(error: LastError): void {
    this.lastError = error;
  }
}
