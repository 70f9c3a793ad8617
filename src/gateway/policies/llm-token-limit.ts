/**
 * llm-token-limit and azure-openai-token-limit (APIM's policies, one semantics under both names):
 * limits the language-model tokens a `counter-key` (a policy expression, a named form as for
 * rate-limit-by-key, or any other text: one counter) may use: `tokens-per-minute` (over it: 429
 * with Retry-After and OUTPOST_ERR_TOKEN_LIMIT_EXCEEDED), `token-quota` per `token-quota-period`
 * (over it: 403 with Retry-After and OUTPOST_ERR_TOKEN_QUOTA_EXCEEDED), or both.
 *
 * How tokens are counted (scope="node", the default: in the node-wide shared counters, exact
 * across this gateway's workers; scope="fleet": in Redis, across every gateway sharing it, with
 * fail-mode as for rate-limit; token-counts.ts):
 * - Before forwarding, the key's count is checked: a request is refused when the count already
 *   reached the limit, or when count + its estimated prompt tokens would pass it. The estimate
 *   (llm-prompt-estimate.ts: bytes/4 of the prompt text, not a tokenizer) is made when
 *   estimate-prompt-tokens="true", or when the request asks for `"stream": true` (as APIM), and
 *   is charged at once.
 * - When the response has streamed to the client, the usage the model reports (llm-usage.ts:
 *   JSON `usage`, or the usage chunk of a server-sent event stream; a stream without one is
 *   estimated, as APIM does) is charged, less what the estimate already charged. A response
 *   without a readable usage charges nothing more. As in APIM, requests in flight together can
 *   pass the limit; the next ones are then refused until the window frees up.
 * - tokens-per-minute slides like rate-limit (sliding-window.ts, 60 s windows); token-quota
 *   counts in fixed calendar windows (token-quota-period.ts).
 *
 * Headers and variables (names checked at compile time): retry-after-header-name replaces
 * Retry-After (as APIM); retry-after-variable-name (seconds, when refused);
 * remaining-tokens-header/variable-name and remaining-quota-tokens-header/variable-name (tokens
 * left after this request's estimate, set by the inbound check, on every answer);
 * tokens-consumed-variable-name (the estimate, then the reported total once the body has passed).
 *
 * Deviations from APIM: tokens-consumed-header-name is refused at compile time (the header would
 * have to wait for the end of a body that streams to the client as it comes); counters are per
 * policy declaration (as rate-limit's), not one per key value shared by every scope; an estimate
 * higher than the reported usage is not given back; `scope` and `fail-mode` are Outpost's (as for
 * rate-limit); `estimate-prompt-token` is read as estimate-prompt-tokens (the spelling of
 * Microsoft's policy toolkit test data); estimate-prompt-tokens is optional (default false), as
 * APIM's quota example leaves it out. Request bodies the gateway does not buffer (chunked, or
 * over 64 KiB) are not estimated.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, intAttr, optionalHeaderName, optionalVariableName } from './attributes.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import { declarationId } from './declaration-id.js';
import { quotaPeriodAttr, quotaPeriodEnd, type QuotaPeriod } from './token-quota-period.js';
import { TokenCounts } from './token-counts.js';
import { compileFleetOptions, FLEET_ATTRIBUTES, FLEET_MARK, type FleetOptions } from './fleet-options.js';
import { FAIL_CLOSED, respondRedisUnavailable } from './fleet-counter.js';
import { formatTimeSpan } from './quota.js';
import { estimatePromptTokens } from './llm-prompt-estimate.js';
import { UsageTap, type TokenUsage } from './llm-usage.js';
import { addBodyTap } from '../pipeline/body-taps.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { MAX_COUNT } from '../../shared/counter-layout.js';

const MINUTE_MS = 60_000;
const ATTRIBUTES = [
  'counter-key', 'tokens-per-minute', 'token-quota', 'token-quota-period', 'estimate-prompt-tokens', 'estimate-prompt-token',
  'retry-after-header-name', 'retry-after-variable-name', 'remaining-quota-tokens-header-name', 'remaining-quota-tokens-variable-name',
  'remaining-tokens-header-name', 'remaining-tokens-variable-name', 'tokens-consumed-header-name', 'tokens-consumed-variable-name',
  ...FLEET_ATTRIBUTES,
];

interface Config {
  /** Identifies this declaration: counts survive reloads while it stays the same. */
  id: string;
  key: CounterKey;
  /** 0: no per-minute limit. */
  tokensPerMinute: number;
  /** 0: no quota. */
  quota: number;
  quotaPeriod: QuotaPeriod | null;
  estimate: boolean;
  retryAfterHeader: string;
  retryAfterVariable: string | null;
  remainingHeader: string | null;
  remainingVariable: string | null;
  remainingQuotaHeader: string | null;
  remainingQuotaVariable: string | null;
  consumedVariable: string | null;
  fleet: FleetOptions;
  [FLEET_MARK]: boolean;
}

