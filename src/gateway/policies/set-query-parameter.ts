/**
 * set-query-parameter: adds, replaces, appends to or deletes a query parameter of the request
 * the backend gets. exists-action as APIM: override (default), skip, append, delete; the values
 * are the <value> children (several give the parameter several times). Names match decoded
 * (`a%20b` is "a b"); values are encoded with encodeURIComponent, once, at compile time.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, childTexts, enumAttr, stringAttr } from './attributes.js';
import { encodePair, pairName, splitQuery } from '../../shared/query-string.js';
import type { RequestContext } from '../pipeline/context.js';

type ExistsAction = 'override' | 'skip' | 'append' | 'delete';
interface Config { name: string; action: ExistsAction; /** `name=value` pairs, encoded. */ pairs: string[] }

export const setQueryParameter: PolicyFactory<Config> = {
  name: 'set-query-parameter',
  sections: ['inbound', 'backend'],
  compile(el, at) {
    allowOnly(el, at, ['name', 'exists-action'], ['value']);
    const name = stringAttr(el, at, 'name');
    const action = enumAttr(el, at, 'exists-action', ['override', 'skip', 'append', 'delete'] as const, 'override');
    const values = childTexts(el, at, 'value');
    if (action !== 'delete' && values.length === 0) throw new PolicyCompileError(at, null, 'needs at least one <value> unless exists-action="delete"');
    return { name, action, pairs: values.map((v) => encodePair(name, v)) };
  },
  create(config) {
    const added = config.pairs.join('&');
    return {
      run(ctx: RequestContext): Outcome {
        ctx.query = applyQueryParameter(ctx.query, config.name, config.action, added);
        return CONTINUE;
      },
    };
  },
};

/** The query after exists-action; `added` is the encoded pairs to add, joined with "&". */
export function applyQueryParameter(query: string, name: string, action: ExistsAction, added: string): string {
  if (query === '') return action === 'delete' ? '' : added;
  const pairs = splitQuery(query);
  let exists = false;
  for (const p of pairs) if (pairName(p) === name) { exists = true; break; }
  if (action === 'skip') return exists ? query : `${query}&${added}`;
  if (action === 'append') return `${query}&${added}`;
  const kept = exists ? pairs.filter((p) => pairName(p) !== name) : pairs;
  if (action === 'delete') return exists ? kept.join('&') : query;
  return kept.length === 0 ? added : `${kept.join('&')}&${added}`;
}
