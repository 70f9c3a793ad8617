/**
 * The launchers start node with GATEWAY_NODE_FLAGS (src/gateway/primary/memory-reducer.ts), and the
 * primary reads node's command line for the flag the way V8 does. What the flag does to the
 * isolates is in test/integration/memory-reducer.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GATEWAY_NODE_FLAGS, reducerOffForPrimaryOnly } from '../../src/gateway/primary/memory-reducer.js';
import { parseDockerfile } from '../support/dockerfile.js';

const REPO = resolve(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(resolve(REPO, path), 'utf8');

test('the primary runs without its reducer only when node was started with --no-memory-reducer (the last of the two wins)', () => {
  assert.equal(reducerOffForPrimaryOnly([]), false);
  assert.equal(reducerOffForPrimaryOnly(['--max-old-space-size=512']), false);
  assert.equal(reducerOffForPrimaryOnly(['--no-memory-reducer']), true);
  assert.equal(reducerOffForPrimaryOnly(['--no_memory_reducer']), true);
  assert.equal(reducerOffForPrimaryOnly(['--nomemory-reducer']), true);
  assert.equal(reducerOffForPrimaryOnly(['--no-memory-reducer', '--memory-reducer']), false);
  assert.equal(reducerOffForPrimaryOnly(['--memory-reducer', '--no-memory-reducer']), true);
  assert.equal(reducerOffForPrimaryOnly(['--no-memory-reducer-for-small-heaps']), false);
});

test('npm start, the systemd unit and the container image start the gateway with the flags, before the script', () => {
  const flags = GATEWAY_NODE_FLAGS.join(' ');
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start;
  assert.match(start, new RegExp(`\\bnode ${flags} dist/src/cli\\.js gateway\\b`));

  const unit = read('config/systemd/outpost-gateway.service');
  const execStart = unit.split('\n').filter((line) => line.startsWith('ExecStart='));
  assert.equal(execStart.length, 1);
  assert.match(execStart[0], new RegExp(`^ExecStart=/usr/bin/env node ${flags} /opt/outpost/dist/src/cli\\.js gateway `));
  // The managed-mode command the unit's comment offers in its place.
  assert.match(unit, new RegExp(`#\\s+/usr/bin/env node ${flags} /opt/outpost/dist/src/cli\\.js gateway --env-file`));

  const image = parseDockerfile(read('Dockerfile')).at(-1)!;
  const entrypoint = image.filter((i) => i.name === 'ENTRYPOINT').at(-1)!;
  assert.deepEqual(JSON.parse(entrypoint.args), ['node', ...GATEWAY_NODE_FLAGS, '/app/dist/src/cli.js']);
});
