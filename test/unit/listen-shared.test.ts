/** The SO_REUSEPORT listener: two servers share one port (through the addon on Node 20). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo } from 'node:net';
import { listenShared } from '../../src/gateway/worker/listen-shared.js';
import { nativeAddon } from '../../src/gateway/native.js';

test('two workers listen on one port and both are reachable', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const a = createServer((s) => s.end('a'));
  const b = createServer((s) => s.end('b'));
  try {
    const modeA = await listenShared(a, port, 0);
    const modeB = await listenShared(b, port, 1);
    assert.ok(['reuseport-node', 'reuseport-native', 'single'].includes(modeA));
    if (modeA === 'single') { assert.equal(modeB, 'not-listening'); return; }
    assert.equal(modeB, modeA);
    assert.equal((a.address() as AddressInfo).port, port);
    assert.equal((b.address() as AddressInfo).port, port);
    const seen = new Set<string>();
    for (let i = 0; i < 64 && seen.size < 2; i++) {
      seen.add(await new Promise<string>((resolve) => {
        const c = connect(port, '127.0.0.1');
        let text = '';
        c.on('data', (d) => { text += d; });
        c.on('close', () => resolve(text));
      }));
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  } finally {
    a.close();
    b.close();
  }
});

test('the addon refuses a bad host and reports the failing step', (t) => {
  const addon = nativeAddon();
  if (addon === null) { t.skip('native addon not built'); return; }
  assert.throws(() => addon.listenReusePort('not-an-address', 0, 16), /numeric IPv4 or IPv6/);
});
