/**
 * The raw query string (`ctx.query`, without "?") as policies edit it: pairs split on "&", kept
 * as the client encoded them, compared by decoded name. Values policies add are encoded with
 * encodeURIComponent.
 */

/** A pair's name, decoded ("+" as space); as written when it is not valid percent-encoding. */
export function pairName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = eq < 0 ? pair : pair.slice(0, eq);
  return decodeLoose(raw);
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

/** The decoded value of the first pair named `name`, or null. */
export function queryValue(query: string, name: string): string | null {
  for (const pair of splitQuery(query)) if (pairName(pair) === name) return pairValue(pair);
  return null;
}

export function encodePair(name: string, value: string): string {
  return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}
