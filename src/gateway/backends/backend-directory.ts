/**
 * A worker's view of the backend entities of one generation: lookup by id, and the choice of a
 * pool member per request (the lowest priority that has a healthy member, then smooth weighted
 * round-robin among that priority's healthy members, as nginx does it: deterministic, and every
 * member gets its share spread out rather than in bursts).
 *
 * Circuit breakers live in a BreakerRegistry owned by the worker, so a config reload that keeps
 * a backend and its rule keeps the breaker's state.
 */
import type { CompiledBackend } from './compiled-backend.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { BackendEntityRoute } from '../pipeline/context.js';
import type { ErrorCode } from '../../shared/errors.js';

/** A single backend as the forward needs it, with its breaker (null without a rule). */
export class RuntimeBackend implements BackendEntityRoute {
  readonly headers: readonly string[];
  readonly query: string;

  constructor(readonly compiled: CompiledBackend, readonly breaker: CircuitBreaker | null, private readonly now: () => number) {
    this.headers = compiled.headers;
    this.query = compiled.query;
  }

  reportStatus(status: number, retryAfter: string | null): void {
    // Most answers are not failures: the clock is read only for those that are.
    const b = this.breaker;
    if (b !== null && b.isFailure(status)) b.recordStatus(status, retryAfter, this.now());
  }

  reportError(code: ErrorCode): void {
    this.breaker?.recordError(code, this.now());
  }
}

interface Member { backend: RuntimeBackend; weight: number; current: number }

/** A pool: its members grouped by priority, best first. */
interface RuntimePool { readonly compiled: CompiledBackend; readonly tiers: Member[][] }

export type BackendEntry = RuntimeBackend | RuntimePool;

function isPool(e: BackendEntry): e is RuntimePool {
  return (e as RuntimePool).tiers !== undefined;
}

/** Breakers per worker, keyed by backend id and rule: bounded by the live config (retainOnly). */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  get(backend: CompiledBackend): CircuitBreaker | null {
    if (backend.breaker === null) return null;
    const key = `${backend.id}\u0000${JSON.stringify(backend.breaker)}`;
    let b = this.breakers.get(key);
    if (b === undefined) { b = new CircuitBreaker(backend.breaker); this.breakers.set(key, b); }
    return b;
  }

  retainOnly(live: ReadonlySet<CircuitBreaker>): void {
    for (const [key, b] of this.breakers) if (!live.has(b)) this.breakers.delete(key);
  }
}

export class BackendDirectory {
  private readonly byId = new Map<string, BackendEntry>();

  constructor(backends: readonly CompiledBackend[], breakers: BreakerRegistry, readonly now: () => number) {
    const singles = backends.map((b) => new RuntimeBackend(b, b.type === 'single' ? breakers.get(b) : null, now));
    breakers.retainOnly(new Set(singles.map((s) => s.breaker).filter((b): b is CircuitBreaker => b !== null)));
    backends.forEach((b, i) => {
      if (b.type === 'single') { this.byId.set(b.id, singles[i]); return; }
      const priorities = [...new Set(b.members.map((m) => m.priority))].sort((x, y) => x - y);
      const tiers = priorities.map((p) => b.members.filter((m) => m.priority === p)
        .map((m): Member => ({ backend: singles[m.index], weight: m.weight, current: 0 })));
      this.byId.set(b.id, { compiled: b, tiers });
    });
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * The single backend this request goes to: the backend itself, or a pool's pick. null when the
   * backend is unknown; 'open' when its breaker (or every pool member's) is open.
   */
  pick(id: string): RuntimeBackend | 'open' | null {
    const entry = this.byId.get(id);
    if (entry === undefined) return null;
    const clock = this.now;
    if (!isPool(entry)) return entry.breaker?.isOpenBy(clock) === true ? 'open' : entry;
    for (const tier of entry.tiers) {
      const chosen = pickWeighted(tier, clock);
      if (chosen !== null) return chosen;
    }
    return 'open';
  }
}

/**
 * Smooth weighted round-robin over the healthy members of one tier. Weight 0 members are used
 * only when every healthy member of the tier has weight 0 (then they share equally).
 */
function pickWeighted(tier: Member[], clock: () => number): RuntimeBackend | null {
  let anyWeight = false;
  let anyHealthy = false;
  for (const m of tier) {
    if (m.backend.breaker?.isOpenBy(clock) === true) continue;
    anyHealthy = true;
    if (m.weight > 0) anyWeight = true;
  }
  if (!anyHealthy) return null;
  let best: Member | null = null;
  let total = 0;
  for (const m of tier) {
    if (m.backend.breaker?.isOpenBy(clock) === true) continue;
    const w = anyWeight ? m.weight : 1;
    if (w === 0) continue;
    m.current += w;
    total += w;
    if (best === null || m.current > best.current) best = m;
  }
  best!.current -= total;
  return best!.backend;
}
