/**
 * set-body template="liquid": Liquid templates (liquidjs) rendered over APIM's names. The subset:
 *   body                             the message body set-body replaces (JSON parsed; else the text)
 *   context.Request.Method / .IpAddress / .Body / .Headers["name"] / .MatchedParameters["id"]
 *   context.Request.Url.Scheme / .Host / .Port / .Path / .QueryString / .Query["q"]
 *   context.Response.StatusCode / .StatusReason / .Headers["name"] / .Body   (outbound)
 *   context.Variables["name"], context.Api.Id / .Name, context.Operation.Id / .Name / .Method,
 *   context.Subscription.Id, context.RequestId
 * Header names match as sent, lowercase or Title-Case. Templates are parsed at config load (a
 * syntax error names the element); rendering has no file system (include/render tags fail), a
 * time and memory budget, and a bounded output.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import type { Liquid, Template as LiquidTemplate } from 'liquidjs';
import type { RequestContext } from '../pipeline/context.js';
import { OutpostError } from '../../shared/errors.js';
import { toPlain } from '../pipeline/expression/csharp/cs-values.js';
import { csString } from '../pipeline/expression/csharp/cs-convert.js';
import { View } from '../pipeline/expression/csharp/cs-view.js';
import { SentResponse } from '../pipeline/expression/csharp/cs-sent-response.js';

const NO_FILES = {
  exists: async () => false, existsSync: () => false,
  readFile: async () => { throw new Error('templates cannot read files'); },
  readFileSync: () => { throw new Error('templates cannot read files'); },
  resolve: (_dir: string, file: string) => file,
};

/**
 * The engine, made on first use: liquidjs (CommonJS) is required then, not when the policy
 * registry loads, which cost every compiler thread and worker start ~50 ms for configs without
 * Liquid templates.
 */
let liquid: Liquid | null = null;
function engine(): Liquid {
  if (liquid === null) {
    const { Liquid: LiquidEngine } = createRequire(import.meta.url)('liquidjs') as typeof import('liquidjs');
    liquid = new LiquidEngine({ fs: NO_FILES, root: [], partials: [], layouts: [], ownPropertyOnly: true, relativeReference: false, renderLimit: 50, memoryLimit: 16 * 1024 * 1024, parseLimit: 1024 * 1024, cache: false });
  }
  return liquid;
}

/** Parses a template; throws liquidjs' error (with line and column) when it is not valid Liquid. */
export function parseLiquid(text: string): LiquidTemplate[] {
  return engine().parse(text);
}

/** Renders with APIM's names; `target` says which body `body` is. A failure throws (on-error). */
export function renderLiquid(tpl: LiquidTemplate[], ctx: RequestContext, target: 'request' | 'response', maxBytes: number): string {
  const requestBody = ctx.requestBody === null ? null : parseBody(ctx.requestBody);
  const response = ctx.response;
  const responseBody = response === null || response.body === null ? null : parseBody(typeof response.body === 'string' ? Buffer.from(response.body) : response.body);
  const scope = {
    body: target === 'request' ? requestBody : responseBody,
    context: {
      Request: {
        Method: ctx.method, IpAddress: ctx.clientIp, Body: requestBody, Headers: headerObject(ctx.headers),
        MatchedParameters: { ...ctx.params }, Url: urlObject(ctx),
      },
      Response: response === null ? null : { StatusCode: response.status, StatusReason: response.reason, Headers: headerObject(response.headers), Body: responseBody },
      Variables: variablesObject(ctx),
      Api: { Id: ctx.apiId, Name: ctx.apiMeta?.name ?? ctx.apiId },
      Operation: { Id: ctx.operationId, Name: ctx.operationId, Method: ctx.operationMeta?.method ?? null },
      Subscription: ctx.subscription === null ? null : { Id: ctx.subscription.id },
      RequestId: ctx.requestId,
    },
  };
  const out = engine().renderSync(tpl, scope) as unknown;
  const text = typeof out === 'string' ? out : String(out);
  if (Buffer.byteLength(text) > maxBytes) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `the Liquid template's output is over ${maxBytes} bytes`);
  return text;
}

function parseBody(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') { try { return JSON.parse(text) as unknown; } catch { /* not JSON: the text */ } }
  return text;
}

/**
 * Joined values by lowercase and Title-Case name (Liquid lookups are case-sensitive). A `for`
 * loop over it yields each header once as `{ Key, Value }`, as DotLiquid iterates APIM's
 * dictionaries (`{% for h in context.Request.Headers %}{{ h.Key }}: {{ h.Value }}{% endfor %}`).
 */
function headerObject(list: string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const names: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    if (!(name in out)) names.push(name);
    const value = name in out ? `${out[name]},${list[i + 1]}` : list[i + 1];
    out[name] = value;
    out[name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())] = value;
  }
  Object.defineProperty(out, Symbol.iterator, { enumerable: false, value: function* pairs() { for (const n of names) yield { Key: n, Value: out[n] }; } });
  return out;
}

function urlObject(ctx: RequestContext): Record<string, unknown> {
  const host = ctx.header('host') ?? '';
  const scheme = ctx.header('x-forwarded-proto') ?? 'http';
  const m = /:(\d+)$/.exec(host);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(ctx.query)) query[k] = k in query ? `${query[k]},${v}` : v;
  return { Scheme: scheme, Host: host.replace(/:\d+$/, ''), Port: m ? Number(m[1]) : scheme === 'https' ? 443 : 80, Path: ctx.path, QueryString: ctx.query === '' ? '' : `?${ctx.query}`, Query: query };
}

function variablesObject(ctx: RequestContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (ctx.variables !== null) for (const [k, v] of ctx.variables) out[k] = v instanceof SentResponse ? sentObject(v) : v instanceof View ? csString(v) : toPlain(v);
  return out;
}

/** A send-request answer in a variable: what a template reads of it. */
function sentObject(r: SentResponse): Record<string, unknown> {
  return { StatusCode: r.status, StatusReason: r.reason, Headers: headerObject(r.headers), Body: parseBody(r.body) };
}
