/**
 * Required query parameters become the query part of an operation's URL template, as APIM
 * imports them (`/items?id={id}`): the gateway then requires them and binds their values.
 * Parameters are the path item's and the operation's (the operation's win, by name and location),
 * `$ref`s to the document's own parameters resolved; optional ones stay out of the template.
 */
import { isObject, type Json } from './servers.js';

/** How deep a `$ref` chain may go: a document whose refs loop is refused, not followed forever. */
const MAX_REF_HOPS = 8;

export function resolveRef(doc: Json, value: unknown): unknown {
  let current = value;
  for (let hop = 0; isObject(current) && typeof current.$ref === 'string'; hop++) {
    if (hop >= MAX_REF_HOPS || !current.$ref.startsWith('#/')) return undefined;
    let target: unknown = doc;
    for (const raw of current.$ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) && Object.hasOwn(target, key) ? target[key] : undefined;
    }
    current = target;
  }
  return current;
}

/** Names of the required query parameters, in declared order (path item first). */
export function requiredQueryNames(doc: Json, pathItem: Json, operation: Json): string[] {
  const byKey = new Map<string, Json>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = resolveRef(doc, raw);
      if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') byKey.set(`${p.in}\u0000${p.name}`, p);
    }
  }
  return [...byKey.values()].filter((p) => p.in === 'query' && p.required === true).map((p) => p.name as string);
}

/** `path` with `?name={param}&…` for `names`; a param name is made a valid template name, unique. */
export function withQueryTemplate(path: string, names: readonly string[]): string {
  if (names.length === 0) return path;
  const taken = new Set([...path.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]));
  const pairs = names.map((name) => {
    let param = name.replace(/[^A-Za-z0-9_-]/g, '_');
    if (!/^[A-Za-z_]/.test(param)) param = `_${param}`;
    for (let n = 2; taken.has(param); n++) param = `${param.replace(/_\d+$/, '')}_${n}`;
    taken.add(param);
    return `${encodeURIComponent(name)}={${param}}`;
  });
  return `${path}?${pairs.join('&')}`;
}
