/**
 * The request-side differential fuzz (test/support/request-fuzz.ts) on the wire: the same seeded,
 * mutated, pipelined requests sent over raw sockets in pieces to a real gateway, with a byte tap as
 * the backend. Every request the backend receives must be one llhttp completes in the client's
 * bytes, with the same method, target (which carries the case and its place in the sequence) and
 * body; the backend's bytes on every connection must parse without error. (The order is not
 * checked here: a client connection's requests may reach the backend over different pooled
 * connections.) The parser-level fuzz runs far more cases;
 * this one adds the server around the parser: reads, pipelining, early input, timeouts, closes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startByteTap, type ByteTap } from '../support/byte-tap.js';
import { rawUntilClose } from '../support/raw-http.js';
import { llhttpParse } from '../support/llhttp.js';
import { makeCase, runLlhttp } from '../support/request-fuzz.js';
import { mulberry32 } from '../conformance/random-routes.js';

const CASES = 400;
const SEED = 20_261_207;
const AT_ONCE = 16;

let tap: ByteTap;
let gw: GatewayProcess;

before(async () => {
  tap = await startByteTap();
  // Short timeouts: a case that ends inside a head or a body is closed (408) in ~100 ms.
  gw = await startGateway(oneApiConfig(tap.url, { requestHeadTimeoutMs: 100, clientIdleTimeoutMs: 100, requestBodyTimeoutMs: 100 }), { workers: 1 });
});
after(async () => { await gw?.stop(); await tap?.close(); });

/** The target the backend should get for a client's target: origin-form, without the API's `/echo`. */
function forwardedTarget(clientTarget: string): string {
  return clientTarget.replace(/^https?:\/\/[^/]+/, '').replace(/^\/echo/, '');
}

/** `wire` cut into reads of about `step` bytes, at most 8 of them. */
function pieces(wire: Buffer, step: number): Buffer[] {
  const size = Math.max(step, Math.ceil(wire.length / 8));
  const out: Buffer[] = [];
  for (let at = 0; at < wire.length; at += size) out.push(wire.subarray(at, at + size));
  return out;
}

test(`wire-level fuzz: ${CASES} mutated, pipelined requests; the backend gets only what llhttp completes in the client's bytes`, async () => {
  const rand = mulberry32(SEED);
  const cases = Array.from({ length: CASES }, (_, n) => makeCase(rand, (i) => `/echo/c${n}r${i}`));
  let sent = 0;
  let next = 0;
  const run = async (): Promise<void> => {
    for (let n = next++; n < CASES; n = next++) {
      const c = cases[n];
      // A method outside llhttp's list (`put`) is the documented difference: the tap could not read it.
      if (llhttpParse(c.wire).error === 'HPE_INVALID_METHOD') continue;
      sent++;
      await rawUntilClose(gw.port, pieces(c.wire, c.step), 3000, 2);
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, run));

  // What llhttp completes in every case's bytes, by what the backend should see: method and target.
  const completed = new Map<string, Array<{ n: number; k: number; body: string }>>();
  cases.forEach((c, n) => runLlhttp(c.wire).messages.forEach((m, k) => {
    const key = `${m.method} ${forwardedTarget(m.target)}`;
    completed.set(key, [...(completed.get(key) ?? []), { n, k, body: m.body }]);
  }));
  let forwarded = 0;
  for (const r of tap.requests()) {
    const found = completed.get(`${r.method} ${r.target}`)?.find((m) => m.body === r.body.toString('latin1'));
    assert.ok(found !== undefined, `the backend got ${r.method} ${r.target} (body ${JSON.stringify(r.body.toString('latin1'))}), which llhttp completes in no case's bytes`);
    forwarded++;
  }
  for (const bytes of tap.connections()) assert.equal(llhttpParse(bytes).error, null, `the backend got bytes llhttp refuses: ${JSON.stringify(bytes.toString('latin1').slice(0, 400))}`);
  process.stdout.write(`# wire fuzz: ${sent} cases sent, ${forwarded} requests forwarded and matched\n`);
  assert.ok(sent > CASES * 0.9, 'nearly every case is sent');
  assert.ok(forwarded > CASES / 2, 'many requests reach the backend: the generator makes valid ones');
  assert.equal(gw.logs.filter((l) => /worker crashed|exited unexpectedly/.test(String(l.msg))).length, 0);
});
