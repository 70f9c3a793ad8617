/**
 * What workers need per API and per operation once a route is matched, and the msgpack-encoded
 * part of a compiled table (MetaPayload). Decoded at most once per generation per worker, never
 * per request.
 */
import type { LazyRecords } from '../gateway/router/table-records.js';
import type { CaptureSpec, TemplateQueryParam } from './url-template.js';
import type { GatewaySettings } from './config-schema.js';
import type { CompiledChain, CompiledPolicy } from '../gateway/pipeline/policy-contract.js';
import type { Section } from '../gateway/pipeline/phases.js';
import type { CompiledBackend } from '../gateway/backends/compiled-backend.js';
import type { CompiledAuthorization } from '../gateway/authorizations/compile-authorizations.js';
import type { ClientCertificate } from '../gateway/upstream/upstream-pool.js';
import type { OperationContract } from './operation-contract.js';

export interface CompiledApi {
  id: string;
  name: string;
  /** Normalised suffix without slashes, e.g. "v1/orders"; "" for the root. */
  path: string;
  /** How many decoded segments the suffix has (an encoded "/" stays inside its segment). */
  suffixSegments: number;
  /** Backend origin, e.g. "http://10.0.0.5:8080". */
  origin: string;
  /** Index into `MetaPayload.origins`: origin and TLS profile together key the upstream pool. */
  originIndex: number;
  /** Path of serviceUrl without a trailing slash, e.g. "/api"; "" when none. */
  basePath: string;
  /** Host header sent to the backend (the serviceUrl's host), unless preserveHost. */
  backendHost: string;
  preserveHost: boolean;
  hostnames: string[];
  subscriptionRequired: boolean;
  /** false: requests to this API write no request-log line (`apis[].requestLog: false`). */
  requestLog: boolean;
  /** Lowercase header name carrying the subscription key. */
  keyHeader: string;
  /** Query parameter name carrying the subscription key. */
  keyQuery: string;
  /** Products that include this API. */
  products: string[];
}

export interface CompiledSubscription {
  id: string;
  scope: 'product' | 'api' | 'all';
  /** Product id or API id; null for all APIs. */
  target: string | null;
  suspended: boolean;
  /** 0 when it never expires. */
  expiresAtMs: number;
  /** Hex SHA-256 of the primary and secondary keys. */
  keyHashes: string[];
}

export interface CompiledOperation {
  id: string;
  api: number;
  method: string;
  urlTemplate: string;
  paramNames: string[];
  /** The template's query part (`?id={id}`): parameters a request must carry, bound by name. */
  queryParams: TemplateQueryParam[];
  /** What the router's captures bind, one per `{param}` or pattern segment. */
  captures: CaptureSpec[];
  /** Policy chains by product id ('' = no product key); null when no policy applies. */
  chains: Record<string, CompiledChain> | null;
  /** What the operation declares (parameters, content types, responses); null when it declares nothing. */
  contract: OperationContract | null;
}

/**
 * How the upstream client connects to an https backend beyond Node's defaults: an extra CA bundle
 * (trusted in addition to the system CAs), a client certificate (mTLS), or no verification.
 * Read (off the request path) from the files the config names; the same files give the same `id`.
 */
export interface BackendTlsProfile {
  /** Hex SHA-256 of everything below: part of the upstream pool's key. */
  id: string;
  /** PEM CA certificates added to the system CAs; null = the system CAs only. */
  ca: string | null;
  /** PEM client certificate chain and its key; null = none presented. */
  cert: string | null;
  key: string | null;
  insecureSkipVerify: boolean;
}

/** What was read for a config: the distinct profiles and, per API (config order), its profile index or -1. */
export interface BackendTlsAssignment {
  profiles: BackendTlsProfile[];
  perApi: number[];
}

export const NO_BACKEND_TLS: BackendTlsAssignment = { profiles: [], perApi: [] };

/** A policy chain as indices into `MetaPayload.policies`, per section. */
export type ChainRef = Record<Section, number[]>;

/** The msgpack-encoded part of a table: small, and decoded whole when a worker takes a generation. */
export interface MetaPayload {
  settings: GatewaySettings;
  subscriptions: CompiledSubscription[];
  /** Product ids, referenced by index from API records. */
  products: string[];
  /** Distinct (backend origin, TLS profile) pairs, referenced by index from API records. */
  origins: string[];
  /** Per `origins` entry: index into `backendTls`, or -1 for Node's defaults. */
  originTls: number[];
  /** Distinct backend TLS profiles (apis[].backendTls merged over gateway.upstream.tls). */
  backendTls: BackendTlsProfile[];
  /** Backend entities (config `backends`), for set-backend-service backend-id. */
  backends: CompiledBackend[];
  /** Client certificates (PEM) for authentication-certificate. */
  certificates: ClientCertificate[];
  /** Authorizations for get-authorization-context (secrets filled in); absent in tables of older builds. */
  authorizations?: CompiledAuthorization[];
  /** Operation contracts by operation index (as a string), only for operations that declare one. */
  contracts: Record<string, OperationContract>;
  /** Every compiled policy once (a policy on a global or API scope reaches many operations). */
  policies: CompiledPolicy[];
  /** Distinct per-product chain sets; operations with the same policies share one. */
  chainSets: Array<Record<string, ChainRef>>;
  /** Literals of the pattern segments the tries use (N_PATTERN_START), ASCII-lowercased. */
  patterns: string[][];
}

/**
 * A worker's view of the meta part. `apis` and `operations` are decoded from the table's records
 * on first `get` of each element (see table-records.ts), so reading them is cheap but a new
 * generation does not pay for the APIs and operations no request reaches.
 */
export interface CompiledMeta extends MetaPayload {
  apis: LazyRecords<CompiledApi>;
  operations: LazyRecords<CompiledOperation>;
}
