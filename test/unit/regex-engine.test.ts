/**
 * matches()'s own regex engine: known ReDoS patterns on long non-matching input finish in a number
 * of steps linear in the input (asserted on the step counter, never the clock); the same yes/no
 * answers as JavaScript's RegExp on a table of patterns and seeded random inputs; unsupported
 * syntax refused naming the construct; the step budget ending an evaluation with a coded error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex, MAX_MATCH_INPUT, MAX_REGEX_STATES, RegexSyntaxError } from '../../src/gateway/pipeline/expression/index.js';
import { bindCondition, parseExpression } from '../../src/gateway/pipeline/expression/index.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { OutpostError } from '../../src/shared/errors.js';
import { instanceOf, newContext } from '../support/policy-harness.js';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { runSection } from '../../src/gateway/pipeline/run-section.js';
import { FAIL } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';

const REDOS: Array<[string, string]> = [
  ['^(a|a)*c$', 'a'],
  ['(a|a)*c', 'a'],
  ['(a+)+b', 'a'],
  ['(a*)*b', 'a'],
  ['(x+x+)+y', 'x'],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', 'a'],
  ['^(\\w+\\s?)*$', 'a'],
  ['(.*a){12}', 'b'],
];

describe('regex engine: catastrophic patterns are linear', () => {
  for (const [pattern, unit] of REDOS) {
    test(pattern, () => {
      const re = compileRegex(pattern, '');
      const steps = (n: number) => {
        // A long run of the unit and a final character that makes it fail.
        const input = unit.repeat(n - 1) + '!';
        assert.equal(re.test(input), false, `no match on ${n} characters`);
        return re.lastSteps;
      };
      const full = steps(MAX_MATCH_INPUT);
      assert.ok(full <= (MAX_MATCH_INPUT + 1) * 2 * re.states, `${full} steps for ${re.states} states`);
      // Twice the input, at most about twice the steps: linear, not exponential.
      const half = steps(MAX_MATCH_INPUT / 2);
      assert.ok(full <= 2 * half + 4 * re.states, `${half} → ${full}`);
    });
  }

  test('through a condition: a 4096-character header against (a|a)*c is simply false', () => {
    const ctx = new RequestContext('GET', '/', '', ['x-long', 'a'.repeat(MAX_MATCH_INPUT)], '::1', 'a', 'o', {});
    assert.equal(bindCondition(parseExpression("matches(request.headers['x-long'], '^(a|a)*c$')"))(ctx), false);
  });
});

/** Patterns both engines accept, and the characters their random inputs are drawn from. */
const DIFFERENTIAL: Array<[string, string, string]> = [
  ['^/orders/\\d+$', '', '/orders0123x'],
  ['^(GET|POST)$', '', 'GETPOS'],
  ['ab|cd', '', 'abcd'],
  ['a.c', '', 'abc\n\r'],
  ['^a*$', '', 'ab'],
  ['^(ab)*$', '', 'ab'],
  ['(ab){2}', '', 'ab'],
  ['^a{2,3}$', '', 'a'],
  ['^a{2,}b?$', '', 'ab'],
  ['x[a-c]+y', '', 'xabcdy'],
  ['[^a-c]', '', 'abcd'],
  ['^[\\w.-]+@[\\w-]+\\.[a-z]{2,3}$', '', 'ab.-@c_x.com'],
  ['\\bfoo\\b', '', 'fo o_'],
  ['\\Bo', '', 'fo o'],
  ['^\\s*\\S+\\s*$', '', 'a \t\u00a0'],
  ['\\d\\D\\W', '', '1a-_'],
  ['^v\\d+(\\.\\d+)?$', '', 'v1.2x'],
  ['(?:a|b)?c$', '', 'abc'],
  ['(?<word>ab)+c', '', 'abc'],
  ['^$', '', 'a'],
  ['a|', '', 'ab'],
  ['^(a|ab)(c|bcd)(d*)$', '', 'abcd'],
  ['[\\-\\]]+x', '', '-]x'],
  ['\\x41\\u0042\\t', '', 'AB\tC'],
  ['^prod$', 'i', 'prodPROD'],
  ['[a-c]+x', 'i', 'abcABCxX'],
  ['[^a-c]', 'i', 'abcABC'],
  ['^\\w+$', 'i', 'aZ_\u017f\u212a'],
  ['k', 'i', 'kK\u212a'],
  ['\u00e9t\u00e9', 'i', '\u00e9\u00c9tT'],
  ['(a+)+b', '', 'ab'],
  ['(a|a)*c', '', 'ac'],
  ['(x+x+)+y', '', 'xy'],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', '', 'aA.b'],
];

