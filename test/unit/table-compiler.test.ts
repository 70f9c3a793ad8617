/**
 * The primary's compiler with its real thread: a table written into a lent buffer must be
 * adopted as that buffer. A SharedArrayBuffer that crosses threads comes back as another object
 * over the same memory; taken for a new buffer, the lent one went back on the free list while it
 * held the newest table, and the next compile overwrote a live table (a 404 for a route that
 * exists, seen in the 20-reloads-under-load test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { TableCompiler } from '../../src/gateway/primary/table-compiler.js';
import { SharedRouteTable, newRouteMatch } from '../../src/gateway/router/shared-table.js';
import { newParsedPath, parseRequestPath, PATH_OK } from '../../src/gateway/router/request-path.js';
import { METHOD_CODES } from '../../src/shared/table-layout.js';

function configOf(version: number) {
  const result = validateGatewayConfig({
    apis: [{ id: 'a', name: 'A', path: 'svc', serviceUrl: `http://127.0.0.1:1/v${version}`, operations: [{ id: 'o', method: 'GET', urlTemplate: '/req/{id}' }] }],
  });
  assert.ok(result.ok);
  return result.config;
}

test('a table compiled into a lent buffer is held as that buffer: the next compile never gets a live table\'s buffer', async () => {
  const compiler = new TableCompiler();
  try {
    const live: SharedArrayBuffer[] = [];
    for (let generation = 1; generation <= 6; generation++) {
      const out = await compiler.compile({ kind: 'config', config: configOf(generation) });
      assert.equal(out.kind, 'table');
      if (out.kind !== 'table') return;
      compiler.buffers.bind(out.buffer, generation);
      compiler.buffers.servedEverywhere(generation);
      live.push(out.buffer);
      // The generation that was live while this compile ran (workers read it until they switch)
      // and the new one must be intact, whatever buffer the compile was lent.
      for (const [i, buffer] of live.entries()) {
        if (i + 1 < generation - 1) continue;
        const table = new SharedRouteTable(buffer);
        const path = newParsedPath();
        assert.equal(parseRequestPath('/svc/req/7', path), PATH_OK);
        const match = newRouteMatch();
        assert.ok(table.match('', METHOD_CODES.GET, path.segments, path.hashes, match), `generation ${i + 1} still routes after compile ${generation}`);
        assert.equal(table.api(match.api).basePath, `/v${i + 1}`, `generation ${i + 1}'s own table`);
      }
    }
    // Two buffers serve six generations: the newest held, the one before free for the next compile.
    assert.deepEqual(compiler.buffers.counts(), { held: 1, free: 1, allocated: 2 });
  } finally {
    await compiler.close();
  }
});
