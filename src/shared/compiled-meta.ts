/**
 * The msgpack-encoded part of a compiled table: what workers need per API and per operation once
 * a route is matched. Decoded once per generation per worker, never per request.
 */
import type { GatewaySettings } from './config-schema.js';
import type { CompiledChain } from '../gateway/pipeline/policy-contract.js';

export interface CompiledApi {
  id: string;
  name: string;
  /** Normalised suffix without slashes, e.g. "v1/orders"; "" for the root. */
  path: string;
  /** How many decoded segments the suffix has (an encoded "/" stays inside its segment). */
  suffixSegments: number;
  /** Backend origin, e.g. "http://10.0.0.5:8080": the key of the upstream pool. */
  origin: string;
  /** Path of serviceUrl without a trailing slash, e.g. "/api"; "" when none. */
  basePath: string;
  /** Host header sent to the backend (the serviceUrl's host), unless preserveHost. */
  backendHost: string;
  preserveHost: boolean;
  hostnames: string[];
  subscriptionRequired: boolean;
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
  /** Policy chains by product id ('' = no product key); null when no policy applies. */
  chains: Record<string, CompiledChain> | null;
}

export interface CompiledMeta {
  /** Hex SHA-256 of the validated config: lets logs and readiness say which config is live. */
  configHash: string;
  settings: GatewaySettings;
  apis: CompiledApi[];
  operations: CompiledOperation[];
  subscriptions: CompiledSubscription[];
}
