/**
 * In-process phase timings for the large-config bench: YAML parse, validation, compilation, the
 * table's size, a worker's generation build, and the router's match function over realistic
 * paths. Each phase is the same code the gateway runs, called directly, so the numbers isolate it.
 */
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { parseConfigText } from '../src/gateway/config/load-config.js';
import { loadJsonInParts } from '../src/gateway/config/json-parts.js';
import { validateGatewayConfig, type GatewayConfig } from '../src/shared/config-schema.js';
import { compileTable } from '../src/gateway/router/compile-table.js';
import { SharedRouteTable, newRouteMatch } from '../src/gateway/router/shared-table.js';
import { newParsedPath, parseRequestPath } from '../src/gateway/router/request-path.js';
import { buildGeneration } from '../src/gateway/worker/generation.js';
import { BackendPools } from '../src/gateway/upstream/backend-pools.js';
import { SharedCounters } from '../src/gateway/pipeline/shared-counters.js';
import { SharedGauges } from '../src/gateway/pipeline/shared-gauges.js';
import { METHOD_CODES } from '../src/shared/table-layout.js';
import { samplePath, SHAPE_PERIOD } from './large-config-gen.js';

export interface PhaseNumbers {
  apis: number;
  yamlBytes: number;
  /** YAML parser on the YAML text (null when skipped: LARGE_YAML_MAX). */
  parseYamlMs: number | null;
  jsonBytes: number;
  /** The same config as JSON (parseConfigText takes JSON.parse for it). */
  parseMs: number;
  validateMs: number;
  /** The gateway's own path for a JSON file (config/json-parts.ts): the APIs parsed and validated a batch at a time; null without the addon. */
  inParts: { parseMs: number; validateMs: number } | null;
  compileMs: number;
  tableBytes: number;
  /** Worker side: the table view and generation (API and operation objects are built on first use). */
  buildMs: number;
  /** CPU nanoseconds per match() call over realistic paths (all APIs sampled). */
  matchNs: number;
  /** The same over 8 hot APIs spread across the config, of the same kinds at every size (hotApi; traffic that concentrates, caches warm). */
  matchHotNs: number;
  /**
   * The 8 hot APIs' match() in this table over their match() in a table of those 8 APIs alone:
   * the same requests, so the ratio is what the table's size costs (median and range of
   * matchRatio's alternations); null for configs of 10 APIs or fewer.
   */
  hotAloneRatio: { median: number; min: number; max: number } | null;
  /** Heap growth from holding one built generation (MB, after GC when --expose-gc). */
  generationHeapMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

export function measurePhases(apis: number, yaml: string | null, json: string): PhaseNumbers {
  let t = performance.now();
  if (yaml !== null && !parseConfigText(yaml).ok) throw new Error('generated YAML does not parse');
  const parseYamlMs = yaml === null ? null : performance.now() - t;
  t = performance.now();
  const parsed = parseConfigText(json);
  if (!parsed.ok) throw new Error(`generated config does not parse: ${JSON.stringify(parsed.problems.slice(0, 3))}`);
  const parseMs = performance.now() - t;
  t = performance.now();
  const result = validateGatewayConfig(parsed.value);
  if (!result.ok) throw new Error(`generated config is invalid: ${JSON.stringify(result.problems.slice(0, 3))}`);
  const validateMs = performance.now() - t;
  const config: GatewayConfig = result.config;
  const parts = loadJsonInParts(Buffer.from(json));
  const inParts = parts === null ? null : { parseMs: parts.parseMs, validateMs: parts.validateMs };
  t = performance.now();
  const bytes = compileTable(config);
  const compileMs = performance.now() - t;
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);

  const before = heapMb();
  const pools = new BackendPools();
  const services = { counters: new SharedCounters(SharedCounters.allocate()), gauges: new SharedGauges(SharedGauges.allocate(1), 0), now: Date.now };
  t = performance.now();
  const generation = buildGeneration(2, shared, pools, services);
  const buildMs = performance.now() - t;
  const generationHeapMb = heapMb() - before;

  const matchNs = matchCost(generation.table, apis);
  const matchHotNs = matchCost(generation.table, apis, 8);
  const hotAloneRatio = apis > 10 ? aloneRatio(generation.table, apis, config) : null;
  void pools.destroyAll();
  return { hotAloneRatio, apis, yamlBytes: yaml === null ? 0 : Buffer.byteLength(yaml), parseYamlMs, jsonBytes: Buffer.byteLength(json), parseMs, validateMs, inParts, compileMs, tableBytes: bytes.byteLength, buildMs, matchNs, matchHotNs, generationHeapMb };
}

