/**
 * find-and-replace (APIM): replaces every occurrence of `from` with `to` in the message body (the
 * request's in inbound and backend, the response's in outbound and on-error). Plain text, not a
 * regular expression, case-sensitive, as APIM. Both may be policy expressions. Bodies are held
 * whole and bounded as for set-body (set-body.ts); the result too is at most MAX_BODY bytes.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, templateValue } from './attributes.js';
import { MAX_BODY, replaceBody } from './set-body.js';

const MAX_PATTERN = 64 * 1024;

interface Config { response: boolean; from: Template; to: Template }

export const findAndReplace: PolicyFactory<Config> = {
  name: 'find-and-replace',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['from', 'to']);
    const from = el.attrs.from;
    const to = el.attrs.to;
    if (from === undefined || from === '') throw new PolicyCompileError(at, 'from', 'is required (the text to find)');
    if (to === undefined) throw new PolicyCompileError(at, 'to', 'is required (the replacement text; may be empty)');
    if (from.length > MAX_PATTERN) throw new PolicyCompileError(at, 'from', `must be at most ${MAX_PATTERN} characters`);
    if (to.length > MAX_PATTERN) throw new PolicyCompileError(at, 'to', `must be at most ${MAX_PATTERN} characters`);
    return { response: at.section === 'outbound' || at.section === 'on-error', from: templateValue(at, 'from', from), to: templateValue(at, 'to', to) };
  },
  create(config): PolicyInstance {
    const fromOf = bindStringTemplate(config.from);
    const toOf = bindStringTemplate(config.to);
    return {
      run(ctx: RequestContext): Outcome {
        const current = config.response ? ctx.response?.body ?? null : ctx.requestBody;
        if (!config.response && ctx.requestBodyStreamed) throw new OutpostError('OUTPOST_ERR_BODY_TOO_LARGE', 'find-and-replace cannot edit a streamed request body (chunked or over 64 KiB)');
        if (current === null) return CONTINUE;
        const from = fromOf(ctx);
        if (from === '') return CONTINUE;
        const text = typeof current === 'string' ? current : current.toString('utf8');
        if (!text.includes(from)) return CONTINUE;
        const out = Buffer.from(text.split(from).join(toOf(ctx)));
        if (out.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `the edited body is over ${MAX_BODY} bytes`);
        replaceBody(ctx, config.response, out);
        return CONTINUE;
      },
    };
  },
};
