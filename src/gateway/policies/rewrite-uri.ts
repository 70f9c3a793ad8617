/**
 * rewrite-uri: replaces the path (and query) the backend gets with `template`, e.g.
 * "/v2/items/{id}?view={view}". A `{name}` takes the operation's template parameter of that
 * name (ctx.params, already decoded), else the request's query parameter of that name, else "";
 * it is encoded with encodeURIComponent. The path is relative to the backend's base URL, as in
 * APIM. copy-unmatched-params (default true): the request's query parameters are kept after the
 * template's, except those the template's query names (the template wins) and those the
 * operation's URL template matched (`/items?id={id}`: APIM counts them as matched); false drops them.
 *
 * The template is compiled once into literal pieces and parameter names; per request the policy
 * only concatenates.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, stringAttr } from './attributes.js';
import { pairName, queryValue, splitQuery } from '../../shared/query-string.js';
import type { RequestContext } from '../pipeline/context.js';

/** Alternating pieces: literal, param name, literal, …, literal (always odd length). */
type Pieces = string[];

interface Config {
  path: Pieces;
  /** The template's query as pieces ([] when it has none). */
  query: Pieces;
  /** Decoded names of the template's query parameters (they win over the request's). */
  queryNames: string[];
  copyUnmatched: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function compilePieces(text: string, at: PolicyLocation): Pieces {
  const pieces: Pieces = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '}') throw new PolicyCompileError(at, 'template', `unmatched "}" at position ${i}`);
    if (c !== '{') { literal += c; continue; }
    const end = text.indexOf('}', i);
    if (end < 0) throw new PolicyCompileError(at, 'template', `unclosed "{" at position ${i}`);
    const name = text.slice(i + 1, end);
    if (!PARAM_NAME.test(name)) throw new PolicyCompileError(at, 'template', `"{${name}}" is not a parameter name`);
    pieces.push(literal, name);
    literal = '';
    i = end;
  }
  pieces.push(literal);
  return pieces;
}

export const rewriteUri: PolicyFactory<Config> = {
  name: 'rewrite-uri',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['template', 'copy-unmatched-params']);
    const template = stringAttr(el, at, 'template').trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(template) || template.startsWith('//')) {
      throw new PolicyCompileError(at, 'template', 'must be a path (the backend is chosen by set-backend-service), not a URL');
    }
    if (/[\s#]/.test(template)) throw new PolicyCompileError(at, 'template', 'may not contain whitespace or "#"');
    const q = template.indexOf('?');
    const pathText = q < 0 ? template : template.slice(0, q);
    const queryText = q < 0 ? '' : template.slice(q + 1);
    const queryNames: string[] = [];
    for (const pair of splitQuery(queryText)) {
      const name = pairName(pair);
      if (name.includes('{')) throw new PolicyCompileError(at, 'template', `a query parameter name cannot be a parameter ("${name}")`);
      queryNames.push(name);
    }
    return {
      path: compilePieces(pathText.startsWith('/') ? pathText : `/${pathText}`, at),
      query: queryText === '' ? [] : compilePieces(queryText, at),
      queryNames,
      copyUnmatched: boolAttr(el, at, 'copy-unmatched-params', true),
    };
  },
  create(config) {
    return {
      run(ctx: RequestContext): Outcome {
        const original = ctx.query;
        ctx.path = render(config.path, ctx, original);
        let query = config.query.length === 0 ? '' : render(config.query, ctx, original);
        if (config.copyUnmatched && original !== '') {
          for (const pair of splitQuery(original)) {
            const name = pairName(pair);
            if (config.queryNames.includes(name) || ctx.templateQueryNames.includes(name)) continue;
            query = query === '' ? pair : `${query}&${pair}`;
          }
        }
        ctx.query = query;
        return CONTINUE;
      },
    };
  },
};

function render(pieces: Pieces, ctx: RequestContext, originalQuery: string): string {
  let out = pieces[0];
  for (let i = 1; i < pieces.length; i += 2) {
    const name = pieces[i];
    const value = (Object.hasOwn(ctx.params, name) ? ctx.params[name] : null) ?? queryValue(originalQuery, name) ?? '';
    out += encodeURIComponent(value) + pieces[i + 1];
  }
  return out;
}
