/**
 * What send-request and send-one-way-request share: reading the element at compile time (mode,
 * timeout, set-url, set-method, set-header, set-body) and building the request per request.
 *
 * The URL is the config author's: Outpost calls whatever it names (SSRF is the author's to
 * avoid; never build it from client input you do not trust). Only http and https are allowed;
 * a constant URL is checked now, a computed one per request (a failure, never a call).
 */
import { Buffer } from 'node:buffer';
import { childLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import type { RequestContext } from '../pipeline/context.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, enumAttr, intAttr, templateValue, textOnly } from './attributes.js';
import { applyHeader, setHeader } from './set-header.js';
import { bindHeaderValue } from './dynamic-value.js';
import { isHopByHop } from '../upstream/hop-by-hop.js';
import type { UpstreamRequest } from '../upstream/upstream-types.js';

/** Largest body send-request builds (set-body) or copies; the bound on the answer is MAX_SENT_ANSWER. */
export const MAX_SENT_BODY = 1024 * 1024;
/** Largest answer body kept in the response variable. */
export const MAX_SENT_ANSWER = 1024 * 1024;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;

type ExistsAction = 'override' | 'skip' | 'append' | 'delete';
interface HeaderSpec { name: string; action: ExistsAction; values: Template[] }

export interface SendSpec {
  mode: 'new' | 'copy';
  timeoutMs: number;
  url: Template | null;
  method: Template | null;
  headers: HeaderSpec[];
  body: Template | null;
}

const REFUSED: Record<string, string> = {
  'authentication-certificate': 'client certificates on send-request are not supported; call an https URL whose server needs none, or put the call behind an API whose backend TLS profile holds the certificate',
  'authentication-managed-identity': 'managed identities are an Azure service; Outpost has none',
  proxy: 'an outbound HTTP proxy is not supported; Outpost calls the URL directly',
};

/** Reads the element; `extraAttrs` are the policy's own (response-variable-name, ignore-error). */
export function compileSendSpec(el: PolicyElement, at: PolicyLocation, extraAttrs: readonly string[]): SendSpec {
  for (const child of el.children) {
    const why = REFUSED[child.name];
    if (why !== undefined) throw new PolicyCompileError(at, null, `<${child.name}>: ${why}`);
  }
  allowOnly(el, at, ['mode', 'timeout', ...extraAttrs], ['set-url', 'set-method', 'set-header', 'set-body']);
  const mode = enumAttr(el, at, 'mode', ['new', 'copy'] as const, 'new');
  const timeoutMs = intAttr(el, at, 'timeout', { min: 1, max: 600 }, 60) * 1000;
  let url: Template | null = null;
  let method: Template | null = null;
  let body: Template | null = null;
  const headers: HeaderSpec[] = [];
  el.children.forEach((child, i) => {
    const childAt = childLocation(at, child.name, i);
    switch (child.name) {
      case 'set-url': url = urlTemplate(childAt, textOnly(child, childAt).trim()); break;
      case 'set-method': method = methodTemplate(childAt, textOnly(child, childAt).trim()); break;
      case 'set-body': {
        allowOnly(child, childAt, []);
        if (child.text.length > MAX_SENT_BODY) throw new PolicyCompileError(childAt, null, `must be at most ${MAX_SENT_BODY} characters`);
        body = templateValue(childAt, 'set-body', child.text);
        break;
      }
      case 'set-header': {
        const h = setHeader.compile(child, childAt);
        headers.push({ name: h.name, action: h.action, values: h.computed ?? h.values.map((v) => ({ k: 'text', v })) });
        break;
      }
    }
  });
  if (mode === 'new' && url === null) throw new PolicyCompileError(at, null, 'needs a <set-url> when mode="new"');
  return { mode, timeoutMs, url, method, headers, body };
}

function urlTemplate(at: PolicyLocation, raw: string): Template {
  const t = templateValue(at, 'set-url', raw);
  if (t.k === 'text') {
    const problem = urlProblem(t.v);
    if (problem !== null) throw new PolicyCompileError(at, null, problem);
  }
  return t;
}

function methodTemplate(at: PolicyLocation, raw: string): Template {
  const t = templateValue(at, 'set-method', raw);
  if (t.k === 'text' && !METHOD.test(t.v)) throw new PolicyCompileError(at, null, `must be an HTTP method token, got "${t.v.slice(0, 40)}"`);
  return t;
}

/** Null when `text` is an absolute http or https URL. */
function urlProblem(text: string): string | null {
  let url: URL;
  try { url = new URL(text); } catch { return `must be an absolute http or https URL, got "${text.slice(0, 200)}"`; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, got ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return 'must not hold credentials (use set-header Authorization)';
  return null;
}

/** The request a spec builds for one request: origin (for the pool) and what goes on the wire. */
export interface BuiltRequest { origin: string; request: UpstreamRequest }

/** Builds the request per request; a problem (bad computed URL, method or header) throws OUTPOST_ERR_SEND_REQUEST_FAILED. */
export function bindSendSpec(spec: SendSpec): (ctx: RequestContext) => BuiltRequest {
  const urlOf = spec.url === null ? null : bindStringTemplate(spec.url);
  const methodOf = spec.method === null ? null : bindStringTemplate(spec.method);
  const bodyOf = spec.body === null ? null : bindStringTemplate(spec.body);
  const headers = spec.headers.map((h) => ({ name: h.name, action: h.action, values: h.values.map((v) => bindHeaderValue(v, 'header value')) }));
  return (ctx) => {
    const copy = spec.mode === 'copy';
    const urlText = urlOf !== null ? urlOf(ctx).trim() : currentBackendUrl(ctx);
    const problem = urlProblem(urlText);
    if (problem !== null) throw new OutpostError('OUTPOST_ERR_SEND_REQUEST_FAILED', `send-request URL ${problem}`);
    const url = new URL(urlText);
    const method = methodOf !== null ? methodOf(ctx).trim().toUpperCase() : copy ? ctx.method : 'GET';
    if (!METHOD.test(method)) throw new OutpostError('OUTPOST_ERR_SEND_REQUEST_FAILED', 'send-request method is not an HTTP method token');
    const list: string[] = [];
    if (copy) for (let i = 0; i < ctx.headers.length; i += 2) { const n = ctx.headers[i]; if (n !== 'host' && n !== 'content-length' && !isHopByHop(n)) list.push(n, ctx.headers[i + 1]); }
    for (const h of headers) applyHeader(list, h.name, h.action, h.values.map((f) => f(ctx)));
    for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === 'host' || list[i] === 'content-length' || isHopByHop(list[i])) list.splice(i, 2);
    list.push('host', url.host);
    let body: Buffer | null = bodyOf !== null ? Buffer.from(bodyOf(ctx)) : copy ? ctx.requestBody : null;
    if (body !== null && body.length > MAX_SENT_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `send-request body is over ${MAX_SENT_BODY} bytes`);
    if (body !== null && body.length === 0 && (method === 'GET' || method === 'HEAD')) body = null;
    // The pool's own head and body timeouts (gateway.upstream) give way to the policy's.
    const request: UpstreamRequest = { path: `${url.pathname}${url.search}`, method, headers: list, body, headersTimeout: spec.timeoutMs, bodyTimeout: spec.timeoutMs };
    return { origin: url.origin, request };
  };
}

/** mode="copy" without set-url: the URL the request is going to (the API's backend, or set-backend-service's). */
function currentBackendUrl(ctx: RequestContext): string {
  const api = ctx.apiMeta;
  const origin = ctx.backendOrigin ?? api?.origin ?? '';
  const base = ctx.backendBasePath ?? api?.basePath ?? '';
  return `${origin}${base}${ctx.path === '/' && base !== '' ? '' : ctx.path}${ctx.query === '' ? '' : `?${ctx.query}`}`;
}

