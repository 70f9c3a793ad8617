/** The 161 scored cases of Http11Probe (MDA2AV/Http11Probe, MIT), in the probe's order. */
import { complianceCases } from './compliance-cases.js';
import { smugglingCases } from './smuggling-cases.js';
import { malformedInputCases } from './malformed-input-cases.js';
import { normalizationCases } from './normalization-cases.js';
import type { ProbeCase } from './probe-types.js';

export const scoredProbeCases: ProbeCase[] = [...complianceCases, ...smugglingCases, ...malformedInputCases, ...normalizationCases];
