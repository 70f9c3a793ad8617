/**
 * retry, as APIM has it: runs its child policies (any policies the section allows) once, then
 * again while `condition` holds and retries remain (`count`, 1 to 50), waiting per `interval`,
 * `delta`, `max-interval` and `first-fast-retry` (retry-timing.ts: constants or policy
 * expressions). It may stand in inbound, backend, outbound and on-error. The condition is a policy
 * expression over context (`@(context.Response.StatusCode == 429)`,
 * `@(context.Variables.GetValueOrDefault<int>("n") < 3)`) or Outpost's condition language
 * (`response.status >= 500 or error.source == 'backend'`). A child that answers
 * (return-response) or fails ends the retry with that outcome; an expression that fails (the
 * condition, count, a wait) fails the request to on-error, around forward-request too.
 *
 * With a <forward-request> among its children (backend section) the forward happens inside each
 * round: the children before it run, the request is sent, the children after it run on the
 * backend's answer (its status and headers: context.Response), then the condition is asked. The
 * client sees only the last attempt: nothing is written before it. An answer that fails the
 * forward (no connection, a timeout, an error status with fail-on-error-status-code) is retried
 * when the condition holds (context.LastError, `error.source`), else it goes to on-error.
 * Children before forward-request see the previous attempt's answer in context.Response
 * (StatusCode 0 on the first round). A nested set-backend-service re-picks from a pool each round,
 * skipping a member whose breaker opened; when every member is open it fails to on-error (503
 * OUTPOST_ERR_BACKEND_CIRCUIT_OPEN, APIM's "backend pool unavailable").
 *
 * Outpost's shorthand: a retry with no children in the backend section retries the forward, as
 * if it held only <forward-request/> (YAML: `- retry: { condition: …, count: 3, interval: 0 }`).
 *
 * Only a body that can be sent again is retried: none, one with a known length up to 64 KiB, or
 * any body with forward-request buffer-request-body="true" (bounded; see forward-request.ts). A
 * streamed body (chunked, or larger) is sent once, and the retry sees only that attempt.
 * Deviations: forward-request must be a direct child of retry (not inside a choose in it), and a
 * retry holding it cannot be inside another retry; policies after the retry in the backend
 * section run before the forward, as with any forward-request (Outpost forwards after backend).
 */
