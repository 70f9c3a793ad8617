/**
 * Regex.Match with groups, as .NET answers (corpus 048): Success, Value, Index, Length,
 * Groups[n] and Groups["name"] (unnamed groups numbered first, then named ones), a group that did
 * not take part or does not exist (Success false, Value ""), Captures of a repeated group, lazy
 * and greedy repeats, alternation order, NextMatch and Regex.Matches. Also the capturing VM's
 * step budget.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../support/cs-eval.js';
import { compileCaptureRegex } from '../../src/gateway/pipeline/expression/regex/index.js';
import { OutpostError } from '../../src/shared/errors.js';

const cases: Array<[string, unknown]> = [
  ['Regex.Match("public, max-age=3600", @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value', '3600'],
  ['Regex.Match("no-cache", @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value', ''],
  ['Regex.Match("no-cache", @"max-age=(?<maxAge>\\d+)").Success', false],
  ['Regex.Match("abc", "b").Value', 'b'],
  ['Regex.Match("abc", "b").Index', 1],
  ['Regex.Match("abcd", "bc").Length', 2],
  ['Regex.Match("k=v", @"(?<k>\\w+)=(\\w+)").Groups[1].Value', 'v'],
  ['Regex.Match("k=v", @"(?<k>\\w+)=(\\w+)").Groups[2].Value', 'k'],
  ['Regex.Match("k=v", @"(?<k>\\w+)=(\\w+)").Groups["k"].Name', 'k'],
  ['Regex.Match("k=v", @"(?<k>\\w+)=(\\w+)").Groups.Count', 3],
  ['Regex.Match("k=v", @"(\\w+)=(\\w+)").Groups[0].Value', 'k=v'],
  ['Regex.Match("k=v", @"(\\w+)=(\\w+)").Groups["2"].Value', 'v'],
  ['Regex.Match("ab", "(a)|(b)").Groups[2].Success', false],
  ['Regex.Match("x", "y").Groups["none"].Success', false],
  ['Regex.Match("x", "x").Groups[7].Success', false],
  ['Regex.Match("a1b22c333", @"(?:([a-z])(\\d+))+").Groups[2].Value', '333'],
  ['string.Join(",", Regex.Match("a1b22c333", @"(?:([a-z])(\\d+))+").Groups[2].Captures.Select(c => c.Value))', '1,22,333'],
  ['Regex.Match("a1b22c333", @"(?:([a-z])(\\d+))+").Groups[1].Captures.Count', 3],
  ['Regex.Match("aaa", "(a+?)").Groups[1].Value', 'a'],
  ['Regex.Match("aaa", "(a+)").Groups[1].Value', 'aaa'],
  ['Regex.Match("<b>x</b><b>y</b>", "<b>(.*?)</b>").Groups[1].Value', 'x'],
  ['Regex.Match("<b>x</b><b>y</b>", "<b>(.*)</b>").Groups[1].Value', 'x</b><b>y'],
  ['Regex.Match("abab", "(a|ab)(c|bab)").Groups[2].Value', 'bab'],
  ['Regex.Match("Bearer abc", "^bearer (.+)$", RegexOptions.IgnoreCase).Groups[1].Value', 'abc'],
  ['new Regex(@"(\\d+)").Match("x42y").Groups[1].Index', 1],
  ['Regex.Match("foo", "o*").Length', 0],
  ['Regex.Matches("a1 b2 c3", @"\\w\\d").Count', 3],
  ['string.Join("|", Regex.Matches("a1 b2 c3", @"(\\w)\\d").Cast<Match>().Select(m => m.Groups[1].Value))', 'a|b|c'],
  ['Regex.Match("a1b2", @"\\d").NextMatch().Value', '2'],
  ['Regex.Match("a1b2", @"\\d").NextMatch().NextMatch().Success', false],
  ['Regex.Match("id=7", @"id=(\\d+)").Groups[1].ToString()', '7'],
  ['"[" + Regex.Match("id=7", @"id=(\\d+)") + "]"', '[id=7]'],
];

describe('Regex.Match groups', () => {
  for (const [source, expected] of cases) test(source, () => assert.deepEqual(evaluate(source), expected));

  test('corpus 048: the cache duration from Cache-Control max-age, 300 without it', () => {
    const source = (header: string) => `var header = "${header}";
      var maxAge = Regex.Match(header, @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value;
      return (!string.IsNullOrEmpty(maxAge))?int.Parse(maxAge):300;`;
    assert.equal(evaluate(source('public, max-age=120'), undefined, 'block'), 120);
    assert.equal(evaluate(source('no-store'), undefined, 'block'), 300);
  });

  test('a foreach over Groups visits every group in number order', () => {
    assert.equal(evaluate('var s = ""; foreach (Group g in Regex.Match("ab", "(a)(b)").Groups) s += g.Value + ";"; return s;'.replace('Group g', 'var g'), undefined, 'block'), 'ab;a;b;');
  });

  test('the capturing VM is linear: (a|a)*b on 4000 a\'s stays within its step budget and fails cleanly', () => {
    const vm = compileCaptureRegex('(a|a)*b', '');
    assert.equal(vm.exec('a'.repeat(4000)), null);
    assert.ok(vm.lastSteps < 200_000, String(vm.lastSteps));
  });

  test('past its budget the capturing VM stops with the budget error', () => {
    const vm = compileCaptureRegex('(a|a)*b', '', 1000);
    assert.throws(() => vm.exec('a'.repeat(4000)), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_EXPRESSION_BUDGET');
  });

  test('Regex.IsMatch still answers without captures', () => {
    assert.equal(evaluate('Regex.IsMatch("max-age=5", @"max-age=(?<a>\\d+)")'), true);
  });
});
