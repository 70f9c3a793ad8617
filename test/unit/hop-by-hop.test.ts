/**
 * connectionTokensOf (a backend's Connection value read in place): the names it lists beyond
 * close and keep-alive, for lists in every shape. Run in a worker with a time bound: a scan that
 * stopped on a comma after `close` or `keep-alive` never ended, which in the gateway held a worker
 * thread forever; here it fails the test instead of hanging it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const MODULE = pathToFileURL(join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../src/gateway/upstream/hop-by-hop.js')).href;

const CASES: Array<[string, string[] | null]> = [
  ['keep-alive', null],
  ['close', null],
  ['keep-alive, close', null],
  ['Keep-Alive,close', null],
  ['close, x-foo', ['x-foo']],
  ['Keep-Alive, X-A, close', ['x-a']],
  [', ,keep-alive,,', null],
  ['keep-alive ,\tclose\t', null],
  ['x-a', ['x-a']],
  ['x-a, Keep-Alive', ['x-a']],
  ['', null],
];

function inWorker(values: string[], boundMs: number): Promise<Array<string[] | null>> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(({ connectionTokensOf }) => {
      parentPort.postMessage(workerData.values.map((v) => {
        const set = connectionTokensOf(Buffer.from(v, 'latin1'));
        return set === null ? null : [...set].sort();
      }));
    });`;
  const worker = new Worker(source, { eval: true, workerData: { module: MODULE, values } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void worker.terminate(); reject(new Error(`no answer within ${boundMs} ms: the scan did not end`)); }, boundMs);
    worker.once('message', (m: Array<string[] | null>) => { clearTimeout(timer); void worker.terminate(); resolve(m); });
    worker.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

test('connectionTokensOf ends on every list shape and names what is beyond close and keep-alive', async () => {
  const got = await inWorker(CASES.map(([v]) => v), 5_000);
  assert.deepEqual(got, CASES.map(([, want]) => want));
});
