/**
 * Runs inside a piscina thread: turns a config into table bytes. Kept off the primary's event loop
 * so a large config never stalls health checks or config sync.
 *
 * A config file is read, parsed and validated here too, not in the primary: for 50,000 APIs that is
 * seconds of CPU and a graph of millions of objects, which would block the primary's event loop and,
 * posted to this thread, be copied once more by structured clone. The primary gets back only what it
 * keeps: the gateway settings, the API count and the table, written into a SharedArrayBuffer here
 * (one the primary lent when it fits, table-buffers.ts), so the primary copies nothing.
 *
 * The TLS files a config names are read here as well, with the config (config-files.ts): backend
 * CA bundles and client certificates go into the table, the HTTPS listener's certificates back to
 * the primary, which sends them to the request workers (they never read files).
 */
import { performance } from 'node:perf_hooks';
import type { ConfigProblem, GatewayConfig, GatewaySettings } from '../../shared/config-schema.js';
import { compileTable, ConfigCompileError } from '../router/compile-table.js';
import { loadConfigFile } from '../config/load-config.js';
import { readConfigFiles } from './config-files.js';
import type { LoadedHttps } from '../tls/https-material.js';
import { withRedisUrlOverride } from '../redis/redis-settings.js';
import { nativeAddon } from '../native.js';
import { tableSpace } from './table-buffers.js';
import { COMPILER_NICE } from './compiler-priority.js';

// This thread runs below the request workers' priority (compiler-priority.ts says why). Measured on
// the AMD VM, nice 0, 5 and 10 gave the same 50,000-API reload times under bench:large's load,
// which leaves gaps a niced thread takes; it is kept for workers that fill every core.
nativeAddon()?.niceThread(COMPILER_NICE);

export type CompileInput =
  | { kind: 'config'; config: GatewayConfig }
  /**
   * `unchangedHash`: when the file's content hashes to this, nothing is parsed or compiled.
   * `redisUrl`: OUTPOST_REDIS_URL, which overrides gateway.redis.url (fleet counters need Redis to compile).
   */
  | { kind: 'file'; file: string; unchangedHash: string | null; redisUrl?: string };

/** `spare`: a free table buffer the primary lends (table-buffers.ts); the table is written into it when it fits. */
export type CompileTask = CompileInput & { spare: SharedArrayBuffer | null };

/**
 * `https` (in a table): the HTTPS listener's certificates, read and checked; null without gateway.tls.
 * `inSpare`: the table was written into the lent buffer. The primary must know: a SharedArrayBuffer
 * that crosses threads arrives as a new object over the same memory, so `buffer === spare` is
 * false there even when it is the lent buffer.
 */
export type CompileOutcome =
  | { kind: 'table'; buffer: SharedArrayBuffer; inSpare: boolean; settings: GatewaySettings; apis: number; sourceHash: string | null; timings: Record<string, number>; https: LoadedHttps | null }
  | { kind: 'problems'; problems: ConfigProblem[]; sourceHash: string | null }
  | { kind: 'unchanged' };

export default async function compile(input: CompileTask): Promise<CompileOutcome> {
  let config: GatewayConfig;
  let sourceHash: string | null = null;
  let timings: Record<string, number> = {};
  if (input.kind === 'file') {
    const loaded = await loadConfigFile(input.file);
    if (!loaded.ok) return { kind: 'problems', problems: loaded.problems, sourceHash: loaded.sourceHash };
    if (loaded.sourceHash === input.unchangedHash) return { kind: 'unchanged' };
    config = withRedisUrlOverride(loaded.config, input.redisUrl);
    sourceHash = loaded.sourceHash;
    timings = loaded.timings ?? {};
  } else {
    config = input.config;
  }
  const tFiles = performance.now();
  const files = await readConfigFiles(config);
  if (!files.ok) return { kind: 'problems', problems: files.problems, sourceHash };
  const t0 = performance.now();
  try {
    // Laid out straight into shared memory (the lent buffer when it fits): the primary and then
    // the workers get this buffer itself, nothing is copied after this.
    const bytes = compileTable(config, files.files.backendTls, (size) => tableSpace(size, input.spare));
    const t1 = performance.now();
    const buffer = bytes.buffer as SharedArrayBuffer;
    return {
      kind: 'table', buffer, inSpare: buffer === input.spare, settings: config.gateway, apis: config.apis.length, sourceHash,
      timings: { ...timings, tlsFilesMs: t0 - tFiles, compileMs: t1 - t0, placeMs: performance.now() - t1 }, https: files.files.https,
    };
  } catch (err) {
    if (err instanceof ConfigCompileError) return { kind: 'problems', problems: err.problems, sourceHash };
    throw err;
  }
}
