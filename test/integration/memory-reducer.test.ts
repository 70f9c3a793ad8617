/**
 * The primary runs without V8's memory reducer when node is started with --no-memory-reducer (as
 * every launcher starts the gateway), and the threads it creates keep theirs
 * (src/gateway/primary/memory-reducer.ts). Real node processes with V8's reducer trace running
 * test/support/reducer-probe.js: a heap that grows and goes quiet in the main thread, then in a
 * worker thread; ~8 s after its full GC each isolate that has a reducer logs "Memory reducer: ..."
 * (and shrinks the heap, or waits when V8 judges its allocation rate high: not asserted). Without
 * the flag (the control) the main thread's reducer runs too, so the test can tell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/primary/memory-reducer.js';

const PROBE = resolve(import.meta.dirname, '../support/reducer-probe.js');
/** V8 12+ logs its memory reducer with --trace-memory-reducer; V8 11 (Node 20) with --trace-gc-verbose. */
const TRACE_REDUCER = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).includes('--trace-memory-reducer')
  ? '--trace-memory-reducer' : '--trace-gc-verbose';

interface GcCounts { mainIsolate: string; fullByIsolate: Map<string, number>; reducerByIsolate: Map<string, number>; probe: string }

function runProbe(nodeFlags: readonly string[]): Promise<GcCounts> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeFlags, '--trace-gc', TRACE_REDUCER, PROBE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code !== 0) { fail(new Error(`probe exited ${code}: ${err}`)); return; }
      const fullByIsolate = new Map<string, number>();
      const reducerByIsolate = new Map<string, number>();
      let mainIsolate = '';
      for (const line of out.split('\n')) {
        const m = /^\[\d+:(0x[0-9a-f]+)\]\s+(?:\d+ ms: )?(Mark-Compact(?! \(reduce\))|Memory reducer:)?/.exec(line);
        if (!m) continue;
        // The main isolate prints first (the worker does not exist yet), and V8's lines keep their order.
        if (mainIsolate === '') mainIsolate = m[1];
        if (m[2] === undefined) continue;
        const counts = m[2] === 'Mark-Compact' ? fullByIsolate : reducerByIsolate;
        counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
      }
      done({ mainIsolate, fullByIsolate, reducerByIsolate, probe: /^PROBE .*$/m.exec(out)?.[0] ?? '' });
    });
  });
}

test('started as the launchers start it, the primary has no memory reducer and its worker thread has one', async () => {
  assert.deepEqual(GATEWAY_NODE_FLAGS, ['--no-memory-reducer']);
  const [launched, plain] = await Promise.all([runProbe(GATEWAY_NODE_FLAGS), runProbe([])]);

  assert.equal(launched.probe, 'PROBE main-gc-done primaryReducerOff=true');
  assert.ok((launched.fullByIsolate.get(launched.mainIsolate) ?? 0) >= 1, 'the main thread had a full GC for a reducer to follow');
  assert.equal(launched.reducerByIsolate.get(launched.mainIsolate) ?? 0, 0, 'no memory reducer in the main thread');
  const inWorker = [...launched.reducerByIsolate].filter(([isolate]) => isolate !== launched.mainIsolate);
  assert.equal(inWorker.length, 1, 'the worker thread (created after the primary turned the flag back on) has its reducer');

  // The control: without the flag, the main thread has its reducer.
  assert.equal(plain.probe, 'PROBE main-gc-done primaryReducerOff=false');
  assert.ok((plain.fullByIsolate.get(plain.mainIsolate) ?? 0) >= 1);
  assert.ok((plain.reducerByIsolate.get(plain.mainIsolate) ?? 0) >= 1, 'without the flag the main thread has its reducer');
});
