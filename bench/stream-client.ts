/**
 * The streaming bench's client side (runs in the bench process): one upload, one download, each
 * on its own connection, verified by sha256, aborted at a deadline; and RSS sampling for the
 * gateway process. Transfers never throw: a failure is a result to report, not a crash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { chunks } from './stream-data.js';

export interface Transfer {
  ok: boolean;
  error: string | null;
  status: number;
  /** Body bytes that arrived at the receiving end (the backend for uploads, us for downloads). */
  bytes: number;
  sha256: string;
  hashMatch: boolean;
  /** Request start to the last byte of the response. Includes the stall. */
  durationS: number;
  /** Download only: the Content-Length the client saw (the gateway should keep the backend's). */
  contentLength: string | null;
}

/**
 * Sends the request (streaming `size` bytes of body if given, framed by Content-Length or, if
 * `chunked`, by chunked encoding) and resolves with the response head.
 */
function send(url: string, method: string, signal: AbortSignal, size: number | null, chunked = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // A server that closes without answering shows up as EPIPE/ECONNRESET on our write: say so.
    const fail = (err: Error) => reject(answered ? err : new Error(`${err.message} (no HTTP response)`));
    const headers: Record<string, string> = size === null ? {} : { 'content-type': 'application/octet-stream' };
    if (size !== null) headers[chunked ? 'transfer-encoding' : 'content-length'] = chunked ? 'chunked' : String(size);
    // agent: false: a fresh connection per transfer, closed afterwards; nothing pooled across runs.
    const req = request(url, { method, agent: false, signal, headers }, (res) => { answered = true; resolve(res); });
    req.on('error', fail);
    if (size === null) req.end();
    // pipeline honours req.write()'s backpressure, so the stalled backend really stalls us.
    else pipeline(Readable.from(chunks(size)), req, (err) => { if (err) fail(err); });
  });
}

async function timed(size: number, expected: string, timeoutMs: number, run: (signal: AbortSignal) => Promise<Omit<Transfer, 'ok' | 'error' | 'hashMatch' | 'durationS'>>): Promise<Transfer> {
  const start = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const t = await run(signal);
    const hashMatch = t.sha256 === expected;
    const ok = t.status === 200 && t.bytes === size && hashMatch;
    const error = ok ? null : `status ${t.status}, ${t.bytes} of ${size} bytes, sha256 ${hashMatch ? 'matches' : 'MISMATCH'}`;
    return { ...t, ok, error, hashMatch, durationS: (performance.now() - start) / 1000 };
  } catch (err) {
    const error = signal.aborted ? `aborted after ${timeoutMs / 1000} s` : (err as Error).message;
    return { ok: false, error, status: 0, bytes: 0, sha256: '', hashMatch: false, durationS: (performance.now() - start) / 1000, contentLength: null };
  }
}

/** PUT `size` bytes; the backend hashes what it got and answers {bytes, sha256}. */
export function upload(url: string, size: number, expected: string, timeoutMs: number, chunked: boolean): Promise<Transfer> {
  return timed(size, expected, timeoutMs, async (signal) => {
    const res = await send(url, 'PUT', signal, size, chunked);
    let text = '';
    for await (const c of res as AsyncIterable<Buffer>) text += c.toString('utf8');
    let answer: { bytes?: number; sha256?: string } = {};
    try { answer = JSON.parse(text) as typeof answer; } catch { /* non-JSON answer: reported as a failure below */ }
    return { status: res.statusCode ?? 0, bytes: answer.bytes ?? 0, sha256: answer.sha256 ?? `(answer: ${text.slice(0, 200)})`, contentLength: null };
  });
}

/** GET `size` bytes, hashing as they come, and stop reading for `stallMs` a quarter of the way in. */
export function download(url: string, size: number, expected: string, stallMs: number, timeoutMs: number): Promise<Transfer> {
  return timed(size, expected, timeoutMs, async (signal) => {
    const res = await send(url, 'GET', signal, null);
    const h = createHash('sha256');
    let bytes = 0;
    let stalled = false;
    for await (const c of res as AsyncIterable<Buffer>) {
      h.update(c);
      bytes += c.length;
      // While we sleep nothing reads the socket: TCP pushes back on the gateway, which must stop
      // reading the backend rather than buffer the rest of the body.
      if (!stalled && bytes > size / 4) { stalled = true; await sleep(stallMs, undefined, { signal }); }
    }
    return { status: res.statusCode ?? 0, bytes, sha256: h.digest('hex'), contentLength: res.headers['content-length'] ?? null };
  });
}

/** VmRSS of `pid` in bytes (all threads: the gateway's primary and its worker share one process). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export interface RssTrace { peak: number; samples: Array<[ms: number, bytes: number]>; maxGapMs: number }

// The sampler runs on its own thread: the bench's main event loop is busy moving and hashing
// data, and in a first version its timer gaps reached 430 ms, enough to miss a short peak.
const SAMPLER = `
const { parentPort, workerData: { pid, everyMs } } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const start = performance.now();
const samples = [];
const sample = () => {
  try { samples.push([Math.round(performance.now() - start), Number(/^VmRSS:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1]) * 1024]); } catch {}
};
sample();
const timer = setInterval(sample, everyMs);
parentPort.once('message', () => { clearInterval(timer); sample(); parentPort.postMessage(samples); });
`;

/** Samples `pid`'s VmRSS every `everyMs` until stopped; maxGapMs shows whether it kept pace. */
export function sampleRss(pid: number, everyMs: number): { stop(): Promise<RssTrace> } {
  const worker = new Worker(SAMPLER, { eval: true, workerData: { pid, everyMs } });
  return {
    stop: async () => {
      const done = new Promise<RssTrace['samples']>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
      worker.postMessage('stop');
      const samples = await done;
      await worker.terminate();
      const maxGapMs = samples.reduce((gap, [t], i) => (i === 0 ? 0 : Math.max(gap, t - samples[i - 1][0])), 0);
      return { peak: Math.max(0, ...samples.map(([, b]) => b)), samples, maxGapMs };
    },
  };
}

/**
 * Right after start-up and warm-up the gateway's RSS still moves by tens of MiB (seen: -35 MiB
 * within a second), which would skew the first baseline: wait until it holds within 2 MiB for 1 s.
 */
export async function settle(pid: number): Promise<string> {
  const start = Date.now();
  const window: number[] = [];
  while (Date.now() - start < 10_000) {
    window.push(rssBytes(pid));
    if (window.length > 10) window.shift();
    if (window.length === 10 && Math.max(...window) - Math.min(...window) < 2 * 2 ** 20) break;
    await sleep(100);
  }
  return `gateway RSS after warm-up: ${(window[window.length - 1] / 2 ** 20).toFixed(0)} MiB (settled in ${((Date.now() - start) / 1000).toFixed(1)} s)`;
}
