/**
 * A deliberately naive router: the executable statement of the routing contract that the
 * shared-memory table (`src/gateway/router/shared-table.ts`) is tested against (DESIGN rule 8).
 * No tries, no hashes, no reused buffers: every lookup walks every API and every operation and
 * picks the best by an explicit score. Slow on purpose, so it is easy to read and hard to get wrong.
 *
 * The contract, as implemented here:
 * - APIs are tried longest suffix first (counted in decoded segments); at the same suffix,
 *   host-specific APIs before host-less ones, then config order. An API is a candidate when its
 *   suffix is a segment-prefix of the request path (ASCII case-insensitive) and, if it lists
 *   hostnames, the host is one of them. The first candidate with a matching operation wins, so a
 *   longer suffix without a matching operation falls back to shorter ones.
 * - Within an API, each template is matched against the segments after the suffix. Among the
 *   templates that match, the winner has the smallest rank sequence, position by position:
 *   static < pattern segment (`{id}.json`; more literal characters first, then by shape) <
 *   `{param}` < `*`, and at the end of the path "template ends here" < `*` matching zero
 *   segments. That is exactly the order a depth-first walk with backtracking (static child, then
 *   pattern children, then param child, then wildcard) finds matches in. A pattern segment is
 *   matched here with a regular expression, `^lit(.+?)lit(.+?)lit$` on ASCII-lowercased text.
 * - Method: an operation whose method equals the request's (case-sensitive, as HTTP methods are)
 *   beats one that accepts it as a fallback (`*`, or GET for a HEAD request). Method only breaks
 *   ties between templates of the same shape: a more specific path with a fallback method beats a
 *   less specific path with the exact method. Between two fallbacks of the same shape (a HEAD
 *   request with both a GET and a `*` operation) the one first in config order wins; the
 *   contract does not say, and this is what the compiled table does.
 *
 * Path decoding: this file does its own naive decoding (split on "/", drop empty segments,
 * `decodeURIComponent` per segment, then resolve "." and ".." on the decoded values, never above
 * the root) instead of calling `parseRequestPath`. Sharing the production decoder would make the
 * differential test blind to decoding bugs; with two implementations, the conformance suite also
 * checks that both produce the same segments. Templates are read with `splitTemplate`, the shared
 * template parser validation also uses, because what a template means is defined there.
 */
import type { ApiConfig, GatewayConfig } from '../../src/shared/config-schema.js';
import { patternLiteralLength, patternShape, splitTemplate, type PatternSegment, type TemplateSegment } from '../../src/shared/url-template.js';

export interface ReferenceMatch {
  apiId: string;
  opId: string;
  params: Record<string, string>;
}

/** Same limit as the gateway (`MAX_PATH_SEGMENTS`), repeated so the reference stays independent. */
export const REFERENCE_MAX_SEGMENTS = 128;

/** Decoded, dot-normalised segments, or null when the path cannot be decoded or is too long. */
export function referencePathSegments(path: string): string[] | null {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return null;
    }
    // A disguised traversal (README, "Paths"): refused, never routed as text.
    if (/^\.\.?;/.test(decoded) || decoded.split(/[\\/]/).some((p) => (p === '.' || p === '..' || /^\.\.?;/.test(p)) && decoded !== p)) return null;
    if (decoded === '..') out.pop();
    else if (decoded !== '.') out.push(decoded);
  }
  return out.length > REFERENCE_MAX_SEGMENTS ? null : out;
}

/** ASCII-only case folding: "É" stays "É", unlike `toLowerCase()`. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

const sameSegment = (a: string, b: string): boolean => asciiLower(a) === asciiLower(b);

function apiSuffix(api: ApiConfig): string[] {
  return api.path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
}

/** Ranks compare as strings: "0" static or end, "1…" pattern, "2" `{param}`, "3" `*`. */
interface TemplateMatch {
  ranks: string[];
  params: Record<string, string>;
}

