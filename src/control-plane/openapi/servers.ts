/**
 * The backend URL an imported document names, chosen as APIM chooses it.
 * - OpenAPI 3: `servers[].url` with each `{variable}` replaced by its `default`; the first https
 *   server wins, else the first http one. A relative server URL names no backend.
 * - Swagger 2.0: `schemes` (https preferred; https when none is listed) + `host` + `basePath`.
 */
export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The chosen server URL, undefined when the document names none, or a problem. */
export function openApi3Server(servers: unknown): string | undefined | { problem: string } {
  if (!Array.isArray(servers)) return undefined;
  const urls: string[] = [];
  for (const [i, server] of servers.entries()) {
    if (!isObject(server) || typeof server.url !== 'string') continue;
    const url = substituteVariables(server.url, server.variables);
    if (typeof url !== 'string') return { problem: `servers[${i}]: ${url.problem}` };
    if (/^https?:\/\//i.test(url)) urls.push(url);
  }
  return urls.find((u) => /^https:/i.test(u)) ?? urls[0];
}

function substituteVariables(url: string, variables: unknown): string | { problem: string } {
  let problem: string | null = null;
  const out = url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const variable = isObject(variables) ? variables[name] : undefined;
    if (isObject(variable) && typeof variable.default === 'string') return variable.default;
    problem ??= `server variable {${name}} has no default`;
    return whole;
  });
  return problem === null ? out : { problem };
}

export function swagger2Server(doc: Json): string | undefined {
  if (typeof doc.host !== 'string' || doc.host === '') return undefined;
  const schemes = Array.isArray(doc.schemes) ? doc.schemes.filter((s): s is string => typeof s === 'string').map((s) => s.toLowerCase()) : [];
  const scheme = schemes.includes('https') || schemes.length === 0 ? 'https' : schemes.includes('http') ? 'http' : undefined;
  if (scheme === undefined) return undefined;
  const basePath = typeof doc.basePath === 'string' && doc.basePath !== '/' ? doc.basePath.replace(/\/+$/, '') : '';
  return `${scheme}://${doc.host}${basePath.startsWith('/') || basePath === '' ? basePath : `/${basePath}`}`;
}
