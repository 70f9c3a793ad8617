/**
 * parseRequestPath: per-segment percent-decoding, dot segments resolved after decoding, empty
 * segments dropped, trailing slash remembered, and the failure codes.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  newParsedPath, parseRequestPath, PATH_OK, PATH_TRAVERSAL, PATH_BAD_ENCODING, PATH_TOO_MANY_SEGMENTS, type ParsedPath,
} from '../../src/gateway/router/request-path.js';
import { MAX_PATH_SEGMENTS, segmentHash } from '../../src/shared/table-layout.js';
import { forwardPath, forwardPathOf } from '../../src/gateway/worker/backend-target.js';

function parse(path: string, out: ParsedPath = newParsedPath()) {
  const code = parseRequestPath(path, out);
  return { code, segments: [...out.segments], raw: [...out.raw], trailingSlash: out.trailingSlash, out };
}

describe('parseRequestPath: segments', () => {
  const cases: Array<[path: string, segments: string[], raw: string[], trailingSlash: boolean]> = [
    ['', [], [], false],
    ['/', [], [], false],
    ['/a', ['a'], ['a'], false],
    ['a/b', ['a', 'b'], ['a', 'b'], false],
    ['/a/b/', ['a', 'b'], ['a', 'b'], true],
    ['//a///b//', ['a', 'b'], ['a', 'b'], true],
    ['/John%20Doe', ['John Doe'], ['John%20Doe'], false],
    ['/a%2Fb/c', ['a/b', 'c'], ['a%2Fb', 'c'], false],
    ['/caf%C3%A9', ['café'], ['caf%C3%A9'], false],
    ['/a+b', ['a+b'], ['a+b'], false],
    ['/a/./b/.', ['a', 'b'], ['a', 'b'], true],
    ['/a/b/..', ['a'], ['a'], true],
    ['/a/..', [], [], false],
    ['/a/b/../c', ['a', 'c'], ['a', 'c'], false],
    ['/a/%2e%2e/c', ['c'], ['c'], false],
    ['/a/b/%2E%2e/%2e/c', ['a', 'c'], ['a', 'c'], false],
    ['/a/.%2E/c', ['c'], ['c'], false],
    ['/echo/../admin', ['admin'], ['admin'], false],
    ['/../../x', ['x'], ['x'], false],
    ['/%2e%2e/%2e%2e/x/', ['x'], ['x'], true],
    ['/a/..', [], [], false],
    ['/a/../', [], [], true],
    ['/...', ['...'], ['...'], false],
    ['/a..b/.x', ['a..b', '.x'], ['a..b', '.x'], false],
    ['/x%2F.y', ['x/.y'], ['x%2F.y'], false],
  ];
  for (const [path, segments, raw, trailingSlash] of cases) {
    test(JSON.stringify(path), () => {
      const { out: _, ...got } = parse(path);
      assert.deepStrictEqual(got, { code: PATH_OK, segments, raw, trailingSlash });
    });
  }

  for (const path of ['/..%2Fx', '/a/..%2f', '/..%5Cx', '/a/.%2e%2fb', '/a\\..\\b', '/a/..;x', '/.;x/b', '/a%2F..%2Fb', '/a/%2e%2e;x']) {
    test(`encoded traversal ${JSON.stringify(path)} is refused`, () => assert.equal(parse(path).code, PATH_TRAVERSAL));
  }

  test('hashes are segmentHash of the decoded segments, case-folded', () => {
    const { out } = parse('/Users/%41b');
    assert.deepStrictEqual([...out.hashes.subarray(0, 2)], [segmentHash('users'), segmentHash('ab')]);
    assert.equal(segmentHash('USERS'), segmentHash('users'));
    assert.notEqual(segmentHash('users'), segmentHash('user'));
  });

  test('a reused ParsedPath holds only the latest path', () => {
    const out = newParsedPath();
    assert.equal(parseRequestPath('/a/b/c/', out), PATH_OK);
    assert.equal(parseRequestPath('/x', out), PATH_OK);
    assert.deepStrictEqual(out.segments, ['x']);
    assert.deepStrictEqual(out.raw, ['x']);
    assert.equal(out.trailingSlash, false);
  });
});

describe('parseRequestPath: failures', () => {
  test('malformed percent-encoding', () => {
    assert.equal(parse('/a/%zz').code, PATH_BAD_ENCODING);
    assert.equal(parse('/a/%').code, PATH_BAD_ENCODING);
    assert.equal(parse('/a/%4').code, PATH_BAD_ENCODING);
  });

  test('percent-encoding that is not UTF-8', () => {
    assert.equal(parse('/%ff').code, PATH_BAD_ENCODING);
    assert.equal(parse('/%C3').code, PATH_BAD_ENCODING); // truncated sequence
    assert.equal(parse('/%ED%A0%80').code, PATH_BAD_ENCODING); // encoded surrogate
  });

  test(`${MAX_PATH_SEGMENTS} segments are fine, one more is too many`, () => {
    assert.equal(MAX_PATH_SEGMENTS, 128);
    const ok = parse('/s'.repeat(128));
    assert.equal(ok.code, PATH_OK);
    assert.equal(ok.segments.length, 128);
    assert.equal(parse('/s'.repeat(129)).code, PATH_TOO_MANY_SEGMENTS);
  });

  test('empty and dot segments do not count towards the limit', () => {
    assert.equal(parse('/s'.repeat(128) + '/'.repeat(50) + '/.'.repeat(50)).code, PATH_OK);
    assert.equal(parse('/s/..'.repeat(200)).code, PATH_OK);
  });
});

describe('parseRequestPath: one ParsedPath reused request after request (as a worker does)', () => {
  test('a shorter path, a dot segment, a failure and the root leave nothing of the path before', () => {
    const out = newParsedPath();
    const steps: Array<[path: string, code: number, segments: string[], raw: string[], hashes: number]> = [
      ['/a/b%20c/d/e', PATH_OK, ['a', 'b c', 'd', 'e'], ['a', 'b%20c', 'd', 'e'], 4],
      ['/x', PATH_OK, ['x'], ['x'], 1],
      ['/p/q/r/../s', PATH_OK, ['p', 'q', 's'], ['p', 'q', 's'], 3],
      ['/bad/%zz', PATH_BAD_ENCODING, [], [], 0],
      ['/y/z', PATH_OK, ['y', 'z'], ['y', 'z'], 2],
      ['/y/%2e%2e%2f/z', PATH_TRAVERSAL, [], [], 0],
      ['/', PATH_OK, [], [], 0],
      ['/..', PATH_OK, [], [], 0],
      ['/m/n/o/p/q/r', PATH_OK, ['m', 'n', 'o', 'p', 'q', 'r'], ['m', 'n', 'o', 'p', 'q', 'r'], 6],
    ];
    for (const [path, code, segments, raw, hashes] of steps) {
      const got = parse(path, out);
      assert.equal(got.code, code, path);
      assert.deepEqual(got.segments, segments, path);
      assert.deepEqual(got.raw, raw, path);
      for (let i = 0; i < hashes; i++) assert.equal(out.hashes[i], segmentHash(segments[i]), `${path} hash ${i}`);
    }
  });
});

describe('forwardPathOf: the forwarded path as a slice of the path as sent', () => {
  test('equals the joined raw segments for 20,000 random paths (empty, dot and encoded segments, trailing slashes), every API suffix length, on one reused ParsedPath', () => {
    const out = newParsedPath();
    let seed = 12345;
    const next = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    const pieces = ['a', 'items', '123', '', '.', '..', '%2e', '%2E%2e', 'b%20c', '.hidden', 'x.y', '...', '%41'];
    let verbatim = 0;
    let sliced = 0;
    for (let n = 0; n < 20_000; n++) {
      const count = Math.floor(next() * 6);
      let path = next() < 0.97 ? '' : 'x';
      for (let i = 0; i < count; i++) path += '/' + pieces[Math.floor(next() * pieces.length)];
      if (next() < 0.3) path += '/';
      if (path === '') path = '/';
      if (parseRequestPath(path, out) !== PATH_OK) continue;
      if (out.verbatim) verbatim++;
      for (let skip = 0; skip <= out.raw.length + 1; skip++) {
        const expected = forwardPath(out.raw, skip, out.trailingSlash);
        assert.equal(forwardPathOf(path, out, skip), expected, `${JSON.stringify(path)} skip ${skip}`);
        if (out.verbatim && skip > 0 && skip < out.raw.length) sliced++;
      }
    }
    assert.ok(verbatim > 3_000 && sliced > 3_000, `verbatim ${verbatim}, sliced ${sliced}`);
  });

  test('a path with a dropped or resolved segment is not verbatim; a plain one is', () => {
    const out = newParsedPath();
    for (const [path, verbatim] of [['/a/b/c', true], ['/a/b/', true], ['/', true], ['/a//b', false], ['/a/./b', false], ['/a/b/..', false],
      ['/a/%2e%2e/b', false], ['/a/b//', false], ['a/b', false]] as const) {
      assert.equal(parseRequestPath(path, out), PATH_OK, path);
      assert.equal(out.verbatim, verbatim, path);
    }
    assert.equal(parseRequestPath('/bad/%zz', out), PATH_BAD_ENCODING);
    assert.equal(out.verbatim, false, 'a failed parse leaves nothing verbatim');
  });
});
