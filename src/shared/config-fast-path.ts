/**
 * Hand-written checks for the common shapes of an API and of an operation: each accepts exactly
 * what the zod schema (config-schema.ts) accepts in that shape and gives what it gives, and
 * answers null for anything else, which then goes through the schema itself. Zod spends
 * microseconds per object, and a 50,000-API config has 50,000 APIs and 500,000 operations.
 *
 * Exactness is held by test/unit/config-fast-path.test.ts: for generated and mutated APIs the
 * answer is null or equal to the schema's output, key order included (the table compiles
 * `JSON.stringify`-equal configs to the same bytes).
 */
import type { ApiConfig, OperationConfig } from './config-schema.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', '*'] as const;
/** An API id: letters, digits and . _ ~ -. */
export const API_ID_PATTERN = /^[A-Za-z0-9._~-]+$/;
/** An API URL suffix: path segments, or "" for the root. */
export const API_PATH_PATTERN = /^\/?([A-Za-z0-9._~!$&'()*+,;=:@%-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*)?\/?$/;
/** A host name without port. */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9.-]+$/;
/** subscriptionKeyParameterNames when an API does not set it (APIM's names). */
export const DEFAULT_KEY_HEADER = 'Ocp-Apim-Subscription-Key';
export const DEFAULT_KEY_QUERY = 'subscription-key';

const METHOD_SET: ReadonlySet<string> = new Set(HTTP_METHODS);
const OPERATION_KEY_ORDER = ['id', 'method', 'urlTemplate'];
const OPERATION_KEYS: ReadonlySet<string> = new Set(OPERATION_KEY_ORDER);
/** The API fields this path handles; policies, backendTls and subscriptionKeyParameterNames go to the schema. */
const API_KEYS: ReadonlySet<string> = new Set(['id', 'name', 'path', 'serviceUrl', 'hostnames', 'preserveHost', 'operations', 'subscriptionRequired', 'requestLog']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** The operation schema's output for { id, method, urlTemplate } with no other field, else null. */
export function fastOperation(value: unknown): OperationConfig | null {
  if (!isPlainObject(value)) return null;
  let keys = 0;
  // In the schema's order too (id, method, urlTemplate): then the object can be its own output.
  let inOrder = true;
  for (const key in value) {
    if (!OPERATION_KEYS.has(key)) return null;
    if (key !== OPERATION_KEY_ORDER[keys]) inOrder = false;
    keys++;
  }
  const { id, method, urlTemplate } = value;
  if (keys !== 3 || typeof id !== 'string' || id.length < 1 || typeof method !== 'string' || typeof urlTemplate !== 'string' || !urlTemplate.startsWith('/')) return null;
  const upper = method.toUpperCase();
  if (!METHOD_SET.has(upper)) return null;
  // Already what the schema gives (the method upper case, as configs write it, the keys in its
  // order): the object itself, not a copy. Nothing changes a validated config, and at 500,000
  // operations the copies were 500,000 objects more for the collector to move.
  if (upper === method && inOrder) return value as OperationConfig;
  return { id, method: upper as OperationConfig['method'], urlTemplate };
}

/** Every operation through fastOperation, or null as soon as one is not of its shape (or there is none). */
export function fastOperations(value: unknown): OperationConfig[] | null {
  if (!Array.isArray(value) || value.length < 1) return null;
  const out: OperationConfig[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const op = fastOperation(value[i]);
    if (op === null) return null;
    out[i] = op;
  }
  return out;
}

/**
 * The API schema's output for an API of the common shape (the fields in API_KEYS, every operation
 * of fastOperation's shape), else null. `isServiceUrl` is the schema's serviceUrl check, asked
 * once per distinct URL through `urls` (many APIs share a backend; a URL parse costs microseconds).
 */
export function fastApi(value: unknown, isServiceUrl: (url: string) => boolean, urls: Map<string, boolean>): ApiConfig | null {
  if (!isPlainObject(value)) return null;
  for (const key in value) if (!API_KEYS.has(key)) return null;
  const { id, name, path, serviceUrl, hostnames, preserveHost = false, subscriptionRequired = true, requestLog = true } = value;
  if (typeof id !== 'string' || id.length < 1 || !API_ID_PATTERN.test(id)) return null;
  if (typeof name !== 'string' || name.length < 1) return null;
  if (typeof path !== 'string' || !API_PATH_PATTERN.test(path)) return null;
  if (typeof serviceUrl !== 'string') return null;
  let urlOk = urls.get(serviceUrl);
  if (urlOk === undefined) { urlOk = isServiceUrl(serviceUrl); urls.set(serviceUrl, urlOk); }
  if (!urlOk) return null;
  if (typeof preserveHost !== 'boolean' || typeof subscriptionRequired !== 'boolean' || typeof requestLog !== 'boolean') return null;
  let hosts: string[] | undefined;
  // Present, even as undefined, the schema sets the key: an undefined one goes to the schema.
  if ('hostnames' in value) {
    if (!Array.isArray(hostnames)) return null;
    hosts = new Array(hostnames.length);
    for (let i = 0; i < hostnames.length; i++) {
      const host: unknown = hostnames[i];
      if (typeof host !== 'string' || host.length < 1 || !HOSTNAME_PATTERN.test(host)) return null;
      hosts[i] = host;
    }
  }
  const operations = fastOperations(value.operations);
  if (operations === null) return null;
  // The schema's key order: its fields in declaration order, an absent optional one left out.
  const out = { id, name, path, serviceUrl } as Record<string, unknown>;
  if (hosts !== undefined) out.hostnames = hosts;
  out.preserveHost = preserveHost;
  out.operations = operations;
  out.subscriptionRequired = subscriptionRequired;
  out.subscriptionKeyParameterNames = { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY };
  out.requestLog = requestLog;
  return out as unknown as ApiConfig;
}
