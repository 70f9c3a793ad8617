/**
 * Node-wide fixed-window counters (rate limits, quotas) in one SharedArrayBuffer: the primary
 * allocates it once per process (`SharedCounters.allocate`), every worker wraps it
 * (`new SharedCounters(buffer)`), and counts survive config reloads. A hit is exact across all
 * workers: every update is one Atomics.compareExchange on a 64-bit word holding
 * (windowEndSec, count), so an increment and a window reset can neither be lost nor happen twice.
 * Nothing ever blocks (no Atomics.wait, no lock): a thread that meets a half-done update
 * finishes it itself and goes on. Layout and hashing: src/shared/counter-layout.ts.
 *
 * Memory is bounded (DESIGN rule 5): `capacity` slots (default 65,536, 1 MiB) plus 256 overflow
 * counters, fixed at allocation. Keys are open-addressed with linear probing over at most 16
 * slots from the key's home slot. A key not found in its run (which ends at the first empty
 * slot, as keys never leave a slot empty again) takes the first empty slot of the run, or the
 * first slot whose window has ended (windowEndSec <= now), taking it over from the expired key.
 *
 * When the table is full: a hit whose key has no slot, and finds no empty or expired slot among
 * the 16 it may use, is counted in one of 256 overflow counters chosen by a hash of the key's
 * policy prefix (the part of the key before the first '\u0000'), so all overflowing keys of one
 * policy share a single counter and together stay within that policy's limit (stricter, never
 * looser); keys that already have a slot keep exact counts, and nothing throws or allocates.
 * A key gets its own counter again as soon as a slot in its run expires; that counter starts at
 * the key's next hit (hits counted in the shared counter are not carried over), so in that one
 * window the key can pass at most one extra limit's worth. Two policies whose prefixes hash to
 * the same overflow counter share it too (again stricter).
 *
 * Windows: a hit for a newer window than the stored one resets the count to 1; a hit for an
 * older window than the stored one (a request that computed its window just before the
 * boundary, counted just after another worker started the new one) is counted in the stored,
 * newer window and returns that count: a request is never left uncounted, and it never resets
 * a newer window.
 *
 * Taking over an expired slot is a three-step hand-over, each step a compareExchange: (1) the
 * value word becomes a marker naming the incoming key, (2) the key word becomes that key,
 * (3) the value word becomes 0 ("claimed, not counted"), after which the hit is counted as
 * usual. Any thread that sees a marker performs steps 2 and 3 itself (they are idempotent), so
 * a thread descheduled or terminated mid-hand-over never stalls or strands a slot. A hitter
 * re-reads the key word after reading the value word and before its compareExchange, so it
 * never counts into a slot that has been handed to another key; a scan re-reads it the same
 * way, so it never takes a slot just handed to its own key for another key's and opens a second
 * one (the preemption tests in test/unit/shared-counters.test.ts catch exactly that).
 *
 * Races accepted (each needs threads to meet within microseconds at the second a window ends,
 * or a thread stalled across a window boundary, and costs at most the hits in flight then):
 *   - A brand-new key's first hits on two threads, one reading the clock just before and one just
 *     after another key in its run expires, can open two slots for it; the later slot is
 *     shadowed by the earlier, so the hits counted there are lost from that first window.
 *   - A thread paused between reading and updating a slot for as long as it takes the slot to
 *     expire, pass to another key and reach the very same (window, count) value, would move one
 *     hit from one key to the other (compareExchange cannot see such an A-B-A).
 *   - A worker terminated between claiming an empty slot and counting in it leaves the slot at
 *     "claimed, not counted", which is never taken over; that key's next hit uses it normally.
 *   - Two keys whose 63-bit hashes are equal share a counter (probability about n²/2^64).
 */
// Named imports, not `import * as L`: loads from a namespace object kept the hot loops from being
// optimised as a whole (policies scenario: 88,383 -> 83,057 instructions a request, bench:instructions).
import {
  COUNTER_LAYOUT_VERSION, COUNTER_MAGIC, DEFAULT_COUNTER_CAPACITY, HEADER_WORDS, H_CAPACITY, H_MAGIC,
  H_OVERFLOW_SLOTS, H_VERSION, MAX_COUNT, MAX_COUNTER_CAPACITY, MAX_HIT_ATTEMPTS, MAX_PROBES,
  MAX_WINDOW_END_SEC, OVERFLOW_SLOTS, OVERFLOW_VALUE, OVERFLOW_WORDS, SLOT_KEY, SLOT_VALUE, SLOT_WORDS,
  VALUE_MARKER_BIT, PAIR_SUFFIXES, counterKeyHash, counterKeyHashPair, overflowIndex,
} from '../../shared/counter-layout.js';
import type { CounterStore } from './worker-services.js';

