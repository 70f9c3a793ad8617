/**
 * gateCheckImmediate (native/src/check_immediate_gate.c), in a worker thread as the gateway calls
 * it: Node's immediate check is skipped in most iterations of a busy loop, and every immediate
 * still runs when it would have: a referenced one in the check phase of the iteration that queued
 * it (so before a 0 ms timer queued beside it from an I/O callback, as Node documents), chains of
 * them, native ones (a stream's write callbacks, a closed socket's events); an unreferenced one
 * within a bounded time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { nativeAddon } from '../../src/gateway/native.js';

const addon = nativeAddon();
const ADDON_FILE = join(import.meta.dirname, '../../../native/build/Release/outpost_native.node');

interface GateResult {
  first: boolean;
  second: boolean;
  /** Round trips whose immediate had not run when the next I/O callback (or its own 0 ms timer) did. */
  lateImmediates: number;
  timersFirst: number;
  immediates: number;
  chain: number;
  echoed: number;
  closes: number;
  unrefMs: number;
  runs: number;
  skips: number;
}

/** Runs the checks in a fresh worker thread; `gate` false runs them on stock Node (the reference). */
async function inWorker(gate: boolean): Promise<GateResult> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const net = require('node:net');
    const addon = require(${JSON.stringify(ADDON_FILE)});
    const first = ${gate} ? addon.gateCheckImmediate() : false;
    const second = ${gate} ? addon.gateCheckImmediate() : false;
    let lateImmediates = 0, timersFirst = 0, immediates = 0, pending = false;
    const server = net.createServer((s) => s.on('data', (d) => s.write(d)));
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1');
      let trips = 0;
      c.on('data', () => {
        // Queued from an I/O callback, an immediate runs in that iteration's check phase: before the
        // next I/O callback, and before a 0 ms timer queued beside it (Node's documented order).
        if (pending) lateImmediates++;
        pending = true;
        let ran = false;
        setTimeout(() => { if (!ran) timersFirst++; }, 0);
        setImmediate(() => { ran = true; pending = false; immediates++; });
        if (++trips < 3000) c.write('x');
        else done(c);
      });
      c.write('x');
    });
    function done(c) {
      let chain = 0;
      const step = () => { if (++chain < 10000) setImmediate(step); else afterChain(c, chain); };
      setImmediate(step);
    }
    function afterChain(c, chain) {
      // Native immediates: write callbacks and a socket's close events.
      let echoed = 0, closes = 0;
      const n = 200;
      const payload = Buffer.alloc(64 * 1024, 120);
      const sockets = [];
      for (let i = 0; i < n; i++) {
        const s = net.connect(server.address().port, '127.0.0.1', () => s.write(payload, () => { echoed++; s.destroy(); }));
        s.on('close', () => { if (++closes === n) afterCloses(c, chain, echoed, closes); });
        sockets.push(s);
      }
    }
    function afterCloses(c, chain, echoed, closes) {
      // An unreferenced immediate, while a referenced interval keeps the loop iterating.
      const keep = setInterval(() => {}, 5);
      const t0 = performance.now();
      setImmediate(() => {
        const unrefMs = performance.now() - t0;
        clearInterval(keep);
        const counts = new Float64Array(2);
        addon.checkImmediateStats(counts);
        c.destroy();
        server.close();
        setTimeout(() => parentPort.postMessage({ first, second, lateImmediates, timersFirst, immediates, chain, echoed, closes, unrefMs, runs: counts[0], skips: counts[1] }), 20);
      }).unref();
    }`;
  const worker = new Worker(code, { eval: true });
  try {
    return await new Promise<GateResult>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  } finally {
    await worker.terminate();
  }
}

test('gateCheckImmediate: installed once per thread, and most of a busy loop\'s immediate checks are skipped', { skip: addon === null && 'native addon not built' }, async () => {
  const r = await inWorker(true);
  assert.equal(r.first, true, 'Node\'s immediate check handle was found and gated');
  assert.equal(r.second, false, 'the second call finds it gated already');
  // 3,000 round trips and their immediates take far more iterations than milliseconds.
  assert.ok(r.skips > 1000, `skipped ${r.skips}`);
  assert.ok(r.runs > 0, 'it still ran when immediates were pending');
});

test('gateCheckImmediate: every immediate still runs when it would have (against stock Node)', { skip: addon === null && 'native addon not built' }, async () => {
  const gated = await inWorker(true);
  const stock = await inWorker(false);
  for (const r of [gated, stock]) {
    assert.equal(r.immediates, 3000);
    assert.equal(r.lateImmediates, 0, 'no I/O callback ran before the immediate its predecessor queued');
    assert.equal(r.timersFirst, 0, 'no 0 ms timer ran before the immediate queued beside it');
    assert.equal(r.chain, 10000);
    assert.equal(r.echoed, 200);
    assert.equal(r.closes, 200);
    assert.ok(r.unrefMs < 1000, `the unreferenced immediate ran after ${r.unrefMs} ms`);
  }
  assert.equal(stock.runs + stock.skips, 0, 'the stock run never gated');
});
