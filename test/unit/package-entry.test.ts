/** The commands README gives and the `bin` users install must point at the built CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

test('bin.outpost runs the built CLI', () => {
  const out = execFileSync(process.execPath, [resolve(root, pkg.bin.outpost), '--help'], { encoding: 'utf8' });
  assert.match(out, /^Usage: outpost <command>/);
});

test('npm start runs that same CLI on the sample config with the demo backend', () => {
  // node's own flags (GATEWAY_NODE_FLAGS, test/unit/memory-reducer.test.ts) may come first.
  assert.match(pkg.scripts.start, new RegExp(`node (?:--[\\w-]+ )*${pkg.bin.outpost.replace(/\./g, '\\.')} gateway --config config/gateway\\.yaml --demo-backend`));
});
