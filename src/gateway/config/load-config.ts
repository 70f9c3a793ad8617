/**
 * Reads a gateway config file (YAML, or JSON which is YAML too, read by JSON.parse: see
 * json-fast-path.ts) and validates it. Never throws for bad input: every problem comes back with
 * the path of its field, or, for a file that cannot be read or parsed,
 * OUTPOST_ERR_CONFIG_UNREADABLE with the line and column of each YAML error, so `outpost
 * validate`, startup and reload all report problems the same way.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { parseJsonConfig } from './json-fast-path.js';
import { loadJsonInParts } from './json-parts.js';
import { validateGatewayConfig, type ConfigProblem, type GatewayConfig } from '../../shared/config-schema.js';

export type LoadResult =
  | { ok: true; config: GatewayConfig; sourceHash: string; timings?: LoadTimings }
  | { ok: false; problems: ConfigProblem[]; sourceHash: string | null };

/** Milliseconds per step of a load, logged with the reload that used it. */
export type LoadTimings = { readMs: number; parseMs: number; validateMs: number };

type Yaml = typeof import('yaml');
let yamlModule: Yaml | null = null;
/**
 * The YAML parser, required on first use: a JSON config (large ones are) never needs it, and
 * importing it cost every compiler thread's start ~40 ms, on every reload after the thread had
 * gone idle.
 */
const yaml = (): Yaml => (yamlModule ??= createRequire(import.meta.url)('yaml') as Yaml);

export function parseConfigText(text: string): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  const json = parseJsonConfig(text);
  if (json !== null) return { ok: true, value: json };
  const { LineCounter, parseDocument } = yaml();
  // prettyErrors: false leaves `linePos` unset, so positions come from a LineCounter over `pos`.
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: '', code: 'OUTPOST_ERR_CONFIG_UNREADABLE', line, column: col, message: `YAML syntax error (${e.code}): ${e.message.split('\n')[0]}` };
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

export async function loadConfigFile(file: string): Promise<LoadResult> {
  const read = readAndParse(file);
  if (read.kind === 'unreadable') {
    return { ok: false, problems: [{ path: '', code: 'OUTPOST_ERR_CONFIG_UNREADABLE', message: `cannot read ${file}: ${read.message}` }], sourceHash: null };
  }
  if (read.kind === 'validated') {
    return { ok: true, config: read.config, sourceHash: read.sourceHash, timings: { readMs: read.readMs, parseMs: read.parseMs, validateMs: read.validateMs } };
  }
  const { sourceHash, parsed } = read;
  if (!parsed.ok) return { ...parsed, sourceHash };
  const t2 = performance.now();
  const result = validateGatewayConfig(parsed.value);
  const timings = { readMs: read.readMs, parseMs: read.parseMs, validateMs: performance.now() - t2 };
  return result.ok ? { ok: true, config: result.config, sourceHash, timings } : { ok: false, problems: result.problems, sourceHash };
}

/**
 * The file's hash and parsed value, or for a valid JSON config read in parts (json-parts.ts) the
 * validated config itself. A function of its own so that the bytes and the text (60 MB each for
 * a 50,000-API file) are garbage before validation builds its copy of the config, not held by
 * the caller's frame until the load returns.
 */
function readAndParse(file: string): (
  | { kind: 'read'; sourceHash: string; parsed: ReturnType<typeof parseConfigText>; readMs: number; parseMs: number }
  | { kind: 'validated'; sourceHash: string; config: GatewayConfig; readMs: number; parseMs: number; validateMs: number }
  | { kind: 'unreadable'; message: string }
) {
  const t0 = performance.now();
  let bytes: Buffer | null;
  try {
    // One blocking read: this runs in the compiler thread (or the validate command), where nothing
    // else waits on the event loop, and fs.promises.readFile's 512 KiB reads, each a trip through
    // libuv's pool and back, took 200-225 ms for a 59 MB file against 170 ms.
    bytes = readFileSync(file);
  } catch (err) {
    return { kind: 'unreadable', message: (err as Error).message };
  }
  // The bytes are hashed, not the decoded text, which the hash would encode back to UTF-8 first
  // (a third of a second for a 60 MB file). SHA-512: it only tells an unchanged file, and Node's
  // SHA-256 took 117 ms for a 59 MB file on the AMD VM against 61 ms (its OpenSSL does not use the
  // CPU's SHA instructions there; SHA-512's 64-bit rounds are the faster without them).
  const sourceHash = createHash('sha512').update(bytes).digest('hex');
  const readMs = performance.now() - t0;
  const inParts = loadJsonInParts(bytes);
  if (inParts !== null) return { kind: 'validated', sourceHash, readMs, ...inParts };
  const t1 = performance.now();
  let text: string | null = bytes.toString('utf8');
  // Dropped before the parse, not at the return: the frame would keep the file's bytes (and then
  // the text) alive beside the parsed graph, 60 MB each at 50,000 APIs, at the compiler thread's peak.
  bytes = null;
  const parsed = parseConfigText(text);
  text = null;
  return { kind: 'read', sourceHash, parsed, readMs, parseMs: performance.now() - t1 };
}
