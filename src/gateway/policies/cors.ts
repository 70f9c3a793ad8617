/**
 * cors (inbound), as APIM's:
 *   <cors allow-credentials="false" terminate-unmatched-request="true">
 *     <allowed-origins><origin>https://app.example</origin></allowed-origins>   (or <origin>*</origin>)
 *     <allowed-methods preflight-result-max-age="300"><method>GET</method>…</allowed-methods>
 *     <allowed-headers><header>content-type</header>…</allowed-headers>
 *     <expose-headers><header>x-request-id</header>…</expose-headers>
 *   </cors>
 * allowed-methods defaults to GET and POST, allowed-headers to the CORS-safelisted ones (APIM);
 * `*` in either allows anything (the request's method or headers are echoed, which also works
 * with credentials, where browsers read `*` literally).
 *
 * - Preflight (OPTIONS with Origin and Access-Control-Request-Method): answered at the gateway,
 *   200 with the Access-Control-* headers, when origin, method and requested headers are allowed;
 *   the backend is not called. Not allowed: terminate-unmatched-request="true" (default) answers
 *   200 with no CORS headers, "false" lets the request go on.
 * - Other requests with an allowed Origin go on and get Access-Control-Allow-Origin (the origin,
 *   or `*` for a wildcard without credentials), -Allow-Credentials, -Expose-Headers and
 *   Vary: Origin on whatever response the client gets. A GET or HEAD from an origin not allowed is
 *   answered 200 with no body when terminate-unmatched-request is true (APIM's behaviour); other
 *   methods go on without CORS headers (the browser then withholds the response).
 * allow-credentials="true" with origin `*` is a compile error (browsers refuse that combination).
 * Every list and header value is prepared at compile time; a request does set lookups.
 * Header names in the lists must be RFC 9110 tokens. The values a preflight or a credentialed
 * answer echoes from the request (Origin, Access-Control-Request-Method and -Headers) are checked
 * before they are written: one that is not a valid field value fails the request to on-error
 * with OUTPOST_ERR_HEADER_VALUE_INVALID instead of reaching the response head.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, intAttr, textOnly } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { isFieldValue, isToken } from '../../shared/http-syntax.js';
import { OutpostError } from '../../shared/errors.js';

interface Config {
  credentials: boolean;
  terminate: boolean;
  /** Lowercase origins; null for `*`. */
  origins: string[] | null;
  /** Methods as written (uppercase); null for `*`. */
  methods: string[] | null;
  /** Lowercase header names allowed in requests; null for `*`. */
  headers: string[] | null;
  expose: string;
  maxAge: number;
}

const SAFELISTED = ['accept', 'accept-language', 'content-language', 'content-type'];
/** scheme://authority: no path, no whitespace or control characters. */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s\x00-\x1f\x7f]+$/i;
const isOrigin = (s: string): boolean => ORIGIN.test(s);

function childAt(at: PolicyLocation, name: string, index: number): PolicyLocation {
  return { scope: at.scope, section: at.section, index, element: `${at.element}[${at.index}]/${name}` };
}

/** The one child named `name` (null if absent), checked for attributes and item children. */
function list(el: PolicyElement, at: PolicyLocation, name: string, item: string, attrs: string[] = []): { items: string[]; el: PolicyElement; at: PolicyLocation } | null {
  const index = el.children.findIndex((c) => c.name === name);
  if (index < 0) return null;
  const child = el.children[index];
  const where = childAt(at, name, index);
  if (el.children.some((c, i) => c.name === name && i !== index)) throw new PolicyCompileError(where, null, `<${name}> may appear only once`);
  allowOnly(child, where, attrs, [item]);
  if (child.text !== '') throw new PolicyCompileError(where, null, `list items go in <${item}> children, not as text`);
  const items = child.children.map((c, i) => textOnly(c, childAt(where, item, i)).trim());
  if (items.length === 0) throw new PolicyCompileError(where, null, `needs at least one <${item}>`);
  return { items, el: child, at: where };
}

function check(items: string[], at: PolicyLocation, item: string, valid: (s: string) => boolean): void {
  for (const v of items) if (v !== '*' && !valid(v)) throw new PolicyCompileError(at, null, `<${item}> ${JSON.stringify(v)} is not valid`);
}

/** A request value about to be echoed into the response head. */
function echoable(value: string): string {
  if (!isFieldValue(value)) throw new OutpostError('OUTPOST_ERR_HEADER_VALUE_INVALID');
  return value;
}

