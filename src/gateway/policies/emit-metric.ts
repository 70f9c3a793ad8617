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
import { childLocation, PolicyCompileError } from '../pipeline/policy-element.js';
import { bindStringTemplate, bindTemplate, hasExpression, type Template } from '../pipeline/expression/index.js';
import { allowOnly, stringAttr, templateValue } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { labelName, MAX_DIMENSION_VALUE } from '../telemetry/custom-metrics.js';

const MAX_DIMENSIONS = 10;
const RESERVED_LABELS = new Set(['namespace', 'name', 'le', 'quantile']);

/**
 * APIM's default dimensions: a value taken from the request when the policy gives none. A Map, so
 * a dimension named like an inherited property ("constructor") is not mistaken for one.
 */
const DEFAULTS: ReadonlyMap<string, (ctx: RequestContext) => string> = new Map<string, (ctx: RequestContext) => string>([
  ['api id', (ctx) => ctx.apiId],
  ['operation id', (ctx) => ctx.operationId],
  ['product id', (ctx) => ctx.subscription?.productId ?? ''],
  ['subscription id', (ctx) => ctx.subscription?.id ?? ''],
  ['user id', () => ''],
  ['location', () => ''],
  // APIM's pages name it "Location" in one language and "Location ID" in another: both are taken.
  ['location id', () => ''],
  ['gateway id', () => ''],
  // Outpost does not name the backend entity a request went to in its context yet: empty.
  ['backend id', () => ''],
]);

/** An expression that gives what a dimension's name suggests, for the compile error. */
function suggestion(dimName: string): string {
  const n = dimName.toLowerCase().replace(/[\s_-]/g, '');
  if (n === 'method') return 'value="@(context.Request.Method)"';
  if (n === 'clientip' || n === 'ip' || n === 'ipaddress') return 'value="@(context.Request.IpAddress)"';
  return 'value="@(context.Request.Url.Path)"';
}

interface Dimension { label: string; value: Template | null; defaultName: string | null }
interface Config { namespace: string; name: string; value: Template; dimensions: Dimension[] }

export const emitMetric: PolicyFactory<Config> = {
  name: 'emit-metric',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'value', 'namespace'], ['dimension']);
    const name = stringAttr(el, at, 'name');
    const namespace = stringAttr(el, at, 'namespace', 'API Management');
    for (const [attr, v] of [['name', name], ['namespace', namespace]] as const) {
      if (hasExpression(v)) throw new PolicyCompileError(at, attr, 'policy expressions are not allowed here (as in APIM)');
      if (v.length > 256) throw new PolicyCompileError(at, attr, 'must be at most 256 characters');
    }
    const value = templateValue(at, 'value', el.attrs.value ?? '1');
    if (value.k === 'text' && !Number.isFinite(Number(value.v))) throw new PolicyCompileError(at, 'value', `must be a number (a double), got ${JSON.stringify(value.v)}`);
    const labels = new Set<string>();
    const dimensions: Dimension[] = [];
    el.children.forEach((c, i) => {
      const where = childLocation(at, 'dimension', i);
      allowOnly(c, where, ['name', 'value']);
      const dimName = stringAttr(c, where, 'name');
      if (hasExpression(dimName)) throw new PolicyCompileError(where, 'name', 'must be a constant: it becomes a label name on /metrics');
      const label = labelName(dimName);
      if (label === '' || RESERVED_LABELS.has(label) || labels.has(label)) throw new PolicyCompileError(where, 'name', `"${dimName}" is empty, reserved or repeats another dimension as label "${label}"`);
      labels.add(label);
      const defaultName = DEFAULTS.has(dimName.toLowerCase()) ? dimName.toLowerCase() : null;
      if (c.attrs.value === undefined && defaultName === null) {
        throw new PolicyCompileError(where, 'value', `is required: APIM lets only its default dimensions (${[...DEFAULTS.keys()].join(', ')}) leave out value, and "${dimName}" is not one; give it a value (a policy expression such as ${suggestion(dimName)})`);
      }
      dimensions.push({ label, value: c.attrs.value === undefined ? null : templateValue(where, 'value', c.attrs.value), defaultName });
    });
    if (dimensions.length > MAX_DIMENSIONS) throw new PolicyCompileError(at, null, `at most ${MAX_DIMENSIONS} dimensions (as in APIM)`);
    return { namespace, name, value, dimensions };
  },
  create(config, services): PolicyInstance {
    const valueOf = bindTemplate(config.value);
    const dims = config.dimensions.map((d) => ({ label: d.label, of: d.value !== null ? bindStringTemplate(d.value) : DEFAULTS.get(d.defaultName!)! }));
    const sink = services.metrics;
    return {
      run(ctx: RequestContext): Outcome {
        if (sink === undefined) return CONTINUE;
        const raw = valueOf(ctx);
        const value = typeof raw === 'number' ? raw : Number(raw);
        const labels: string[] = [];
        for (const d of dims) {
          const v = d.of(ctx);
          labels.push(d.label, v.length <= MAX_DIMENSION_VALUE ? v : v.slice(0, MAX_DIMENSION_VALUE));
        }
        sink.add(config.namespace, config.name, labels, value);
        return CONTINUE;
      },
    };
  },
};
