/**
 * The request path of an operation with policies: inbound, then backend, then the forward, with
 * outbound and on-error handled by the exchange when the backend answers. Called synchronously
 * from the request handler, so the abort handler and the body reader are attached before it returns;
 * sections that wait (a promise) continue later, and the body waits in its stream meanwhile.
 */
import type { UpstreamRequest } from '../upstream/upstream-types.js';
import type { ClientResponse } from '../../http1/server/client-response.js';
import type { Generation, ApiRuntime } from './generation.js';
import type { WorkerContext } from './handle-request.js';
import { PolicyExchange } from '../upstream/policy-exchange.js';
import { BufferedPolicyExchange } from '../upstream/buffered-policy-exchange.js';
import { backendTarget } from './backend-target.js';
import { BUFFERED_BODY_LIMIT, collectBody, collectBodyUpTo, StreamingBody } from './request-body.js';
import { chainBuffersRequestBody, chainBuffersResponse, chainMayRetry, chainReadsRequestBody, chainValidatesRequestBody, runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { MAX_VALIDATED_BODY } from '../policies/validate-content.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';
import { redirectRequest, replayBodyLimit } from './redirect-request.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';
import type { BackendEntityRoute, RequestContext } from '../pipeline/context.js';
import { dropUnkeyedHeaders } from '../cache/store-plan.js';
import { BackendPools } from '../upstream/backend-pools.js';
import type { ClientCertificate } from '../upstream/upstream-pool.js';
import type { BackendTlsProfile } from '../../shared/compiled-meta.js';

export function startPolicyRequest(
  owner: WorkerContext, res: ClientResponse, gen: Generation, api: ApiRuntime,
  chain: RuntimeChain, ctx: RequestContext, contentLength: number, chunked: boolean,
): void {
  // An outbound section that edits, reads or waits on the body gets the answer whole (bounded).
  const Exchange = chainBuffersResponse(chain) ? BufferedPolicyExchange : PolicyExchange;
  const exchange = new Exchange(res, owner, ctx.method === 'HEAD', ctx, chain);
  res.policyContext = ctx;
  // cache-lookup keeps unkeyed client headers from the backend, not the headers policies set.
  if (chain.inbound?.names.includes('cache-lookup')) ctx.clientHeaders = ctx.headers.slice();
  res.onAborted(exchange);
  owner.exchangeStarted(exchange);
  let body: StreamingBody | Buffer | null = null;
  // A body that may have to be sent again (retry) is buffered when small; otherwise it streams.
  let bodyPending = false;
  let handlersReady = false;
  // validate-content checks bodies up to its largest max-size: such a chain holds them that far.
  const replayable = !chunked && contentLength <= (chainValidatesRequestBody(chain) ? MAX_VALIDATED_BODY : BUFFERED_BODY_LIMIT);
  // A policy expression reading context.Request.Body needs the (small) body before inbound runs.
  const bodyFirst = replayable && contentLength > 0 && chainReadsRequestBody(chain);
  const bufferWhole = chainBuffersRequestBody(chain);
  if (bufferWhole && (chunked || contentLength > BUFFERED_BODY_LIMIT)) {
    // forward-request buffer-request-body="true": kept whole (bounded) so a retry can send it again.
    const limit = replayBodyLimit(gen.settings.maxReplayBodyBytes, gen.settings.maxBodyBytes);
    const tooLarge = (): void => exchange.fail('OUTPOST_ERR_REPLAY_BODY_TOO_LARGE', new Error(`request body over ${limit} bytes, the bound for a body kept to send again`));
    if (!chunked && contentLength > limit) return tooLarge();
    bodyPending = true;
    const collected = (whole: Buffer): void => {
      body = whole;
      bodyPending = false;
      if (readyToForward) forward();
    };
    if (chunked) collectBodyUpTo(res, limit, collected, tooLarge);
    else collectBody(res, contentLength, collected, () => exchange.fail('OUTPOST_ERR_BAD_REQUEST_FRAMING', new Error('body longer than Content-Length')));
  } else if (replayable && contentLength > 0 && (bodyFirst || bufferWhole || chainMayRetry(chain))) {
    bodyPending = true;
    collectBody(res, contentLength, (collected) => {
      body = collected;
      bodyPending = false;
      // The body may arrive before the handlers below exist (data already read): then the end starts inbound.
      if (bodyFirst) { ctx.requestBody = collected; if (handlersReady) startInbound(); return; }
      if (readyToForward) forward();
    }, () => exchange.fail('OUTPOST_ERR_BAD_REQUEST_FRAMING', new Error('body longer than Content-Length')));
  } else if (chunked || contentLength > 0) {
    const stream = new StreamingBody(res, gen.settings.maxBodyBytes, () => exchange.fail('OUTPOST_ERR_BODY_TOO_LARGE', new Error('request body too large')));
    exchange.body = stream;
    body = stream;
    ctx.requestBodyStreamed = true;
  }
  let readyToForward = false;

  const forward = (): void => {
    if (exchange.aborted) return;
    // set-body or find-and-replace gave a new body (only ever over a buffered one): its length is the gateway's to write.
    if (ctx.requestBodyReplaced) { body = ctx.requestBody; ctx.removeHeader('content-length'); }
    // A response that may be stored must not depend on what the key does not hold (cache-key.ts).
    if (ctx.cacheStore !== null) dropUnkeyedHeaders(ctx);
    // The last request sent, for a redirect to start from (forward-request follow-redirects).
    let sentPool: UpstreamPool = api.pool;
    let sentOrigin = '';
    let sent: UpstreamRequest | null = null;
    // Each attempt reads the target afresh: a retry's set-backend-service may have picked another.
    const send = (): void => {
      const origin = ctx.backendOrigin;
      const certificate = ctx.clientCertificate === null ? null : gen.certificates.get(ctx.clientCertificate) ?? null;
      // A client certificate (authentication-certificate) is presented on top of the API's backend TLS.
      // A proxy (the proxy policy) gets pools of its own: connections through it are not direct ones.
      const pool = certificate !== null ? owner.pools.forPolicy(origin ?? api.meta.origin, gen.settings.upstream, clientCertificateTls(api, certificate), ctx.proxy)
        : origin === null && ctx.proxy === null ? api.pool : owner.pools.forPolicy(origin ?? api.meta.origin, gen.settings.upstream, api.tls, ctx.proxy);
      const route = ctx.backendEntity;
      const opts: UpstreamRequest = {
        path: backendTarget(ctx.backendBasePath ?? api.basePath, ctx.path, route === null || route.query === '' ? ctx.query : withQuery(ctx.query, route.query)),
        method: ctx.method,
        headers: route === null ? ctx.headers : withCredentials(ctx.headers, route),
        body,
      };
      if (ctx.timeoutMs > 0) { opts.headersTimeout = ctx.timeoutMs; opts.bodyTimeout = ctx.timeoutMs; }
      sentPool = pool;
      sentOrigin = origin ?? api.meta.origin;
      sent = opts;
      exchange.dispatchTo(pool, opts);
    };
    // A streamed body cannot be sent again: the retry's children still run on the one answer, the condition is not asked.
    if (ctx.retry !== null) exchange.enableRetry(ctx.retry, send, !(body instanceof StreamingBody));
    if (ctx.followRedirects) {
      exchange.enableRedirects((location, status) => {
        if (sent === null) return null;
        const next = redirectRequest(sent, sentOrigin, location, status, ctx.headers);
        if (next === null) return null;
        // The backend names the origin: a pool per origin it names would be unbounded, so these are the
        // policy pools (LRU-bounded, MAX_POLICY_BACKEND_POOLS per worker).
        const pool = next.origin === sentOrigin ? sentPool : owner.pools.forPolicy(next.origin, gen.settings.upstream, next.origin === api.meta.origin ? api.tls : null);
        return () => {
          sentPool = pool;
          sentOrigin = next.origin;
          sent = next.request;
          exchange.dispatchTo(pool, next.request);
        };
      });
    }
    send();
  };

  const afterBackend = (outcome: Outcome): void => {
    if (exchange.aborted) return;
    if (outcome === RESPOND) return exchange.respondFromPolicy();
    if (outcome === FAIL) return exchange.failFromPolicy();
    readyToForward = true;
    if (!bodyPending) forward();
  };

  const afterInbound = (outcome: Outcome): void => {
    if (exchange.aborted) return;
    if (outcome === RESPOND) return exchange.respondFromPolicy();
    if (outcome === FAIL) return exchange.failFromPolicy();
    then(chain.backend === null ? CONTINUE : runSection(chain.backend, ctx), afterBackend);
  };

  const startInbound = (): void => {
    if (exchange.aborted) return;
    then(chain.inbound === null ? CONTINUE : runSection(chain.inbound, ctx), afterInbound);
  };
  handlersReady = true;
  if (!bodyFirst || !bodyPending) startInbound();
}

/**
 * A backend entity's credentials, added to what is sent (never to ctx: no policy sees or rewrites
 * the secrets, and a retry to another pool member does not carry the first one's): its headers
 * replace the client's own of the same name.
 */
function withCredentials(headers: readonly string[], route: BackendEntityRoute): string[] {
  const creds = route.headers;
  if (creds.length === 0) return headers as string[];
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    let replaced = false;
    for (let j = 0; j < creds.length; j += 2) if (creds[j] === headers[i]) { replaced = true; break; }
    if (!replaced) out.push(headers[i], headers[i + 1]);
  }
  for (let j = 0; j < creds.length; j++) out.push(creds[j]);
  return out;
}

/** The API's backend TLS plus an authentication-certificate's certificate: built once per pair per generation, not per request. */
function clientCertificateTls(api: ApiRuntime, certificate: ClientCertificate): BackendTlsProfile {
  const cache = (api.clientCertificateTls ??= new Map());
  let profile = cache.get(certificate);
  if (profile === undefined) { profile = BackendPools.withClientCertificate(api.tls, certificate); cache.set(certificate, profile); }
  return profile;
}

function withQuery(query: string, extra: string): string {
  return query === '' ? extra : `${query}&${extra}`;
}

/** Continues synchronously when the section did not wait. */
function then(outcome: Outcome | Promise<Outcome>, next: (o: Outcome) => void): void {
  if (typeof outcome === 'number') next(outcome);
  else outcome.then(next, () => next(FAIL));
}