import type { CompiledPolicy, PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome, type Section } from '../pipeline/phases.js';
import { collectInto, describeLocation, emptyElement, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { childLocation } from '../pipeline/policy-document.js';
import { bindConditionProgram, type Program } from '../pipeline/expression/index.js';
import { compileElement, type FactoryLookup } from '../pipeline/compile-element.js';
import { runSection, type RuntimeSection } from '../pipeline/run-section.js';
import type { RequestContext, RetryPlan } from '../pipeline/context.js';
import { allowOnly, conditionAttr } from './attributes.js';
import { bindRetryTiming, compileRetryTiming, timingMayWait, type RetryTiming, type RetryTimingConfig } from './retry-timing.js';

interface Config {
  section: Section;
  condition: Program;
  timing: RetryTimingConfig;
  /** Whether a round may wait between attempts (an outbound retry then needs the buffered exchange). */
  waits: boolean;
  /** The children before forward-request; all of them when the retry holds none. */
  before: CompiledPolicy[];
  /** The forward-request child: the forward happens inside each round. Null: a plain loop. */
  forward: CompiledPolicy | null;
  /** The children after forward-request, run on each attempt's answer. */
  after: CompiledPolicy[];
}

const ATTRIBUTES = ['condition', 'count', 'interval', 'max-interval', 'delta', 'first-fast-retry'];

/** Whether `el` holds a forward-request below its direct children (where the forward could not happen per round). */
function nestedForward(el: PolicyElement, depth: number): boolean {
  return el.children.some((c) => (c.name === 'forward-request' && depth > 0) || nestedForward(c, depth + 1));
}

export function makeRetry(lookup: FactoryLookup): PolicyFactory<Config> {
  const compileChild = (child: PolicyElement, at: PolicyLocation, i: number): CompiledPolicy => {
    const childAt = childLocation(at, child.name, i);
    return { name: child.name, config: compileElement(lookup, child, childAt), at: describeLocation(childAt) };
  };

  return {
    name: 'retry',
    sections: ['inbound', 'backend', 'outbound', 'on-error'],
    compile(el, at) {
      allowOnly(el, at, ATTRIBUTES, el.children.map((c) => c.name));
      if (el.text !== '') throw new PolicyCompileError(at, null, 'retry holds policies, not text');
      const sink: PolicyCompileError[] = [];
      const condition = collectInto(sink, () => conditionAttr(el, at, 'condition'));
      const timing = collectInto(sink, () => compileRetryTiming(el, at));
      const forwardAt = el.children.findIndex((c) => c.name === 'forward-request');
      if (el.children.filter((c) => c.name === 'forward-request').length > 1) sink.push(new PolicyCompileError(at, null, 'at most one <forward-request> inside <retry>'));
      if (nestedForward(el, 0)) {
        sink.push(new PolicyCompileError(at, null, '<forward-request> must be a direct child of <retry> (not inside a choose or another retry in it), so each round forwards once'));
      }
      // Every child is compiled even after a bad one, so all of the retry's problems come out together.
      const compiled = el.children.map((child, i) => collectInto(sink, () => compileChild(child, at, i)));
      throwCollected(sink);
      const all = compiled as CompiledPolicy[];
      // Outpost's shorthand, kept from before retry ran children: an empty retry in backend retries the forward.
      if (all.length === 0 && at.section === 'backend') {
        const forward = emptyElement('forward-request');
        return { section: 'backend', condition: condition!, timing: timing!, waits: timingMayWait(timing!), before: [], after: [],
          forward: { name: forward.name, config: compileElement(lookup, forward, at), at: describeLocation(at) } };
      }
      const split = forwardAt < 0 ? all.length : forwardAt;
      return {
        section: at.section as Section, condition: condition!, timing: timing!, waits: timingMayWait(timing!),
        before: all.slice(0, split), forward: forwardAt < 0 ? null : all[forwardAt], after: forwardAt < 0 ? [] : all.slice(forwardAt + 1),
      };
    },
    create(config, services): PolicyInstance {
      const instantiate = (list: CompiledPolicy[]): RuntimeSection | null => list.length === 0 ? null : {
        section: config.section, instances: list.map((p) => lookup(p.name)!.create(p.config as never, services)), names: list.map((p) => p.name),
      };
      const test = bindConditionProgram(config.condition);
      const timing = bindRetryTiming(config.timing);
      const before = instantiate(config.before);
      if (config.forward === null) return retryLoop(before, test, timing);
      return forwardingRetry(lookup('forward-request')!.create(config.forward.config as never, services), {
        test, count: timing.count, delayMs: timing.delayMs, before, after: instantiate(config.after),
      });
    },
  };
}

/** A retry around forward-request: the first round's children run here; the exchange does the rest (policy-exchange.ts). */
function forwardingRetry(forward: PolicyInstance, plan: RetryPlan): PolicyInstance {
  return {
    run(ctx: RequestContext): Outcome | Promise<Outcome> {
      ctx.retry = plan;
      forward.run(ctx); // sets the timeout and flags only: it never waits or fails
      return plan.before === null ? CONTINUE : runSection(plan.before, ctx);
    },
  };
}

/** A retry without forward-request: rounds of its children until the condition stops holding or retries run out. */
function retryLoop(body: RuntimeSection | null, test: (ctx: RequestContext) => boolean, timing: RetryTiming): PolicyInstance {
  const round = (ctx: RequestContext, attempt: number): Outcome | Promise<Outcome> => {
    const outcome = body === null ? CONTINUE : runSection(body, ctx);
    return typeof outcome === 'number' ? afterRound(ctx, outcome, attempt) : outcome.then((o) => afterRound(ctx, o, attempt));
  };
  const afterRound = (ctx: RequestContext, outcome: Outcome, attempt: number): Outcome | Promise<Outcome> => {
    if (outcome !== CONTINUE || attempt >= timing.count(ctx) || !test(ctx)) return outcome;
    const wait = timing.delayMs(ctx, attempt + 1);
    // No wait: the next round runs at once (a synchronous retry stays synchronous, e.g. in a streamed outbound).
    if (wait <= 0) return round(ctx, attempt + 1);
    return new Promise<void>((resolve) => { setTimeout(resolve, wait); }).then(() => round(ctx, attempt + 1));
  };
  return { run: (ctx) => round(ctx, 0) };
}
