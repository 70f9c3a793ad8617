/**
 * The `<dimension name value>` children of emit-metric and the LLM token-metric policies: names
 * are constants (they become Prometheus label names on /metrics); a value is text or a policy
 * expression, or is left out for one of APIM's default dimensions (API ID, Operation ID, Product
 * ID, Subscription ID, read from the request; User ID, Location, Gateway ID and Backend ID are
 * empty here). Values are cut at MAX_DIMENSION_VALUE characters.
 */
import { childLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { bindStringTemplate, hasExpression, type Template } from '../pipeline/expression/index.js';
import { allowOnly, stringAttr, templateValue } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { labelName, MAX_DIMENSION_VALUE } from '../telemetry/custom-metrics.js';

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

export interface Dimension { label: string; value: Template | null; defaultName: string | null }

export interface DimensionRules {
  /** At most this many dimensions in all. */
  max: number;
  /** At most this many dimensions that are not default ones (null: no separate bound). */
  maxCustom: number | null;
  /**
   * Also read a default dimension's name without its " ID" ("Operation" for "Operation ID") as
   * that default dimension, when it has no value.
   */
  shortDefaultNames: boolean;
}

function defaultNameOf(name: string, rules: DimensionRules): string | null {
  const lower = name.toLowerCase();
  if (DEFAULTS.has(lower)) return lower;
  if (rules.shortDefaultNames && DEFAULTS.has(`${lower} id`)) return `${lower} id`;
  return null;
}

/** An expression that gives what a dimension's name suggests, for the compile error. */
function suggestion(dimName: string): string {
  const n = dimName.toLowerCase().replace(/[\s_-]/g, '');
  if (n === 'method') return 'value="@(context.Request.Method)"';
  if (n === 'clientip' || n === 'ip' || n === 'ipaddress') return 'value="@(context.Request.IpAddress)"';
  return 'value="@(context.Request.Url.Path)"';
}

/** The element's <dimension> children, checked (`at` is the element's location). */
export function compileDimensions(el: PolicyElement, at: PolicyLocation, rules: DimensionRules): Dimension[] {
  const labels = new Set<string>();
  const dimensions: Dimension[] = [];
  let custom = 0;
  el.children.forEach((c, i) => {
    const where = childLocation(at, 'dimension', i);
    allowOnly(c, where, ['name', 'value']);
    const dimName = stringAttr(c, where, 'name');
    if (hasExpression(dimName)) throw new PolicyCompileError(where, 'name', 'must be a constant: it becomes a label name on /metrics');
    const label = labelName(dimName);
    if (label === '' || RESERVED_LABELS.has(label) || labels.has(label)) throw new PolicyCompileError(where, 'name', `"${dimName}" is empty, reserved or repeats another dimension as label "${label}"`);
    labels.add(label);
    const hasValue = c.attrs.value !== undefined;
    const defaultName = hasValue && !DEFAULTS.has(dimName.toLowerCase()) ? null : defaultNameOf(dimName, rules);
    if (!hasValue && defaultName === null) {
      throw new PolicyCompileError(where, 'value', `is required: "${dimName}" is not a default dimension (${[...DEFAULTS.keys()].join(', ')}); give it a value (a policy expression such as ${suggestion(dimName)})`);
    }
    if (defaultName === null) custom++;
    dimensions.push({ label, value: hasValue ? templateValue(where, 'value', c.attrs.value!) : null, defaultName });
  });
  if (dimensions.length > rules.max) throw new PolicyCompileError(at, null, `at most ${rules.max} dimensions (as in APIM)`);
  if (rules.maxCustom !== null && custom > rules.maxCustom) throw new PolicyCompileError(at, null, `at most ${rules.maxCustom} custom dimensions besides the default ones (as in APIM)`);
  return dimensions;
}

/** Label name/value pairs for one request, bound once per worker. */
export type BoundDimensions = (ctx: RequestContext) => string[];

export function bindDimensions(dimensions: readonly Dimension[]): BoundDimensions {
  const dims = dimensions.map((d) => ({ label: d.label, of: d.value !== null ? bindStringTemplate(d.value) : DEFAULTS.get(d.defaultName!)! }));
  return (ctx) => {
    const labels: string[] = [];
    for (const d of dims) {
      const v = d.of(ctx);
      labels.push(d.label, v.length <= MAX_DIMENSION_VALUE ? v : v.slice(0, MAX_DIMENSION_VALUE));
    }
    return labels;
  };
}
