/**
 * Scope merging: the policy documents of global → product → API → operation become one flat
 * chain per section, with no `base` left. Done once at compile time; the hot path runs the chain.
 *
 * Rules (APIM's), for each section separately:
 * - The innermost level that defines the section decides what runs.
 * - Its `base` element is replaced by the merged chain of the levels around it (which those
 *   levels built by the same rule), so `base` says where the enclosing policies run:
 *   first, in the middle or last.
 * - A level that defines the section without `base` drops the enclosing levels' policies for
 *   that section. An empty section (`inbound: []`, `<inbound />`) therefore runs nothing at all.
 * - A level with no document, or whose document leaves the section out, is transparent: as if
 *   it held only `<base />`.
 * - `base` in the global level stands for nothing (there is no level around it).
 * - A section may hold at most one `base`, and `base` takes no attributes, children or text;
 *   either is a PolicyCompileError naming the level's scope, the section and the index.
 *   (parsePolicyDocument has already refused `base` anywhere but directly in a section.)
 *
 * Example, inbound: global [g1, base] · product (none) · API [base, a1] · operation [o1, base]
 *   → operation's base = API's chain = [g1, a1] with global's base → [] → [o1, g1, a1].
 */
import { SECTIONS, type Section } from './phases.js';
import { PolicyCompileError, type PolicyElement } from './policy-element.js';
import { policyLocation, type PolicyDocument } from './policy-document.js';

export interface ScopeLevel {
  /** Names the level in errors, e.g. `api "orders" / operation "get"`. */
  scope: string;
  doc: PolicyDocument | undefined;
}

/** Merges `levels`, ordered outermost (global) first, into one chain per section. */
export function mergeScopes(levels: readonly ScopeLevel[]): Record<Section, PolicyElement[]> {
  const merged = {} as Record<Section, PolicyElement[]>;
  for (const section of SECTIONS) {
    let chain: PolicyElement[] = [];
    for (const { scope, doc } of levels) {
      const own = doc?.[section];
      if (own !== undefined) chain = placeBase(own, chain, scope, section);
    }
    merged[section] = chain;
  }
  return merged;
}

/** `own` with its `base` replaced by `enclosing`; just `own` when it has no `base`. */
function placeBase(own: readonly PolicyElement[], enclosing: PolicyElement[], scope: string, section: Section): PolicyElement[] {
  let at = -1;
  own.forEach((el, i) => {
    if (el.name !== 'base') return;
    const where = policyLocation(scope, section, i, 'base');
    if (at !== -1) throw new PolicyCompileError(where, null, `a section may hold only one base (the first is base[${at}])`);
    const attr = Object.keys(el.attrs)[0];
    if (attr !== undefined) throw new PolicyCompileError(where, attr, 'base takes no attributes');
    if (el.children.length > 0 || el.text !== '') throw new PolicyCompileError(where, null, 'base takes no children or text');
    at = i;
  });
  if (at === -1) return own.slice();
  return [...own.slice(0, at), ...enclosing, ...own.slice(at + 1)];
}
