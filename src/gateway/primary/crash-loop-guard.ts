/**
 * Decides when the workers "cannot stay up", so the supervisor stops replacing them forever
 * (seen: 122 restarts in 10 minutes with /health/live at 200). Two rules, either one trips it:
 *   - one worker slot restarted more than `maxRestarts` times within `windowMs`: counted per
 *     slot, so a 64-core machine whose workers each crash once (an OOM storm) is not a loop;
 *   - no worker accepting for longer than `maxDownMs` (at startup too: workers that never
 *     listen, or that crash before listening, trip this even without restarts).
 * Once tripped it stays tripped: liveness fails and the process exits (code 3).
 * Pure bookkeeping with the clock passed in, so it is unit-tested without waiting.
 */
import { OutpostError } from '../../shared/errors.js';

export interface CrashLoopSettings {
  maxRestarts: number;
  windowMs: number;
  maxDownMs: number;
}

export const CRASH_LOOP_SETTINGS = {
  maxRestarts: 'OUTPOST_CRASH_LOOP_MAX_RESTARTS',
  windowSeconds: 'OUTPOST_CRASH_LOOP_WINDOW_SECONDS',
  maxDownSeconds: 'OUTPOST_WORKERS_DOWN_MAX_SECONDS',
} as const;

/** Reads the three settings from the environment (defaults: 5 restarts per slot in 60 s; 30 s with none up). */
export function crashLoopSettings(env: NodeJS.ProcessEnv = process.env): CrashLoopSettings {
  return {
    maxRestarts: whole(env, CRASH_LOOP_SETTINGS.maxRestarts, 5, 1, 10_000),
    windowMs: whole(env, CRASH_LOOP_SETTINGS.windowSeconds, 60, 1, 86_400) * 1000,
    maxDownMs: whole(env, CRASH_LOOP_SETTINGS.maxDownSeconds, 30, 1, 86_400) * 1000,
  };
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `${name}: must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

export interface CrashLoopVerdict {
  reason: string;
  worker?: number;
  restartsInWindow?: number;
  downForMs?: number;
}

export class CrashLoopGuard {
  /** Restart times per slot, oldest first, only those inside the window (bounded by maxRestarts + 1). */
  private readonly restarts = new Map<number, number[]>();
  private downSince: number | null;
  verdict: CrashLoopVerdict | null = null;

  constructor(readonly settings: CrashLoopSettings, now: number) {
    this.downSince = now; // nothing accepts until the first worker listens
  }

  /** A worker slot exited unexpectedly and is being replaced. Returns the verdict once tripped. */
  recordRestart(worker: number, now: number): CrashLoopVerdict | null {
    if (this.verdict) return this.verdict;
    const times = (this.restarts.get(worker) ?? []).filter((t) => now - t < this.settings.windowMs);
    times.push(now);
    this.restarts.set(worker, times);
    if (times.length > this.settings.maxRestarts) {
      this.verdict = {
        reason: `worker ${worker} restarted ${times.length} times within ${this.settings.windowMs / 1000} s (more than ${CRASH_LOOP_SETTINGS.maxRestarts}=${this.settings.maxRestarts})`,
        worker, restartsInWindow: times.length,
      };
    }
    return this.verdict;
  }

  /** Called on every phase change and on a timer: how many workers accept right now. */
  observe(accepting: number, now: number): CrashLoopVerdict | null {
    if (this.verdict) return this.verdict;
    if (accepting > 0) { this.downSince = null; return null; }
    this.downSince ??= now;
    const down = now - this.downSince;
    if (down > this.settings.maxDownMs) {
      this.verdict = {
        reason: `no worker has accepted requests for ${Math.round(down / 1000)} s (more than ${CRASH_LOOP_SETTINGS.maxDownSeconds}=${this.settings.maxDownMs / 1000})`,
        downForMs: down,
      };
    }
    return this.verdict;
  }
}
