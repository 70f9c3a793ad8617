/**
 * Binary layout of the node-wide counter table (rate limits, quotas), as the primary allocates it
 * once per process in a SharedArrayBuffer and every worker updates it in place with Atomics.
 * Every slot is a named constant; nothing here is positional magic. SharedCounters
 * (src/gateway/pipeline/shared-counters.ts) is the only code that reads or writes it.
 *
 *   [header: HEADER_WORDS][slots: capacity × SLOT_WORDS][overflow: OVERFLOW_SLOTS × OVERFLOW_WORDS]
 *
 * All words are 64-bit (one BigUint64Array over the whole buffer), because a counter's window
 * and count must change in one compareExchange.
 *
 * A slot's value word is one of three things, told apart by VALUE_MARKER_BIT (bit 31):
 *   - bit 31 clear: a count, (windowEndSec << 32) | count. The count has 31 bits and saturates
 *     at MAX_COUNT; windowEndSec is unsigned unix seconds (good until 2106). 0 means "claimed,
 *     not counted yet".
 *   - bit 31 set: a hand-over marker, keyHash | VALUE_MARKER_BIT: "this (expired) slot is being
 *     handed to the key whose hash is keyHash". Key hashes always have bit 31 clear (see
 *     counterKeyHash), so a marker carries the whole incoming hash and any thread can finish
 *     the hand-over for its initiator. That is what keeps the table lock-free.
 */

export const COUNTER_MAGIC = 0x4f50434e; // "OPCN"
export const COUNTER_LAYOUT_VERSION = 1;

/** Header words (indices into the BigUint64Array). */
export const H_MAGIC = 0;
export const H_VERSION = 1;
/** Number of slots in the table (a power of two). */
export const H_CAPACITY = 2;
/** Number of overflow counters after the slots. */
export const H_OVERFLOW_SLOTS = 3;
export const HEADER_WORDS = 4;

/** A slot: the key's 64-bit hash (0 = empty; never goes back to 0) and its value word. */
export const SLOT_KEY = 0;
export const SLOT_VALUE = 1;
export const SLOT_WORDS = 2;

/** An overflow counter: a value word only (no key: every overflowing key of a prefix shares it). */
export const OVERFLOW_VALUE = 0;
export const OVERFLOW_WORDS = 1;
export const OVERFLOW_SLOTS = 256;

/** Slots the primary allocates when not told otherwise: 65,536 × 16 bytes = 1 MiB. */
export const DEFAULT_COUNTER_CAPACITY = 65536;
/** The largest table allowed (2^24 slots, 256 MiB): keeps index math in small integers. */
export const MAX_COUNTER_CAPACITY = 1 << 24;
/** Slots looked at from a key's home slot before the hit goes to the overflow counter. */
export const MAX_PROBES = 16;
/**
 * Restarts of one hit after losing a race (a slot claimed or handed over under it) before the
 * hit is counted in the overflow counter instead. Each restart means another thread made
 * progress, so this is never reached in practice; it only bounds the loop.
 */
export const MAX_HIT_ATTEMPTS = 64;

/** Value word fields, as seen through a Uint32Array pair (see the `scratch` in shared-counters). */
export const VALUE_MARKER_BIT = 0x80000000;
export const MAX_COUNT = 0x7fffffff;
export const MAX_WINDOW_END_SEC = 0xffffffff;
/**
 * The two suffixes of a paired key (SharedCounters.hitPaired/peekPaired): rate-limit's sliding
 * window counts each key in two alternating counters, key + one of these. After the policy
 * prefix, so an overflowing pair still groups by policy.
 */
export const PAIR_SUFFIXES = ['\u0001e', '\u0001o'] as const;

/** Separates a key's policy prefix (which overflow counter it shares) from its request part. */
export const KEY_PREFIX_SEPARATOR = 0;

/**
 * String#charCodeAt, module-local and called with .call: `charCodeAt.call(key, i)` loads the method from
 * the key on every character, and the keys come as several kinds of string (a concatenation, a
 * flat one), so the load site is polymorphic and TurboFan compiled it to a generic property load
 * (Builtins_LoadIC) per character: ~5,000 instructions a request in the rate-limit-by-key path
 * (bench:instructions, `policies`).
 */
const charCodeAt = String.prototype.charCodeAt;

/**
 * Two 32-bit hashes of the same string, FNV-1a with different offset bases and each finished by
 * murmur3's fmix32 (FNV alone mixes its low bits poorly, and the low bits pick the slot).
 * Written to `out` (lo, hi) so the hot path allocates nothing here. lo has bit 31 cleared
 * (markers need it) and (lo, hi) is never (0, 0) (0 means an empty slot). 63 bits remain:
 * two keys share a counter with probability about n²/2^64, which is accepted.
 */
export function counterKeyHash(key: string, out: Uint32Array): void {
  absorb(key, A0, B0);
  finishKeyHash(hashA, hashB, key.length, out, 0);
}

/**
 * counterKeyHash of `key` followed by each of two suffixes, without making either string:
 * (lo, hi) of key + suffixA into out[0..1], of key + suffixB into out[2..3]. The key's characters
 * are read once. rate-limit's sliding window keeps each key in two alternating counters
 * (policies/sliding-window.ts) and reads both on every request: two concatenations, their
 * flattening and two passes over the key cost ~1,000 instructions a request.
 */
export function counterKeyHashPair(key: string, suffixA: string, suffixB: string, out: Uint32Array): void {
  absorb(key, A0, B0);
  const a = hashA, b = hashB;
  absorb(suffixA, a, b);
  finishKeyHash(hashA, hashB, key.length + suffixA.length, out, 0);
  absorb(suffixB, a, b);
  finishKeyHash(hashA, hashB, key.length + suffixB.length, out, 2);
}

/** The two FNV-1a offset bases. */
const A0 = 0x811c9dc5;
const B0 = 0x01000193 ^ 0x5bd1e995;
/** absorb's result (two numbers without allocating a pair). */
let hashA = 0;
let hashB = 0;

/** Both FNV-1a states after `text`, from (a, b): into hashA, hashB. */
function absorb(text: string, a: number, b: number): void {
  for (let i = 0; i < text.length; i++) {
    const c = charCodeAt.call(text, i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  hashA = a;
  hashB = b;
}

function finishKeyHash(a: number, b: number, length: number, out: Uint32Array, at: number): void {
  let lo = fmix32(a ^ length) & 0x7fffffff;
  const hi = fmix32(b + Math.imul(length, 0x9e3779b1)) >>> 0;
  if (lo === 0 && hi === 0) lo = 1;
  out[at] = lo;
  out[at + 1] = hi;
}

/** Hash of a key's policy prefix: the characters before the first '\u0000' (all, if none). */
export function counterPrefixHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = charCodeAt.call(key, i);
    if (c === KEY_PREFIX_SEPARATOR) break;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return fmix32(h) >>> 0;
}

/** Which overflow counter a key shares when the table has no slot for it. */
export function overflowIndex(key: string): number {
  return counterPrefixHash(key) & (OVERFLOW_SLOTS - 1);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
