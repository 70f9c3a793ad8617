/**
 * One counter hit for a counting policy in its configured scope, with the fail mode applied:
 * the single place where rate-limit and quota meet Redis.
 *
 * Node scope answers synchronously (shared memory). Fleet scope answers with a promise of the
 * fleet-wide count; when Redis does not answer within the command budget (or the breaker is
 * open, or no link exists because gateway.redis was added by a reload without a restart) the
 * fail mode decides: "open" counts the hit in the node-wide counters and returns that count,
 * "closed" returns FAIL_CLOSED (the policy answers 503). Each fallback is counted in the
 * worker's Redis stats (/metrics), and logged once per change, not per request.
 */
import { REDIS_UNAVAILABLE, type RedisUnavailable } from '../redis/redis-link.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import type { FleetOptions } from './fleet-options.js';
import type { RequestContext } from '../pipeline/context.js';
import { errorBody } from '../../shared/errors.js';

export const FAIL_CLOSED = -1;

const CLOSED_HEADERS = ['content-type', 'application/json', 'x-outpost-error', 'OUTPOST_ERR_REDIS_UNAVAILABLE'];

/** What to count, and how, for one hit. */
export interface CounterHit {
  key: string;
  /** The node-wide fixed window (unix seconds) for node scope and for fail-open. */
  nodeWindowEndSec: number;
  /** The Redis call for fleet scope. */
  fleet(link: NonNullable<WorkerServices['redis']>): Promise<number | RedisUnavailable>;
}

export function countHit(options: FleetOptions, services: WorkerServices, hit: CounterHit): number | Promise<number> {
  if (options.scope === 'node') return services.counters.hit(hit.key, hit.nodeWindowEndSec);
  const link = services.redis;
  if (!link) return fellBack(options, services, hit);
  return hit.fleet(link).then((count) => {
    if (count === REDIS_UNAVAILABLE) return fellBack(options, services, hit);
    services.redisStats?.reached();
    return count;
  });
}

function fellBack(options: FleetOptions, services: WorkerServices, hit: CounterHit): number {
  services.redisStats?.fellBack(options.failMode);
  return options.failMode === 'open' ? services.counters.hit(hit.key, hit.nodeWindowEndSec) : FAIL_CLOSED;
}

/** fail-mode="closed" and Redis unreachable: 503 with the coded error, never a limit status. */
export function respondRedisUnavailable(ctx: RequestContext): void {
  ctx.respond(503, 'Service Unavailable', CLOSED_HEADERS.slice(), errorBody('OUTPOST_ERR_REDIS_UNAVAILABLE'));
}
