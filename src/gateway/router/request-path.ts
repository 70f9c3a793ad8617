/**
 * Turns a raw request path into the segments the router matches. Percent-decoding happens per
 * segment (so an encoded "/" stays inside its segment), and dot segments, literal or encoded
 * (`..`, `%2e%2e`), are resolved *after* decoding: `/echo/%2e%2e/admin` becomes `/admin`, which
 * is then matched on its own and can never borrow the `echo` API's prefix.
 *
 * Empty segments are dropped (`//a` is `/a`, as nginx's merge_slashes does); a trailing slash is
 * remembered so it can be forwarded.
 */
import { MAX_PATH_SEGMENTS, segmentHash } from '../../shared/table-layout.js';
import { taggedArray } from '../../shared/tagged-array.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;
const slice = String.prototype.slice;

export interface ParsedPath {
  /** Decoded segments, for matching. */
  segments: string[];
  /** The same segments as the client encoded them, for forwarding. */
  raw: string[];
  hashes: Int32Array;
  trailingSlash: boolean;
  /**
   * Where raw segment i starts in the path (its '/' is one before), valid when `verbatim`: the
   * path is '/' followed by its raw segments joined by single slashes (and a trailing slash),
   * nothing dropped or resolved, so the forwarded path can be a slice of it (backend-target.ts).
   */
  starts: Int32Array;
  verbatim: boolean;
}

export const PATH_OK = 0;
export const PATH_BAD_ENCODING = 1;
export const PATH_TOO_MANY_SEGMENTS = 2;
/** A segment that is a traversal in disguise: `..%2f`, `..%5c`, `..\`, `..;x`, `.;x`. */
export const PATH_TRAVERSAL = 3;

/**
 * Backends differ on what a segment means: some decode %2F or %5C before resolving dots, some
 * take `\` for `/`, Tomcat drops `;params`. So a segment whose decoded text holds a `/` or `\`
 * next to a dot segment, or that starts `.;` / `..;`, is refused rather than routed as text.
 */
function isTraversal(decoded: string): boolean {
  if (decoded.startsWith('.;') || decoded.startsWith('..;')) return true;
  if (decoded.indexOf('/') < 0 && decoded.indexOf('\\') < 0) return false;
  for (const piece of decoded.split(/[\\/]/)) {
    if (piece === '.' || piece === '..' || piece.startsWith('.;') || piece.startsWith('..;')) return true;
  }
  return false;
}

export function newParsedPath(): ParsedPath {
  return { segments: taggedArray<string>(), raw: taggedArray<string>(), hashes: new Int32Array(MAX_PATH_SEGMENTS), trailingSlash: false, starts: new Int32Array(MAX_PATH_SEGMENTS), verbatim: false };
}

/** A failed parse leaves no segments (none of an earlier request's either). */
function fail(out: ParsedPath, code: number): number {
  out.segments.length = 0;
  out.raw.length = 0;
  out.verbatim = false;
  return code;
}

/** Fills `out` (reused across requests on one worker); returns PATH_OK or a failure code. */
export function parseRequestPath(path: string, out: ParsedPath): number {
  const segments = out.segments;
  const raw = out.raw;
  // Written by index and cut to `n` at the end, never emptied first: setting an array's length to
  // 0 drops its backing store, and pushing grew a new one for each array on every request (about
  // 300 of the 377 bytes this function allocated per call).
  let n = 0;
  let start = charCodeAt.call(path, 0) === 47 ? 1 : 0;
  const length = path.length;
  let verbatim = start === 1;
  out.trailingSlash = length > 1 && charCodeAt.call(path, length - 1) === 47;
  while (start <= length) {
    // One pass over the segment finds its end and whether it holds an escape or a backslash: three
    // indexOf calls a segment (a builtin call each, ~900 instructions for a three-segment path
    // under callgrind) cost more than looking at its characters once.
    let end = start;
    let escaped = false;
    let backslash = false;
    for (; end < length; end++) {
      const c = charCodeAt.call(path, end);
      if (c === 47 /* / */) break;
      if (c === 37 /* % */) escaped = true;
      else if (c === 92 /* backslash */) backslash = true;
    }
    if (end > start) {
      const rawSegment = slice.call(path, start, end);
      let decoded = rawSegment;
      if (escaped) {
        try { decoded = decodeURIComponent(rawSegment); } catch { return fail(out, PATH_BAD_ENCODING); }
      }
      // Only segments with a dot, an escape or a backslash can be a disguised traversal.
      if ((charCodeAt.call(decoded, 0) === 46 || decoded !== rawSegment || backslash) && isTraversal(decoded)) return fail(out, PATH_TRAVERSAL);
      if (decoded === '..' || decoded === '.') {
        verbatim = false;
        if (decoded === '..' && n > 0) n--;
        // RFC 3986 §5.2.4: "/a/b/.." resolves to "/a/", keeping the directory's slash.
        if (end === length) out.trailingSlash = n > 0;
      } else {
        if (n >= MAX_PATH_SEGMENTS) return fail(out, PATH_TOO_MANY_SEGMENTS);
        segments[n] = decoded;
        raw[n] = rawSegment;
        out.starts[n] = start;
        n++;
      }
    } else if (start !== length) {
      verbatim = false; // an empty segment ("//") is dropped
    }
    start = end + 1;
  }
  out.verbatim = verbatim;
  if (segments.length !== n) { segments.length = n; raw.length = n; }
  for (let i = 0; i < n; i++) out.hashes[i] = segmentHash(segments[i]);
  return PATH_OK;
}
