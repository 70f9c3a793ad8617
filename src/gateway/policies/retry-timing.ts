/**
 * retry's numbers: `count`, `interval`, `max-interval`, `delta` and `first-fast-retry`, each a
 * constant (checked when the config compiles) or, as APIM allows, a policy expression (checked per
 * request: a value out of range fails the request to on-error). Bounds: count 1 to 50 (APIM's),
 * interval and delta 0 to 300 s, max-interval 0 to 3600 s, so a request waits a bounded time.
 *
 * Waits, as APIM documents them: only interval: fixed; interval and delta: linear,
 * interval + (n - 1) * delta; interval, delta and max-interval: exponential,
 * interval + (2^(n-1) - 1) * random(0.8 * delta, 1.2 * delta) (10, 20, 40, 80… for 10 and 10),
 * never over max-interval. first-fast-retry="true" makes the first retry immediate.
 */
import type { PolicyElement, PolicyLocation } from '../pipeline/policy-element.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import type { RequestContext } from '../pipeline/context.js';
import { templateAttr } from './attributes.js';
import { bindIntValue } from './dynamic-value.js';

interface Range { min: number; max: number }
const COUNT: Range = { min: 1, max: 50 };
const INTERVAL: Range = { min: 0, max: 300 };
const DELTA: Range = { min: 0, max: 300 };
const MAX_INTERVAL: Range = { min: 0, max: 3600 };

/** A number attribute: its constant, or the expression that gives it per request. */
type NumberValue = number | Template;
type BoolValue = boolean | Template;

export interface RetryTimingConfig {
  count: NumberValue;
  interval: NumberValue;
  delta: NumberValue;
  maxInterval: NumberValue;
  firstFast: BoolValue;
}

function numberValue(el: PolicyElement, at: PolicyLocation, name: string, range: Range, fallback?: number): NumberValue {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new PolicyCompileError(at, name, 'is required');
  }
  const t = templateAttr(el, at, name);
  if (t.k !== 'text') return t;
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new PolicyCompileError(at, name, `must be a whole number, got "${raw.slice(0, 40)}"`);
  const n = Number(text);
  if (n < range.min || n > range.max) throw new PolicyCompileError(at, name, `must be between ${range.min} and ${range.max}, got ${n}`);
  return n;
}

function boolValue(el: PolicyElement, at: PolicyLocation, name: string): BoolValue {
  const raw = el.attrs[name];
  if (raw === undefined || raw === '') return false;
  const t = templateAttr(el, at, name);
  if (t.k !== 'text') return t;
  const text = raw.trim().toLowerCase();
  if (text !== 'true' && text !== 'false') throw new PolicyCompileError(at, name, `must be true or false, got "${raw.slice(0, 40)}"`);
  return text === 'true';
}

export function compileRetryTiming(el: PolicyElement, at: PolicyLocation): RetryTimingConfig {
  return {
    count: numberValue(el, at, 'count', COUNT),
    interval: numberValue(el, at, 'interval', INTERVAL),
    delta: numberValue(el, at, 'delta', DELTA, 0),
    maxInterval: numberValue(el, at, 'max-interval', MAX_INTERVAL, 0),
    firstFast: boolValue(el, at, 'first-fast-retry'),
  };
}

/** Whether a retry may ever wait (an outbound retry that waits needs the buffered exchange). */
export function timingMayWait(t: RetryTimingConfig): boolean {
  return typeof t.interval !== 'number' || typeof t.delta !== 'number' || t.interval > 0 || t.delta > 0;
}

/** The per-request reader of each number; a constant costs a closure returning it. */
function bindNumber(v: NumberValue, what: string, range: Range): (ctx: RequestContext) => number {
  if (typeof v === 'number') return () => v;
  return bindIntValue(v, what, range.min, range.max);
}

function bindBool(v: BoolValue): (ctx: RequestContext) => boolean {
  if (typeof v === 'boolean') return () => v;
  const f = bindStringTemplate(v);
  return (ctx) => {
    const s = f(ctx).trim().toLowerCase();
    if (s !== 'true' && s !== 'false') throw new CsRuntimeError('FormatException', 'The first-fast-retry computed by the expression must be true or false.');
    return s === 'true';
  };
}

export interface RetryTiming {
  count(ctx: RequestContext): number;
  delayMs(ctx: RequestContext, attempt: number): number;
}

export function bindRetryTiming(config: RetryTimingConfig, random: () => number = Math.random): RetryTiming {
  const interval = bindNumber(config.interval, 'interval', INTERVAL);
  const delta = bindNumber(config.delta, 'delta', DELTA);
  const maxInterval = bindNumber(config.maxInterval, 'max-interval', MAX_INTERVAL);
  const firstFast = bindBool(config.firstFast);
  return {
    count: bindNumber(config.count, 'count', COUNT),
    delayMs(ctx, attempt) {
      if (attempt === 1 && firstFast(ctx)) return 0;
      return retryWaitSeconds(interval(ctx), delta(ctx), maxInterval(ctx), attempt, random) * 1000;
    },
  };
}

/** The wait before retry number `attempt` (1-based), in seconds, by APIM's formulas (see the header). */
export function retryWaitSeconds(interval: number, delta: number, maxInterval: number, attempt: number, random: () => number): number {
  let wait = interval;
  if (delta > 0 && maxInterval > 0) wait = interval + (2 ** (attempt - 1) - 1) * delta * (0.8 + 0.4 * random());
  else if (delta > 0) wait = interval + (attempt - 1) * delta;
  return maxInterval > 0 ? Math.min(wait, maxInterval) : wait;
}
