/**
 * validate-status-code (APIM): checks the response's status code against the responses the
 * operation declares (`apis[].operations[].responses`). A code the operation does not declare
 * gets unspecified-status-code-action, or the action of a `<status-code code action>` naming it
 * (an override applies only to undeclared codes, as APIM documents). prevent: 502 with APIM's
 * "internal error" words (validation-report.ts). An operation that declares no responses declares
 * no codes: every code is unspecified.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import type { Section } from '../pipeline/phases.js';
import { childLocation, collectInto, PolicyCompileError, throwCollected } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { allowOnly, intAttr, optionalVariableName } from './attributes.js';
import { actionAttr, actionOf, bindAction, finishReport, ValidationReport, type Action, type ActionSpec } from './validation-report.js';

const MAX_OVERRIDES = 100;

interface Config {
  unspecified: ActionSpec;
  /** [code, action] pairs from <status-code> elements. */
  overrides: Array<[number, Action]>;
  variable: string | null;
  section: Section;
}

export const validateStatusCode: PolicyFactory<Config> = {
  name: 'validate-status-code',
  sections: ['outbound', 'on-error'],
  compile(el, at) {
    // APIM documents errors-variable-name; its corpus also writes error-variable-name (validate-odata-request's spelling).
    allowOnly(el, at, ['unspecified-status-code-action', 'errors-variable-name', 'error-variable-name'], ['status-code']);
    if (el.attrs['errors-variable-name'] !== undefined && el.attrs['error-variable-name'] !== undefined) throw new PolicyCompileError(at, 'error-variable-name', 'give errors-variable-name or error-variable-name, not both');
    const unspecified = actionAttr(el, at, 'unspecified-status-code-action', true);
    const variable = optionalVariableName(el, at, 'errors-variable-name') ?? optionalVariableName(el, at, 'error-variable-name');
    if (el.children.length > MAX_OVERRIDES) throw new PolicyCompileError(at, null, `at most ${MAX_OVERRIDES} <status-code> elements`);
    const sink: PolicyCompileError[] = [];
    const overrides: Array<[number, Action]> = [];
    el.children.forEach((child, i) => collectInto(sink, () => {
      const where = childLocation(at, 'status-code', i);
      allowOnly(child, where, ['code', 'action']);
      const code = intAttr(child, where, 'code', { min: 100, max: 599 });
      if (overrides.some(([c]) => c === code)) throw new PolicyCompileError(where, 'code', `status code ${code} is overridden twice`);
      overrides.push([code, actionAttr(child, where, 'action', false) as Action]);
    }));
    throwCollected(sink);
    return { unspecified, overrides, variable, section: at.section as Section };
  },
  create(config): PolicyInstance {
    const unspecified = bindAction(config.unspecified, 'unspecified-status-code-action');
    const overrides = new Map(config.overrides);
    const target = { policy: 'validate-status-code', section: config.section, variable: config.variable };
    return {
      run(ctx: RequestContext) {
        const status = ctx.response?.status ?? 200;
        const declared = ctx.operationMeta?.contract?.responses;
        if (declared !== undefined && declared.some((r) => r.status === status)) return finishReport(null, target, ctx, true);
        const action = overrides.get(status) ?? actionOf(unspecified, ctx);
        if (action === 'ignore') return finishReport(null, target, ctx, true);
        const report = new ValidationReport();
        report.add(action, String(status), 'StatusCode', 'Unspecified', `Response status code ${status} is not allowed.`, 'The request could not be processed due to an internal error. Contact the API owner.');
        return finishReport(report, target, ctx, true);
      },
    };
  },
};