/** Matches one template against the remaining segments; templates have no choice points. */
function matchTemplate(template: TemplateSegment[], rest: string[], i: number, acc: TemplateMatch): TemplateMatch | null {
  if (i === template.length) {
    if (i !== rest.length) return null;
    acc.ranks.push('0'); // the template ends exactly where the path does
    return acc;
  }
  const seg = template[i];
  if (seg.kind === 'wildcard') {
    acc.ranks.push('3'); // zero or more segments, whatever they are
    return acc;
  }
  if (i === rest.length) return null;
  if (seg.kind === 'static') {
    if (!sameSegment(seg.value, rest[i])) return null;
    acc.ranks.push('0');
  } else if (seg.kind === 'pattern') {
    const values = patternValues(seg, rest[i]);
    if (values === null) return null;
    acc.ranks.push(`1${String(9999 - patternLiteralLength(seg)).padStart(4, '0')}${patternShape(seg)}`);
    seg.names.forEach((name, k) => { acc.params[name] = values[k]; });
  } else {
    acc.ranks.push('2');
    acc.params[seg.name] = rest[i];
  }
  return matchTemplate(template, rest, i + 1, acc);
}

function patternValues(seg: PatternSegment, segment: string): string[] | null {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = `^${seg.literals.map(escape).join('(.+?)')}$`;
  const m = new RegExp(source, 'sd').exec(asciiLower(segment));
  // asciiLower keeps lengths, so the indices cut the original (case-preserved) segment.
  return m === null ? null : m.indices!.slice(1).map(([start, end]) => segment.slice(start, end));
}

/** 0: exact method, 1: accepted as a fallback, -1: not accepted. */
function methodRank(opMethod: string, method: string): number {
  if (opMethod === method) return 0;
  if (opMethod === '*' || (method === 'HEAD' && opMethod === 'GET')) return 1;
  return -1;
}

function compareRanks(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function matchWithinApi(api: ApiConfig, method: string, rest: string[]): ReferenceMatch | null {
  let best: { ranks: string[]; method: number; match: ReferenceMatch } | null = null;
  for (const op of api.operations) {
    const mRank = methodRank(op.method, method);
    if (mRank < 0) continue;
    const template = splitTemplate(op.urlTemplate);
    if (typeof template === 'string') throw new Error(`unvalidated template ${op.urlTemplate}`);
    const m = matchTemplate(template, rest, 0, { ranks: [], params: {} });
    if (!m) continue;
    // Strictly better only: on a full tie the earlier operation (config order) stays.
    const order = best === null ? -1 : compareRanks(m.ranks, best.ranks) || mRank - best.method;
    if (order < 0) best = { ranks: m.ranks, method: mRank, match: { apiId: api.id, opId: op.id, params: m.params } };
  }
  return best?.match ?? null;
}

/** The route for a request, or null (404). `host` is compared case-insensitively, without port. */
export function referenceMatch(config: GatewayConfig, host: string, method: string, path: string): ReferenceMatch | null {
  const segments = referencePathSegments(path);
  if (segments === null) return null;
  const candidates = config.apis
    .map((api, index) => ({ api, index, suffix: apiSuffix(api), hostSpecific: (api.hostnames?.length ?? 0) > 0 }))
    .sort((a, b) => b.suffix.length - a.suffix.length || Number(b.hostSpecific) - Number(a.hostSpecific) || a.index - b.index);
  const wantedHost = asciiLower(host);
  for (const { api, suffix, hostSpecific } of candidates) {
    if (hostSpecific && !api.hostnames!.some((h) => asciiLower(h) === wantedHost)) continue;
    if (suffix.length > segments.length || !suffix.every((s, i) => sameSegment(s, segments[i]))) continue;
    const found = matchWithinApi(api, method, segments.slice(suffix.length));
    if (found) return found;
  }
  return null;
}
