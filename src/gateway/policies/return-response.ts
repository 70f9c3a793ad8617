/**
 * return-response and mock-response: end the request at the gateway with a response built at
 * compile time (status, reason, headers, body). The backend is never called; outbound does not
 * run (APIM's return-response). mock-response is the same with defaults suited to mocking:
 * status 200 and a JSON content type.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { RESPOND, type Outcome } from '../pipeline/phases.js';
import type { PolicyElement, PolicyLocation } from '../pipeline/policy-element.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { allowOnly, childTexts, enumAttr, headerName, headerValue, intAttr, reasonAttr, stringAttr } from './attributes.js';
import { applyHeader } from './set-header.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { status: number; reason: string; headers: string[]; body: string | null }

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
    if (el.attrs['response-variable-name'] !== undefined) throw new PolicyCompileError(at, 'response-variable-name', 'context variables are not supported');
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
