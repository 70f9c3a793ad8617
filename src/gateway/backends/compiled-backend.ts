/**
 * Backend entities as they travel in the compiled table (plain data, msgpack-encoded in the
 * meta part): compiled once from `backends` in the compiler thread, so a worker only looks up.
 */
import { substituteCredential, type BackendConfig } from '../../shared/backend-schema.js';
import { encodePair } from '../../shared/query-string.js';

export interface CompiledBreakerRule {
  /** Failures within `intervalMs` that open the breaker. */
  count: number;
  intervalMs: number;
  /** Inclusive [min, max] pairs of backend statuses that count as failures. */
  statusRanges: Array<[number, number]>;
  /** Coded failures that count; null = every connection failure, timeout and protocol error. */
  errorReasons: string[] | null;
  tripMs: number;
  acceptRetryAfter: boolean;
}

export interface CompiledPoolMember {
  /** Index into the compiled backend list (always a single backend). */
  index: number;
  priority: number;
  weight: number;
}

export interface CompiledBackend {
  id: string;
  type: 'single' | 'pool';
  /** single: the URL split as the forward needs it ('' for a pool). */
  origin: string;
  basePath: string;
  host: string;
  /** Credential headers, flat [lowercase name, value, …]; they replace the client's own. */
  headers: string[];
  /** Credential query parameters, encoded ("a=1&b=2"), appended to the forwarded query. */
  query: string;
  breaker: CompiledBreakerRule | null;
  /** pool: its members, in config order. */
  members: CompiledPoolMember[];
}

/** `namedValues` fill `{{name}}` in credential values (the schema checked every name exists). */
export function compileBackends(backends: readonly BackendConfig[], namedValues: ReadonlyArray<{ name: string; value: string }> = []): CompiledBackend[] {
  const named = new Map(namedValues.map((v) => [v.name, v.value]));
  const fill = (v: string): string => substituteCredential(v, named);
  const indexOf = new Map(backends.map((b, i) => [b.id, i]));
  return backends.map((b): CompiledBackend => {
    const url = b.url === undefined ? null : new URL(b.url);
    const headers: string[] = [];
    for (const [name, values] of Object.entries(b.credentials?.header ?? {})) headers.push(name.toLowerCase(), values.map(fill).join(','));
    const auth = b.credentials?.authorization;
    if (auth !== undefined) headers.push('authorization', `${auth.scheme} ${fill(auth.parameter)}`);
    const pairs: string[] = [];
    for (const [name, values] of Object.entries(b.credentials?.query ?? {})) for (const v of values) pairs.push(encodePair(name, fill(v)));
    const rule = b.circuitBreaker?.rules[0];
    return {
      id: b.id,
      type: b.type,
      origin: url?.origin ?? '',
      basePath: url === null ? '' : url.pathname.replace(/\/+$/, ''),
      host: url?.host ?? '',
      headers,
      query: pairs.join('&'),
      breaker: rule === undefined ? null : {
        count: rule.failureCondition.count,
        intervalMs: rule.failureCondition.interval,
        statusRanges: rule.failureCondition.statusCodeRanges.map((r): [number, number] => [r.min, r.max]),
        errorReasons: rule.failureCondition.errorReasons ?? null,
        tripMs: rule.tripDuration,
        acceptRetryAfter: rule.acceptRetryAfter,
      },
      members: (b.pool?.services ?? []).map((s) => ({ index: indexOf.get(s.id)!, priority: s.priority, weight: s.weight })),
    };
  });
}