export const cors: PolicyFactory<Config> = {
  name: 'cors',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['allow-credentials', 'terminate-unmatched-request'], ['allowed-origins', 'allowed-methods', 'allowed-headers', 'expose-headers']);
    const credentials = boolAttr(el, at, 'allow-credentials', false);
    const terminate = boolAttr(el, at, 'terminate-unmatched-request', true);
    const origins = list(el, at, 'allowed-origins', 'origin');
    if (origins === null) throw new PolicyCompileError(at, null, 'needs <allowed-origins> with at least one <origin>');
    // APIM accepts an origin written with a trailing slash (https://app.example/); browsers never
    // send one in Origin, so it stands for the same origin without it.
    origins.items = origins.items.map((o) => (o.endsWith('/') && isOrigin(o.slice(0, -1)) ? o.slice(0, -1) : o));
    check(origins.items, origins.at, 'origin', isOrigin);
    const anyOrigin = origins.items.includes('*');
    if (anyOrigin && credentials) throw new PolicyCompileError(at, 'allow-credentials', 'cannot be true when an allowed origin is "*" (browsers refuse credentials with a wildcard origin)');
    const methods = list(el, at, 'allowed-methods', 'method', ['preflight-result-max-age']);
    if (methods) check(methods.items, methods.at, 'method', isToken);
    const headers = list(el, at, 'allowed-headers', 'header');
    if (headers) check(headers.items, headers.at, 'header', isToken);
    const expose = list(el, at, 'expose-headers', 'header');
    if (expose) check(expose.items, expose.at, 'header', isToken);
    return {
      credentials, terminate,
      origins: anyOrigin ? null : origins.items.map((o) => o.toLowerCase()),
      methods: methods === null ? ['GET', 'POST'] : methods.items.includes('*') ? null : methods.items.map((m) => m.toUpperCase()),
      headers: headers === null ? [] : headers.items.includes('*') ? null : headers.items.map((h) => h.toLowerCase()),
      expose: expose === null ? '' : expose.items.join(', '),
      maxAge: methods === null ? 0 : intAttr(methods.el, methods.at, 'preflight-result-max-age', { min: 0, max: 31_536_000 }, 0),
    };
  },
  create(config): PolicyInstance {
    const { credentials, terminate, expose } = config;
    const origins = config.origins === null ? null : new Set(config.origins);
    const methods = config.methods === null ? null : new Set(config.methods);
    const methodList = config.methods?.join(', ') ?? '';
    const headers = config.headers === null ? null : new Set([...SAFELISTED, ...config.headers]);
    const maxAge = config.maxAge > 0 ? String(config.maxAge) : '';

    /** Access-Control-Allow-Origin (+ Vary) and -Allow-Credentials of a preflight answer. */
    const originHeaders = (out: string[], origin: string): void => {
      if (origins === null && !credentials) out.push('access-control-allow-origin', '*');
      else out.push('access-control-allow-origin', echoable(origin), 'vary', 'Origin');
      if (credentials) out.push('access-control-allow-credentials', 'true');
    };
    const headersAllowed = (requested: string | null): boolean => {
      if (requested === null || headers === null) return true;
      for (const h of requested.split(',')) {
        const name = h.trim().toLowerCase();
        if (name !== '' && !headers.has(name)) return false;
      }
      return true;
    };
    const unmatched = (ctx: RequestContext): Outcome => {
      if (!terminate) return CONTINUE;
      ctx.respond(200, 'OK', [], null);
      return RESPOND;
    };

    return {
      run(ctx: RequestContext): Outcome {
        const origin = ctx.header('origin');
        if (origin === null) return CONTINUE;
        const allowed = origins === null || origins.has(origin.toLowerCase());
        const requestMethod = ctx.method === 'OPTIONS' ? ctx.header('access-control-request-method') : null;
        if (requestMethod !== null) {
          const requestHeaders = ctx.header('access-control-request-headers');
          if (!allowed || !(methods === null || methods.has(requestMethod.toUpperCase())) || !headersAllowed(requestHeaders)) return unmatched(ctx);
          const out: string[] = [];
          originHeaders(out, origin);
          out.push('access-control-allow-methods', methods === null ? echoable(requestMethod) : methodList);
          if (requestHeaders !== null && requestHeaders.trim() !== '') out.push('access-control-allow-headers', echoable(requestHeaders));
          if (maxAge !== '') out.push('access-control-max-age', maxAge);
          ctx.respond(200, 'OK', out, null);
          return RESPOND;
        }
        if (!allowed) return ctx.method === 'GET' || ctx.method === 'HEAD' ? unmatched(ctx) : CONTINUE;
        if (origins === null && !credentials) ctx.addResponseHeader('access-control-allow-origin', '*');
        else { ctx.addResponseHeader('access-control-allow-origin', echoable(origin)); ctx.addResponseHeader('vary', 'Origin'); }
        if (credentials) ctx.addResponseHeader('access-control-allow-credentials', 'true');
        if (expose !== '') ctx.addResponseHeader('access-control-expose-headers', expose);
        return CONTINUE;
      },
    };
  },
};
