/**
 * return-response and mock-response: end the request at the gateway with a response built at
 * compile time (status, reason, headers, body). The backend is never called; outbound does not
 * run (APIM's return-response). mock-response is the same with defaults suited to mocking:
 * status 200 and a JSON content type.
 *
 * response-variable-name starts from the response a variable holds (send-request's answer, an
 * IResponse), which set-status, set-header and set-body then edit, as in APIM.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { RESPOND, type Outcome } from '../pipeline/phases.js';
import type { PolicyElement, PolicyLocation } from '../pipeline/policy-element.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { allowOnly, optionalVariableName, childTexts, enumAttr, headerName, headerValue, intAttr, reasonAttr, stringAttr, templateAttr, templateValue } from './attributes.js';
import { applyHeader } from './set-header.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, hasExpression, type Template } from '../pipeline/expression/index.js';
import { bindHeaderValue, bindIntValue, bindReasonPhrase } from './dynamic-value.js';
import { SentResponse } from '../pipeline/expression/csharp/cs-sent-response.js';
import { OutpostError } from '../../shared/errors.js';
import { isHopByHop } from '../upstream/hop-by-hop.js';

import { parseLiquid, renderLiquid } from './liquid-body.js';
import { MAX_BODY } from './set-body.js';

type ExistsAction = 'override' | 'skip' | 'append' | 'delete';
/** What return-response builds per request when some part of it is a policy expression. */
interface Computed {
  /** Null: the variable's status (or 200). */
  status: Template | null; reason: Template | null; body: Template | null;
  /** response-variable-name: the response to start from. */
  variable: string | null;
  /** `<set-body template="liquid">`: the template (set-body.ts renders the same way). */
  liquid?: string;
  headers: Array<{ name: string; action: ExistsAction; values: Template[] }>;
}
interface Config { status: number; reason: string; headers: string[]; body: string | null; computed?: Computed }

/** Whether any attribute or text of return-response (or its children) holds an expression. */
function anyExpression(el: PolicyElement): boolean {
  return hasExpression(el.text) || Object.values(el.attrs).some(hasExpression) || el.children.some(anyExpression);
}

function computedOf(el: PolicyElement, at: PolicyLocation, variable: string | null = null): Computed {
  const statusIndex = el.children.findIndex((c) => c.name === 'set-status');
  const status = statusIndex < 0 ? null : el.children[statusIndex];
  const statusAt = childLocation(at, 'set-status', statusIndex);
  if (status) allowOnly(status, statusAt, ['code', 'reason']);
  const headers: Computed['headers'] = [];
  el.children.forEach((child, i) => {
    if (child.name !== 'set-header') return;
    const where = childLocation(at, child.name, i);
    allowOnly(child, where, ['name', 'exists-action'], ['value']);
    const action = enumAttr(child, where, 'exists-action', ['override', 'skip', 'append', 'delete'] as const, 'override');
    headers.push({ name: headerName(child, where), action, values: childTexts(child, where, 'value').map((v) => templateValue(where, 'value', v)) });
  });
  const body = childTexts(el, at, 'set-body');
  return {
    status: status ? templateAttr(status, statusAt, 'code') : null,
    reason: status ? templateAttr(status, statusAt, 'reason', '') : null,
    body: body.length > 0 ? templateValue(at, 'set-body', body.join('')) : null,
    headers,
    variable,
  };
}

function respondComputed(c: Computed) {
  const status = c.status === null ? null : bindIntValue(c.status, 'status code', 100, 599);
  const reason = c.reason === null ? null : bindReasonPhrase(c.reason);
  const body = c.body === null ? null : bindStringTemplate(c.body);
  const headers = c.headers.map((h) => ({ name: h.name, action: h.action, values: h.values.map((v) => bindHeaderValue(v, 'header value')) }));
  const variable = c.variable;
  const liquid = c.liquid === undefined ? null : parseLiquid(c.liquid);
  return {
    run(ctx: RequestContext): Outcome {
      const base = variable === null ? null : baseResponse(ctx, variable);
      const list: string[] = base === null ? [] : base.headers.filter((_, i, all) => i % 2 === 0 ? keepHeader(all[i]) : keepHeader(all[i - 1]));
      for (const h of headers) applyHeader(list, h.name, h.action, h.values.map((f) => f(ctx)));
      const code = status !== null ? status(ctx) : base?.status ?? 200;
      const phrase = reason !== null ? reason(ctx) : status === null ? base?.reason ?? '' : '';
      const text = liquid !== null ? renderLiquid(liquid, ctx, ctx.response === null ? 'request' : 'response', MAX_BODY) : body !== null ? body(ctx) : null;
      ctx.respond(code, phrase, list, text ?? base?.body ?? null);
      return RESPOND;
    },
  };
}

