/**
 * The raw query string (without "?") as the gateway reads and edits it: pairs split on "&", kept
 * as the client encoded them, compared by decoded name ("+" as space; a piece that is not valid
 * percent-encoding compares as written). One module for every reader: subscription keys,
 * policies, the condition language and validate-jwt.
 */

/** A pair's name, decoded. */
export function pairName(pair: string): string {
  const eq = pair.indexOf('=');
  return decodeLoose(eq < 0 ? pair : pair.slice(0, eq));
}

/** A pair's value, decoded the same way ('' when it has none). */
export function pairValue(pair: string): string {
  const eq = pair.indexOf('=');
  return eq < 0 ? '' : decodeLoose(pair.slice(eq + 1));
}

function decodeLoose(raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  try { return decodeURIComponent(raw.replace(/\+/g, ' ')); } catch { return raw; }
}

/** The pairs of a raw query string, empty pieces ("a=1&&b=2") dropped. */
export function splitQuery(query: string): string[] {
  if (query === '') return [];
  const pairs = query.split('&');
  return pairs.indexOf('') < 0 ? pairs : pairs.filter((p) => p !== '');
}

/**
 * The decoded value of the first pair named `name`, or null. Scans in place (no split): it runs
 * per request in conditions and token lookups.
 */
export function queryValue(query: string, name: string): string | null {
  let start = 0;
  while (start < query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    let eq = query.indexOf('=', start);
    if (eq < 0 || eq > end) eq = end;
    if (decodeLoose(query.slice(start, eq)) === name) return eq < end ? decodeLoose(query.slice(eq + 1, end)) : '';
    start = end + 1;
  }
  return null;
}

/** Finds `name=value`; returns the first decoded value and the query without every such pair. */
export function takeQueryParam(query: string, name: string): { value: string; rest: string } | null {
  // Cheap reject for the usual request, whose query does not mention the name at all.
  if (query === '' || (query.indexOf(name) < 0 && query.indexOf('%') < 0 && query.indexOf('+') < 0)) return null;
  let value: string | null = null;
  const kept: string[] = [];
  for (const pair of splitQuery(query)) {
    if (pairName(pair) !== name) kept.push(pair);
    else if (value === null) value = pairValue(pair);
  }
  return value === null ? null : { value, rest: kept.join('&') };
}

export function encodePair(name: string, value: string): string {
  return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}