/** tryHit results besides a count (counts are >= 1). */
const FULL = 0;
const RETRY = -1;

/**
 * Value words are split into (window, count) through one reused 8-byte scratch instead of
 * BigInt shifts and masks, which would allocate a BigInt per operation on the hot path.
 * Per thread (module state), and never held across a call that could reuse it.
 */
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const keyParts = new Uint32Array(2);
/** counterKeyHashPair of `pairKey`: (lo, hi) with PAIR_SUFFIXES[0], then with PAIR_SUFFIXES[1]. */
const pairParts = new Uint32Array(4);
let pairKey: string | null = null;
/** The count `advance` produced (a second return value, without allocating a tuple). */
let nextCount = 0;

function pack(hi: number, lo: number): bigint {
  scratch32[HI] = hi;
  scratch32[LO] = lo;
  return scratch64[0];
}

/**
 * The value word after one hit of weight `amount` (1 for a call; a token count for the LLM token
 * limits) in the window ending at `windowEnd`; `v` itself if saturated. Counts saturate at MAX_COUNT.
 */
function advance(v: bigint, windowEnd: number, amount: number): bigint {
  scratch64[0] = v;
  const window = scratch32[HI];
  const count = scratch32[LO];
  if (window < windowEnd) {
    nextCount = amount;
    return pack(windowEnd, amount);
  }
  // Same window, or the stored one is newer: the hit counts in the stored window.
  if (count >= MAX_COUNT) {
    nextCount = MAX_COUNT;
    return v;
  }
  nextCount = Math.min(MAX_COUNT, count + amount);
  return pack(window, nextCount);
}

/** A hit's weight as advance takes it: a whole number from 1 to MAX_COUNT. */
function clampAmount(amount: number): number {
  if (!(amount >= 1)) return 1;
  return amount >= MAX_COUNT ? MAX_COUNT : Math.floor(amount);
}

function isMarker(v: bigint): boolean {
  scratch64[0] = v;
  return scratch32[LO] >= VALUE_MARKER_BIT;
}

/** The count `v` holds for the window ending at `windowEnd` (0 for an older window or a marker). */
function countIn(v: bigint, windowEnd: number): number {
  scratch64[0] = v;
  if (scratch32[LO] >= VALUE_MARKER_BIT) return 0;
  return scratch32[HI] >= windowEnd ? scratch32[LO] : 0;
}

function clampWindow(windowEndSec: number): number {
  if (windowEndSec >= MAX_WINDOW_END_SEC) return MAX_WINDOW_END_SEC;
  return windowEndSec >= 1 ? Math.floor(windowEndSec) : 1;
}

