/**
 * The addon's head-end finder (native/src/head_end.c) against HeadEndFinder.findJs: the same
 * answer and the same state after every call, for random request heads (bare LF, CR without LF,
 * empty and long lines, spaces or none in the request line, stale bytes after the data) fed in
 * random reads, under random limits so that every outcome is reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import {
  HeadEndFinder, HEAD_INCOMPLETE, HEAD_BAD_LINE_ENDING, HEAD_TOO_LARGE, HEAD_LINE_TOO_LONG,
  HEAD_BAD_FIELD_LINE_ENDING, HEAD_METHOD_TOO_LONG,
} from '../../src/http1/head-end.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

const skip = nativeSkip;
/** As a worker's read buffer. */
const REGISTERED = registeredBuffer(16 * 1024);

const state = (f: HeadEndFinder): [number, number] => {
  const fields = f as unknown as { scanned: number; lineStart: number };
  return [fields.scanned, fields.lineStart];
};

function randomHead(r: () => number): Buffer {
  const parts: string[] = [];
  const method = r() < 0.05 ? 'X'.repeat(Math.floor(r() * 300)) : 'GET';
  const target = '/' + 'a'.repeat(Math.floor(r() * (r() < 0.1 ? 400 : 40)));
  parts.push(r() < 0.03 ? `${method}${target}` : `${method} ${target} HTTP/1.1`);
  const fields = Math.floor(r() * 10);
  for (let i = 0; i < fields; i++) parts.push(`x-${i}: ${'v'.repeat(Math.floor(r() * (r() < 0.1 ? 300 : 30)))}`);
  let text = parts.join('\r\n') + '\r\n\r\n';
  // Break a line ending now and then: a bare LF, a CR alone, a CR before another byte.
  if (r() < 0.3) {
    const at = Math.floor(r() * text.length);
    const broken = ['\n', '\r', '\rx', '\r\r\n'][Math.floor(r() * 4)];
    text = text.slice(0, at) + broken + text.slice(at);
  }
  if (r() < 0.1) text = text.slice(0, Math.floor(r() * text.length)); // never complete
  return Buffer.from(text, 'latin1');
}

test('the addon finds head ends exactly as findJs does: 20,000 heads in random reads, answers and state', { skip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const seen = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    const head = randomHead(r);
    const start = Math.floor(r() * 2000);
    head.copy(REGISTERED, start);
    // Stale bytes after the head: sometimes spaces, which the too-long rule looks for.
    REGISTERED.fill(r() < 0.5 ? 0x20 : 0x78, start + head.length, Math.min(REGISTERED.length, start + head.length + 64));
    const maxHead = 16 + Math.floor(r() * 1200);
    const maxLine = 8 + Math.floor(r() * 500);
    const native = new HeadEndFinder(maxHead, maxLine);
    const js = new HeadEndFinder(maxHead, maxLine);
    let end = start;
    for (;;) {
      end = Math.min(start + head.length, end + 1 + Math.floor(r() * (r() < 0.3 ? 4 : 200)));
      const a = native.find(REGISTERED, start, end);
      const b = js.findJs(REGISTERED, start, end);
      assert.deepEqual([a, ...state(native)], [b, ...state(js)], `seed ${seed}, head ${i}, end ${end - start}: ${JSON.stringify(head.toString('latin1'))}`);
      if (a !== HEAD_INCOMPLETE || end === start + head.length) {
        seen.set(a >= 0 ? 0 : a, (seen.get(a >= 0 ? 0 : a) ?? 0) + 1);
        break;
      }
    }
  }
  for (const code of [0, HEAD_INCOMPLETE, HEAD_BAD_LINE_ENDING, HEAD_TOO_LARGE, HEAD_LINE_TOO_LONG, HEAD_BAD_FIELD_LINE_ENDING, HEAD_METHOD_TOO_LONG]) {
    assert.ok((seen.get(code) ?? 0) >= 20, `seed ${seed}: outcome ${code} reached ${seen.get(code) ?? 0} times`);
  }
});

test('a head in an unregistered buffer, and a range past the registered one, go to findJs', { skip }, () => {
  const text = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const f = new HeadEndFinder(1000, 100);
  assert.equal(f.find(Buffer.from(text), 0, text.length), text.length - 2);
  text.copy(REGISTERED, REGISTERED.length - text.length);
  assert.equal(f.find(REGISTERED, REGISTERED.length - text.length, REGISTERED.length), REGISTERED.length - 2);
  // Past the end: the addon declines and the JavaScript finder reads what the buffer has.
  const g = new HeadEndFinder(1000, 100);
  assert.equal(g.find(REGISTERED, REGISTERED.length - text.length, REGISTERED.length + 5), REGISTERED.length - 2);
});
