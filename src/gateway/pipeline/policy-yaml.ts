/**
 * The YAML form of a policy document → PolicyElement trees, by the rules in policy-document.ts.
 */
import { SECTIONS, type Section } from './phases.js';
import {
  childLocation, collectInto, documentError, emptyElement, invalidPolicy, policyLocation, PolicyCompileError, throwCollected,
  type PolicyElement, type PolicyLocation,
} from './policy-element.js';
import type { PolicyDocument } from './policy-document.js';

/** Children that in APIM's schema hold only text, by parent: a YAML scalar under them is a child. */
export const TEXT_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  'set-header': ['value'], 'set-query-parameter': ['value'], 'check-header': ['value'], claim: ['value'],
  'ip-filter': ['address'], audiences: ['audience'], issuers: ['issuer'],
  'issuer-signing-keys': ['key'], 'decryption-keys': ['key'],
  'allowed-origins': ['origin'], 'allowed-methods': ['method'],
  'allowed-headers': ['header'], 'expose-headers': ['header'],
  'return-response': ['set-body'],
  'send-request': ['set-url', 'set-method', 'set-body'], 'send-one-way-request': ['set-url', 'set-method', 'set-body'],
  'cache-lookup': ['vary-by-header', 'vary-by-query-parameter'],
};
/** Children whose YAML list value is a list of policies rather than repeated elements. */
const POLICY_LIST_CHILDREN = new Set(['otherwise']);
export function fromYaml(input: unknown, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  if (!isMap(input)) {
    throw documentError(scope, 'policies', 0, 'policies must be a mapping of sections or a string of APIM policy XML');
  }
  const doc: PolicyDocument = {};
  Object.entries(input).forEach(([name, list], i) => collectInto(sink, () => {
    if (!(SECTIONS as readonly string[]).includes(name)) throw notASection(scope, name, i);
    if (!Array.isArray(list)) {
      throw documentError(scope, name, i, 'a section is a list of policies (write [] for a section that runs nothing, or leave it out)');
    }
    doc[name as Section] = list.map((item, j) => collectInto(sink, () => yamlPolicy(item, (n) => policyLocation(scope, name, j, n))) ?? invalidPolicy());
  }));
  return doc;
}

/** One list item: `name` or `{ name: value }`. `locate` gives the item's location once its name is known. */
function yamlPolicy(item: unknown, locate: (name: string) => PolicyLocation): PolicyElement {
  if (typeof item === 'string' && item !== '') return emptyElement(item);
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
  const el = emptyElement(name);
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
      const holder = key === 'policies' ? el : emptyElement(key);
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

export function notASection(scope: string, name: string, index: number): PolicyCompileError {
  return documentError(scope, name, index, `"${name}" is not a section: policies hold only ${SECTIONS.join(', ')}, and every policy goes in one of them`);
}