/** A small seeded generator (mulberry32): the same inputs every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('regex engine: the same answers as RegExp', () => {
  for (const [pattern, flags, alphabet] of DIFFERENTIAL) {
    test(`/${pattern}/${flags}`, () => {
      const ours = compileRegex(pattern, flags);
      const theirs = new RegExp(pattern, flags);
      const next = random(pattern.length * 7919 + flags.length);
      for (let i = 0; i < 400; i++) {
        const len = Math.floor(next() * 12);
        let input = '';
        for (let j = 0; j < len; j++) input += alphabet[Math.floor(next() * alphabet.length)];
        if (i % 4 === 0 && pattern.startsWith('^/')) input = `/orders/${input}`;
        assert.equal(ours.test(input), theirs.test(input), `/${pattern}/${flags} on ${JSON.stringify(input)}`);
      }
    });
  }
});

describe('regex engine: syntax', () => {
  const REFUSED: Array<[string, RegExp]> = [
    ['(a)\\1', /backreference \\1/],
    ['(?<n>a)\\k<n>', /named backreference/],
    ['(?=a)b', /lookahead/],
    ['(?!a)b', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['\\p{L}', /Unicode property escape/],
    ['\\q', /unknown escape \\q/],
  ];
  for (const [pattern, construct] of REFUSED) {
    test(`refuses ${pattern}, naming it`, () => {
      assert.throws(() => compileRegex(pattern, ''), (err: unknown) => err instanceof RegexSyntaxError && err.unsupported && construct.test(err.message));
    });
  }
  const INVALID = ['[', '(', ')', 'a**', '*a', 'a{', '[b-a]', 'x{3,2}', '\\', '^*', `(a{${MAX_REGEX_STATES}})`, 'a{1001}'];
  for (const pattern of INVALID) {
    test(`invalid: ${pattern}`, () => assert.throws(() => compileRegex(pattern, ''), RegexSyntaxError));
  }
});

describe('regex engine: step budget', () => {
  test('a test past its budget throws OUTPOST_ERR_EXPRESSION_BUDGET', () => {
    const re = compileRegex('(a|b)*c', '', 1000);
    assert.equal(re.test('ab'.repeat(10)), false);
    assert.throws(() => re.test('ab'.repeat(1000)), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
    assert.ok(re.lastSteps > 1000);
    assert.equal(re.test('abc'), true, 'the engine is reusable after a budget error');
  });

  test('through a condition, the default budget stops a large program on a long input', () => {
    const ctx = new RequestContext('GET', '/', '', ['x-long', 'a'.repeat(MAX_MATCH_INPUT)], '::1', 'a', 'o', {});
    const condition = bindCondition(parseExpression("matches(request.headers['x-long'], '(a?){1000}b')"));
    assert.throws(() => condition(ctx), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
  });

  test('in choose, an exhausted budget fails the request to on-error with the coded error', () => {
    const choose = instanceOf(findFactory('choose') as PolicyFactory<unknown>, {
      when: { condition: "matches(request.headers['x-long'], '(a?){1000}b')", policies: [{ 'set-header': { name: 'x-hit', value: 'yes' } }] },
    });
    const ctx = newContext({ headers: ['x-long', 'a'.repeat(MAX_MATCH_INPUT)] });
    assert.equal(runSection({ section: 'inbound', instances: [choose], names: ['choose'] }, ctx), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_EXPRESSION_BUDGET');
    assert.equal(ctx.header('x-hit'), null);
  });
});
