/**
 * set-variable: stores a value in context.Variables for later policies and expressions
 * (`context.Variables["name"]`, `GetValueOrDefault<T>`). The value is a constant string or a
 * policy expression whose result keeps its type (bool, int, string, JObject...), as in APIM.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { bindTemplate, type Template } from '../pipeline/expression/index.js';
import { allowOnly, templateValue, variableName } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { name: string; value: Template }

export const setVariable: PolicyFactory<Config> = {
  name: 'set-variable',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'value']);
    const name = variableName(el, at, 'name');
    if (el.attrs.value === undefined) throw new PolicyCompileError(at, 'value', 'is required');
    if (el.text !== '') throw new PolicyCompileError(at, null, 'set-variable takes its value in the value attribute, not as text');
    return { name, value: templateValue(at, 'value', el.attrs.value) };
  },
  create(config): PolicyInstance {
    const value = bindTemplate(config.value);
    const name = config.name;
    return {
      run(ctx: RequestContext): Outcome {
        ctx.setVariable(name, value(ctx));
        return CONTINUE;
      },
    };
  },
};
