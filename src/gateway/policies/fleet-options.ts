/**
 * `scope` and `fail-mode` of the counting policies (rate-limit, rate-limit-by-key, quota,
 * quota-by-key): where the count lives, and what happens when that place cannot be reached.
 *
 * - scope="node" (default): the node-wide shared-memory counters, exact across this gateway's workers.
 * - scope="fleet": Redis (gateway.redis), exact across every gateway sharing it, one round trip.
 * - fail-mode="open" (default): Redis unreachable, the hit is counted node-wide instead (each
 *   node then enforces the whole limit on its own); fail-mode="closed": 503
 *   OUTPOST_ERR_REDIS_UNAVAILABLE, never 401/403/429 (the client did nothing wrong).
 *
 * scope="fleet" without gateway.redis is a compile error at `scope` (compile-policies.ts asks
 * `usesFleetScope` of every compiled policy, nested ones included).
 */
import { enumAttr } from './attributes.js';
import type { PolicyElement, PolicyLocation } from '../pipeline/policy-element.js';

export interface FleetOptions {
  scope: 'node' | 'fleet';
  failMode: 'open' | 'closed';
}

export const FLEET_ATTRIBUTES = ['scope', 'fail-mode'] as const;

export function compileFleetOptions(el: PolicyElement, at: PolicyLocation): FleetOptions {
  const scope = enumAttr(el, at, 'scope', ['node', 'fleet'] as const, 'node');
  const failMode = enumAttr(el, at, 'fail-mode', ['open', 'closed'] as const, 'open');
  return { scope, failMode };
}

/** Marker key compiled configs carry when they count in Redis: `{ [FLEET_MARK]: true }`. */
export const FLEET_MARK = 'countsInRedis';

/**
 * Whether a compiled policy config (plain data, maybe holding nested policies as `choose` does)
 * counts in Redis. Bounded walk: compiled configs are small trees.
 */
export function usesFleetScope(config: unknown, depth = 0): boolean {
  if (config === null || typeof config !== 'object' || depth > 32) return false;
  if ((config as Record<string, unknown>)[FLEET_MARK] === true) return true;
  for (const value of Object.values(config as Record<string, unknown>)) {
    if (usesFleetScope(value, depth + 1)) return true;
  }
  return false;
}
