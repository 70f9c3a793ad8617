/**
 * Reads a gateway config file (YAML, or JSON which is YAML too, read by JSON.parse: see
 * json-fast-path.ts) and validates it. Never throws for
 * bad input: every problem comes back with the path of its field (or the line of a YAML syntax
 * error), so `outpost validate`, startup and reload all report problems the same way.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { parseJsonConfig } from './json-fast-path.js';
import { validateGatewayConfig, type ConfigProblem, type GatewayConfig } from '../../shared/config-schema.js';

export type LoadResult =
  | { ok: true; config: GatewayConfig; sourceHash: string; timings?: LoadTimings }
  | { ok: false; problems: ConfigProblem[]; sourceHash: string | null };

/** Milliseconds per step of a load, logged with the reload that used it. */
export type LoadTimings = { readMs: number; parseMs: number; validateMs: number };

export function parseConfigText(text: string): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  const json = parseJsonConfig(text);
  if (json !== null) return { ok: true, value: json };
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '',
        message: `YAML ${e.code} at line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  return { ok: true, value: doc.toJS() };
}

export async function loadConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  const t0 = performance.now();
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `cannot read ${file}: ${(err as Error).message}` }], sourceHash: null };
  }
  const sourceHash = createHash('sha256').update(text).digest('hex');
  const t1 = performance.now();
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ...parsed, sourceHash };
  const t2 = performance.now();
  const result = validateGatewayConfig(parsed.value);
  const timings = { readMs: t1 - t0, parseMs: t2 - t1, validateMs: performance.now() - t2 };
  return result.ok ? { ok: true, config: result.config, sourceHash, timings } : { ok: false, problems: result.problems, sourceHash };
}
