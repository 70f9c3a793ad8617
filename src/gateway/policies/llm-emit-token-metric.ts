/**
 * llm-emit-token-metric and azure-openai-emit-token-metric (APIM's policies, one semantics under
 * both names; inbound): when the model's response has streamed to the client, adds the token
 * usage it reports (llm-usage.ts: JSON `usage`, or the usage chunk of a server-sent event
 * stream) to three custom metrics named as APIM names them, "Prompt Tokens", "Completion Tokens"
 * and "Total Tokens", in `namespace` (default "API Management"), by the policy's dimensions. APIM
 * sends them to Application Insights; Outpost serves them on the ops listener's /metrics as
 * outpost_custom_metric_sum / _count {namespace, name, <dimensions>} (custom-metrics.ts bounds
 * the label sets), like emit-metric.
 *
 * Dimensions (metric-dimensions.ts): at most 5 besides APIM's default dimensions, 10 in all; a
 * name must be a constant (it becomes a label name; APIM also allows an expression there); values
 * are taken when the policy runs (inbound). Deviations from APIM: a default dimension's name
 * without its " ID" ("Operation", as in Microsoft's policy toolkit test data) is read as that
 * default dimension; a response without a readable usage (a compressed or over-1-MiB JSON body,
 * a non-2xx status) emits nothing. A stream without a usage chunk is estimated, as APIM does:
 * the request's prompt estimate (llm-prompt-estimate.ts, so the request body is read first, as
 * for llm-token-limit) and the streamed text's bytes / 4 (llm-usage.ts).
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { allowOnly } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import type { PolicyElement, PolicyLocation } from '../pipeline/policy-element.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import type { CustomMetricSink } from '../telemetry/custom-metrics.js';
import { bindDimensions, compileDimensions, type Dimension } from './metric-dimensions.js';
import { metricNamespace } from './emit-metric.js';
import { UsageTap, type TokenUsage } from './llm-usage.js';
import { addBodyTap } from '../pipeline/body-taps.js';
import { estimatePromptTokens } from './llm-prompt-estimate.js';

const DIMENSION_RULES = { max: 10, maxCustom: 5, shortDefaultNames: true };

interface Config { namespace: string; dimensions: Dimension[] }

/** Emits the usage of one response, with the labels its request had. */
class UsageEmit extends UsageTap {
  constructor(private readonly sink: CustomMetricSink, private readonly namespace: string, private readonly labels: string[], promptEstimate: number) {
    super(promptEstimate);
  }

  protected usageRead(usage: TokenUsage): void {
    this.sink.add(this.namespace, 'Prompt Tokens', this.labels, usage.prompt);
    this.sink.add(this.namespace, 'Completion Tokens', this.labels, usage.completion);
    this.sink.add(this.namespace, 'Total Tokens', this.labels, usage.total);
  }
}

const STREAM_FIELD = Buffer.from('"stream"');

/** The prompt estimate of a `"stream": true` request (reported if its stream carries no usage); 0 otherwise. */
function streamedPromptEstimate(body: Buffer | null): number {
  if (body === null || body.indexOf(STREAM_FIELD) < 0) return 0;
  const estimate = estimatePromptTokens(body);
  return estimate.stream ? estimate.tokens : 0;
}

function compileTokenMetric(el: PolicyElement, at: PolicyLocation): Config {
  allowOnly(el, at, ['namespace'], ['dimension']);
  return { namespace: metricNamespace(el, at), dimensions: compileDimensions(el, at, DIMENSION_RULES) };
}

function createTokenMetric(config: Config, services: WorkerServices): PolicyInstance {
  const labelsOf = bindDimensions(config.dimensions);
  const sink = services.metrics;
  return {
    run(ctx: RequestContext): Outcome {
      if (sink !== undefined) addBodyTap(ctx, new UsageEmit(sink, config.namespace, labelsOf(ctx), streamedPromptEstimate(ctx.requestBody)));
      return CONTINUE;
    },
  };
}

export const llmEmitTokenMetric: PolicyFactory<Config> = { name: 'llm-emit-token-metric', sections: ['inbound'], compile: compileTokenMetric, create: createTokenMetric };
export const azureOpenAiEmitTokenMetric: PolicyFactory<Config> = { name: 'azure-openai-emit-token-metric', sections: ['inbound'], compile: compileTokenMetric, create: createTokenMetric };