export class SharedCounters implements CounterStore {
  /** The buffer every worker wraps; allocated once per process by the primary. */
  static allocate(capacity: number = DEFAULT_COUNTER_CAPACITY): SharedArrayBuffer {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_COUNTER_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new Error(`counter capacity must be a power of two from 1 to ${MAX_COUNTER_CAPACITY}, got ${capacity}`);
    }
    const words = HEADER_WORDS + capacity * SLOT_WORDS + OVERFLOW_SLOTS * OVERFLOW_WORDS;
    const buffer = new SharedArrayBuffer(words * 8);
    const view = new BigUint64Array(buffer);
    view[H_MAGIC] = BigInt(COUNTER_MAGIC);
    view[H_VERSION] = BigInt(COUNTER_LAYOUT_VERSION);
    view[H_CAPACITY] = BigInt(capacity);
    view[H_OVERFLOW_SLOTS] = BigInt(OVERFLOW_SLOTS);
    return buffer;
  }

  private readonly words: BigUint64Array;
  private readonly mask: number;
  private readonly probes: number;
  private readonly overflowStart: number;

  /** `nowMs` decides which windows have ended (slots that may be taken over); injectable for tests. */
  constructor(buffer: SharedArrayBuffer, private readonly nowMs: () => number = Date.now) {
    const words = new BigUint64Array(buffer);
    const capacity = Number(words[H_CAPACITY]);
    if (
      words[H_MAGIC] !== BigInt(COUNTER_MAGIC) || words[H_VERSION] !== BigInt(COUNTER_LAYOUT_VERSION) ||
      words[H_OVERFLOW_SLOTS] !== BigInt(OVERFLOW_SLOTS) ||
      words.length !== HEADER_WORDS + capacity * SLOT_WORDS + OVERFLOW_SLOTS * OVERFLOW_WORDS
    ) {
      throw new Error('not a counter table of this layout version');
    }
    this.words = words;
    this.mask = capacity - 1;
    this.probes = Math.min(MAX_PROBES, capacity);
    this.overflowStart = HEADER_WORDS + capacity * SLOT_WORDS;
  }

  hit(key: string, windowEndSec: number, amount = 1): number {
    counterKeyHash(key, keyParts);
    return this.hitHashed(keyParts[0], keyParts[1], key, '', windowEndSec, amount);
  }

  /**
   * The count `hit` would add to, without adding (for remaining-calls headers): 0 if the key has
   * no counter or its stored window is older than `windowEndSec`; for an overflowing key, the
   * shared overflow count. Like `hit`, a stored newer window answers with its count.
   */
  peek(key: string, windowEndSec: number): number {
    counterKeyHash(key, keyParts);
    return this.peekHashed(keyParts[0], keyParts[1], key, '', windowEndSec);
  }

  /** hit(key + PAIR_SUFFIXES[which], …), without making that string. */
  hitPaired(key: string, which: 0 | 1, windowEndSec: number, amount = 1): number {
    this.hashPair(key);
    return this.hitHashed(pairParts[which * 2], pairParts[which * 2 + 1], key, PAIR_SUFFIXES[which], windowEndSec, amount);
  }

  /** peek(key + PAIR_SUFFIXES[which], …), without making that string. */
  peekPaired(key: string, which: 0 | 1, windowEndSec: number): number {
    this.hashPair(key);
    return this.peekHashed(pairParts[which * 2], pairParts[which * 2 + 1], key, PAIR_SUFFIXES[which], windowEndSec);
  }

  /** Both suffixed hashes of `key`, kept for the next call with the same key (a sliding window hits one and peeks the other). */
  private hashPair(key: string): void {
    if (key === pairKey) return;
    counterKeyHashPair(key, PAIR_SUFFIXES[0], PAIR_SUFFIXES[1], pairParts);
    pairKey = key;
  }

  /** hit of the key whose counterKeyHash is (lo, hi): `key` + `suffix` names it for the overflow counter. */
  private hitHashed(lo: number, hi: number, key: string, suffix: string, windowEndSec: number, amount: number): number {
    const windowEnd = clampWindow(windowEndSec);
    const weight = amount === 1 ? 1 : clampAmount(amount);
    const home = lo & this.mask;
    const hash = pack(hi, lo);
    for (let attempt = 0; attempt < MAX_HIT_ATTEMPTS; attempt++) {
      const result = this.tryHit(hash, home, windowEnd, weight);
      if (result > 0) return result;
      if (result === FULL) break;
    }
    return this.hitOverflow(this.overflowAt(suffix === '' ? key : key + suffix), windowEnd, weight);
  }

  private peekHashed(lo: number, hi: number, key: string, suffix: string, windowEndSec: number): number {
    const windowEnd = clampWindow(windowEndSec);
    const home = lo & this.mask;
    const hash = pack(hi, lo);
    const words = this.words;
    let nowSec = -1;
    let room = false;
    for (let i = 0; i < this.probes; i++) {
      const at = HEADER_WORDS + ((home + i) & this.mask) * SLOT_WORDS;
      const k = Atomics.load(words, at + SLOT_KEY);
      if (k === hash) return countIn(Atomics.load(words, at + SLOT_VALUE), windowEnd);
      if (k === 0n) return 0;
      const v = Atomics.load(words, at + SLOT_VALUE);
      if (Atomics.load(words, at + SLOT_KEY) !== k) {
        i--; // changed hands between the loads (see tryHit): look again
        continue;
      }
      // An expired or changing slot: a hit would get its own slot here, unless the key is further along.
      if (!room) {
        if (nowSec < 0) nowSec = Math.floor(this.nowMs() / 1000);
        room = this.isFree(v, nowSec);
      }
    }
    return room ? 0 : countIn(Atomics.load(words, this.overflowAt(suffix === '' ? key : key + suffix)), windowEnd);
  }

  /** One pass over the key's run: its count, FULL (no room), or RETRY (lost a race; rescan). */
  private tryHit(hash: bigint, home: number, windowEnd: number, amount: number): number {
    const words = this.words;
    let candidate = -1;
    let candidateValue = 0n;
    let empty = false;
    let nowSec = -1;
    for (let i = 0; i < this.probes; i++) {
      const at = HEADER_WORDS + ((home + i) & this.mask) * SLOT_WORDS;
      const k = Atomics.load(words, at + SLOT_KEY);
      if (k === hash) return this.bump(at, hash, windowEnd, amount);
      if (k === 0n) {
        // Keys never return to 0, so the key cannot be further along: the run ends here.
        if (candidate < 0) { candidate = at; empty = true; }
        break;
      }
      const v = Atomics.load(words, at + SLOT_VALUE);
      if (isMarker(v)) {
        // A hand-over in progress, maybe to this very key: finish it, then look again.
        this.handOver(at, v);
        return RETRY;
      }
      // (k, v) must be one slot state: had a hand-over to this key finished between the two
      // loads, the old key with the new key's value would look taken, and the key would open
      // a second slot further along. The key word only changes while the value is a marker,
      // so an unchanged key word means `v` belongs to `k`.
      if (Atomics.load(words, at + SLOT_KEY) !== k) {
        i--;
        continue;
      }
      if (candidate < 0) {
        if (nowSec < 0) nowSec = Math.floor(this.nowMs() / 1000);
        scratch64[0] = v;
        const window = scratch32[HI];
        // Window 0 ("claimed, not counted") is never taken: its claimer is about to count.
        if (window !== 0 && window <= nowSec) { candidate = at; candidateValue = v; }
      }
      // Keep scanning: the key may sit after an expired slot.
    }
    if (candidate < 0) return FULL;
    if (empty) {
      const old = Atomics.compareExchange(words, candidate + SLOT_KEY, 0n, hash);
      return old === 0n || old === hash ? this.bump(candidate, hash, windowEnd, amount) : RETRY;
    }
    scratch64[0] = hash;
    scratch32[LO] += VALUE_MARKER_BIT; // hashes have bit 31 clear
    const marker = scratch64[0];
    if (Atomics.compareExchange(words, candidate + SLOT_VALUE, candidateValue, marker) !== candidateValue) return RETRY;
    this.handOver(candidate, marker);
    return this.bump(candidate, hash, windowEnd, amount);
  }

  /** Counts one hit in the slot at `at` if it still belongs to `hash`. */
  private bump(at: number, hash: bigint, windowEnd: number, amount: number): number {
    const words = this.words;
    for (;;) {
      const v = Atomics.load(words, at + SLOT_VALUE);
      if (isMarker(v)) {
        this.handOver(at, v);
        continue;
      }
      // Read after the value: if the key is still ours now, `v` is ours, and a later hand-over
      // changes the value word first, so the compareExchange below would fail.
      if (Atomics.load(words, at + SLOT_KEY) !== hash) return RETRY;
      const next = advance(v, windowEnd, amount);
      if (next === v) return nextCount;
      if (Atomics.compareExchange(words, at + SLOT_VALUE, v, next) === v) return nextCount;
    }
  }

  /** Steps 2 and 3 of a hand-over, for whoever started it; harmless if already done. */
  private handOver(at: number, marker: bigint): void {
    const words = this.words;
    scratch64[0] = marker;
    scratch32[LO] -= VALUE_MARKER_BIT;
    const incoming = scratch64[0];
    const k = Atomics.load(words, at + SLOT_KEY);
    if (k !== incoming) {
      // Finished and moved on since the marker was read: nothing to do.
      if (Atomics.load(words, at + SLOT_VALUE) !== marker) return;
      const old = Atomics.compareExchange(words, at + SLOT_KEY, k, incoming);
      if (old !== k && old !== incoming) return;
    }
    Atomics.compareExchange(words, at + SLOT_VALUE, marker, 0n);
  }

  private isFree(v: bigint, nowSec: number): boolean {
    scratch64[0] = v;
    if (scratch32[LO] >= VALUE_MARKER_BIT) return true;
    const window = scratch32[HI];
    return window !== 0 && window <= nowSec;
  }

  private overflowAt(key: string): number {
    return this.overflowStart + overflowIndex(key) * OVERFLOW_WORDS + OVERFLOW_VALUE;
  }

  private hitOverflow(at: number, windowEnd: number, amount: number): number {
    const words = this.words;
    for (;;) {
      const v = Atomics.load(words, at);
      const next = advance(v, windowEnd, amount);
      if (next === v) return nextCount;
      if (Atomics.compareExchange(words, at, v, next) === v) return nextCount;
    }
  }
}
