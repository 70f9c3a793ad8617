/**
 * Policy documents: APIM policy XML and its YAML form, parsed into one tree of PolicyElement.
 *
 * A document maps sections (inbound, backend, outbound, on-error) to lists of policies: in XML,
 * `<policies>` holding one element per section; in YAML, a mapping whose keys are section names.
 * A section left out is not defined (transparent when scopes merge, see merge-scopes.ts); an empty
 * section (`inbound: []`, `<inbound />`) is defined and holds nothing.
 *
 * YAML → element rules (an XML element is a PolicyElement as written, so XML needs no rules):
 *  1. A section is a list of policies. Each item is a single-key map `- name: value`, or a bare
 *     name `- base` (the same as `- base: {}`).
 *  2. The value of an element (a policy, or a child written as a key, rule 3) is
 *     - empty (`{}` or null): `<name />`;
 *     - a scalar: the element's text. `- set-method: POST` → `<set-method>POST</set-method>`;
 *     - a mapping: its keys, by rule 3.
 *  3. Inside a mapping, a key `k` whose value is
 *     - a scalar: the attribute k="…", except for the text children in TEXT_CHILDREN, where it is
 *       a child element with that text: under set-header, `value: v` → `<value>v</value>`;
 *     - a mapping: one child element `<k>` (rules 2 and 3 again);
 *     - a list: one child element `<k>` per item, a scalar item being that child's text and a
 *       mapping item its content: `value: [a, b]` → `<value>a</value><value>b</value>`;
 *     - null: an empty child element `<k />`.
 *     Scalars become strings: numbers as their decimal text (60, 0.5), booleans as "true" and
 *     "false", strings as written.
 *  4. Reserved keys. `text: …` (a scalar) is the element's text. `policies: [ … ]` is a list of
 *     policies (rule 1) added as child elements where the key stands. `otherwise: [ … ]` is short
 *     for `otherwise: { policies: [ … ] }` (APIM's <otherwise> holds only policies, once).
 *  5. Child elements keep the order of the keys and list items; attributes have no order.
 *  So this YAML and this XML give the same tree:
 *     - choose:                                   <choose>
 *         when:                                     <when condition="…">
 *           - condition: "…"                          <set-header name="X"><value>v</value></set-header>
 *             policies:                             </when>
 *               - set-header: { name: X, value: v } <otherwise><mock-response status-code="404" /></otherwise>
 *         otherwise:                              </choose>
 *           - mock-response: { status-code: 404 }
 *  Any other child with only text is written `k: { text: … }` or `k: [ … ]`.
 *
 * XML is read as APIM reads its files (apim-xml/): C# expressions (`@(…)`, `@{…}`) may hold raw
 * quotes, `<` and `&&`, and come out exactly as written. Attribute values stay strings. Text is
 * trimmed and whitespace-only text dropped (indentation is not content); CDATA is text as written;
 * text pieces around child elements are joined. Comments and the XML declaration are ignored. The
 * five XML entities and character references are decoded; DOCTYPE, entity declarations and other
 * entities are rejected.
 *
 * Errors are PolicyCompileError (several at once are PolicyCompileErrors: every problem of the
 * document is reported, not only the first): an unknown section, or anything else in <policies>; a list item
 * that is not a single-key map or a name; malformed XML (with line and column), a root that is not
 * <policies>; `base` anywhere but directly in a section; `@(` or `@{` in an attribute value or
 * text where no policy evaluates expressions (EXPRESSION_ATTRIBUTES, EXPRESSION_TEXTS: anywhere
 * else the expression would be sent as a literal string, so it is refused).
 * Locations: a policy is `name[i]`, i its 0-based position in its section; a nested element's
 * `element` is its path from the policy (`choose[2]/when[0]/set-header`) and its index is its
 * position among its parent's child elements.
 */
