/**
 * Policy fragments (APIM's policyFragments) and include-fragment. A fragment is parsed once per
 * config; every `<include-fragment fragment-id="…" />` is replaced, at compile time, by a copy of
 * the fragment's policies where it stands (in a section or inside choose/when), as APIM inserts it
 * "as-is". The hot path never sees include-fragment.
 *
 * APIM's limits hold here too: a fragment holds policies only (no section element, no `<base />`),
 * at most 32 KB of XML, and no include-fragment of its own (APIM does not nest fragments).
 * A fragment is read and checked as XML on its own; its policies are compiled where they are
 * included (their section decides what they may do), so their problems name the including scope.
 */
import type { GatewayConfig } from '../../shared/config-schema.js';
import { SECTIONS } from './phases.js';
import { parsePolicyDocumentCollecting, type PolicyDocument } from './policy-document.js';
import { childLocation, invalidPolicy, policyLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from './policy-element.js';

export type Fragments = ReadonlyMap<string, readonly PolicyElement[]>;

export const INCLUDE_FRAGMENT = 'include-fragment';

/** Parses every fragment of the config; problems are reported at `fragments[i].policy`. */
export function parseFragments(config: GatewayConfig, sink: PolicyCompileError[], onUnreadable: (err: unknown, scope: string) => void): Fragments {
  const out = new Map<string, readonly PolicyElement[]>();
  config.fragments.forEach((fragment, i) => {
    const scope = `fragments[${i}].policy`;
    try {
      const policies = readFragment(fragment.policy, scope, sink);
      policies.forEach((el, j) => checkFragmentPolicy(el, policyLocation(scope, 'fragment', j, el.name), sink));
      out.set(fragment.id, policies);
    } catch (err) {
      if (err instanceof PolicyCompileError) sink.push(err);
      else onUnreadable(err, scope);
    }
  });
  return out;
}

/**
 * `<fragment>…</fragment>` is read as the one section of a policy document, so a fragment is
 * parsed (expressions, positions, checks) exactly as policies are. The wrapper replaces the root
 * tag on its own line position: only columns on the root tag's line can be off.
 */
export function readFragment(policy: string | unknown[], scope: string, sink: PolicyCompileError[]): PolicyElement[] {
  if (typeof policy !== 'string') return parsePolicyDocumentCollecting({ inbound: policy }, scope, sink).inbound ?? [];
  const open = /^(\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*)<fragment\s*>/.exec(policy);
  const close = /<\/fragment\s*>\s*$/.exec(policy);
  if (open === null || close === null || close.index < open[0].length) {
    throw new PolicyCompileError(policyLocation(scope, 'fragment', 0, 'fragment'), null, 'a fragment must be one <fragment> element holding policies');
  }
  const inner = policy.slice(open[0].length, close.index);
  const wrapped = `${open[1]}<policies><inbound>${inner}</inbound></policies>`;
  return parsePolicyDocumentCollecting(wrapped, scope, sink).inbound ?? [];
}

function checkFragmentPolicy(el: PolicyElement, at: PolicyLocation, sink: PolicyCompileError[]): void {
  if (el.name === 'base' || (SECTIONS as readonly string[]).includes(el.name)) {
    sink.push(new PolicyCompileError(at, null, `a fragment may not hold <${el.name}> (as in APIM: policies only)`));
  }
  if (el.name === INCLUDE_FRAGMENT) sink.push(new PolicyCompileError(at, null, 'a fragment may not include another fragment (APIM does not nest fragments)'));
  el.children.forEach((c, i) => { if (c.name === INCLUDE_FRAGMENT) checkFragmentPolicy(c, childLocation(at, c.name, i), sink); });
}

/**
 * Replaces every include-fragment in `doc` by a copy of the fragment's policies. A copy per place,
 * so each inclusion is its own policy statement (its own rate-limit counter, its own location).
 */
export function expandFragments(doc: PolicyDocument, fragments: Fragments, scope: string, sink: PolicyCompileError[]): PolicyDocument {
  for (const section of SECTIONS) {
    const list = doc[section];
    if (list !== undefined) doc[section] = expandList(list, fragments, (i, name) => policyLocation(scope, section, i, name), sink);
  }
  return doc;
}

function expandList(list: readonly PolicyElement[], fragments: Fragments, where: (index: number, name: string) => PolicyLocation, sink: PolicyCompileError[]): PolicyElement[] {
  const out: PolicyElement[] = [];
  list.forEach((el, i) => {
    if (el.name !== INCLUDE_FRAGMENT) {
      if (el.children.length > 0) el.children = expandList(el.children, fragments, (j, name) => childLocation(where(i, el.name), name, j), sink);
      out.push(el);
      return;
    }
    const at = where(i, el.name);
    const before = sink.length;
    const unknown = Object.keys(el.attrs).filter((a) => a !== 'fragment-id');
    const id = el.attrs['fragment-id'];
    if (unknown.length > 0 || el.children.length > 0 || el.text !== '') sink.push(new PolicyCompileError(at, unknown[0] ?? null, 'include-fragment takes only the fragment-id attribute'));
    else if (id === undefined || id === '') sink.push(new PolicyCompileError(at, 'fragment-id', 'is required'));
    else if (/@[({]/.test(id)) sink.push(new PolicyCompileError(at, 'fragment-id', 'policy expressions are not allowed here (as in APIM)'));
    else {
      const policies = fragments.get(id);
      if (policies === undefined) sink.push(new PolicyCompileError(at, 'fragment-id', `no fragment with id "${id}" (config: fragments[].id)`));
      else for (const p of policies) out.push(structuredClone(p));
    }
    // A placeholder keeps the positions of the policies after it in later errors.
    if (sink.length > before) out.push(invalidPolicy());
  });
  return out;
}
