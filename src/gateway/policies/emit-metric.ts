/**
 * emit-metric (APIM's policy): adds `value` (a double, default 1; a policy expression allowed) to
 * a custom metric, by dimensions. APIM sends it to Application Insights; Outpost serves it on the
 * ops listener's /metrics as outpost_custom_metric_sum / _count {namespace, name, <dimensions>}.
 *
 * Dimension names are constants (they become Prometheus label names); a value may be an
 * expression, or be left out for APIM's default dimensions (API ID, Operation ID, Product ID,
 * Subscription ID; User ID, Location, Gateway ID and Backend ID are empty here). Only those may
 * leave out their value, as APIM documents: a dimension such as "Method" or "Client IP" is not one
 * of APIM's defaults and needs a value (`value="@(context.Request.Method)"`), so a document that
 * omits it (the policy toolkit's test data does) is refused, naming the fix. At most 10
 * dimensions (as APIM);
 * the number of label sets is bounded in the worker and the primary (custom-metrics.ts).
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindTemplate, hasExpression, type Template } from '../pipeline/expression/index.js';
import { allowOnly, stringAttr, templateValue } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindDimensions, compileDimensions, type Dimension } from './metric-dimensions.js';

const DIMENSION_RULES = { max: 10, maxCustom: null, shortDefaultNames: false };

interface Config { namespace: string; name: string; value: Template; dimensions: Dimension[] }

export const emitMetric: PolicyFactory<Config> = {
  name: 'emit-metric',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'value', 'namespace'], ['dimension']);
    const name = stringAttr(el, at, 'name');
    const namespace = metricNamespace(el, at);
    if (hasExpression(name)) throw new PolicyCompileError(at, 'name', 'policy expressions are not allowed here (as in APIM)');
    if (name.length > 256) throw new PolicyCompileError(at, 'name', 'must be at most 256 characters');
    const value = templateValue(at, 'value', el.attrs.value ?? '1');
    if (value.k === 'text' && !Number.isFinite(Number(value.v))) throw new PolicyCompileError(at, 'value', `must be a number (a double), got ${JSON.stringify(value.v)}`);
    return { namespace, name, value, dimensions: compileDimensions(el, at, DIMENSION_RULES) };
  },
  create(config, services): PolicyInstance {
    const valueOf = bindTemplate(config.value);
    const labelsOf = bindDimensions(config.dimensions);
    const sink = services.metrics;
    return {
      run(ctx: RequestContext): Outcome {
        if (sink === undefined) return CONTINUE;
        const raw = valueOf(ctx);
        const value = typeof raw === 'number' ? raw : Number(raw);
        sink.add(config.namespace, config.name, labelsOf(ctx), value);
        return CONTINUE;
      },
    };
  },
};

/** The `namespace` attribute (default "API Management"): a constant of at most 256 characters, as APIM. */
export function metricNamespace(el: PolicyElement, at: PolicyLocation): string {
  const namespace = stringAttr(el, at, 'namespace', 'API Management');
  if (hasExpression(namespace)) throw new PolicyCompileError(at, 'namespace', 'policy expressions are not allowed here (as in APIM)');
  if (namespace.length > 256) throw new PolicyCompileError(at, 'namespace', 'must be at most 256 characters');
  return namespace;
}
