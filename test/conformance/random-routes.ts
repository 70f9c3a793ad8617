/**
 * Seeded generators for the differential test: random (valid) configs and requests that are
 * mostly aimed at their routes, with case changes, percent-encoding, dot segments and stray
 * slashes mixed in. A small vocabulary makes overlaps (same suffix, static vs param vs wildcard,
 * same shape with different methods) common rather than rare.
 *
 * Deliberately left out: non-ASCII letters and "%2F" inside API paths, where the compiled table is
 * known to differ from the contract (they are todo cases in router-cases.ts).
 */
import { patternShape, splitTemplate } from '../../src/shared/url-template.js';
import { foldAscii } from '../../src/shared/table-layout.js';

/** mulberry32: a tiny seeded PRNG, good enough to spread test inputs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
}

const SUFFIX_WORDS = ['a', 'b', 'c', 'Users', 'v1'];
const STATIC_WORDS = ['a', 'b', 'c', 'me', 'Me', 'x', 'items', '%61', 'a%20b'];
const OP_METHODS = ['GET', 'GET', 'HEAD', 'POST', 'DELETE', '*'];
const HOSTS = ['h1.test', 'h2.test'];
export const REQUEST_METHODS = ['GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PROPFIND', 'get'];
const PARAM_VALUES = ['1', 'me', 'A', 'x%20y', 'a%2Fb', 'items'];
/** Pattern segments (P and Q become parameter names) and the values filled into them. */
const PATTERNS = ['{P}.json', 'v{P}', '{P}.{Q}', '{P}.tar.gz', 'x-{P}', '{P}-x'];
const PATTERN_VALUES = ['1', 'a.b', 'X', 'json', 'a%2Eb', '', 'x-', '.'];
const NOISE = ['..', '.', '%2e%2e', '', 'a%2Fb', 'me', 'x', 'zz', '%zz'];

export interface RawOp { id: string; method: string; urlTemplate: string }
export interface RawApi { id: string; name: string; path: string; serviceUrl: string; hostnames?: string[]; operations: RawOp[] }

function template(rng: Rng, opIndex: number): string {
  const parts: string[] = [];
  const length = rng.int(4);
  for (let i = 0; i < length; i++) {
    const name = `p${opIndex}_${i}`;
    if (rng.chance(0.3)) parts.push(`{${name}}`);
    else if (rng.chance(0.2)) parts.push(rng.pick(PATTERNS).replace('P', name).replace('Q', `q${opIndex}_${i}`));
    else parts.push(rng.pick(STATIC_WORDS));
  }
  if (rng.chance(0.25)) parts.push('*');
  return '/' + parts.join('/');
}

/** Validation's notion of a duplicate: same method and same template shape. */
function shapeKey(op: RawOp): string {
  const t = splitTemplate(op.urlTemplate);
  if (typeof t === 'string') throw new Error(t);
  return `${op.method} ${t.map((s) => (s.kind === 'static' ? foldAscii(s.value) : s.kind === 'param' ? '\u0001{}' : s.kind === 'pattern' ? `\u0002${patternShape(s)}` : '\u0001*')).join('\u0000')}`;
}

export function randomConfig(rng: Rng): { apis: RawApi[] } {
  const apis: RawApi[] = [];
  const used = new Set<string>();
  const apiCount = 1 + rng.int(7);
  for (let a = 0; a < apiCount; a++) {
    const path = rng.chance(0.2) ? '' : Array.from({ length: 1 + rng.int(3) }, () => rng.pick(SUFFIX_WORDS)).join('/');
    const hostnames = rng.chance(0.6) ? undefined : rng.chance(0.5) ? [rng.pick(HOSTS)] : [...HOSTS];
    const keys = (hostnames ?? ['*']).map((h) => `${h} ${path.toLowerCase()}`);
    if (keys.some((k) => used.has(k))) continue;
    keys.forEach((k) => used.add(k));
    const operations: RawOp[] = [];
    const shapes = new Set<string>();
    for (let o = 0, count = 1 + rng.int(8); o < count; o++) {
      const op = { id: `api${a}-op${o}`, method: rng.pick(OP_METHODS), urlTemplate: template(rng, o) };
      if (shapes.has(shapeKey(op))) continue;
      shapes.add(shapeKey(op));
      operations.push(op);
    }
    apis.push({ id: `api${a}`, name: `api ${a}`, path, serviceUrl: 'http://127.0.0.1:9', hostnames, operations });
  }
  return { apis };
}

/** Changes the case of ASCII letters at random; routing must not care. */
function recase(rng: Rng, s: string): string {
  if (s.includes('%') || !rng.chance(0.3)) return s;
  return [...s].map((ch) => (rng.chance(0.5) ? ch.toUpperCase() : ch.toLowerCase())).join('');
}

/** A path aimed at one operation of one API, or (sometimes) plain noise. */
export function randomRequest(rng: Rng, config: { apis: RawApi[] }): { host: string; method: string; path: string } {
  const api = rng.pick(config.apis);
  let host = rng.pick(['', 'other.test', ...HOSTS, 'H2.TEST']);
  if (api.hostnames && rng.chance(0.7)) host = rng.pick(api.hostnames);
  const segments: string[] = [];
  let method = rng.pick(REQUEST_METHODS);
  if (rng.chance(0.15)) {
    for (let i = 0, n = rng.int(6); i < n; i++) segments.push(rng.pick([...NOISE, ...SUFFIX_WORDS, ...STATIC_WORDS]));
  } else {
    for (const s of api.path.split('/')) if (s !== '') segments.push(recase(rng, s));
    const op = rng.pick(api.operations);
    if (op.method !== '*' && rng.chance(0.6)) method = op.method;
    for (const s of op.urlTemplate.split('/').filter((x) => x !== '')) {
      if (s === '*') for (let i = 0, n = rng.int(4); i < n; i++) segments.push(rng.pick(STATIC_WORDS));
      else if (/^\{[^{}]*\}$/.test(s)) segments.push(rng.pick(PARAM_VALUES));
      else if (s.includes('{')) segments.push(recase(rng, s).replace(/\{[^{}]*\}/gi, () => rng.pick(PATTERN_VALUES)));
      else segments.push(recase(rng, s));
    }
    if (rng.chance(0.15)) segments.splice(rng.int(segments.length + 1), 0, rng.pick(NOISE));
  }
  const path = '/' + segments.join('/') + (rng.chance(0.2) ? '/' : '');
  return { host, method, path };
}
