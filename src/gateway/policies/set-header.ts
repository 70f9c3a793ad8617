/**
 * set-header: adds, replaces, appends to or deletes a header: the request's in inbound and
 * backend, the response's in outbound and on-error. exists-action as APIM: override (default),
 * skip, append, delete.
 *
 * Several <value>s make one header line, joined with "," (APIM: "multiple values of a header are
 * concatenated to a CSV string: headerName: value1,value2,value3"), and append adds to the existing
 * line the same way; except for the headers APIM names whose values may hold commas or dates
 * (SEPARATE_LINES), which get one line per value.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, childTexts, enumAttr, headerName, headerValue, templateValue } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Template } from '../pipeline/expression/index.js';
import { bindHeaderValue } from './dynamic-value.js';

type ExistsAction = 'override' | 'skip' | 'append' | 'delete';
/** `values` are the constants; `computed` is set instead when a value is a policy expression. */
interface Config { name: string; action: ExistsAction; values: string[]; computed: Template[] | null; response: boolean }

export const setHeader: PolicyFactory<Config> = {
  name: 'set-header',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'exists-action'], ['value']);
    const action = enumAttr(el, at, 'exists-action', ['override', 'skip', 'append', 'delete'] as const, 'override');
    const values = childTexts(el, at, 'value');
    if (action !== 'delete' && values.length === 0) throw new PolicyCompileError(at, null, 'needs at least one <value> unless exists-action="delete"');
    const templates = values.map((v) => templateValue(at, 'value', v));
    const computed = templates.some((t) => t.k === 'code') ? templates : null;
    if (computed === null) for (const v of values) headerValue(at, 'value', v);
    return { name: headerName(el, at), action, values: computed === null ? values : [], computed, response: at.section === 'outbound' || at.section === 'on-error' };
  },
  create(config): PolicyInstance {
    if (config.computed !== null) {
      const parts = config.computed.map((t) => bindHeaderValue(t, 'header value'));
      return {
        run(ctx: RequestContext): Outcome {
          const values = parts.map((f) => f(ctx));
          applyHeader(config.response ? ctx.responseHeaders() : ctx.headers, config.name, config.action, values);
          return CONTINUE;
        },
      };
    }
    return {
      run(ctx: RequestContext): Outcome {
        const list = config.response ? ctx.responseHeaders() : ctx.headers;
        applyHeader(list, config.name, config.action, config.values);
        return CONTINUE;
      },
    };
  },
};

/** Headers APIM never joins into one comma-separated line (set-header's usage notes). */
export const SEPARATE_LINES: ReadonlySet<string> = new Set([
  'user-agent', 'www-authenticate', 'proxy-authenticate', 'cookie', 'set-cookie', 'warning',
  'date', 'expires', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'retry-after',
]);

/** Applies exists-action to a flat [name, value, …] list with lowercase names. */
export function applyHeader(list: string[], name: string, action: ExistsAction, values: string[]): void {
  let last = -1;
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) last = i;
  if (action === 'skip' && last >= 0) return;
  if (action === 'override' || action === 'delete') {
    for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === name) list.splice(i, 2);
    if (action === 'delete') return;
  }
  if (values.length === 0) return;
  if (SEPARATE_LINES.has(name)) {
    for (const v of values) list.push(name, v);
  } else if (action === 'append' && last >= 0) {
    list[last + 1] = `${list[last + 1]},${joined(values)}`;
  } else {
    list.push(name, joined(values));
  }
}

/** The values as one line; one value (the usual case) as itself, without Array#join's pass (~340 instructions a request). */
function joined(values: string[]): string {
  return values.length === 1 ? values[0] : values.join(',');
}
