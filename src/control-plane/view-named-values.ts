/**
 * Which named values a gateway is sent: only those its policies refer to as `{{name}}` (the
 * policies of its assigned APIs and their operations, and of the products that include them).
 * A secret used only by another gateway's API never leaves the control plane for this one.
 *
 * The documents are parsed as the gateway parses them, so a reference counts exactly when the
 * gateway would substitute it. A document that does not parse (the control plane validates every
 * write, so this is a safety net) is scanned as text instead: that may send a value too many,
 * never one too few.
 */
import { parsePolicyDocument } from '../gateway/pipeline/policy-document.js';
import { namedValueReferences } from '../gateway/pipeline/named-values.js';
import type { Doc } from './store.js';

const REFERENCE = /\{\{([^{}]*)\}\}/g;

/** The `policies` of each API, each of its operations and each product given. */
export function policiesOf(apis: Doc[], products: Doc[]): unknown[] {
  const out: unknown[] = [];
  for (const api of apis) {
    out.push(api.policies);
    const operations = Array.isArray(api.operations) ? (api.operations as Doc[]) : [];
    for (const op of operations) out.push(op?.policies);
  }
  for (const product of products) out.push(product.policies);
  return out.filter((p) => p !== undefined && p !== null);
}

export function referencedNames(policies: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const policy of policies) {
    try {
      namedValueReferences(parsePolicyDocument(policy, 'policies'), 'policies', names);
    } catch {
      for (const [, name] of JSON.stringify(policy).matchAll(REFERENCE)) names.add(name);
    }
  }
  return names;
}

/**
 * The named values (in store order) that `apis`, `products`, policy `fragments` and `backends`
 * refer to. A fragment's `<fragment>` XML is not a policies document, so it is scanned as text
 * (never one too few); so are a backend's credentials, which the gateway fills with the same
 * `{{name}}` pattern (src/shared/backend-schema.ts).
 */
export function namedValuesFor(apis: Doc[], products: Doc[], all: Doc[], fragments: Doc[] = [], backends: Doc[] = []): Doc[] {
  const names = referencedNames([...policiesOf(apis, products), ...fragments.map((f) => f.policy).filter((p) => p !== undefined && p !== null)]);
  for (const backend of backends) {
    if (backend.credentials === undefined) continue;
    for (const [, name] of JSON.stringify(backend.credentials).matchAll(REFERENCE)) names.add(name);
  }
  return all.filter((nv) => names.has(String(nv.name)));
}
