/**
 * A backend's credential values as the management API shows them. Like a secret named value,
 * a literal credential (an API key in a header, a token in the query, an Authorization
 * parameter) is write-only: GET returns it as null, and a PUT that sends null at the same place
 * keeps the stored value, so GET → edit → PUT works without the client ever holding the secret.
 * A value that refers to named values (`Bearer {{orders-token}}`) is shown as written: the
 * secret lives in the named value, which has its own `secret` flag.
 */
import type { Doc } from './store.js';

const REFERENCE = /\{\{[^{}]*\}\}/;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A shown value: as written when it refers to a named value, else null. */
const shown = (v: unknown): unknown => (typeof v === 'string' && !REFERENCE.test(v) ? null : v);

/** A copy of `credentials` with every literal value replaced by null. */
export function maskCredentials(credentials: Record<string, unknown>): Doc {
  const out: Doc = { ...credentials };
  for (const field of ['header', 'query'] as const) {
    const map = credentials[field];
    if (!isObject(map)) continue;
    // fromEntries defines each name as an own property, even one spelled "__proto__".
    out[field] = Object.fromEntries(Object.entries(map).map(([name, values]) => [name, Array.isArray(values) ? values.map(shown) : shown(values)]));
  }
  const auth = credentials.authorization;
  if (isObject(auth)) out.authorization = { ...auth, parameter: shown(auth.parameter) };
  return out;
}

/**
 * Fills, in a backend about to be stored, each null credential value from the stored version at
 * the same place (header or query name and index, or the Authorization parameter). A null with
 * nothing stored there stays, and validation reports it at its path.
 */
export function restoreCredentials(doc: Doc, existing: Doc | undefined): void {
  const next = doc.credentials;
  const old = existing?.credentials;
  if (!isObject(next) || !isObject(old)) return;
  const copy: Doc = { ...next };
  for (const field of ['header', 'query'] as const) {
    const map = next[field];
    const oldMap = old[field];
    if (!isObject(map) || !isObject(oldMap)) continue;
    copy[field] = Object.fromEntries(Object.entries(map).map(([name, values]) => {
      const previous = Object.hasOwn(oldMap, name) ? oldMap[name] : undefined;
      return [name, Array.isArray(values) && Array.isArray(previous)
        ? values.map((v, i) => (v === null && typeof previous[i] === 'string' ? previous[i] : v))
        : values];
    }));
  }
  const auth = next.authorization;
  const oldAuth = old.authorization;
  if (isObject(auth) && auth.parameter === null && isObject(oldAuth) && typeof oldAuth.parameter === 'string') {
    copy.authorization = { ...auth, parameter: oldAuth.parameter };
  }
  doc.credentials = copy;
}