/**
 * Hot API `n` of `count`, spread across a config of `apis`: the same kind of API whatever the
 * config's size. Its kind is one of the first 10 APIs (those a 10-API config's hot set holds),
 * plus a multiple of SHAPE_PERIOD, after which the generator repeats an API's shape. Spreading
 * by `apis / count` alone made every hot API of a 10,000- or 50,000-API config a host-named one
 * (multiples of 1,250 and 6,250), which a 10-API config's is not.
 */
function hotApi(n: number, count: number, apis: number): number {
  const kind = Math.floor(n * (Math.min(apis, 10) / count));
  const periods = Math.floor((apis - kind - 1) / SHAPE_PERIOD) + 1;
  return kind + SHAPE_PERIOD * Math.floor(n * (periods / count));
}

/**
 * The hot APIs' lookups in `table` against the same lookups in a table compiled from those APIs
 * alone (same entries, names and host names; no products). The 10-API baseline of matchCost
 * compares other APIs (shorter names, for one), which this takes out.
 */
function aloneRatio(table: SharedRouteTable, apis: number, config: GatewayConfig): { median: number; min: number; max: number } {
  const hot = hotApis(apis);
  const alone = compileTable({ ...config, apis: hot.map((i) => config.apis[i]), products: [] });
  const shared = new SharedArrayBuffer(alone.byteLength);
  new Uint8Array(shared).set(alone);
  const { median, min, max } = matchRatio(new SharedRouteTable(shared), table, (k) => hot[(k * 2654435761) % hot.length], 9);
  return { median, min, max };
}

/** The config's hot APIs (hotApi), as indices into its `apis`. */
export function hotApis(apis: number, count = 8): number[] {
  return Array.from({ length: count }, (_, n) => hotApi(n, count, apis));
}

/**
 * The router's match() alone, over 4,096 realistic request paths spread across all APIs
 * (parsed once up front, as a worker parses each request before matching).
 */
export function matchCost(table: SharedRouteTable, apis: number, hot = apis): number {
  const spread = Math.min(hot, apis);
  return matchCostOf(table, (k) => (hot < apis ? hotApi((k * 2654435761) % spread, spread, apis) : Math.floor(((k * 2654435761) % spread) * (apis / spread))));
}

/**
 * The same requests against two tables, alternately `rounds` times (so that the host's swings
 * reach both alike): `subject`'s cost over `base`'s, median and range. `apiOf(k)` is the
 * generator's API index of sample k (samplePath); both tables must hold those APIs.
 */
export function matchRatio(base: SharedRouteTable, subject: SharedRouteTable, apiOf: (k: number) => number, rounds = 7): { median: number; min: number; max: number; baseNs: number; subjectNs: number } {
  const ratios: number[] = [];
  const bases: number[] = [];
  const subjects: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const b = matchCostOf(base, apiOf);
    const s = matchCostOf(subject, apiOf);
    bases.push(b);
    subjects.push(s);
    ratios.push(s / b);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { median: mid(ratios), min: Math.min(...ratios), max: Math.max(...ratios), baseNs: mid(bases), subjectNs: mid(subjects) };
}

function matchCostOf(table: SharedRouteTable, apiOf: (k: number) => number): number {
  const SAMPLES = 4096;
  const requests = Array.from({ length: SAMPLES }, (_, k) => {
    const i = apiOf(k);
    const { method, host, path } = samplePath(i, k);
    const parsed = newParsedPath();
    if (parseRequestPath(path.split('?')[0], parsed) !== 0) throw new Error(`bad sample path ${path}`);
    return { methodCode: METHOD_CODES[method], host, parsed };
  });
  const out = newRouteMatch();
  let misses = 0;
  const run = (rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      for (const q of requests) if (!table.match(q.host, q.methodCode, q.parsed.segments, q.parsed.hashes, out)) misses++;
    }
  };
  run(20); // warm-up: let the matcher be optimised before it is timed
  if (misses > 0) throw new Error(`${misses} sample paths did not match`);
  const ROUNDS = 200;
  // CPU time, not wall time: on a shared machine the wall clock also counts other processes' turns.
  const t = process.cpuUsage();
  run(ROUNDS);
  const used = process.cpuUsage(t);
  return ((used.user + used.system) * 1000) / (ROUNDS * SAMPLES);
}
