/**
 * trace (APIM's policy): one JSON line on stdout, beside the request log, with the request's
 * correlation id so the two join: `{"type":"trace","correlationId",…,"source","severity",
 * "message","metadata":{…}}`. APIM sends traces to the request trace, Application Insights
 * and resource logs; a self-hosted gateway's log stream is where an operator reads them.
 *
 * message and metadata values may be policy expressions. Each is bounded (MAX_TEXT characters,
 * MAX_METADATA entries) because an expression can copy request data into them.
 *
 * APIM's older form, `<trace source="x">text or @(expression)</trace>` (the message as the
 * element's own text, no <message>), is still accepted by APIM and by real documents: the text,
 * trimmed, is the message. Text beside a <message> is refused (which one would be meant?).
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { childLocation, PolicyCompileError } from '../pipeline/policy-element.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { allowOnly, enumAttr, stringAttr, templateValue } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { log } from '../../shared/log.js';

const SEVERITIES = ['verbose', 'information', 'error'] as const;
const MAX_TEXT = 8192;
const MAX_METADATA = 32;

interface Config {
  source: string;
  severity: (typeof SEVERITIES)[number];
  message: Template;
  metadata: Array<{ name: string; value: Template }>;
}

const bounded = (s: string): string => (s.length <= MAX_TEXT ? s : `${s.slice(0, MAX_TEXT)}…`);

export const trace: PolicyFactory<Config> = {
  name: 'trace',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['source', 'severity'], ['message', 'metadata']);
    const source = stringAttr(el, at, 'source');
    if (source.length > 256) throw new PolicyCompileError(at, 'source', 'must be at most 256 characters');
    const severity = enumAttr(el, at, 'severity', SEVERITIES, 'verbose');
    const messages = el.children.filter((c) => c.name === 'message');
    const ownText = el.text.trim();
    if (messages.length > 1) throw new PolicyCompileError(at, null, 'trace takes one <message> element');
    if (messages.length === 1 && ownText !== '') throw new PolicyCompileError(at, null, 'trace takes its message either as a <message> element or as its text (the older form), not both');
    if (messages.length === 0 && ownText === '') throw new PolicyCompileError(at, null, 'trace needs a <message> element (or, in the older form, the message as its text)');
    const metadata: Config['metadata'] = [];
    el.children.forEach((c, i) => {
      if (c.name !== 'metadata') return;
      const where = childLocation(at, 'metadata', i);
      allowOnly(c, where, ['name', 'value']);
      metadata.push({ name: stringAttr(c, where, 'name'), value: templateValue(where, 'value', stringAttr(c, where, 'value')) });
    });
    if (metadata.length > MAX_METADATA) throw new PolicyCompileError(at, null, `at most ${MAX_METADATA} <metadata> elements`);
    if (messages.length === 0) return { source, severity, message: templateValue(at, 'message', ownText), metadata };
    const messageAt = childLocation(at, 'message', el.children.indexOf(messages[0]));
    allowOnly(messages[0], messageAt, []);
    return { source, severity, message: templateValue(messageAt, 'message', messages[0].text), metadata };
  },
  create(config): PolicyInstance {
    const message = bindStringTemplate(config.message);
    const metadata = config.metadata.map((m) => ({ name: m.name, value: bindStringTemplate(m.value) }));
    const level = config.severity === 'error' ? 'error' : 'info';
    return {
      run(ctx: RequestContext): Outcome {
        const meta: Record<string, string> = {};
        for (const m of metadata) meta[m.name] = bounded(m.value(ctx));
        log(level, 'trace', {
          type: 'trace', correlationId: ctx.correlationId, apiId: ctx.apiId, operationId: ctx.operationId,
          source: config.source, severity: config.severity, message: bounded(message(ctx)), metadata: meta,
        });
        return CONTINUE;
      },
    };
  },
};
