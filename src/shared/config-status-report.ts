/**
 * The config-status report a managed gateway posts to its control plane after each config it
 * accepted or rejected, and its bounds. Both sides use this file: the gateway trims what it sends
 * to fit (a config with thousands of problems still gets reported: the first ones, and how many
 * there were), the control plane refuses anything bigger, so a gateway token holder cannot use
 * reports to fill the control plane's memory or its logs.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';

/** Largest request body on POST /gateway/config-status. */
export const MAX_REPORT_BYTES = 128 * 1024;
export const MAX_REPORT_PROBLEMS = 100;
export const MAX_PROBLEM_PATH_CHARS = 200;
export const MAX_PROBLEM_MESSAGE_CHARS = 500;
/** Room left in the body for the other fields. */
const PROBLEM_BUDGET_BYTES = MAX_REPORT_BYTES - 1024;

export interface ReportedProblem { path: string; message: string }

export const configStatusSchema = z.object({
  nodeId: z.string().min(1).max(200),
  revision: z.number().int().min(0),
  ok: z.boolean(),
  problems: z.array(z.object({
    path: z.string().max(MAX_PROBLEM_PATH_CHARS),
    message: z.string().max(MAX_PROBLEM_MESSAGE_CHARS),
  }).strict()).max(MAX_REPORT_PROBLEMS).optional(),
  /** How many problems there were when `problems` holds only the first ones. */
  problemCount: z.number().int().min(0).optional(),
  /** Whether the node could write its config backup (disk full, read-only directory...). */
  backup: z.object({ ok: z.boolean(), error: z.string().max(100).optional(), cause: z.string().max(100).optional() }).strict().optional(),
}).strict();

export type ConfigStatusBody = z.infer<typeof configStatusSchema>;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The problems as a report carries them: the first MAX_REPORT_PROBLEMS, each clipped, and no more
 * than fit in the body limit once JSON-escaped (control characters escape to six bytes each).
 */
export function boundProblems(problems: ReadonlyArray<{ path: string; message: string }>): { problems: ReportedProblem[]; problemCount: number } {
  const out: ReportedProblem[] = [];
  let bytes = 2;
  for (const p of problems.slice(0, MAX_REPORT_PROBLEMS)) {
    const clipped = { path: clip(p.path, MAX_PROBLEM_PATH_CHARS), message: clip(p.message, MAX_PROBLEM_MESSAGE_CHARS) };
    bytes += Buffer.byteLength(JSON.stringify(clipped)) + 1;
    if (bytes > PROBLEM_BUDGET_BYTES) break;
    out.push(clipped);
  }
  return { problems: out, problemCount: problems.length };
}
