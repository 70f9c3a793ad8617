/**
 * A JSON config file read in parts: the native addon finds the `apis` array's elements in the
 * file's bytes (native/src/json_parts.c), the document is parsed with `[]` in their place, and
 * the APIs are parsed and validated about BATCH_BYTES at a time (validateInParts). At 50,000 APIs the
 * whole document parsed at once was ~120 MB of objects that all survived until validation had
 * copied them, and the collector moved each of them twice; batch by batch they die young, and
 * the 60 MB text of the whole file is never made either.
 *
 * Only an answer for a valid config: null when the addon is not loaded, when its scan does not
 * vouch for the document (then the whole text is parsed as before: json-fast-path.ts, or YAML),
 * when a piece does not parse, or when anything is invalid (then the whole document is validated,
 * which reports every problem with its path). The answer is the one the whole-text path gives
 * (test/unit/json-parts.test.ts holds it to that).
 */
import type { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { nativeAddon } from '../native.js';
import { validateInParts, type GatewayConfig } from '../../shared/config-schema.js';

/**
 * Text parsed in one JSON.parse: whole APIs up to about this many bytes (an API larger than this
 * is a batch of its own). Below V8's large-object size (128 KB) the batch's string and its
 * flattened copy are allocated in the young generation; above it each is a fresh mapping of its
 * own, and at 50,000 APIs batches of 256 (~300 KB) took 550 ms to decode and parse against 160 ms
 * for batches of 64 (~75 KB).
 */
const BATCH_BYTES = 64 * 1024;

const scan = nativeAddon()?.jsonConfigParts ?? null;

/** The config, and the milliseconds its parsing took (scan and JSON.parse) and its validation took, interleaved. */
export interface LoadedInParts { config: GatewayConfig; parseMs: number; validateMs: number }

export function loadJsonInParts(bytes: Buffer): LoadedInParts | null {
  if (scan === null) return null;
  const t0 = performance.now();
  const parts = scan(bytes);
  if (parts === null) return null;
  const open = parts[0];
  const close = parts[1];
  const apis = (parts.length - 2) / 2;
  const parsing = { ms: 0 };
  try {
    const shell: unknown = JSON.parse(`${bytes.toString('utf8', 0, open)}[]${bytes.toString('utf8', close)}`);
    parsing.ms = performance.now() - t0;
    const config = validateInParts(shell, batchesOf(bytes, parts, apis, parsing));
    return config === null ? null : { config, parseMs: parsing.ms, validateMs: performance.now() - t0 - parsing.ms };
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

/** The APIs about BATCH_BYTES at a time: one JSON.parse of the text from a batch's first element to its last; its time added to `parsing`. */
function* batchesOf(bytes: Buffer, parts: Int32Array, apis: number, parsing: { ms: number }): Generator<unknown[]> {
  for (let first = 0; first < apis;) {
    const start = parts[2 + first * 2];
    let last = first;
    while (last + 1 < apis && parts[3 + (last + 1) * 2] - start <= BATCH_BYTES) last++;
    const t = performance.now();
    const batch = JSON.parse(`[${bytes.toString('utf8', start, parts[3 + last * 2])}]`) as unknown[];
    parsing.ms += performance.now() - t;
    yield batch;
    first = last + 1;
  }
}