function compileTokenLimit(el: PolicyElement, at: PolicyLocation): Config {
  allowOnly(el, at, ATTRIBUTES);
  if (el.attrs['tokens-consumed-header-name'] !== undefined) {
    throw new PolicyCompileError(at, 'tokens-consumed-header-name', 'is not supported: the response streams to the client before its token usage is known; use tokens-consumed-variable-name');
  }
  if (el.attrs['estimate-prompt-tokens'] !== undefined && el.attrs['estimate-prompt-token'] !== undefined) {
    throw new PolicyCompileError(at, 'estimate-prompt-token', 'repeats estimate-prompt-tokens: give one');
  }
  const key = compileCounterKey(el, at, 'counter-key', true);
  const tokensPerMinute = el.attrs['tokens-per-minute'] === undefined ? 0 : intAttr(el, at, 'tokens-per-minute', { min: 1, max: MAX_COUNT });
  const hasQuota = el.attrs['token-quota'] !== undefined;
  if (hasQuota !== (el.attrs['token-quota-period'] !== undefined)) {
    throw new PolicyCompileError(at, hasQuota ? 'token-quota-period' : 'token-quota', 'token-quota and token-quota-period go together: give both or neither');
  }
  const quota = hasQuota ? intAttr(el, at, 'token-quota', { min: 1, max: MAX_COUNT }) : 0;
  const quotaPeriod = hasQuota ? quotaPeriodAttr(el, at, 'token-quota-period') : null;
  if (tokensPerMinute === 0 && quota === 0) throw new PolicyCompileError(at, 'tokens-per-minute', 'give tokens-per-minute, or token-quota with token-quota-period, or both');
  const estimate = el.attrs['estimate-prompt-token'] !== undefined ? boolAttr(el, at, 'estimate-prompt-token', false) : boolAttr(el, at, 'estimate-prompt-tokens', false);
  const fleet = compileFleetOptions(el, at);
  return {
    // Fleet scope is part of the identity: node and fleet counts never mix.
    id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${tokensPerMinute}|${quota}|${quotaPeriod ?? ''}|${describeCounterKey(key)}${fleet.scope === 'fleet' ? '|fleet' : ''}`),
    fleet, [FLEET_MARK]: fleet.scope === 'fleet',
    key, tokensPerMinute, quota, quotaPeriod, estimate,
    retryAfterHeader: optionalHeaderName(el, at, 'retry-after-header-name') ?? 'retry-after',
    retryAfterVariable: optionalVariableName(el, at, 'retry-after-variable-name'),
    remainingHeader: optionalHeaderName(el, at, 'remaining-tokens-header-name'),
    remainingVariable: optionalVariableName(el, at, 'remaining-tokens-variable-name'),
    remainingQuotaHeader: optionalHeaderName(el, at, 'remaining-quota-tokens-header-name'),
    remainingQuotaVariable: optionalVariableName(el, at, 'remaining-quota-tokens-variable-name'),
    consumedVariable: optionalVariableName(el, at, 'tokens-consumed-variable-name'),
  };
}

/** A cheap look for `"stream"` before parsing a body that need not be parsed otherwise. */
const STREAM_FIELD = Buffer.from('"stream"');

/** Charges what the model reported, less the estimate already charged, when the body has passed. */
class UsageCharge extends UsageTap {
  constructor(private readonly limit: TokenLimit, private readonly ctx: RequestContext, private readonly key: string, private readonly charged: number) {
    super(charged);
  }

  protected usageRead(usage: TokenUsage): void {
    this.limit.charge(this.key, usage.total - this.charged);
    if (this.limit.config.consumedVariable !== null) this.ctx.setVariable(this.limit.config.consumedVariable, usage.total);
  }
}

class TokenLimit {
  private readonly keyOf: (ctx: RequestContext) => string;
  private readonly prefix: string;
  private readonly counts: TokenCounts;

  constructor(readonly config: Config, private readonly services: WorkerServices) {
    this.keyOf = bindCounterKey(config.key);
    this.prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
    this.counts = new TokenCounts(config.fleet, config.quotaPeriod, services);
  }

  run(ctx: RequestContext): Outcome | Promise<Outcome> {
    const config = this.config;
    const nowMs = this.services.now();
    const key = this.prefix + this.keyOf(ctx);
    const body = ctx.requestBody;
    const estimate = body !== null && (config.estimate || body.indexOf(STREAM_FIELD) >= 0) ? estimatePromptTokens(body) : null;
    const prompt = estimate !== null && (config.estimate || estimate.stream) ? Math.min(estimate.tokens, MAX_COUNT) : 0;
    const minute = config.tokensPerMinute > 0 ? this.counts.minuteUsed(key, nowMs) : 0;
    const quota = config.quota > 0 ? this.counts.quotaUsed(key, nowMs) : 0;
    // Node scope stays synchronous: no promise, no closure.
    if (typeof minute === 'number' && typeof quota === 'number') return this.decide(ctx, key, nowMs, prompt, minute, quota);
    return Promise.all([minute, quota]).then(([m, q]) => this.decide(ctx, key, nowMs, prompt, m, q));
  }

  /** Refuses, or lets the request on (charging its estimate and watching its response), given the key's counts. */
  private decide(ctx: RequestContext, key: string, nowMs: number, prompt: number, minuteUsed: number, quotaUsed: number): Outcome {
    const config = this.config;
    if (minuteUsed === FAIL_CLOSED || quotaUsed === FAIL_CLOSED) {
      respondRedisUnavailable(ctx);
      return RESPOND;
    }
    if (config.tokensPerMinute > 0 && (minuteUsed >= config.tokensPerMinute || minuteUsed + prompt > config.tokensPerMinute)) {
      // Until the current minute ends: by then the sliding window has shed most of the previous one.
      const retryAfter = Math.max(1, Math.ceil((MINUTE_MS - (nowMs % MINUTE_MS)) / 1000));
      return this.refuse(ctx, 429, 'Too Many Requests', 'OUTPOST_ERR_TOKEN_LIMIT_EXCEEDED', retryAfter, `Token limit is exceeded. Try again in ${retryAfter} seconds.`);
    }
    if (config.quota > 0 && (quotaUsed >= config.quota || quotaUsed + prompt > config.quota)) {
      const retryAfter = Math.max(1, Math.ceil(quotaPeriodEnd(config.quotaPeriod!, nowMs / 1000) - nowMs / 1000));
      return this.refuse(ctx, 403, 'Forbidden', 'OUTPOST_ERR_TOKEN_QUOTA_EXCEEDED', retryAfter, `Token quota is exceeded. Quota will be replenished in ${formatTimeSpan(retryAfter)}.`);
    }
    if (prompt > 0) this.charge(key, prompt);
    if (config.tokensPerMinute > 0) this.tellRemaining(ctx, config.remainingHeader, config.remainingVariable, config.tokensPerMinute - minuteUsed - prompt);
    if (config.quota > 0) this.tellRemaining(ctx, config.remainingQuotaHeader, config.remainingQuotaVariable, config.quota - quotaUsed - prompt);
    if (config.consumedVariable !== null) ctx.setVariable(config.consumedVariable, prompt);
    addBodyTap(ctx, new UsageCharge(this, ctx, key, prompt));
    return CONTINUE;
  }

  /** Adds `tokens` to the key's counts (nothing for 0 or less). */
  charge(key: string, tokens: number): void {
    if (tokens > 0) this.counts.charge(key, tokens, this.config.tokensPerMinute > 0, this.config.quota > 0);
  }

  private tellRemaining(ctx: RequestContext, header: string | null, variable: string | null, remaining: number): void {
    const left = Math.max(0, remaining);
    if (header !== null) ctx.addResponseHeader(header, String(left));
    if (variable !== null) ctx.setVariable(variable, left);
  }

  private refuse(ctx: RequestContext, status: number, reason: string, code: string, retryAfter: number, message: string): Outcome {
    const config = this.config;
    if (config.retryAfterVariable !== null) ctx.setVariable(config.retryAfterVariable, retryAfter);
    const headers = ['content-type', 'application/json', config.retryAfterHeader, String(retryAfter), 'x-outpost-error', code];
    if (status === 429) {
      if (config.remainingHeader !== null) headers.push(config.remainingHeader, '0');
      if (config.remainingVariable !== null) ctx.setVariable(config.remainingVariable, 0);
    } else {
      if (config.remainingQuotaHeader !== null) headers.push(config.remainingQuotaHeader, '0');
      if (config.remainingQuotaVariable !== null) ctx.setVariable(config.remainingQuotaVariable, 0);
    }
    ctx.respond(status, reason, headers, JSON.stringify({ statusCode: status, message }));
    return RESPOND;
  }
}

function createTokenLimit(config: Config, services: WorkerServices): TokenLimit {
  return new TokenLimit(config, services);
}

export const llmTokenLimit: PolicyFactory<Config> = { name: 'llm-token-limit', sections: ['inbound'], compile: compileTokenLimit, create: createTokenLimit };
export const azureOpenAiTokenLimit: PolicyFactory<Config> = { name: 'azure-openai-token-limit', sections: ['inbound'], compile: compileTokenLimit, create: createTokenLimit };