/** The response a variable holds (send-request's answer); anything else fails the policy. */
function baseResponse(ctx: RequestContext, name: string): SentResponse {
  const v = ctx.variable(name);
  if (v instanceof SentResponse) return v;
  throw new OutpostError('OUTPOST_ERR_POLICY_FAILED', `return-response: context variable "${name}" does not hold a response`);
}

/** Framing is the gateway's to write for the new response. */
function keepHeader(name: string): boolean {
  return name !== 'content-length' && name !== 'date' && !isHopByHop(name);
}

function headersOf(el: PolicyElement, at: PolicyLocation): string[] {
  const list: string[] = [];
  el.children.forEach((child, i) => {
    if (child.name !== 'set-header') return;
    const where = childLocation(at, child.name, i);
    allowOnly(child, where, ['name', 'exists-action'], ['value']);
    const action = enumAttr(child, where, 'exists-action', ['override', 'skip', 'append', 'delete'] as const, 'override');
    const values = childTexts(child, where, 'value').map((v) => headerValue(where, 'value', v));
    applyHeader(list, headerName(child, where), action, values);
  });
  return list;
}

function respondWith(config: Config) {
  if (config.computed !== undefined) return respondComputed(config.computed);
  return {
    run(ctx: RequestContext): Outcome {
      ctx.respond(config.status, config.reason, config.headers.slice(), config.body);
      return RESPOND;
    },
  };
}

export const returnResponse: PolicyFactory<Config> = {
  name: 'return-response',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['response-variable-name'], ['set-status', 'set-header', 'set-body']);
    const liquidAt = el.children.findIndex((c) => c.name === 'set-body' && c.attrs.template !== undefined);
    if (liquidAt >= 0) return withLiquidBody(el, at, liquidAt);
    const variable = optionalVariableName(el, at, 'response-variable-name');
    if (variable !== null) {
      return { status: 0, reason: '', headers: [], body: null, computed: computedOf(el, at, variable) };
    }
    if (anyExpression(el)) return { status: 0, reason: '', headers: [], body: null, computed: computedOf(el, at) };
    const statusIndex = el.children.findIndex((c) => c.name === 'set-status');
    const status = statusIndex < 0 ? null : el.children[statusIndex];
    const statusAt = childLocation(at, 'set-status', statusIndex);
    if (status) allowOnly(status, statusAt, ['code', 'reason']);
    const body = childTexts(el, at, 'set-body');
    return {
      status: status ? intAttr(status, statusAt, 'code', { min: 100, max: 599 }) : 200,
      reason: status ? reasonAttr(status, statusAt) : '',
      headers: headersOf(el, at),
      body: body.length > 0 ? body.join('') : null,
    };
  },
  create: respondWith,
};

/** return-response whose <set-body> has a template attribute (APIM: only "liquid"). */
function withLiquidBody(el: PolicyElement, at: PolicyLocation, index: number): Config {
  const child = el.children[index];
  const childAt = childLocation(at, 'set-body', index);
  allowOnly(child, childAt, ['template']);
  enumAttr(child, childAt, 'template', ['liquid'] as const, 'liquid');
  try { parseLiquid(child.text); } catch (err) { throw new PolicyCompileError(childAt, 'template', `not a valid Liquid template: ${(err as Error).message.split('\n')[0].slice(0, 200)}`); }
  const rest = { ...el, children: el.children.filter((_, i) => i !== index) };
  const variable = optionalVariableName(el, at, 'response-variable-name');
  return { status: 0, reason: '', headers: [], body: null, computed: { ...computedOf(rest, at, variable), liquid: child.text } };
}

export const mockResponse: PolicyFactory<Config> = {
  name: 'mock-response',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    // `body` as an attribute is the YAML short form (`body: '{"ok":true}'`); <body> the XML one.
    allowOnly(el, at, ['status-code', 'content-type', 'body'], ['set-header', 'body']);
    const headers = headersOf(el, at);
    const contentType = headerValue(at, 'content-type', stringAttr(el, at, 'content-type', 'application/json'));
    applyHeader(headers, 'content-type', 'skip', [contentType]);
    const body = el.attrs.body ?? childTexts(el, at, 'body').join('');
    return { status: intAttr(el, at, 'status-code', { min: 100, max: 599 }, 200), reason: '', headers, body };
  },
  create: respondWith,
};
