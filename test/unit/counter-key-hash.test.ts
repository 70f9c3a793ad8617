/**
 * counterKeyHash and counterPrefixHash: the values a key hashes to are part of the counter table's
 * layout (every worker of a process must agree on them), so they are pinned here, and they must not
 * depend on how V8 holds the string (flat, a concatenation, a slice): the rate-limit key arrives as
 * a concatenation (key + parity suffix), other callers pass flat strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterKeyHash, counterKeyHashPair, counterPrefixHash, PAIR_SUFFIXES } from '../../src/shared/counter-layout.js';

/** Values computed by the build before the module-local charCodeAt (0aec62f). */
const GOLDEN: Array<[string, number, number, number]> = [
  ['', 725515275, 1641094183, 2872998923],
  ['a', 711464985, 3739318121, 444641715],
  ['rl\u0000sub-1\u0001e', 543462279, 109205753, 1579301687],
  ['x'.repeat(100), 377331594, 3951047637, 3842974242],
  ['caf\u00e9\u20ac', 47006807, 3878658823, 3463008172],
];

function hashOf(key: string): [number, number] {
  const out = new Uint32Array(2);
  counterKeyHash(key, out);
  return [out[0], out[1]];
}

test('counter key hashes: pinned values', () => {
  for (const [key, lo, hi, prefix] of GOLDEN) {
    assert.deepEqual(hashOf(key), [lo, hi], JSON.stringify(key));
    assert.equal(counterPrefixHash(key), prefix, JSON.stringify(key));
  }
});

test('counter key hashes: the same for a flat string, a concatenation and a slice of one', () => {
  const parts = ['rate-limit-by-key', '\u0000', 'subscription-', String(Date.now() % 1000), '\u0001o'];
  const flat = JSON.parse(JSON.stringify(parts.join(''))) as string;
  let cons = '';
  for (const p of parts) cons += p;
  const sliced = (`__${flat}__`).slice(2, -2);
  for (const k of [cons, sliced]) {
    assert.equal(k, flat);
    assert.deepEqual(hashOf(k), hashOf(flat));
    assert.equal(counterPrefixHash(k), counterPrefixHash(flat));
  }
  // Many kinds through one call site, as in the worker (the site then sees several string maps).
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const k = i % 3 === 0 ? cons : i % 3 === 1 ? sliced : flat;
    seen.add(hashOf(k).join(','));
  }
  assert.equal(seen.size, 1);
});

test('counterKeyHashPair: exactly counterKeyHash of the key with either suffix, for any key', () => {
  const out = new Uint32Array(4);
  const keys = ['', 'a', 'rl\u0000sub-1', 'x'.repeat(300), 'caf\u00e9\u20ac', `rate-limit\u0000${'k'.repeat(17)}`];
  for (let i = 0; i < 200; i++) keys.push(`rl\u0000${Math.random().toString(36).slice(2)}${String.fromCharCode(i * 331 % 65536)}`);
  for (const key of keys) {
    counterKeyHashPair(key, PAIR_SUFFIXES[0], PAIR_SUFFIXES[1], out);
    assert.deepEqual([out[0], out[1]], hashOf(key + PAIR_SUFFIXES[0]), JSON.stringify(key));
    assert.deepEqual([out[2], out[3]], hashOf(key + PAIR_SUFFIXES[1]), JSON.stringify(key));
  }
  // The pinned value above: the sliding window's even counter of 'rl\u0000sub-1'.
  counterKeyHashPair('rl\u0000sub-1', PAIR_SUFFIXES[0], PAIR_SUFFIXES[1], out);
  assert.deepEqual([out[0], out[1]], [543462279, 109205753]);
});
