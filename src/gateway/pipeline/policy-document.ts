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
 * XML: attribute values stay strings. Text is trimmed and whitespace-only text dropped
 * (indentation is not content); CDATA is text as written; text pieces around child elements are
 * joined. Comments and the XML declaration are ignored. The five XML entities and character
 * references are decoded; DOCTYPE, entity declarations and other entities are rejected.
 *
 * Errors are PolicyCompileError (several at once are PolicyCompileErrors: every problem of the
 * document is reported, not only the first): an unknown section, or anything else in <policies>; a list item
 * that is not a single-key map or a name; malformed XML (with line and column), a root that is not
 * <policies>; `base` anywhere but directly in a section; `@(` or `@{` in any attribute value or
 * text (APIM's C# policy expressions are not supported: a policy that needs one fails to compile
 * rather than run with the expression as a literal string).
 * Locations: a policy is `name[i]`, i its 0-based position in its section; a nested element's
 * `element` is its path from the policy (`choose[2]/when[0]/set-header`) and its index is its
 * position among its parent's child elements.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SECTIONS, type Section } from './phases.js';
import { collectInto, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from './policy-element.js';

export type PolicyDocument = Partial<Record<Section, PolicyElement[]>>;

/** Children that in APIM's schema hold only text, by parent: a YAML scalar under them is a child. */
export const TEXT_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  'set-header': ['value'], 'set-query-parameter': ['value'], 'check-header': ['value'], claim: ['value'],
  'ip-filter': ['address'], audiences: ['audience'], issuers: ['issuer'],
  'issuer-signing-keys': ['key'], 'decryption-keys': ['key'],
  'allowed-origins': ['origin'], 'allowed-methods': ['method'],
  'allowed-headers': ['header'], 'expose-headers': ['header'],
  'return-response': ['set-body'],
  'cache-lookup': ['vary-by-header', 'vary-by-query-parameter'],
};
/** Children whose YAML list value is a list of policies rather than repeated elements. */
const POLICY_LIST_CHILDREN = new Set(['otherwise']);
const EXPRESSION = /@[({]/;

export function parsePolicyDocument(input: unknown, scope: string): PolicyDocument {
  const sink: PolicyCompileError[] = [];
  const doc = parsePolicyDocumentCollecting(input, scope, sink);
  throwCollected(sink);
  return doc;
}

/**
 * Stands where a policy with problems was, so the policies after it keep their positions (their
 * `name[i]` in later errors). Compilers skip it; a document holding one never compiles.
 */
export const INVALID_POLICY = '#invalid';

export function invalidPolicy(): PolicyElement {
  return element(INVALID_POLICY);
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

/** Where a top-level policy sits. */
export function policyLocation(scope: string, section: string, index: number, element: string): PolicyLocation {
  return { scope, section, index, element };
}

/** Where a child sits: its path from the policy, and its position among its parent's children. */
export function childLocation(parent: PolicyLocation, name: string, index: number): PolicyLocation {
  return { scope: parent.scope, section: parent.section, index, element: `${parent.element}[${parent.index}]/${name}` };
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
  for (const [attr, value] of Object.entries(el.attrs)) {
    if (EXPRESSION.test(value)) sink.push(new PolicyCompileError(at, attr, expressionProblem('attribute value')));
  }
  if (EXPRESSION.test(el.text)) sink.push(new PolicyCompileError(at, null, expressionProblem('text')));
}

function expressionProblem(where: string): string {
  return `${where} contains a C# policy expression (@(…) or @{…}); expressions are not supported`;
}

function element(name: string): PolicyElement {
  return { name, attrs: {}, children: [], text: '' };
}

function sectionError(scope: string, name: string, index: number, problem?: string): PolicyCompileError {
  return new PolicyCompileError(policyLocation(scope, 'policies', index, name), null, problem
    ?? `"${name}" is not a section: policies hold only ${SECTIONS.join(', ')}, and every policy goes in one of them`);
}

// ---- YAML ----

function fromYaml(input: unknown, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  if (!isMap(input)) {
    throw sectionError(scope, 'policies', 0, 'policies must be a mapping of sections or a string of APIM policy XML');
  }
  const doc: PolicyDocument = {};
  Object.entries(input).forEach(([name, list], i) => collectInto(sink, () => {
    if (!(SECTIONS as readonly string[]).includes(name)) throw sectionError(scope, name, i);
    if (!Array.isArray(list)) {
      throw sectionError(scope, name, i, 'a section is a list of policies (write [] for a section that runs nothing, or leave it out)');
    }
    doc[name as Section] = list.map((item, j) => collectInto(sink, () => yamlPolicy(item, (n) => policyLocation(scope, name, j, n))) ?? invalidPolicy());
  }));
  return doc;
}

/** One list item: `name` or `{ name: value }`. `locate` gives the item's location once its name is known. */
function yamlPolicy(item: unknown, locate: (name: string) => PolicyLocation): PolicyElement {
  if (typeof item === 'string' && item !== '') return element(item);
  const keys = isMap(item) ? Object.keys(item) : [];
  if (keys.length !== 1) {
    const what = keys.length > 1 ? keys.join(' + ') : isMap(item) ? '{}' : `(${item === null ? 'null' : typeof item})`;
    throw new PolicyCompileError(locate(what), null, 'each policy is a single-key map such as `rate-limit: { calls: 5 }`, or a bare name such as `base`');
  }
  const name = keys[0];
  const value = (item as Record<string, unknown>)[name];
  if (Array.isArray(value)) {
    throw new PolicyCompileError(locate(name), null, 'a policy\'s value is a mapping, a scalar (its text) or empty; nest policies with `policies: [...]`');
  }
  return yamlElement(name, value, locate(name));
}

function yamlElement(name: string, value: unknown, at: PolicyLocation): PolicyElement {
  const el = element(name);
  if (value === null || value === undefined) return el;
  if (!isMap(value)) {
    el.text = scalarText(value, at, null);
    return el;
  }
  const addChild = (childName: string, childValue: unknown): void => {
    el.children.push(yamlElement(childName, childValue, childLocation(at, childName, el.children.length)));
  };
  // Every key is read even after a bad one, so all of an element's problems are reported together.
  const sink: PolicyCompileError[] = [];
  for (const [key, v] of Object.entries(value)) collectInto(sink, () => {
    if (key === 'text') {
      el.text = scalarText(v, at, 'text');
    } else if (key === 'policies' || (POLICY_LIST_CHILDREN.has(key) && Array.isArray(v))) {
      if (!Array.isArray(v)) throw new PolicyCompileError(at, key, '`policies` is a list of policies');
      const holder = key === 'policies' ? el : element(key);
      const holderAt = key === 'policies' ? at : childLocation(at, key, el.children.length);
      for (const item of v) {
        const index = holder.children.length;
        holder.children.push(yamlPolicy(item, (n) => childLocation(holderAt, n, index)));
      }
      if (holder !== el) el.children.push(holder);
    } else if (Array.isArray(v)) {
      for (const item of v) {
        if (Array.isArray(item)) throw new PolicyCompileError(at, key, 'a list item cannot itself be a list');
        addChild(key, item);
      }
    } else if (v === null || isMap(v) || TEXT_CHILDREN[name]?.includes(key)) {
      addChild(key, v);
    } else {
      el.attrs[key] = scalarText(v, at, key);
    }
  });
  throwCollected(sink);
  return el;
}

function scalarText(v: unknown, at: PolicyLocation, attribute: string | null): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  throw new PolicyCompileError(at, attribute, `expected a string, a number or a boolean, found ${describe(v)}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'number' ? String(v) : `a ${typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v}`;
}

// ---- XML ----

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false,
  parseTagValue: false, trimValues: true, cdataPropName: '#cdata', ignoreDeclaration: true,
  ignorePiTags: true, allowBooleanAttributes: false,
  // Decodes character references (&#64;); the pre-scan below has already refused any entity
  // other than the five XML ones, so no HTML entity is ever decoded.
  htmlEntities: true,
});
const XML_ENTITY = /&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[^;\s<&]*;?/;

function fromXml(xml: string, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  const fail = (problem: string): never => { throw sectionError(scope, 'policies', 0, problem); };
  // Outside CDATA and comments (blanked, keeping offsets), nothing may declare or use an entity
  // beyond XML's own five.
  const markup = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  if (/<!(DOCTYPE|ENTITY)/i.test(markup)) fail('DOCTYPE and entity declarations are not allowed in policy XML');
  const entity = XML_ENTITY.exec(markup);
  if (entity) {
    fail(`malformed policy XML at ${lineColumn(xml, entity.index)}: "${entity[0]}" is not an XML entity (only &lt; &gt; &amp; &quot; &apos; and &#…; are; write & as &amp;)`);
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // At the end of the input the validator reports the open elements as a JSON list, at 1:1.
    const open = /^Invalid '\[(.*)\]' found\.$/s.exec(msg);
    if (open) fail(`malformed policy XML: the input ends inside ${open[1].split(',').map((n) => `<${n.trim().replace(/^"|"$/g, '')}>`).join(' ')}`);
    fail(`malformed policy XML${line ? ` at line ${line}${col ? `, column ${col}` : ''}` : ''}: ${msg}`);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(xml) as XmlNode[];
  } catch (err) {
    return fail(`malformed policy XML: ${(err as Error).message}`);
  }
  const roots = nodes.filter((n) => tagOf(n) !== null);
  if (roots.length !== 1 || tagOf(roots[0]) !== 'policies') {
    fail(`the root element must be <policies>, found ${roots.map((n) => `<${tagOf(n)}>`).join(' ') || 'none'}`);
  }
  const root = xmlElement(roots[0]);
  if (Object.keys(root.attrs).length > 0) fail('<policies> takes no attributes');
  if (root.text !== '') fail('text outside a section');
  const doc: PolicyDocument = {};
  root.children.forEach((section, i) => collectInto(sink, () => {
    const name = section.name;
    if (!(SECTIONS as readonly string[]).includes(name)) throw sectionError(scope, name, i);
    if (doc[name as Section]) throw sectionError(scope, name, i, `section ${name} appears twice`);
    if (Object.keys(section.attrs).length > 0) throw sectionError(scope, name, i, 'a section takes no attributes');
    if (section.text !== '') throw sectionError(scope, name, i, 'text in a section, outside any policy');
    doc[name as Section] = section.children;
  }));
  return doc;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/** The element name of a preserveOrder node, or null for text and CDATA. */
function tagOf(node: XmlNode): string | null {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text' && key !== '#cdata') return key;
  return null;
}

function xmlElement(node: XmlNode): PolicyElement {
  const el = element(tagOf(node) as string);
  const attrs = node[':@'] as Record<string, string> | undefined;
  if (attrs) for (const [k, v] of Object.entries(attrs)) el.attrs[k] = String(v);
  for (const child of node[el.name] as XmlNode[]) {
    if ('#text' in child) el.text += String(child['#text']);
    else if ('#cdata' in child) for (const t of child['#cdata'] as XmlNode[]) el.text += String(t['#text'] ?? '');
    else el.children.push(xmlElement(child));
  }
  return el;
}
