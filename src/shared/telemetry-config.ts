/** The config of request metrics and request logs (README: Metrics, Request logs), part of config-schema.ts. */
import { z } from 'zod';

export const requestLogSchema = z.object({
  enabled: z.boolean().default(true),
  /** Fraction of requests logged, 0..1 (1: every request). */
  sample: z.number().min(0).max(1).default(1),
}).strict();

/** Prometheus buckets of the latency histograms, in seconds. */
export const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const telemetrySchema = z.object({
  /** false: workers record nothing (no request metrics on /metrics, nothing for the control plane). */
  enabled: z.boolean().default(true),
  buckets: z.array(z.number().positive().max(3600)).min(1).max(50)
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]), 'must be strictly increasing')
    .default(DEFAULT_LATENCY_BUCKETS),
}).strict();

/** `apis[].requestLog`: false writes no request-log line for the API (its requests are still counted). */
export const apiRequestLogSchema = z.boolean().default(true);
