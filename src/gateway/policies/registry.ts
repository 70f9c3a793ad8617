/** Every policy the gateway knows, by element name. A name not here is a compile error. */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { setHeader } from './set-header.js';
import { mockResponse, returnResponse } from './return-response.js';
import { setStatus } from './set-status.js';
import { rateLimit, rateLimitByKey } from './rate-limit.js';

const FACTORIES: ReadonlyArray<PolicyFactory<never>> = [
  setHeader, returnResponse, mockResponse, setStatus, rateLimit, rateLimitByKey,
] as unknown as ReadonlyArray<PolicyFactory<never>>;

const BY_NAME = new Map<string, PolicyFactory<unknown>>(FACTORIES.map((f) => [f.name, f as unknown as PolicyFactory<unknown>]));

export function findFactory(name: string): PolicyFactory<unknown> | undefined {
  return BY_NAME.get(name);
}

export function policyNames(): string[] {
  return [...BY_NAME.keys()].sort();
}
