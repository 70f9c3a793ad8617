/**
 * The request target sent to the backend: serviceUrl's path + the request path after the API
 * suffix (as the client encoded it) + the query. Both request paths (plain and with policies)
 * build it here, so they forward identically.
 */
import type { ParsedPath } from '../router/request-path.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (http1/chars.ts). */
const slice = String.prototype.slice;

/**
 * forwardPath of a parsed request path: a slice of the path as sent when nothing in it was
 * dropped or resolved (nearly every request), one string where joining the segments made one per
 * segment and slash.
 */
export function forwardPathOf(url: string, parsed: ParsedPath, skip: number): string {
  if (!parsed.verbatim) return forwardPath(parsed.raw, skip, parsed.trailingSlash);
  if (skip >= parsed.raw.length) return parsed.trailingSlash ? '/' : '';
  return skip === 0 ? url : slice.call(url, parsed.starts[skip] - 1);
}

/** The path after the API suffix ("" when nothing follows), keeping a trailing slash. */
export function forwardPath(raw: string[], skip: number, trailingSlash: boolean): string {
  let path = '';
  for (let i = skip; i < raw.length; i++) path += '/' + raw[i];
  if (trailingSlash) path += '/';
  return path;
}

export function backendTarget(basePath: string, path: string, query: string): string {
  const full = basePath + path || '/';
  return query === '' ? full : `${full}?${query}`;
}
