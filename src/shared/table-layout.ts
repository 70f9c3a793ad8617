/**
 * Binary layout of a compiled routing table, as the primary writes it into a SharedArrayBuffer
 * and workers read it in place. Every slot is a named constant; nothing here is positional magic.
 *
 *   [header: HEADER_SLOTS × int32][nodes][edges][lists][apis][ops][chars: uint16][meta: msgpack]
 *
 * Tries (one over API path suffixes, one per API over its operation templates) are flattened
 * into parallel int32 records so a lookup is integer compares and charCode compares, with no
 * object allocation and no Map lookups (the find-my-way habit).
 *
 * What a worker needs per API and per operation once a route matched (ids, templates, parameter
 * names, which policy chains apply) is in the same records, with strings in the interned `chars`
 * pool: a worker decodes one API or operation when a request first reaches it, so a new
 * generation costs a worker the same few milliseconds at 10 APIs or 50,000. Only what is small
 * and needed at once (settings, subscriptions, the policies and the distinct chains they form)
 * is in the msgpack `meta` part.
 */
export const TABLE_MAGIC = 0x4f505354; // "OPST"
export const TABLE_LAYOUT_VERSION = 4;

/** Header slots (int32 indices). Offsets are in bytes from the start of the buffer. */
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_NODES_OFFSET = 2;
export const H_NODES_COUNT = 3;
export const H_EDGES_OFFSET = 4;
export const H_EDGES_COUNT = 5;
export const H_LISTS_OFFSET = 6;
export const H_LISTS_COUNT = 7;
export const H_APIS_OFFSET = 8;
export const H_APIS_COUNT = 9;
export const H_OPS_OFFSET = 10;
export const H_OPS_COUNT = 11;
export const H_CHARS_OFFSET = 12;
export const H_CHARS_COUNT = 13;
export const H_META_OFFSET = 14;
export const H_META_BYTES = 15;
export const H_API_TRIE_ROOT = 16;
export const HEADER_SLOTS = 17;

/** A trie node: children by static segment, one parameter child, and what ends here. */
export const N_FIRST_EDGE = 0;
export const N_EDGE_COUNT = 1;
/** Node index of the `{param}` child, or -1. */
export const N_PARAM_CHILD = 2;
/** Start/count in `lists` of operations whose template ends with `*` at this node. */
export const N_WILDCARD_START = 3;
export const N_WILDCARD_COUNT = 4;
/** Start/count in `lists` of what ends exactly here (API indices in the API trie, operation indices in an operation trie). */
export const N_END_START = 5;
export const N_END_COUNT = 6;
/**
 * Start/count in `lists` of pattern children (`{Sid}.json`): [child node, index into
 * `meta.patterns`] pairs, most specific first (url-template.ts: precedence).
 */
export const N_PATTERN_START = 7;
export const N_PATTERN_COUNT = 8;
/**
 * Start in `lists` of the node's edge directory, or -1. Nodes with DIRECTORY_MIN_EDGES static
 * edges or more (the API trie's root: one edge per first suffix segment, tens of thousands in a
 * large config; a path segment shared by a few dozen APIs) get one, so a lookup reads one bucket
 * instead of binary-searching: 2^k + 1 entries (k = directoryBits(edge count)), entry b the first
 * edge (counted from N_FIRST_EDGE) whose directoryBucket(hash, k) is b or more. Edges stay sorted
 * by hash, so a bucket is a run of edges.
 */
export const N_EDGE_DIRECTORY = 9;
export const NODE_STRIDE = 10;

/**
 * 16, not 64: a 10,000-API config's team segments hold ~34 edges each, and binary-searching them
 * kept its hot lookups 2-11% over the same APIs' in a table of their own (five alternated runs,
 * median 1.08); with a directory there 1.02-1.07 (median 1.03). A directory costs at most two
 * list entries per edge.
 */
export const DIRECTORY_MIN_EDGES = 16;

/** Bits of a directory for `edges` edges: about one edge per bucket. */
export function directoryBits(edges: number): number {
  return 32 - Math.clz32(edges - 1);
}

