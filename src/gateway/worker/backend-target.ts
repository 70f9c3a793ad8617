/**
 * The request target sent to the backend: serviceUrl's path + the request path after the API
 * suffix (as the client encoded it) + the query. Both request paths (plain and with policies)
 * build it here, so they forward identically.
 */

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
