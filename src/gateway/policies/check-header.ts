/**
 * check-header (inbound): the request must carry header `name`, and when <value> children are
 * given, one occurrence of it must equal one of them (any matches; `ignore-case="true"` compares
 * case-insensitively). Otherwise the gateway answers `failed-check-httpcode` with APIM's error
 * shape {"statusCode": N, "message": failed-check-error-message} and X-Outpost-Error
 * OUTPOST_ERR_HEADER_CHECK_FAILED. As in APIM, the status and message are required.
 *
 * The response body and the lowercased values are prepared once per generation, so a request
 * costs a scan of its header list.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { allowOnly, boolAttr, childTexts, headerName, intAttr, stringAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { name: string; status: number; message: string; ignoreCase: boolean; values: string[] }

const CODE = 'OUTPOST_ERR_HEADER_CHECK_FAILED';

export const checkHeader: PolicyFactory<Config> = {
  name: 'check-header',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'failed-check-httpcode', 'failed-check-error-message', 'ignore-case'], ['value']);
    const ignoreCase = boolAttr(el, at, 'ignore-case', false);
    const values = childTexts(el, at, 'value');
    return {
      name: headerName(el, at),
      status: intAttr(el, at, 'failed-check-httpcode', { min: 400, max: 599 }),
      message: stringAttr(el, at, 'failed-check-error-message'),
      ignoreCase,
      values: ignoreCase ? values.map((v) => v.toLowerCase()) : values,
    };
  },
  create(config): PolicyInstance {
    const { name, status, ignoreCase, values } = config;
    const body = JSON.stringify({ statusCode: status, message: config.message });
    const presenceOnly = values.length === 0;
    return {
      run(ctx: RequestContext): Outcome {
        const h = ctx.headers;
        for (let i = 0; i < h.length; i += 2) {
          if (h[i] !== name) continue;
          if (presenceOnly) return CONTINUE;
          const v = ignoreCase ? h[i + 1].toLowerCase() : h[i + 1];
          if (values.includes(v)) return CONTINUE;
        }
        ctx.respond(status, '', ['content-type', 'application/json', 'x-outpost-error', CODE], body);
        return RESPOND;
      },
    };
  },
};
