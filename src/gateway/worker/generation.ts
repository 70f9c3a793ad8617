/**
 * What a worker builds once per published table: the shared-memory matcher plus, per API, the
 * objects the hot path needs (its upstream pool, the base path). A request captures the
 * Generation it started with; a new one replaces it only for later requests.
 */
import type { ClientCertificate, UpstreamPool } from '../upstream/upstream-pool.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { SharedRouteTable } from '../router/shared-table.js';
import { LazyRecords } from '../router/table-records.js';
import type { BackendPools } from '../upstream/backend-pools.js';
import type { BackendTlsProfile, CompiledApi } from '../../shared/compiled-meta.js';
import { SubscriptionIndex } from '../subscriptions/subscription-index.js';
import { instantiateChain, type RuntimeChain } from '../pipeline/chain-runtime.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { BackendDirectory, BreakerRegistry } from '../backends/backend-directory.js';
import { AuthorizationDirectory } from '../authorizations/authorization-directory.js';
import { thumbprintRef } from '../policies/certificate-ref.js';
import { parseAddressOrCidr, parseClientAddress, type IpRange } from '../policies/ip-address.js';

export interface ApiRuntime {
  meta: CompiledApi;
  /** Check (and strip) subscription keys: the API requires one, or keys exist that may identify a product. */
  gated: boolean;
  pool: UpstreamPool;
  /** The API's backend TLS profile (also used for a set-backend-service origin); null = Node's defaults. */
  tls: BackendTlsProfile | null;
  /** That profile plus each authentication-certificate certificate, made on first use (bounded by the config's certificates). */
  clientCertificateTls: Map<ClientCertificate, BackendTlsProfile> | null;
  basePath: string;
  backendHost: string;
  preserveHost: boolean;
  suffixSegments: number;
}

export interface Generation {
  number: number;
  table: SharedRouteTable;
  settings: GatewaySettings;
  /** Per API, built on first use: a generation of 50,000 APIs costs nothing up front. */
  apis: LazyRecords<ApiRuntime>;
  subscriptions: SubscriptionIndex;
  /** Per operation: runtime chains by product id ('' = no product key), or null without policies. Built on first use. */
  chains: { get(op: number): Map<string, RuntimeChain> | null };
  /** Client certificates by id (authentication-certificate). */
  certificates: ReadonlyMap<string, ClientCertificate>;
  /** True when a peer address is inside gateway.trustedProxies (always false when none are set). */
  trustedProxy: (clientIp: string) => boolean;
  /** For telemetry (worker-telemetry.ts): the series of each operation, filled on its first request. */
  operationCount: number;
  telemetrySeries: Int32Array | null;
  operationIds(op: number): { apiId: string; operationId: string };
}

const NOBODY = (): boolean => false;

/** gateway.trustedProxies as ranges (validated by the config schema), checked with one parse per request. */
function trustedProxyMatcher(cidrs: readonly string[]): (clientIp: string) => boolean {
  const ranges = cidrs.map(parseAddressOrCidr).filter((r): r is IpRange => typeof r !== 'string');
  if (ranges.length === 0) return NOBODY;
  return (clientIp) => {
    const ip = parseClientAddress(clientIp);
    if (ip === null) return false;
    for (const r of ranges) if (typeof r.from === typeof ip && ip >= r.from && ip <= r.to) return true;
    return false;
  };
}

/**
 * Cheap whatever the config's size: the table is read in place, the meta part holds only
 * settings, subscriptions, policies and origins, and per-API and per-operation objects are built
 * when a request first reaches them. A request keeps the generation it started with, so those
 * objects never change under it.
 */
export function buildGeneration(
  number: number, buffer: SharedArrayBuffer, pools: BackendPools, workerServices: WorkerServices, breakers = new BreakerRegistry(),
): Generation {
  const table = new SharedRouteTable(buffer);
  const settings = table.meta.settings;
  const anySubscriptions = table.meta.subscriptions.length > 0;
  // Backend entities of this generation; their breakers carry over from the worker's registry.
  const backends = table.meta.backends ?? [];
  if (backends.length === 0) breakers.retainOnly(new Set());
  const authorizations = table.meta.authorizations ?? [];
  const services: WorkerServices = backends.length === 0 && authorizations.length === 0 ? workerServices : {
    ...workerServices,
    ...(backends.length === 0 ? {} : { backends: new BackendDirectory(backends, breakers, workerServices.now) }),
    ...(authorizations.length === 0 ? {} : { authorizations: new AuthorizationDirectory(authorizations, workerServices.now) }),
  };
  // Pools for every origin now (the APIs', with their backend TLS, and the backend entities'), so
  // the ones no longer used close now rather than linger.
  const { origins, originTls, backendTls } = table.meta;
  const tlsOf = (origin: number): BackendTlsProfile | null => (originTls[origin] >= 0 ? backendTls[originTls[origin]] : null);
  const entityOrigins = backends.filter((b) => b.type === 'single').map((b) => b.origin);
  const originPools = [...origins.map((origin, i) => pools.get(origin, settings.upstream, tlsOf(i))), ...entityOrigins.map((origin) => pools.get(origin, settings.upstream))];
  pools.retainOnly(new Set(originPools));
  const apis = new LazyRecords(table.apiCount, (i): ApiRuntime => {
    const api = table.api(i);
    return {
      meta: api,
      gated: api.subscriptionRequired || anySubscriptions,
      pool: originPools[api.originIndex],
      tls: tlsOf(api.originIndex),
      clientCertificateTls: null,
      basePath: api.basePath,
      backendHost: api.backendHost,
      preserveHost: api.preserveHost,
      suffixSegments: api.suffixSegments,
    };
  });
  // Runtime chains per chain set, not per operation: the operations of a set run the same
  // policies, and the instances keep no per-operation state (counters live in the shared services,
  // keyed by each policy's declaration). All are kept: there are as many as distinct policy sets
  // in the config, and an instance may hold what must not be rebuilt mid-generation.
  const chainSets = new LazyRecords(table.meta.chainSets.length, (set) => new Map(
    Object.entries(table.decoder.chainSet(set)).map(([product, chain]) => [product, instantiateChain(chain, services)])), Infinity);
  const chains = {
    get(op: number): Map<string, RuntimeChain> | null {
      const set = table.decoder.chainSetOf(op);
      return set < 0 ? null : chainSets.get(set);
    },
  };
  const certificates = new Map<string, ClientCertificate>();
  for (const c of table.meta.certificates ?? []) {
    certificates.set(c.id, c);
    // authentication-certificate thumbprint, when the compiler could not resolve it to an id (certificate-ref.ts).
    if (c.thumbprint !== undefined) certificates.set(thumbprintRef(c.thumbprint), c);
  }
  return {
    number, table, settings, apis, certificates, subscriptions: new SubscriptionIndex(table.meta.subscriptions), chains,
    trustedProxy: trustedProxyMatcher(settings.trustedProxies),
    operationCount: table.operationCount, telemetrySeries: null,
    operationIds: operationIdsOfGeneration,
  };
}

/**
 * One function for every generation (called as `gen.operationIds(op)`), not a closure made per
 * generation: a call site in optimized code that met one generation's closure deoptimized ("wrong
 * call target") at the first request of the next generation's, the warm-up's then the real one's
 * at a worker's start, and again at each reload.
 */
function operationIdsOfGeneration(this: Generation, op: number): { apiId: string; operationId: string } {
  const operation = this.table.operation(op);
  return { apiId: this.table.api(operation.api).id, operationId: operation.id };
}