import { SECTIONS, type Section } from './phases.js';
import { childLocation, invalidPolicy, policyLocation, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from './policy-element.js';
import { fromYaml } from './policy-yaml.js';
import { fromXml } from './apim-xml/policy-xml.js';

export { childLocation, INVALID_POLICY, invalidPolicy, policyLocation } from './policy-element.js';
export { TEXT_CHILDREN } from './policy-yaml.js';

export type PolicyDocument = Partial<Record<Section, PolicyElement[]>>;

const EXPRESSION = /@[({]/;
/** `element@attribute` pairs whose value may be a policy expression (compiled by the policy, expression/template.ts). */
export const EXPRESSION_ATTRIBUTES = new Set(['validate-azure-ad-token@token-value', 'cache-store@duration', 'cache-store-value@duration',
  'when@condition', 'retry@condition', 'set-variable@value', 'set-status@code', 'set-status@reason',
  'rewrite-uri@template', 'rate-limit-by-key@counter-key', 'quota-by-key@counter-key', 'limit-concurrency@key',
  'llm-token-limit@counter-key', 'azure-openai-token-limit@counter-key',
  'rate-limit-by-key@calls', 'rate-limit-by-key@increment-count', 'rate-limit-by-key@increment-condition',
  'quota-by-key@increment-count', 'quota-by-key@increment-condition',
  'cache-lookup-value@key', 'cache-lookup-value@default-value', 'cache-store-value@key', 'cache-store-value@value', 'cache-remove-value@key',
  'set-backend-service@backend-id', 'set-backend-service@base-url', 'authentication-basic@username', 'authentication-basic@password', 'metadata@value',
  'emit-metric@value', 'dimension@value', 'find-and-replace@from', 'find-and-replace@to',
  'get-authorization-context@provider-id', 'get-authorization-context@authorization-id', 'get-authorization-context@context-variable-name',
  'get-authorization-context@identity-type', 'get-authorization-context@identity', 'get-authorization-context@ignore-error',
  'jsonp@callback-parameter-name',
  'retry@count', 'retry@interval', 'retry@max-interval', 'retry@delta', 'retry@first-fast-retry']);
/** Elements (`parent/child` or a policy's own name) whose text may be a policy expression. */
export const EXPRESSION_TEXTS = new Set(['set-header/value', 'set-query-parameter/value', 'set-method', 'return-response/set-body', 'set-variable', 'trace/message', 'trace',
  'set-body', 'send-request/set-url', 'send-request/set-method', 'send-request/set-body',
  'send-one-way-request/set-url', 'send-one-way-request/set-method', 'send-one-way-request/set-body']);

export function parsePolicyDocument(input: unknown, scope: string): PolicyDocument {
  const sink: PolicyCompileError[] = [];
  const doc = parsePolicyDocumentCollecting(input, scope, sink);
  throwCollected(sink);
  return doc;
}

/**
 * parsePolicyDocument going on past problems: every problem of every policy goes into `sink`
 * and each policy that has one is replaced by an INVALID_POLICY placeholder. Only a document that
 * cannot be read at all (not a mapping, malformed XML) throws.
 */
export function parsePolicyDocumentCollecting(input: unknown, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  const doc = typeof input === 'string' ? fromXml(input, scope, sink) : fromYaml(input, scope, sink);
  for (const section of SECTIONS) {
    const list = doc[section];
    if (!list) continue;
    doc[section] = list.map((el, i) => {
      const found: PolicyCompileError[] = [];
      walkElement(el, policyLocation(scope, section, i, el.name), 0, (e, at, depth) => checkElement(e, at, depth, found));
      sink.push(...found);
      return found.length > 0 ? invalidPolicy() : el;
    });
  }
  return doc;
}

/** Visits every element, parents before children, with its location and depth (0 = a policy). */
export function walkDocument(doc: PolicyDocument, scope: string, visit: Visit): void {
  for (const section of SECTIONS) {
    doc[section]?.forEach((el, i) => walkElement(el, policyLocation(scope, section, i, el.name), 0, visit));
  }
}

type Visit = (el: PolicyElement, at: PolicyLocation, depth: number) => void;

function walkElement(el: PolicyElement, at: PolicyLocation, depth: number, visit: Visit): void {
  visit(el, at, depth);
  el.children.forEach((c, i) => walkElement(c, childLocation(at, c.name, i), depth + 1, visit));
}

/** Every problem of one element (not only the first) goes into `sink`. */
function checkElement(el: PolicyElement, at: PolicyLocation, depth: number, sink: PolicyCompileError[]): void {
  if (el.name === 'base' && depth > 0) sink.push(new PolicyCompileError(at, null, 'base may only stand directly in a section'));
  const path = at.element.split('/').map((p) => p.replace(/\[\d+\]$/, ''));
  const name = path[path.length - 1];
  const parent = path.length > 1 ? path[path.length - 2] : '';
  for (const [attr, value] of Object.entries(el.attrs)) {
    if (EXPRESSION.test(value) && !EXPRESSION_ATTRIBUTES.has(`${name}@${attr}`)) sink.push(new PolicyCompileError(at, attr, expressionProblem('attribute value')));
  }
  if (EXPRESSION.test(el.text) && !EXPRESSION_TEXTS.has(`${parent}/${name}`) && !EXPRESSION_TEXTS.has(name)) sink.push(new PolicyCompileError(at, null, expressionProblem('text')));
}

function expressionProblem(where: string): string {
  return `${where} contains a C# policy expression (@(…) or @{…}), which this element does not evaluate`;
}
