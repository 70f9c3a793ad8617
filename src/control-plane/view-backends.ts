/**
 * Which backend entities a gateway is sent: those that its policies name with a constant
 * `<set-backend-service backend-id="…">` (the policies of its APIs, their operations, its
 * products, and the fragments those include), plus the members of the pools among them. A
 * backend-id written as a policy expression (`@(…)`, `@{…}`) can name any backend at run time,
 * so one such policy sends every backend.
 *
 * Documents are parsed as the gateway parses them; `{{name}}` in a backend-id is filled from the
 * named values first (the gateway substitutes before it compiles). A document that does not parse
 * cleanly (the control plane validates every write, so this is a safety net) sends every backend:
 * one too many, never one too few.
 */
import { parsePolicyDocumentCollecting } from '../gateway/pipeline/policy-document.js';
import { INCLUDE_FRAGMENT, readFragment } from '../gateway/pipeline/fragments.js';
import { hasExpression } from '../gateway/pipeline/expression/template.js';
import type { PolicyCompileError, PolicyElement } from '../gateway/pipeline/policy-element.js';
import { SECTIONS } from '../gateway/pipeline/phases.js';
import type { Doc } from './store.js';
import { policiesOf } from './view-named-values.js';

const SET_BACKEND_SERVICE = 'set-backend-service';
const REFERENCE = /\{\{([^{}]*)\}\}/g;

/** What a set of policies asks of the backends: constant ids, any expression, fragments included. */
export interface BackendUses {
  ids: Set<string>;
  /** A backend-id is an expression, or a document could not be read: every backend is needed. */
  any: boolean;
  fragments: Set<string>;
}

/** Collects the backend ids (and included fragment ids) of `elements`, at any depth. */
export function collectBackendUses(elements: readonly PolicyElement[], named: ReadonlyMap<string, string>, uses: BackendUses): void {
  for (const el of elements) {
    if (el.name === SET_BACKEND_SERVICE) {
      const raw = el.attrs['backend-id'];
      if (raw !== undefined) {
        const id = raw.replace(REFERENCE, (whole, name: string) => named.get(name) ?? whole);
        if (hasExpression(id)) uses.any = true;
        else uses.ids.add(id);
      }
    } else if (el.name === INCLUDE_FRAGMENT) {
      const id = el.attrs['fragment-id'];
      if (id !== undefined) uses.fragments.add(id);
    }
    collectBackendUses(el.children, named, uses);
  }
}

/** The uses of one policies document (an API's, an operation's, a product's). */
function documentUses(policies: unknown, named: ReadonlyMap<string, string>, uses: BackendUses): void {
  const sink: PolicyCompileError[] = [];
  try {
    const doc = parsePolicyDocumentCollecting(policies, 'policies', sink);
    for (const section of SECTIONS) collectBackendUses(doc[section] ?? [], named, uses);
  } catch {
    uses.any = true;
  }
  if (sink.length > 0) uses.any = true;
}

/** The uses of one fragment's `policy` (`<fragment>` XML or a list of policies). */
export function fragmentUses(policy: unknown, named: ReadonlyMap<string, string>, uses: BackendUses): void {
  if (typeof policy !== 'string' && !Array.isArray(policy)) { uses.any = true; return; }
  const sink: PolicyCompileError[] = [];
  try {
    collectBackendUses(readFragment(policy, 'fragment', sink), named, uses);
  } catch {
    uses.any = true;
  }
  if (sink.length > 0) uses.any = true;
}

/** Single backend ids a pool document names. */
function poolMembers(backend: Doc): string[] {
  const pool = backend.pool as { services?: unknown } | undefined;
  const services = Array.isArray(pool?.services) ? (pool.services as Array<{ id?: unknown }>) : [];
  return services.map((s) => s?.id).filter((id): id is string => typeof id === 'string');
}

/**
 * The backends (in store order) that `apis`, `products` and the `fragments` they include name,
 * with every pool's members; all of them when a backend-id is an expression.
 */
export function backendsFor(apis: Doc[], products: Doc[], fragments: Doc[], backends: Doc[], namedValues: Doc[]): Doc[] {
  if (backends.length === 0) return [];
  const named = new Map(namedValues.map((v) => [String(v.name), String(v.value)]));
  const uses: BackendUses = { ids: new Set(), any: false, fragments: new Set() };
  for (const policies of policiesOf(apis, products)) documentUses(policies, named, uses);
  for (const fragment of fragments) {
    if (uses.fragments.has(String(fragment.id))) fragmentUses(fragment.policy, named, uses);
  }
  if (uses.any) return backends;
  const byId = new Map(backends.map((b) => [String(b.id), b]));
  // Pools hold single backends only (the schema says so), but a closure costs nothing and holds
  // whatever the documents say.
  const pending = [...uses.ids];
  while (pending.length > 0) {
    const backend = byId.get(pending.pop()!);
    if (backend === undefined) continue;
    for (const member of poolMembers(backend)) {
      if (!uses.ids.has(member)) { uses.ids.add(member); pending.push(member); }
    }
  }
  return backends.filter((b) => uses.ids.has(String(b.id)));
}