/** A hash's bucket: its top k bits, with the sign bit flipped so buckets follow the signed sort order. */
export function directoryBucket(hash: number, bits: number): number {
  return ((hash ^ 0x80000000) >>> 0) >>> (32 - bits);
}

/** An edge to a static child; a node's edges are sorted by hash so lookup can stop early. */
export const E_HASH = 0;
export const E_CHARS_START = 1;
export const E_CHARS_LENGTH = 2;
export const E_CHILD = 3;
export const EDGE_STRIDE = 4;

/** An API: its operation trie and its host names (pairs of [charsStart, charsLength] in `lists`). */
export const A_OP_TRIE_ROOT = 0;
export const A_HOSTS_START = 1;
export const A_HOSTS_COUNT = 2;
export const A_SUFFIX_SEGMENTS = 3;
/** Start in `lists` of API_STRINGS.length [charsStart, charsLength] pairs, in API_STRINGS order. */
export const A_STRINGS_START = 4;
/** AF_* bits. */
export const A_FLAGS = 5;
/** Start/count in `lists` of indices into `meta.products`: the products that include this API. */
export const A_PRODUCTS_START = 6;
export const A_PRODUCTS_COUNT = 7;
/** Index into `meta.origins`: the backend origin (the key of the upstream pool). */
export const A_ORIGIN = 8;
export const API_STRIDE = 9;

export const API_STRINGS = ['id', 'name', 'path', 'basePath', 'backendHost', 'keyHeader', 'keyQuery'] as const;
export const AF_PRESERVE_HOST = 1;
export const AF_SUBSCRIPTION_REQUIRED = 2;
/** The API opted out of request logs (`apis[].requestLog: false`). */
export const AF_NO_REQUEST_LOG = 4;

/** An operation: its method code, its API, its id and template, parameter names, policy chains. */
export const O_METHOD = 0;
export const O_API = 1;
export const O_ID_START = 2;
export const O_ID_LENGTH = 3;
export const O_TEMPLATE_START = 4;
export const O_TEMPLATE_LENGTH = 5;
/** Start/count in `lists` of [charsStart, charsLength] pairs: parameter names of the path, in template order. */
export const O_PARAMS_START = 6;
export const O_PARAMS_COUNT = 7;
/** Index into `meta.chainSets`, or -1 when no policy applies to the operation. */
export const O_CHAINS = 8;
/**
 * How many query parameters the template requires (`/items?id={id}`): read per request, so the
 * common 0 costs one int32 load and the operation record is decoded only when it is not 0.
 */
export const O_QUERY_COUNT = 9;
export const OP_STRIDE = 10;

/** Method codes. `METHOD_ANY` is an operation declared with method "*". */
export const METHOD_OTHER = 0;
export const METHOD_CODES: Readonly<Record<string, number>> = {
  GET: 1, HEAD: 2, POST: 3, PUT: 4, PATCH: 5, DELETE: 6, OPTIONS: 7, TRACE: 8, '*': 9,
};
/** Operation methods by code (operations are validated, so they never have METHOD_OTHER). */
export const METHOD_NAMES: readonly string[] = Object.entries(METHOD_CODES).reduce<string[]>((names, [name, code]) => { names[code] = name; return names; }, ['']);
export const METHOD_GET = 1;
export const METHOD_HEAD = 2;
export const METHOD_ANY = 9;

/** Paths with more segments than this are refused with 414 before matching. */
export const MAX_PATH_SEGMENTS = 128;

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

/**
 * FNV-1a over ASCII-lowercased UTF-16 code units. Matching is case-insensitive (as APIM's is),
 * so the compiler and the matcher must fold case identically: both call this.
 */
export function segmentHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    let c = charCodeAt.call(s, i);
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

/** ASCII-only case folding: exactly what segmentHash and the matcher fold, nothing more. */
export function foldAscii(s: string): string {
  // Most segments are lowercase already: no regex, no new string for them.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]/g, (u) => String.fromCharCode(u.charCodeAt(0) + 32));
  }
  return s;
}
